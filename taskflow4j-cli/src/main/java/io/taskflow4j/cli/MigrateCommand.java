package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j migrate}: copies every logbook from one store to another, then verifies. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Copy every logbook from one store to another (any two backends), with a progress bar on"
          + " standard error, then re-read both sides and compare every field of every book,"
          + " flow and atom.",
      "Logbooks that already exist in the target are refused (nothing is written) unless"
          + " --replace. Exit code 1 with a summary of the differences if verification fails."
    })
final class MigrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", paramLabel = "URI", required = true, description = "The source store.")
  String from;

  @Option(
      names = "--to",
      paramLabel = "URI",
      required = true,
      description = "The target store (created if needed).")
  String to;

  @Option(names = "--replace", description = "Replace logbooks that already exist in the target.")
  boolean replace;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    SameStore.refuse(from, to);
    try (Backend source = Stores.readable(from);
        Connection src = source.getConnection();
        Backend target = Stores.open(to);
        Connection dst = target.getConnection()) {
      List<LogBook> lazy = src.getLogBooks(true);
      main.info(
          "Migrating "
              + lazy.size()
              + " logbook(s) from "
              + Stores.mask(from)
              + " to "
              + Stores.mask(to));
      List<LogBook> books = new ArrayList<>(lazy.size());
      for (LogBook b : lazy) {
        books.add(ExportFormat.withoutRevisions(src.getLogBook(b.uuid())));
      }
      ProgressBar bar = new ProgressBar(main, "copy", books.size());
      ImportCommand.write(dst, books, replace, to, Stores.mask(from), bar::update);
      bar.done();

      ProgressBar check = new ProgressBar(main, "verify", books.size());
      List<String> differences = new ArrayList<>();
      int n = 0;
      for (LogBook b : lazy) {
        LogBook left = src.getLogBook(b.uuid());
        LogBook right;
        try {
          right = dst.getLogBook(b.uuid());
        } catch (NotFoundException e) {
          differences.add("logbook " + b.uuid() + " is missing from the target");
          continue;
        }
        for (String d : ExportFormat.diff(ExportFormat.book(left), ExportFormat.book(right), 5)) {
          differences.add("logbook " + b.uuid() + d);
        }
        check.update(++n);
      }
      check.done();
      if (!differences.isEmpty()) {
        for (String d : differences.subList(0, Math.min(20, differences.size()))) {
          main.info("  " + d);
        }
        throw new CliException(
            ExitCodes.FAILURE,
            "verification failed: "
                + differences.size()
                + " difference(s) between "
                + Stores.mask(from)
                + " and "
                + Stores.mask(to)
                + " (listed above)");
      }
      int flows = 0;
      int atoms = 0;
      for (LogBook b : books) {
        flows += b.size();
        for (var fd : b.flows()) {
          atoms += fd.size();
        }
      }
      main.println(
          "Migrated and verified "
              + books.size()
              + " logbook(s), "
              + flows
              + " flow(s), "
              + atoms
              + " atom(s): both stores hold the same.");
      return ExitCodes.OK;
    }
  }
}
