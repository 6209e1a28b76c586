package io.taskflow4j.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Stamp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomParquetWriterTest {
  @TempDir Path dir;

  private static final Instant STARTED = Instant.parse("2026-01-02T03:04:05.123456Z");

  static Map<String, Object> row(String atom, String state) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("book_uuid", "b-1");
    m.put("book_name", "demo A-1001");
    m.put("flow_uuid", "f-1");
    m.put("flow_name", "order-processing");
    m.put("flow_state", "FAILURE");
    m.put("atom_uuid", "a-" + atom);
    m.put("atom_name", atom);
    m.put("atom_type", "TASK_DETAIL");
    m.put("state", state);
    m.put("intention", "EXECUTE");
    m.put("started_at", null);
    m.put("ended_at", null);
    m.put("duration", null);
    m.put("attempt", null);
    m.put("host", null);
    m.put("exception_type", null);
    m.put("exception_message", null);
    m.put("result_bytes", 0);
    m.put("flow_created_at", "2026-01-02T03:04:01Z");
    m.put("flow_updated_at", "2026-01-02T03:04:09.5Z");
    return m;
  }

  /** Three atoms as the jsonl export has them: one done, one failed, one never run. */
  static List<Map<String, Object>> threeAtoms() {
    Map<String, Object> done = row("fetch-order", "SUCCESS");
    done.put("started_at", STARTED.toString());
    done.put("ended_at", "2026-01-02T03:04:05.424456Z");
    done.put("duration", 0.301);
    done.put("attempt", 1);
    done.put("host", "worker-1");
    done.put("result_bytes", 17);
    Map<String, Object> failed = row("charge-card", "FAILURE");
    failed.put("started_at", Stamp.of(STARTED.plusSeconds(1)));
    failed.put("ended_at", STARTED.plusSeconds(3));
    failed.put("duration", 2);
    failed.put("attempt", 3L);
    failed.put("exception_type", "io.taskflow4j.cli.PaymentDeclined");
    failed.put("exception_message", "card declined\nretry later");
    Map<String, Object> pending = row("ship", "PENDING");
    pending.put("started_at", "not a time");
    return List.of(done, failed, pending);
  }

  private Path write(List<Map<String, Object>> rows) {
    Path out = dir.resolve("atoms.parquet");
    try (AtomParquetWriter w = AtomParquetWriter.open(out, ParquetOptions.defaults())) {
      for (Map<String, Object> r : rows) {
        w.append(r);
      }
      assertThat(w.rows()).isEqualTo(rows.size());
      w.commit();
    }
    return out;
  }

  static Connection duckdb() throws SQLException {
    return DriverManager.getConnection("jdbc:duckdb:");
  }

  @Test
  void writesTheJsonlColumnsWithTypedValues() throws Exception {
    Path out = write(threeAtoms());

    try (Connection c = duckdb()) {
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT count(*), count(started_at), sum(duration), max(attempt),"
                  + " sum(result_bytes) FROM read_parquet(?)")) {
        s.setString(1, out.toString());
        try (ResultSet r = s.executeQuery()) {
          r.next();
          assertThat(r.getLong(1)).isEqualTo(3);
          assertThat(r.getLong(2)).as("'not a time' is null").isEqualTo(2);
          assertThat(r.getDouble(3)).isEqualTo(2.301);
          assertThat(r.getInt(4)).isEqualTo(3);
          assertThat(r.getLong(5)).isEqualTo(17);
        }
      }
      Map<String, String> types = new LinkedHashMap<>();
      try (PreparedStatement s = c.prepareStatement("DESCRIBE SELECT * FROM read_parquet(?)")) {
        s.setString(1, out.toString());
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            types.put(r.getString("column_name"), r.getString("column_type"));
          }
        }
      }
      assertThat(types.keySet())
          .containsExactly(
              "book_uuid",
              "book_name",
              "flow_uuid",
              "flow_name",
              "flow_state",
              "atom_uuid",
              "atom_name",
              "atom_type",
              "state",
              "intention",
              "started_at",
              "ended_at",
              "duration",
              "attempt",
              "host",
              "exception_type",
              "exception_message",
              "result_bytes",
              "flow_created_at",
              "flow_updated_at");
      assertThat(types)
          .containsEntry("book_uuid", "VARCHAR")
          .containsEntry("started_at", "TIMESTAMP WITH TIME ZONE")
          .containsEntry("flow_updated_at", "TIMESTAMP WITH TIME ZONE")
          .containsEntry("duration", "DOUBLE")
          .containsEntry("attempt", "INTEGER")
          .containsEntry("result_bytes", "BIGINT");

      // Stored as UTC instants (isAdjustedToUTC), which Spark and pandas read as such.
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT name, logical_type FROM parquet_schema(?) WHERE name = 'started_at'")) {
        s.setString(1, out.toString());
        try (ResultSet r = s.executeQuery()) {
          r.next();
          assertThat(r.getString(2)).contains("isAdjustedToUTC=1").contains("MICROS");
        }
      }

      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT atom_name, state, exception_type, exception_message, duration, attempt,"
                  + " epoch_us(started_at), epoch_us(ended_at), host FROM read_parquet(?)")) {
        s.setString(1, out.toString());
        try (ResultSet r = s.executeQuery()) {
          List<String> names = new ArrayList<>();
          while (r.next()) {
            names.add(r.getString(1));
            if (r.getString(1).equals("charge-card")) {
              assertThat(r.getString("exception_type"))
                  .isEqualTo("io.taskflow4j.cli.PaymentDeclined");
              assertThat(r.getString("exception_message")).isEqualTo("card declined\nretry later");
              assertThat(r.getDouble("duration")).isEqualTo(2.0);
              assertThat(r.getInt("attempt")).isEqualTo(3);
              assertThat(r.getLong(7)).isEqualTo(micros(STARTED.plusSeconds(1)));
              assertThat(r.getLong(8)).isEqualTo(micros(STARTED.plusSeconds(3)));
              assertThat(r.getString("host")).isNull();
            }
            if (r.getString(1).equals("fetch-order")) {
              assertThat(r.getLong(7)).isEqualTo(micros(STARTED));
              assertThat(r.getObject(7)).isNotNull();
            }
            if (r.getString(1).equals("ship")) {
              assertThat(r.getObject("duration")).isNull();
              assertThat(r.getObject("attempt")).isNull();
            }
          }
          assertThat(names)
              .as("in the order appended")
              .containsExactly("fetch-order", "charge-card", "ship");
        }
      }
      try (PreparedStatement s =
          c.prepareStatement("SELECT flow_created_at FROM read_parquet(?) LIMIT 1")) {
        s.setString(1, out.toString());
        try (ResultSet r = s.executeQuery()) {
          r.next();
          assertThat(r.getObject(1, OffsetDateTime.class).toInstant())
              .isEqualTo(Instant.parse("2026-01-02T03:04:01Z"));
        }
      }
    }
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void anEmptyStoreGivesAFileWithTheColumnsAndNoRows() throws Exception {
    Path out = write(List.of());
    try (Connection c = duckdb();
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM read_parquet(?)")) {
      s.setString(1, out.toString());
      try (ResultSet r = s.executeQuery()) {
        r.next();
        assertThat(r.getLong(1)).isZero();
      }
    }
  }

  @Test
  void withoutACommitTheTargetIsLeftAsItWas() throws Exception {
    Path out = dir.resolve("atoms.parquet");
    Files.writeString(out, "the previous export");
    Path scratchParent = Files.createDirectory(dir.resolve("scratch"));
    try (AtomParquetWriter w =
        AtomParquetWriter.open(out, ParquetOptions.defaults().withTempDirectory(scratchParent))) {
      w.append(row("fetch-order", "SUCCESS"));
      assertThat(scratchParent).isNotEmptyDirectory();
    }
    assertThat(out).hasContent("the previous export");
    assertThat(leftovers()).isEmpty();
    assertThat(scratchParent).as("the scratch folder is removed").isEmptyDirectory();
  }

  @Test
  void aKeyThatIsNoColumnIsRefusedNamingTheColumns() {
    Map<String, Object> r = row("fetch-order", "SUCCESS");
    r.put("colour", "red");
    try (AtomParquetWriter w =
        AtomParquetWriter.open(dir.resolve("atoms.parquet"), ParquetOptions.defaults())) {
      assertThatThrownBy(() -> w.append(r))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'colour' is not a column")
          .hasMessageContaining("book_uuid, book_name");
    }
  }

  @Test
  void aFileThatCannotBeWrittenIsOneTypedLineAndNoLeftovers() throws Exception {
    Path folder = Files.createDirectory(dir.resolve("gone"));
    Path out = folder.resolve("atoms.parquet");
    try (AtomParquetWriter w = AtomParquetWriter.open(out, ParquetOptions.defaults())) {
      w.append(row("fetch-order", "SUCCESS"));
      Files.delete(folder);
      assertThatThrownBy(w::commit)
          .isInstanceOf(ParquetExportException.class)
          .hasMessageStartingWith("cannot write " + out + ": ")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
    assertThat(folder).doesNotExist();
  }

  @Test
  void optionsAreCheckedAtOnce() {
    assertThatThrownBy(() -> ParquetOptions.defaults().withMemoryLimit("lots"))
        .hasMessageContaining("'lots' is not a size such as 256MB");
    assertThatThrownBy(() -> ParquetOptions.defaults().withThreads(0))
        .hasMessageContaining("threads cannot be less than 1");
    assertThatThrownBy(() -> AtomParquetWriter.open(dir, ParquetOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is a folder");
  }

  private List<Path> leftovers() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
    }
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
  }
}
