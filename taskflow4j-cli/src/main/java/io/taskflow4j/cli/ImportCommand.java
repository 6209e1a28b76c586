package io.taskflow4j.cli;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.InvalidTextException;
import io.taskflow4j.persistence.LimitExceededException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.StoreVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code taskflow4j import}: reads an export file into a store. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Import an export file into a store. Everything is checked before anything is written: a"
          + " corrupt file or one of another format or version, books that 'verify' would"
          + " report, strings no store keeps (lone surrogates), values the target store cannot"
          + " hold (lengths, NUL, times, sizes) and flow or atom details of other stored"
          + " logbooks are refused, and nothing is written.",
      "A logbook that already exists in the store is refused (nothing is written) unless"
          + " --replace, which replaces the stored logbook by the imported one in one step: if"
          + " the write fails, the stored logbook is kept."
    })
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The export file ('-' for standard input).")
  String file;

  @Option(
      names = "--connection",
      paramLabel = "URI",
      required = true,
      description = "The store to import into (created if needed).")
  String connection;

  @Option(names = "--replace", description = "Replace logbooks that already exist.")
  boolean replace;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    List<LogBook> books = readFile(file);
    checkRules(books, file);
    try (Backend backend = Stores.open(connection);
        Connection c = backend.getConnection()) {
      int written = write(c, books, replace, connection, file, null);
      main.info(
          "Imported " + written + " logbook(s) from " + file + " into " + Stores.mask(connection));
    }
    return ExitCodes.OK;
  }

  /**
   * Refuses books that {@code verify} would report once written (two atoms of a flow with one name,
   * a state that disagrees with its results...): the store would hold them exactly, but a store
   * holding them is inconsistent.
   */
  static void checkRules(List<LogBook> books, String file) {
    List<Problem> problems = new ArrayList<>();
    for (Problem p : StoreVerifier.check(books)) {
      if (p.severity() == Problem.Severity.ERROR) {
        problems.add(p);
      }
    }
    if (!problems.isEmpty()) {
      Problem p = problems.get(0);
      throw new CliException(
          ExitCodes.BAD_FILE,
          file
              + " breaks a rule of 'taskflow4j verify': "
              + p.kind()
              + " "
              + p.location()
              + ": "
              + p.message()
              + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "")
              + "; nothing was imported");
    }
  }

  /** Reads and checks an export file; a one-line error when it cannot be used. */
  static List<LogBook> readFile(String file) {
    byte[] bytes;
    try {
      bytes = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new CliException(ExitCodes.BAD_FILE, "no such file: " + file, e);
    } catch (IOException e) {
      throw new CliException(
          ExitCodes.BAD_FILE, "cannot read " + file + ": " + Main.oneLine(e.getMessage()), e);
    }
    try {
      return ExportFormat.read(bytes);
    } catch (ExportFormat.InvalidExportException e) {
      throw new CliException(
          ExitCodes.BAD_FILE,
          file + " is not a valid taskflow4j export (" + e.getMessage() + "); nothing was imported",
          e);
    }
  }

  /**
   * Writes books to a store. Before writing anything, checks every book against the store's limits
   * ({@link Connection#checkStorable}), refuses books that exist unless {@code replace}, and
   * refuses flow and atom details stored in other logbooks. Then writes each book in one atomic
   * step with {@link Connection#replaceLogBook}, which keeps the flows' record times (their ages);
   * when one fails anyway, the error says which books were written and that nothing of the others
   * was.
   *
   * @param source the file or store the books come from, for messages
   * @param progress called after each book, or null
   * @return the number of books written
   */
  static int write(
      Connection c,
      List<LogBook> books,
      boolean replace,
      String connection,
      String source,
      java.util.function.IntConsumer progress) {
    String target = Stores.mask(connection);
    for (LogBook b : books) {
      try {
        c.checkStorable(b);
      } catch (LimitExceededException | InvalidTextException e) {
        throw new CliException(
            ExitCodes.BAD_FILE,
            source
                + " holds what "
                + target
                + " cannot store: "
                + Main.oneLine(e.getMessage())
                + "; nothing was written",
            e);
      }
    }
    List<String> existing = new ArrayList<>();
    for (LogBook b : books) {
      if (exists(c, b.uuid())) {
        existing.add(b.uuid());
      }
    }
    if (!existing.isEmpty() && !replace) {
      throw new CliException(
          ExitCodes.CONFLICT,
          existing.size()
              + " logbook(s) already exist in "
              + target
              + " (first: "
              + existing.get(0)
              + "); nothing was written; use --replace to overwrite them");
    }
    checkOwners(c, books, existing, source, target);
    List<String> done = new ArrayList<>();
    for (LogBook b : books) {
      try {
        // replaceLogBook, for a new book too: it writes the record times the flows carry (a save
        // stamps the time of the write), so the copy reports the ages the source did.
        c.replaceLogBook(b);
      } catch (RuntimeException e) {
        throw partial(books, done, b, e, target);
      }
      done.add(b.uuid());
      if (progress != null) {
        progress.accept(done.size());
      }
    }
    return done.size();
  }

  /**
   * Refuses, before writing anything, a flow or atom detail of the books that the target holds in
   * another logbook: a detail belongs to one logbook, and writing it would fail half-way.
   */
  private static void checkOwners(
      Connection c, List<LogBook> books, List<String> existing, String source, String target) {
    if (c.getLogBooks(true).isEmpty()) {
      return; // nothing to collide with
    }
    for (LogBook b : books) {
      Set<String> own = new HashSet<>();
      if (existing.contains(b.uuid())) {
        for (FlowDetail fd : c.getLogBook(b.uuid()).flows()) {
          own.add(fd.uuid());
          for (AtomDetail ad : fd.atoms()) {
            own.add(ad.uuid());
          }
        }
      }
      for (FlowDetail fd : b.flows()) {
        if (!own.contains(fd.uuid()) && found(() -> c.getFlowDetails(fd.uuid(), true))) {
          throw collision(b, "flow detail " + fd.uuid() + " (" + fd.name() + ")", source, target);
        }
        for (AtomDetail ad : fd.atoms()) {
          if (!own.contains(ad.uuid()) && found(() -> c.getAtomDetails(ad.uuid()))) {
            throw collision(b, "atom detail " + ad.uuid() + " (" + ad.name() + ")", source, target);
          }
        }
      }
    }
  }

  private static CliException collision(LogBook b, String what, String source, String target) {
    return new CliException(
        ExitCodes.CONFLICT,
        "logbook "
            + b.uuid()
            + " of "
            + source
            + " holds "
            + what
            + ", which "
            + target
            + " already holds in another logbook (a flow or atom detail belongs to one logbook);"
            + " nothing was written; delete that logbook first, or import a copy with new uuids");
  }

  private static boolean found(java.util.function.Supplier<?> read) {
    try {
      read.get();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  /** The error of a write that failed after others succeeded: what was written, what was not. */
  private static CliException partial(
      List<LogBook> books, List<String> done, LogBook failed, RuntimeException e, String target) {
    Errors.Report r = Errors.describe(e);
    String why = Main.oneLine(e.getMessage());
    int code = r.exitCode();
    if (e instanceof DuplicateException) {
      why += " (a flow or atom detail belongs to one logbook)";
      code = ExitCodes.CONFLICT;
    } else if (e instanceof LimitExceededException || e instanceof InvalidTextException) {
      code = ExitCodes.BAD_FILE;
    } else {
      why = Main.oneLine(r.message());
    }
    List<String> rest = new ArrayList<>();
    for (int i = done.size(); i < books.size(); i++) {
      rest.add(books.get(i).uuid());
    }
    String msg =
        done.isEmpty()
            ? "logbook " + failed.uuid() + " failed: " + why + "; nothing was written to " + target
            : "imported "
                + done.size()
                + " of "
                + books.size()
                + " logbook(s) into "
                + target
                + " ("
                + list(done)
                + "); logbook "
                + failed.uuid()
                + " failed: "
                + why
                + "; nothing of "
                + list(rest)
                + " was written";
    return new CliException(code, msg, e);
  }

  private static String list(List<String> uuids) {
    if (uuids.size() <= 5) {
      return String.join(", ", uuids);
    }
    return String.join(", ", uuids.subList(0, 5)) + " and " + (uuids.size() - 5) + " more";
  }

  private static boolean exists(Connection c, String uuid) {
    try {
      c.getLogBook(uuid, true);
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }
}
