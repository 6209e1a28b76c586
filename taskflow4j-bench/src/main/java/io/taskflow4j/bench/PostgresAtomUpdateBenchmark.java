package io.taskflow4j.bench;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Atom updates per second against PostgreSQL from one engine and from eight engines at once. Each
 * engine (a benchmark thread) has its own backend, hence its own connection pool, and updates its
 * own task detail (state, result and meta change, revision-checked: the write an engine makes per
 * task transition). Scores are updates per second, summed over the engines.
 *
 * <p>The server is {@code TF4J_BENCH_PG_HOST} (default {@code 127.0.0.1:5432}) as {@code
 * TF4J_BENCH_PG_USER} (default {@code postgres}) with {@code TF4J_BENCH_PG_PASSWORD} (default
 * none); a database {@code tf4j_bench_<random>} is created through {@code TF4J_BENCH_PG_DB}
 * (default {@code postgres}) and dropped after the trial.
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar PostgresAtomUpdateBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PostgresAtomUpdateBenchmark {

  /** The database of one trial, shared by its engines. */
  @State(Scope.Benchmark)
  public static class Database {
    /** {@code power} (commits flushed: the default) or {@code process} (asynchronous commit). */
    @Param({"power", "process"})
    public String durability;

    private static final String HOST = env("TF4J_BENCH_PG_HOST", "127.0.0.1:5432");
    private static final String USER = env("TF4J_BENCH_PG_USER", "postgres");
    private static final String PASSWORD = env("TF4J_BENCH_PG_PASSWORD", "");
    private static final String ADMIN_DB = env("TF4J_BENCH_PG_DB", "postgres");

    private String name;
    String url;

    @Setup(Level.Trial)
    public void create() throws SQLException {
      name = "tf4j_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      admin("CREATE DATABASE " + name);
      String auth = PASSWORD.isEmpty() ? USER : USER + ":" + PASSWORD;
      url = "postgresql://" + auth + "@" + HOST + "/" + name + "?durability=" + durability;
      // Creates the tables once, before the engines start.
      try (Backend b = Backends.open(url)) {
        b.getConnection().close();
      }
    }

    @TearDown(Level.Trial)
    public void drop() throws SQLException {
      admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void admin(String sql) throws SQLException {
      Properties p = new Properties();
      p.setProperty("user", USER);
      if (!PASSWORD.isEmpty()) {
        p.setProperty("password", PASSWORD);
      }
      try (java.sql.Connection c =
              DriverManager.getConnection("jdbc:postgresql://" + HOST + "/" + ADMIN_DB, p);
          Statement st = c.createStatement()) {
        st.execute(sql);
      }
    }

    private static String env(String key, String dflt) {
      String v = System.getenv(key);
      return v == null || v.isBlank() ? dflt : v;
    }
  }

  /** One engine: its own backend, logbook and task detail. */
  @State(Scope.Thread)
  public static class EngineState {
    private Backend backend;
    private Connection conn;
    private AtomDetail atom;
    private long counter;

    @Setup(Level.Trial)
    public void open(Database db) {
      backend = Backends.fetch(db.url);
      conn = backend.getConnection();
      TaskDetail td = TaskDetail.create("task-1");
      FlowDetail fd = FlowDetail.create("flow").withAtom(td);
      LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
      atom = book.flows().get(0).atoms().get(0);
    }

    AtomDetail update() {
      long n = ++counter;
      AtomDetail next =
          (n & 1) == 0
              ? atom.withState(AtomState.RUNNING).withMetaEntries(Map.of("progress", 0.0))
              : atom.put(AtomState.SUCCESS, n).withMetaEntries(Map.of("progress", 1.0));
      atom = conn.updateAtomDetails(next);
      return atom;
    }

    @TearDown(Level.Trial)
    public void close() {
      conn.close();
      backend.close();
    }
  }

  @Benchmark
  @Threads(1)
  public AtomDetail oneEngine(EngineState engine) {
    return engine.update();
  }

  @Benchmark
  @Threads(8)
  public AtomDetail eightEngines(EngineState engine) {
    return engine.update();
  }
}
