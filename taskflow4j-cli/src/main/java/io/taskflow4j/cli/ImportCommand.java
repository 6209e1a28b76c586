package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
      "Import an export file into a store. The whole file is checked first: a corrupt file, or"
          + " one of another format or version, is refused and nothing is written.",
      "A logbook that already exists in the store is refused (nothing is written) unless"
          + " --replace, which deletes the stored logbook and writes the imported one."
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
    try (Backend backend = Stores.open(connection);
        Connection c = backend.getConnection()) {
      int written = write(c, books, replace, connection, null);
      main.info(
          "Imported " + written + " logbook(s) from " + file + " into " + Stores.mask(connection));
    }
    return ExitCodes.OK;
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
   * Writes books to a store: refuses, before writing anything, when one exists and not {@code
   * replace}.
   *
   * @param progress called after each book, or null
   * @return the number of books written
   */
  static int write(
      Connection c,
      List<LogBook> books,
      boolean replace,
      String connection,
      java.util.function.IntConsumer progress) {
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
              + Stores.mask(connection)
              + " (first: "
              + existing.get(0)
              + "); nothing was written; use --replace to overwrite them");
    }
    int n = 0;
    for (LogBook b : books) {
      if (existing.contains(b.uuid())) {
        c.destroyLogBook(b.uuid());
      }
      c.saveLogBook(b);
      n++;
      if (progress != null) {
        progress.accept(n);
      }
    }
    return n;
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
