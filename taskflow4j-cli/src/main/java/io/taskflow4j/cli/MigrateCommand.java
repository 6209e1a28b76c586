package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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
          + " flow and atom. Books are read one at a time: memory holds the largest book, never"
          + " the store.",
      "Logbooks that already exist in the target are refused (nothing is written) unless"
          + " --replace. Exit code 1 with a summary of the differences if verification fails."
    })
final class MigrateCommand implements Callable<Integer> {
  /** How many differences are listed; the rest are counted. */
  private static final int LISTED = 20;

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

  @Option(
      names = "--json",
      description =
          "Print the result as one JSON object: {\"from\", \"to\", \"logbooks\", \"flows\", \"atoms\", \"verified\"}.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    SameStore.refuse(from, to);
    try (Backend source = Stores.readable(from);
        Connection src = source.getConnection();
        Backend target = Stores.open(to);
        Connection dst = target.getConnection()) {
      int listed = count(src);
      main.info(
          "Migrating "
              + listed
              + " logbook(s) from "
              + Stores.mask(from)
              + " to "
              + Stores.mask(to));
      SourceBooks books = new SourceBooks(src);
      // three readings of the source, one book at a time: check, copy, compare
      ProgressBar check = new ProgressBar(main, "check", listed);
      ImportCommand.Checked checked =
          ImportCommand.checkTarget(dst, books, replace, to, Stores.mask(from), check::update);
      check.done();
      ProgressBar copy = new ProgressBar(main, "copy", checked.count());
      ImportCommand.write(dst, books, checked, copy::update);
      copy.done();

      Comparison cmp = new Comparison(dst, new ProgressBar(main, "verify", checked.count()));
      books.forEach(cmp::add);
      cmp.bar.done();
      if (cmp.differences > 0) {
        for (String d : cmp.listed) {
          main.info("  " + d);
        }
        throw new CliException(
            ExitCodes.FAILURE,
            "verification failed: "
                + cmp.differences
                + " difference(s) between "
                + Stores.mask(from)
                + " and "
                + Stores.mask(to)
                + " (listed above"
                + (cmp.differences > LISTED ? ", the first " + LISTED : "")
                + ")");
      }
      if (json) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", Stores.mask(from));
        r.put("to", Stores.mask(to));
        r.put("logbooks", cmp.books);
        r.put("flows", cmp.flows);
        r.put("atoms", cmp.atoms);
        r.put("verified", true);
        main.printJson(r);
        return ExitCodes.OK;
      }
      main.println(
          "Migrated and verified "
              + cmp.books
              + " logbook(s), "
              + cmp.flows
              + " flow(s), "
              + cmp.atoms
              + " atom(s): both stores hold the same.");
      return ExitCodes.OK;
    }
  }

  /** How many books the store lists, counted without reading their flows. */
  private static int count(Connection c) {
    var counter =
        new Object() {
          int n;
        };
    c.forEachLogBook(true, b -> counter.n++, damaged -> counter.n++);
    return counter.n;
  }

  /**
   * The source's books as the target gets them (revisions 0), one at a time: the store's scan lists
   * them lazily, and each is read whole on its own (a scan reading whole books may hold a page of
   * them, a hundred on a SQL store). The first reading notes their uuids; the later ones hand over
   * those only, so a book created in the source meanwhile is never written unchecked. A damaged
   * book ends the reading with its error, as reading the store whole would.
   */
  private static final class SourceBooks implements ImportCommand.Books {
    private final Connection src;
    private ExportFormat.UuidSet seen;

    SourceBooks(Connection src) {
      this.src = src;
    }

    @Override
    public void forEach(Consumer<LogBook> action) {
      boolean first = seen == null;
      ExportFormat.UuidSet uuids = first ? new ExportFormat.UuidSet() : seen;
      src.forEachLogBook(
          true,
          listed -> {
            if (!first && !uuids.contains(listed.uuid())) {
              return;
            }
            LogBook b;
            try {
              b = src.getLogBook(listed.uuid());
            } catch (NotFoundException deletedMeanwhile) {
              return;
            } catch (CorruptRecordException e) {
              throw e.inBook(listed.uuid());
            }
            if (first) {
              uuids.add(b.uuid());
            }
            action.accept(ExportFormat.withoutRevisions(b));
          },
          damaged -> {
            throw damaged;
          });
      seen = uuids;
    }
  }

  /** Compares each source book with the target's, book by book, keeping the first differences. */
  private static final class Comparison {
    final Connection dst;
    final ProgressBar bar;
    final List<String> listed = new ArrayList<>();
    int differences;
    int books;
    long flows;
    long atoms;

    Comparison(Connection dst, ProgressBar bar) {
      this.dst = dst;
      this.bar = bar;
    }

    void add(LogBook left) {
      books++;
      flows += left.size();
      for (FlowDetail fd : left.flows()) {
        atoms += fd.size();
      }
      try {
        LogBook right = dst.getLogBook(left.uuid());
        for (String d : ExportFormat.diff(ExportFormat.book(left), ExportFormat.book(right), 5)) {
          difference("logbook " + left.uuid() + d);
        }
      } catch (NotFoundException e) {
        difference("logbook " + left.uuid() + " is missing from the target");
      }
      bar.update(books);
    }

    private void difference(String d) {
      if (differences++ < LISTED) {
        listed.add(d);
      }
    }
  }
}
