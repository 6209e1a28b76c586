package io.taskflow4j.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A million rows go through a 128 MB heap: the rows never gather in Java. */
class BoundedHeapTest {
  static final int ROWS = 1_000_000;

  @TempDir Path dir;

  /** Run in a child JVM with a small heap: writes {@link #ROWS} rows to {@code args[0]}. */
  public static void main(String[] args) {
    Map<String, Object> row = AtomParquetWriterTest.row("fetch-order", "SUCCESS");
    Instant start = Instant.parse("2026-01-02T03:04:05Z");
    try (AtomParquetWriter w =
        AtomParquetWriter.open(
            Path.of(args[0]), ParquetOptions.defaults().withMemoryLimit("128MB"))) {
      for (int i = 0; i < ROWS; i++) {
        row.put("atom_uuid", "atom-" + i);
        row.put("started_at", start.plusMillis(i));
        row.put("duration", i / 1000.0);
        row.put("attempt", 1 + i % 3);
        row.put("exception_message", i % 10 == 0 ? "failure number " + i : null);
        w.append(row);
      }
      w.commit();
    }
  }

  @Test
  void aMillionRowsIn128MegabytesOfHeap() throws Exception {
    Path out = dir.resolve("million.parquet");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                BoundedHeapTest.class.getName(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as("finished in time").isTrue();
    assertThat(p.exitValue()).as(output).isZero();

    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement s =
            c.prepareStatement(
                "SELECT count(*), count(DISTINCT atom_uuid), max(duration), count(exception_message)"
                    + " FROM read_parquet(?)")) {
      s.setString(1, out.toString());
      try (ResultSet r = s.executeQuery()) {
        r.next();
        assertThat(List.of(r.getLong(1), r.getLong(2), r.getLong(4)))
            .containsExactly((long) ROWS, (long) ROWS, ROWS / 10L);
        assertThat(r.getDouble(3)).isEqualTo((ROWS - 1) / 1000.0);
      }
    }
  }
}
