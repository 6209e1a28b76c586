package io.taskflow4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.taskflow4j.internal.AtomicFiles;
import io.taskflow4j.parquet.AtomParquetWriter;
import io.taskflow4j.parquet.ParquetOptions;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j export}: writes logbooks in the backend-neutral export format. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export logbooks as JSON in the versioned, backend-neutral export format"
          + " ({\"format\": \"taskflow4j-export\", \"version\": 2, \"exported_at\": ...,"
          + " \"logbooks\": [...]}), which 'import' reads into any backend; or, with --format"
          + " jsonl, as one flat JSON object per atom and line, for analysis tools (not"
          + " importable); or, with --format parquet and --output, as those lines in a Parquet"
          + " file (Spark, DuckDB, pandas).",
      "A logbook holding a damaged record is left out (never written in part) and named on"
          + " standard error; the file holds every other one, and the exit code is 9."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--book",
      paramLabel = "UUID",
      description = "Export only this logbook (repeatable; default: every logbook).")
  List<String> books = new ArrayList<>();

  @Option(
      names = {"--output", "-o"},
      paramLabel = "FILE",
      description = "Write to FILE (replaced atomically) instead of standard output.")
  Path output;

  /** What {@code --format} selects. */
  enum Format {
    /** The whole-store document that {@code import} reads. */
    json,
    /** One flat JSON object per atom and line. */
    jsonl,
    /** The jsonl lines as the rows of a Parquet file (to {@code --output} only). */
    parquet
  }

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "json",
      description =
          "json: the export document 'import' reads (default); jsonl: one line per atom with"
              + " flattened fields (see docs/CLI.md); parquet: those lines as a Parquet file"
              + " (needs --output).")
  Format format;

  /** How many books and flows were written. */
  private int bookCount;

  private int flowCount;

  private long atomCount;

  @Override
  public Integer call() throws IOException {
    Main main = Main.of(spec);
    List<CorruptRecordException> damaged = new ArrayList<>();
    if (output == null && format == Format.parquet) {
      throw new CliException(
          ExitCodes.USAGE,
          "--format parquet writes a binary file, not to standard output: give --output FILE");
    }
    if (output == null) {
      OutputStream out = main.out();
      export(out, damaged);
      if (format == Format.json) {
        out.write('\n');
      }
      out.flush();
    } else {
      Path target = output.toAbsolutePath();
      Path dir = target.getParent();
      if (dir == null || Files.isDirectory(target)) {
        throw new CliException(
            ExitCodes.USAGE, "--output " + output + " is a directory; give the path of a file");
      }
      if (format == Format.parquet) {
        exportParquet(target, damaged);
      } else {
        // Readers of the file see the previous export or this one whole, never half of it.
        AtomicFiles.replace(target, false, out -> export(out, damaged));
      }
      main.info(
          "Exported "
              + bookCount
              + " logbook(s), "
              + flowCount
              + " flow(s)"
              + (format != Format.json ? ", " + atomCount + " atom(s)" : "")
              + " to "
              + output);
    }
    for (CorruptRecordException e : damaged) {
      main.info(LogbooksCommand.damagedLine(e));
    }
    LogbooksCommand.reportDamaged(main, damaged, connection);
    return damaged.isEmpty() ? ExitCodes.OK : ExitCodes.DAMAGED;
  }

  /**
   * Writes the document to {@code out}. The whole store is written book by book as the scan hands
   * them over, so it is never held in memory; the {@code --book}s are read first (a missing one is
   * an error before anything is written). Books holding a damaged record go to {@code damaged}.
   */
  private void export(OutputStream out, List<CorruptRecordException> damaged) throws IOException {
    try (Backend backend = Stores.readable(connection);
        Connection c = backend.getConnection()) {
      export(c, out, damaged);
    }
  }

  /**
   * Writes the atom lines of the store's books (the {@code --book}s, or every one) as the rows of a
   * Parquet file that replaces {@code target} once all are in, as the other formats do.
   */
  private void exportParquet(Path target, List<CorruptRecordException> damaged) {
    try (Backend backend = Stores.readable(connection);
        Connection c = backend.getConnection();
        AtomParquetWriter w = AtomParquetWriter.open(target, ParquetOptions.defaults())) {
      List<LogBook> selected = selected(c, damaged);
      if (books.isEmpty()) {
        c.forEachLogBook(false, b -> writeLines(w::append, b), damaged::add);
      } else {
        for (LogBook b : selected) {
          writeLines(w::append, b);
        }
      }
      w.commit();
    }
  }

  /**
   * The {@code --book}s, read before anything is written; a damaged one goes to {@code damaged}.
   */
  private List<LogBook> selected(Connection c, List<CorruptRecordException> damaged) {
    List<LogBook> selected = new ArrayList<>();
    for (String uuid : books) {
      try {
        selected.add(LogbooksCommand.load(c, uuid, connection));
      } catch (CorruptRecordException e) {
        damaged.add(e);
      }
    }
    return selected;
  }

  /** Writes the export of {@code c}'s books (the {@code --book}s, or every one) to {@code out}. */
  void export(Connection c, OutputStream out, List<CorruptRecordException> damaged)
      throws IOException {
    {
      List<LogBook> selected = selected(c, damaged);
      if (format == Format.jsonl) {
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
          g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
          // one object per line: the root separator is the line break
          g.setRootValueSeparator(new com.fasterxml.jackson.core.io.SerializedString("\n"));
          if (books.isEmpty()) {
            c.forEachLogBook(false, b -> writeLines(g::writeObject, b), damaged::add);
          } else {
            for (LogBook b : selected) {
              writeLines(g::writeObject, b);
            }
          }
          if (atomCount > 0) {
            g.writeRaw('\n');
          }
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
        return;
      }
      try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.useDefaultPrettyPrinter();
        g.writeStartObject();
        g.writeStringField("format", ExportFormat.FORMAT);
        g.writeNumberField("version", ExportFormat.VERSION);
        g.writeStringField("exported_at", Instant.now().toString());
        g.writeArrayFieldStart("logbooks");
        if (books.isEmpty()) {
          c.forEachLogBook(false, b -> write(g, b), damaged::add);
        } else {
          for (LogBook b : selected) {
            write(g, b);
          }
        }
        g.writeEndArray();
        g.writeEndObject();
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
  }

  /** Takes the atom lines: the jsonl writer or the Parquet file's. */
  @FunctionalInterface
  private interface LineSink {
    void accept(Map<String, Object> line) throws IOException;
  }

  private void writeLines(LineSink sink, LogBook b) {
    try {
      for (FlowDetail fd : b.flows()) {
        for (AtomDetail ad : fd.atoms()) {
          sink.accept(ExportFormat.atomLine(b, fd, ad));
          atomCount++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    bookCount++;
    flowCount += b.size();
  }

  private void write(JsonGenerator g, LogBook b) {
    try {
      g.writeObject(ExportFormat.book(b));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    bookCount++;
    flowCount += b.size();
  }
}
