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
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
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
          + " logbooks are refused, and nothing is written. The file is read book by book, in"
          + " passes (standard input through a temporary file): memory holds the largest book,"
          + " never the file.",
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

  @Option(
      names = "--json",
      description =
          "Print the result as one JSON object on standard output: {\"file\", \"connection\", \"logbooks\"}.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    Path spool = null;
    try {
      Path path;
      if (file.equals("-")) {
        // read twice (checked, then written) without holding it: standard input goes to a file
        spool = spool(file);
        path = spool;
      } else {
        path = Path.of(file);
      }
      FileBooks books = check(path, file);
      try (Backend backend = Stores.open(connection);
          Connection c = backend.getConnection()) {
        int written = write(c, books, replace, connection, file, null, null);
        if (json) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("file", file);
          r.put("connection", Stores.mask(connection));
          r.put("logbooks", written);
          main.printJson(r);
          return ExitCodes.OK;
        }
        main.info(
            "Imported "
                + written
                + " logbook(s) from "
                + file
                + " into "
                + Stores.mask(connection));
      }
      return ExitCodes.OK;
    } finally {
      if (spool != null) {
        try {
          Files.deleteIfExists(spool);
        } catch (IOException e) {
          main.info("could not delete the temporary file " + spool + ": " + e.getMessage());
        }
      }
    }
  }

  /** Logbooks to write, read one at a time, as often as needed, in the same order each time. */
  interface Books {
    /**
     * Hands each book to {@code action}, in order; an exception {@code action} throws ends the
     * reading and propagates.
     */
    void forEach(Consumer<LogBook> action);

    /** Books held in memory. */
    static Books of(List<LogBook> books) {
      return books::forEach;
    }
  }

  /** The books of an export file that {@link #check} read and found valid. */
  record FileBooks(ExportFormat.ExportFile file, String name) implements Books {
    @Override
    public void forEach(Consumer<LogBook> action) {
      try {
        file.forEachBook(false, action);
      } catch (IOException e) {
        throw cannotRead(name, e);
      } catch (ExportFormat.InvalidExportException e) {
        throw new CliException(
            ExitCodes.BAD_FILE,
            name + " changed while it was imported (" + e.getMessage() + ")",
            e);
      }
    }
  }

  /**
   * Reads an export file through twice, holding one book at a time, and checks what can be checked
   * without the store: its syntax, format and version, each record, strings no store keeps, a uuid
   * listed twice, the rules of {@code verify}; a one-line error when it cannot be used.
   *
   * @param name the file as the user named it, for messages
   */
  static FileBooks check(Path path, String name) {
    ExportFormat.ExportFile f;
    RuleCheck rules = new RuleCheck();
    try {
      f = ExportFormat.ExportFile.open(path);
      f.forEachBook(true, rules::add);
    } catch (NoSuchFileException e) {
      throw new CliException(ExitCodes.BAD_FILE, "no such file: " + name, e);
    } catch (IOException e) {
      throw cannotRead(name, e);
    } catch (ExportFormat.InvalidExportException e) {
      throw new CliException(
          ExitCodes.BAD_FILE,
          name + " is not a valid taskflow4j export (" + e.getMessage() + "); nothing was imported",
          e);
    }
    rules.throwIfBroken(name);
    return new FileBooks(f, name);
  }

  private static CliException cannotRead(String name, IOException e) {
    return new CliException(
        ExitCodes.BAD_FILE, "cannot read " + name + ": " + Main.oneLine(e.getMessage()), e);
  }

  /** Copies standard input to a temporary file, which the caller deletes. */
  private static Path spool(String name) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("taskflow4j-import-", ".json");
      Files.copy(System.in, tmp, StandardCopyOption.REPLACE_EXISTING);
      return tmp;
    } catch (IOException e) {
      if (tmp != null) {
        tmp.toFile().delete();
      }
      throw cannotRead(name, e);
    }
  }

  /**
   * Refuses books that {@code verify} would report once written (two atoms of a flow with one name,
   * a state that disagrees with its results...): the store would hold them exactly, but a store
   * holding them is inconsistent. The rules apply book by book (a uuid listed twice, the one rule
   * across books, is refused by the reader); the first problem and how many there are are kept.
   */
  private static final class RuleCheck {
    private Problem first;
    private int count;

    void add(LogBook book) {
      for (Problem p : StoreVerifier.check(List.of(book))) {
        if (p.severity() == Problem.Severity.ERROR) {
          if (first == null) {
            first = p;
          }
          count++;
        }
      }
    }

    void throwIfBroken(String file) {
      if (first != null) {
        throw new CliException(
            ExitCodes.BAD_FILE,
            file
                + " breaks a rule of 'taskflow4j verify': "
                + first.kind()
                + " "
                + first.location()
                + ": "
                + first.message()
                + (count > 1 ? " (and " + (count - 1) + " more)" : "")
                + "; nothing was imported");
      }
    }
  }

  /** As {@link #write(Connection, Books, boolean, String, String, IntConsumer, IntConsumer)}. */
  static int write(
      Connection c,
      List<LogBook> books,
      boolean replace,
      String connection,
      String source,
      IntConsumer progress) {
    return write(c, Books.of(books), replace, connection, source, null, progress);
  }

  /**
   * Writes books to a store, reading them twice and holding one at a time: {@link #checkTarget},
   * then {@link #write(Connection, Books, Checked, IntConsumer)}.
   *
   * @param source the file or store the books come from, for messages
   * @param checked called after each book checked, or null
   * @param progress called after each book written, or null
   * @return the number of books written
   */
  static int write(
      Connection c,
      Books books,
      boolean replace,
      String connection,
      String source,
      IntConsumer checked,
      IntConsumer progress) {
    Checked ok = checkTarget(c, books, replace, connection, source, checked);
    return write(c, books, ok, progress);
  }

  /** What {@link #checkTarget} found: the books may be written. */
  record Checked(int count, String source, String target) {}

  /**
   * Checks every book against the store before anything is written, reading them once: the store's
   * limits ({@link Connection#checkStorable}), books that exist (refused unless {@code replace}),
   * flow and atom details stored in other logbooks. Writes nothing.
   *
   * @param progress called after each book checked, or null
   */
  static Checked checkTarget(
      Connection c,
      Books books,
      boolean replace,
      String connection,
      String source,
      IntConsumer progress) {
    String target = Stores.mask(connection);
    TargetCheck check = new TargetCheck(c, replace, source, target, isEmpty(c));
    books.forEach(
        b -> {
          check.add(b);
          if (progress != null) {
            progress.accept(check.count);
          }
        });
    check.throwIfRefused();
    return new Checked(check.count, source, target);
  }

  /**
   * Writes the books {@link #checkTarget} accepted, each in one atomic step with {@link
   * Connection#replaceLogBook}, which keeps the flows' record times (their ages). When a write
   * fails anyway, or reading the books does, the error says which books were written and that
   * nothing of the others was.
   *
   * @param progress called after each book written, or null
   * @return the number of books written
   */
  static int write(Connection c, Books books, Checked checked, IntConsumer progress) {
    Writing w = new Writing(c, checked.count(), checked.source(), checked.target(), progress);
    try {
      books.forEach(w::add);
    } catch (Writing.Stop stop) {
      // the write failed, and the names of the books left unwritten are known
    } catch (RuntimeException e) {
      if (w.failure == null && w.done == 0) {
        throw e; // reading the books failed before anything was written
      }
      if (w.failure == null) {
        throw w.readingFailed(e);
      }
      // reading failed while naming the books left after a failed write: name those known
    }
    if (w.failure != null) {
      throw w.partial();
    }
    return w.done;
  }

  /**
   * Whether the store holds no logbook at all, asked without listing them all: then none of an
   * imported book's details can belong to another stored logbook.
   */
  private static boolean isEmpty(Connection c) {
    try {
      c.forEachLogBook(
          true,
          b -> {
            throw Found.FOUND;
          },
          damaged -> {
            throw Found.FOUND;
          });
      return true;
    } catch (Found f) {
      return false;
    }
  }

  /** Ends a scan at its first book. */
  private static final class Found extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Found FOUND = new Found();

    private Found() {
      super(null, null, false, false);
    }
  }

  /**
   * The checks against the target, book by book, keeping only what the errors need. A book the
   * store cannot hold is refused at once; books that exist (unless {@code --replace}) are refused
   * once all are counted, before a detail held by another logbook, as when the whole list was
   * checked rule by rule.
   */
  private static final class TargetCheck {
    private final Connection c;
    private final boolean replace;
    private final String source;
    private final String target;
    private final boolean empty;
    int count;
    int existing;
    String firstExisting;
    CliException collision;

    TargetCheck(Connection c, boolean replace, String source, String target, boolean empty) {
      this.c = c;
      this.replace = replace;
      this.source = source;
      this.target = target;
      this.empty = empty;
    }

    void add(LogBook b) {
      count++;
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
      boolean exists = !empty && exists(c, b.uuid());
      if (exists && existing++ == 0) {
        firstExisting = b.uuid();
      }
      boolean refused = existing > 0 && !replace;
      if (!empty && !refused && collision == null) {
        collision = checkOwners(c, b, exists, source, target);
      }
    }

    void throwIfRefused() {
      if (existing > 0 && !replace) {
        throw new CliException(
            ExitCodes.CONFLICT,
            existing
                + " logbook(s) already exist in "
                + target
                + " (first: "
                + firstExisting
                + "); nothing was written; use --replace to overwrite them");
      }
      if (collision != null) {
        throw collision;
      }
    }
  }

  /**
   * A flow or atom detail of {@code b} that the target holds in another logbook, as the error
   * refusing it, or null: a detail belongs to one logbook, and writing it would fail half-way.
   */
  private static CliException checkOwners(
      Connection c, LogBook b, boolean exists, String source, String target) {
    Set<String> own = new HashSet<>();
    if (exists) {
      for (FlowDetail fd : c.getLogBook(b.uuid()).flows()) {
        own.add(fd.uuid());
        for (AtomDetail ad : fd.atoms()) {
          own.add(ad.uuid());
        }
      }
    }
    for (FlowDetail fd : b.flows()) {
      if (!own.contains(fd.uuid()) && found(() -> c.getFlowDetails(fd.uuid(), true))) {
        return collision(b, "flow detail " + fd.uuid() + " (" + fd.name() + ")", source, target);
      }
      for (AtomDetail ad : fd.atoms()) {
        if (!own.contains(ad.uuid()) && found(() -> c.getAtomDetails(ad.uuid()))) {
          return collision(b, "atom detail " + ad.uuid() + " (" + ad.name() + ")", source, target);
        }
      }
    }
    return null;
  }

  /**
   * The writing of the checked books, one at a time. After a failed write, the books that follow
   * are only named (the first few, as the error lists them), then reading stops.
   */
  private static final class Writing {
    /** The number of uuids an error names before "and N more". */
    static final int NAMED = 5;

    private final Connection c;
    private final int total;
    private final String source;
    private final String target;
    private final IntConsumer progress;
    int done;
    final List<String> written = new ArrayList<>();
    LogBook failed;
    RuntimeException failure;
    final List<String> rest = new ArrayList<>();

    Writing(Connection c, int total, String source, String target, IntConsumer progress) {
      this.c = c;
      this.total = total;
      this.source = source;
      this.target = target;
      this.progress = progress;
    }

    void add(LogBook b) {
      if (failure != null) {
        rest.add(b.uuid());
        if (rest.size() >= NAMED) {
          throw Stop.STOP;
        }
        return;
      }
      try {
        // replaceLogBook, for a new book too: it writes the record times the flows carry (a save
        // stamps the time of the write), so the copy reports the ages the source did.
        c.replaceLogBook(b);
      } catch (RuntimeException e) {
        failed = b;
        failure = e;
        rest.add(b.uuid());
        return;
      }
      done++;
      if (written.size() < NAMED) {
        written.add(b.uuid());
      }
      if (progress != null) {
        progress.accept(done);
      }
    }

    /** The error of a write that failed after others succeeded: what was written, what was not. */
    CliException partial() {
      RuntimeException e = failure;
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
      String msg =
          done == 0
              ? "logbook "
                  + failed.uuid()
                  + " failed: "
                  + why
                  + "; nothing was written to "
                  + target
              : "imported "
                  + done
                  + " of "
                  + total
                  + " logbook(s) into "
                  + target
                  + " ("
                  + list(written, done)
                  + "); logbook "
                  + failed.uuid()
                  + " failed: "
                  + why
                  + "; nothing of "
                  + list(rest, Math.max(rest.size(), total - done))
                  + " was written";
      return new CliException(code, msg, e);
    }

    /** The error of reading the source failing after some books were written. */
    CliException readingFailed(RuntimeException e) {
      Errors.Report r = Errors.describe(e);
      return new CliException(
          r.exitCode(),
          "imported "
              + done
              + " of "
              + total
              + " logbook(s) into "
              + target
              + " ("
              + list(written, done)
              + "); then reading "
              + source
              + " failed: "
              + r.message()
              + "; the other "
              + Math.max(0, total - done)
              + " logbook(s) were not written",
          e);
    }

    /** Stops reading the books once the error can name those left. */
    static final class Stop extends RuntimeException {
      private static final long serialVersionUID = 1L;
      static final Stop STOP = new Stop();

      private Stop() {
        super(null, null, false, false);
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

  /** The first uuids of a list of {@code size}, and how many more. */
  private static String list(List<String> first, int size) {
    if (size <= first.size()) {
      return String.join(", ", first);
    }
    return String.join(", ", first) + " and " + (size - first.size()) + " more";
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
