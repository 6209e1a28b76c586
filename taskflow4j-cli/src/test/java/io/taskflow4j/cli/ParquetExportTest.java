package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export --format parquet}: the jsonl lines as a Parquet file that others can read. */
class ParquetExportTest {
  private static final String[] TIMES = {
    "started_at", "ended_at", "flow_created_at", "flow_updated_at"
  };

  @TempDir Path dir;

  /** A SQLite store with the demo's run and a book with a failed, reverted atom. */
  private String store() {
    String source = Cli.sqlite(dir.resolve("store.db"));
    Cli.run("demo", "--delay", "0", "--connection", source).expect(ExitCodes.OK);
    Fixtures.write(source, Fixtures.richBook(), Fixtures.emptyBook());
    return source;
  }

  private Path exportParquet(String source) {
    Path file = dir.resolve("atoms.parquet");
    Cli.Result r =
        Cli.run("export", "--connection", source, "--format", "parquet", "-o", file.toString());
    r.expect(ExitCodes.OK);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("atom(s) to " + file);
    return file;
  }

  /** The file's rows, times as instants, in file order. */
  private static List<Map<String, Object>> rows(Path file) throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (java.sql.Connection c = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement s = c.prepareStatement("SELECT * FROM read_parquet(?)")) {
      s.setString(1, file.toString());
      try (ResultSet r = s.executeQuery()) {
        ResultSetMetaData md = r.getMetaData();
        while (r.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            Object v = r.getObject(i);
            if (v instanceof java.time.OffsetDateTime t) {
              v = t.toInstant();
            }
            row.put(md.getColumnName(i), v);
          }
          rows.add(row);
        }
      }
    }
    return rows;
  }

  @Test
  void theFileHoldsTheJsonlLinesAsTypedColumns() throws Exception {
    String source = store();
    Cli.Result jsonl = Cli.run("export", "--connection", source, "--format", "jsonl");
    jsonl.expect(ExitCodes.OK);
    List<Map<?, ?>> lines = new ArrayList<>();
    for (String line : jsonl.out().lines().toList()) {
      lines.add((Map<?, ?>) Json.read(line));
    }

    List<Map<String, Object>> rows = rows(exportParquet(source));

    assertThat(rows).hasSameSizeAs(lines).hasSizeGreaterThan(5);
    for (int i = 0; i < rows.size(); i++) {
      Map<String, Object> row = rows.get(i);
      Map<?, ?> line = lines.get(i);
      // the same columns in the same order: a key added to the lines must be added here
      assertThat(row.keySet()).containsExactlyElementsOf(castKeys(line));
      for (Map.Entry<String, Object> e : row.entrySet()) {
        Object expected = line.get(e.getKey());
        Object actual = e.getValue();
        String what = "row " + i + ", " + e.getKey();
        if (List.of(TIMES).contains(e.getKey())) {
          // Parquet keeps microseconds (what Spark reads); an engine's stamp may carry nanoseconds
          assertThat(actual)
              .as(what)
              .isEqualTo(
                  expected == null
                      ? null
                      : TaskFlowFormat.unmarshalTime(expected).truncatedTo(ChronoUnit.MICROS));
        } else if (e.getKey().equals("duration")) {
          assertThat(actual)
              .as(what)
              .isEqualTo(expected == null ? null : ((Number) expected).doubleValue());
        } else if (e.getKey().equals("result_bytes")) {
          assertThat(actual).as(what).isEqualTo(((Number) expected).longValue());
        } else {
          assertThat(actual).as(what).isEqualTo(expected);
        }
      }
    }
    assertThat(rows)
        .filteredOn(r -> "charge".equals(r.get("atom_name")))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.get("exception_type")).isEqualTo("com.example.ChargeDeclined");
              assertThat(r.get("duration")).isEqualTo(0.125);
              assertThat(r.get("started_at"))
                  .isEqualTo(Instant.parse("2024-02-03T04:05:06.123456Z"));
            });
    assertThat(rows)
        .filteredOn(r -> "charge-card".equals(r.get("atom_name")))
        .singleElement()
        .satisfies(r -> assertThat(r.get("attempt")).isEqualTo(2));
    assertThat(rows).allSatisfy(r -> assertThat(r.get("result_bytes")).isInstanceOf(Long.class));
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      assertThat(files).noneMatch(f -> f.getFileName().toString().startsWith(".tmp-"));
    }
  }

  @Test
  void withoutOutputItIsAUsageError() {
    Cli.Result r = Cli.run("export", "--connection", "memory://", "--format", "parquet");
    r.expect(ExitCodes.USAGE);
    assertThat(r.out()).isEmpty();
    assertThat(r.errLines())
        .containsExactly(
            "taskflow4j: error: --format parquet writes a binary file, not to standard output: give --output"
                + " FILE");
  }

  @Test
  void aFileThatCannotBeWrittenIsOneLineAndTheExitCode1() {
    Path file = dir.resolve("missing").resolve("atoms.parquet");
    Cli.Result r =
        Cli.run(
            "export", "--connection", "memory://", "--format", "parquet", "-o", file.toString());
    r.expect(ExitCodes.FAILURE);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("cannot write " + file + ": its folder").doesNotContain("\tat ");
  }

  /**
   * Readable by pandas (through its Parquet engine) or pyarrow when this machine's Python has them;
   * skipped, saying so, otherwise.
   */
  @Test
  void pandasOrPyarrowReadTheFile() throws Exception {
    String python = "/usr/bin/python3";
    boolean hasPython = Files.isExecutable(Path.of(python));
    // pandas alone cannot read Parquet: it needs pyarrow or fastparquet as its engine
    boolean pandas =
        hasPython && runs(python, "import pandas; pandas.io.parquet.get_engine('auto')");
    boolean pyarrow = hasPython && runs(python, "import pyarrow.parquet");
    // Skips in CI too, by necessity: Debian 12's archive has pandas but no Parquet engine for it
    // (no python3-pyarrow, no fastparquet), and nothing may be downloaded at test time. What CI
    // checks instead: theFileHoldsTheJsonlLinesAsTypedColumns reads every row and column type back
    // through DuckDB, an independent Parquet reader.
    assumeTrue(
        pandas || pyarrow,
        python + " has neither pandas with a Parquet engine nor pyarrow: not checked");
    Path file = exportParquet(store());
    String script =
        pandas
            ? "import pandas, sys\n"
                + "df = pandas.read_parquet(sys.argv[1])\n"
                + "print(len(df))\n"
                + "print(df['started_at'].dtype)\n"
                + "print(df['duration'].dtype)\n"
                + "print(','.join(df.columns))\n"
            : "import pyarrow.parquet as pq, sys\n"
                + "t = pq.read_table(sys.argv[1])\n"
                + "print(t.num_rows)\n"
                + "print(t.schema.field('started_at').type)\n"
                + "print(t.schema.field('duration').type)\n"
                + "print(','.join(t.column_names))\n";
    Process p =
        new ProcessBuilder(python, "-c", script, file.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    List<String> out =
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(p.exitValue()).as(String.join("\n", out)).isZero();
    assertThat(Long.parseLong(out.get(0))).isEqualTo(rows(file).size());
    assertThat(out.get(1)).contains("UTC").containsPattern("us|ns");
    assertThat(out.get(2)).isIn("float64", "double");
    assertThat(out.get(3)).startsWith("book_uuid,book_name,").endsWith(",flow_updated_at");
  }

  private static boolean runs(String python, String code) throws Exception {
    Process p = new ProcessBuilder(python, "-c", code).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0;
  }

  private static List<String> castKeys(Map<?, ?> line) {
    List<String> keys = new ArrayList<>();
    for (Object k : line.keySet()) {
      keys.add((String) k);
    }
    return keys;
  }
}
