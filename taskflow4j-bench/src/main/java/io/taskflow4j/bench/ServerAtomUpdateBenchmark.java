package io.taskflow4j.bench;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
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
 * Atom updates per second against a database server (PostgreSQL, MariaDB, or any backend given by
 * its connection string) from one engine and from eight engines at once. Each engine (a benchmark
 * thread) has its own backend, hence its own connection pool, and updates its own task detail
 * (state, result and meta change, revision-checked: the write an engine makes per task transition).
 * Scores are updates per second, summed over the engines.
 *
 * <p>The store is a connection-string template ({@link BenchStore}): {@code {db}} is a database
 * created for the trial and dropped after it. The defaults need PostgreSQL and MariaDB on {@code
 * 127.0.0.1} (users {@code postgres} and {@code root}, no password); pass others with {@code -p
 * uri=...}, e.g. {@code zookeeper://127.0.0.1:2181/{db}}.
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar ServerAtomUpdateBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ServerAtomUpdateBenchmark {

  /** The database of one trial, shared by its engines. */
  @State(Scope.Benchmark)
  public static class Database {
    /** The store: a connection-string template (see {@link BenchStore}). */
    @Param({
      "postgresql://postgres@127.0.0.1:5432/{db}?durability=power",
      "postgresql://postgres@127.0.0.1:5432/{db}?durability=process",
      "mariadb://root@127.0.0.1:3306/{db}?sslMode=disable&durability=power",
      "mariadb://root@127.0.0.1:3306/{db}?sslMode=disable&durability=process"
    })
    public String uri;

    private BenchStore store;

    @Setup(Level.Trial)
    public void create() {
      store = BenchStore.create(uri);
      // Creates the tables once, before the engines start.
      Backends.open(store.uri()).close();
    }

    @TearDown(Level.Trial)
    public void drop() {
      store.close();
    }
  }

  /** One engine: its own backend, logbook and task detail. */
  @State(Scope.Thread)
  public static class EngineState {
    private Backend backend;
    private Connection conn;
    private TaskTransitions task;

    @Setup(Level.Trial)
    public void open(Database db) {
      backend = Backends.fetch(db.store.uri());
      conn = backend.getConnection();
      task = new TaskTransitions(conn);
    }

    AtomDetail update() {
      return task.next();
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
