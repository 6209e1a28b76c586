package io.taskflow4j.parquet;

import io.taskflow4j.internal.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes atom rows to a Parquet file: open it on the target, {@link #append} each row, {@link
 * #commit}, close.
 *
 * <pre>{@code
 * try (AtomParquetWriter w = AtomParquetWriter.open(Path.of("atoms.parquet"), ParquetOptions.defaults())) {
 *   for (Map<String, ?> row : rows) {
 *     w.append(row);
 *   }
 *   w.commit();
 * }
 * }</pre>
 *
 * <p>A row is a map from the {@code export --format jsonl} keys to their values; a key left out is
 * null, a key not in that schema is refused. Columns and types: the uuids, names, states, {@code
 * host} and the exception's type and message are strings; {@code started_at}, {@code ended_at},
 * {@code flow_created_at} and {@code flow_updated_at} are UTC timestamps in microseconds (from an
 * {@link java.time.Instant}, a {@link io.taskflow4j.persistence.Stamp} or ISO-8601 text); {@code
 * duration} a double in seconds; {@code attempt} a 32-bit and {@code result_bytes} a 64-bit
 * integer. The file is Snappy-compressed, the rows in the order appended.
 *
 * <p>Why this shape: the rows go into a DuckDB database in a scratch folder through DuckDB's
 * appender as they come, so the Java heap holds one row at a time and DuckDB at most its memory
 * limit (it spills to the scratch folder beyond it); {@link #commit} has DuckDB copy the table to a
 * temporary file beside the target, flushes it and renames it over the target. A reader sees the
 * previous file or the new one whole; closing without a commit leaves the target as it was. The
 * scratch folder is removed on close.
 *
 * <p>Not thread-safe: one thread appends.
 */
public final class AtomParquetWriter implements AutoCloseable {
  private static final String TABLE = "atoms";

  private final Path target;
  private final Path scratch;
  private final DuckDBConnection db;
  private DuckDBAppender appender;
  private long rows;
  private boolean committed;
  private boolean closed;

  private AtomParquetWriter(Path target, Path scratch, DuckDBConnection db, DuckDBAppender a) {
    this.target = target;
    this.scratch = scratch;
    this.db = db;
    this.appender = a;
  }

  /**
   * Starts a file that will replace (or create) {@code target} on {@link #commit}.
   *
   * @throws IllegalArgumentException when {@code target} is a folder
   * @throws ParquetExportException when its folder does not exist, or DuckDB cannot be started (its
   *     native library not loaded, the scratch folder not created)
   */
  public static AtomParquetWriter open(Path target, ParquetOptions options) {
    Objects.requireNonNull(options, "options");
    Path file = Objects.requireNonNull(target, "target").toAbsolutePath();
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(target + " is a folder; give the path of a file");
    }
    if (file.getParent() == null || !Files.isDirectory(file.getParent())) {
      throw new ParquetExportException(
          "cannot write " + target + ": its folder " + file.getParent() + " does not exist", null);
    }
    Path scratch;
    try {
      scratch = Files.createTempDirectory(options.tempDirectory(), "taskflow4j-parquet-");
    } catch (IOException e) {
      throw new ParquetExportException(
          "cannot create a scratch folder in " + options.tempDirectory() + ": " + e.getMessage(),
          e);
    }
    DuckDBConnection db = null;
    try {
      Properties p = new Properties();
      p.setProperty("memory_limit", options.memoryLimit().strip());
      p.setProperty("temp_directory", scratch.resolve("spill").toString());
      p.setProperty("threads", Integer.toString(options.threads()));
      // Parquet is built in; nothing is to be fetched from the network.
      p.setProperty("autoinstall_known_extensions", "false");
      p.setProperty("autoload_known_extensions", "false");
      db =
          (DuckDBConnection)
              DriverManager.getConnection("jdbc:duckdb:" + scratch.resolve("rows.duckdb"), p);
      try (Statement s = db.createStatement()) {
        s.execute(AtomColumn.createTable(TABLE));
      }
      return new AtomParquetWriter(file, scratch, db, db.createAppender("main", TABLE));
    } catch (SQLException | LinkageError | RuntimeException e) {
      closeQuietly(db, e);
      deleteTree(scratch, e);
      String why =
          e instanceof LinkageError
              ? "DuckDB's native library could not be loaded (it is extracted to java.io.tmpdir,"
                  + " which must allow executables): "
              : "DuckDB could not be started: ";
      throw new ParquetExportException(
          "cannot write " + target + ": " + why + oneLine(e.getMessage()), e);
    }
  }

  /**
   * Adds one row.
   *
   * @throws IllegalArgumentException when a key is not a column (the message lists them)
   * @throws IllegalStateException after {@link #commit} or {@link #close}
   * @throws ParquetExportException when DuckDB refuses it (a full disk)
   */
  public void append(Map<String, ?> row) {
    requireOpen();
    AtomColumn[] columns = AtomColumn.values();
    Object[] values = new Object[columns.length];
    for (Map.Entry<String, ?> e : row.entrySet()) {
      AtomColumn c = AtomColumn.named(e.getKey());
      if (c == null) {
        throw new IllegalArgumentException(
            "'" + e.getKey() + "' is not a column; the columns are " + columnNames());
      }
      values[c.ordinal()] = e.getValue();
    }
    try {
      appender.beginRow();
      for (AtomColumn c : columns) {
        c.append(appender, values[c.ordinal()]);
      }
      appender.endRow();
    } catch (SQLException e) {
      throw failure(e);
    }
    rows++;
  }

  /** How many rows were appended. */
  public long rows() {
    return rows;
  }

  /**
   * Writes the file and renames it over the target. Once only; a failure leaves the target as it
   * was (and this writer to be closed).
   *
   * @throws ParquetExportException when the file could not be written or moved
   */
  public void commit() {
    requireOpen();
    committed = true;
    Path tmp =
        target.resolveSibling(
            AtomicFiles.TEMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      appender.close();
      appender = null;
      try (Statement s = db.createStatement()) {
        s.execute(
            "COPY "
                + TABLE
                + " TO '"
                + tmp.toString().replace("'", "''")
                + "' (FORMAT parquet, COMPRESSION snappy)");
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.syncDirectory(target.getParent());
    } catch (SQLException | IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw failure(e);
    }
  }

  /** Releases DuckDB and removes the scratch folder; the target is untouched unless committed. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ParquetExportException failure = null;
    try {
      if (appender != null) {
        appender.close();
      }
    } catch (SQLException e) {
      // the rows are thrown away: an appender that cannot flush them is no loss
    }
    try {
      db.close();
    } catch (SQLException e) {
      failure = failure(e);
    }
    deleteTree(scratch, null);
    if (failure != null) {
      throw failure;
    }
  }

  private void requireOpen() {
    if (closed || committed) {
      throw new IllegalStateException(
          "this writer of " + target + " is " + (closed ? "closed" : "committed"));
    }
  }

  private ParquetExportException failure(Exception e) {
    return new ParquetExportException(
        "cannot write " + target + ": " + oneLine(String.valueOf(e.getMessage())), e);
  }

  private static String columnNames() {
    StringBuilder b = new StringBuilder();
    for (AtomColumn c : AtomColumn.values()) {
      b.append(b.length() == 0 ? "" : ", ").append(c.columnName);
    }
    return b.toString();
  }

  /** DuckDB's messages run over several lines (and sometimes carry JSON): one line of them. */
  private static String oneLine(String text) {
    return text == null ? "" : text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }

  private static void closeQuietly(AutoCloseable c, Throwable cause) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      cause.addSuppressed(e);
    }
  }

  /** Removes a folder and what it holds; a failure is added to {@code cause}, or ignored. */
  private static void deleteTree(Path dir, Throwable cause) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      if (cause != null) {
        cause.addSuppressed(e);
      }
    }
  }
}
