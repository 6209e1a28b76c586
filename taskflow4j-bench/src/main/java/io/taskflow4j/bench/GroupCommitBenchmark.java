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
 * Engines in one JVM sharing one backend, as a conductor running several jobs or an application
 * running several flows does: atom updates per second (summed over the engines) with group commit
 * on and off ({@code group_commit=true|false}). Each engine (a benchmark thread) has its own
 * connection and task detail and alternates a RUNNING marker with a result, the two writes of a
 * task; on a durable store ({@code durability=power}) the result waits for the disk and the marker
 * does not. With group commit, writes that arrive while another commits share its successor's
 * transaction and sync.
 *
 * <p>The store is a connection-string template ({@link BenchStore}); the defaults need PostgreSQL
 * on {@code 127.0.0.1} (user {@code postgres}, no password). Run: {@code java -jar
 * taskflow4j-bench/target/benchmarks.jar GroupCommitBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class GroupCommitBenchmark {

  /** The shared backend of one trial. */
  @State(Scope.Benchmark)
  public static class Shared {
    /** The store: a connection-string template (see {@link BenchStore}). */
    @Param({
      "postgresql://postgres@127.0.0.1:5432/{db}?durability=power",
      "sqlite:///{tmp}/bench.db?durability=power"
    })
    public String uri;

    /** Whether atom-detail writes share transactions. */
    @Param({"true", "false"})
    public String groupCommit;

    private BenchStore store;
    private Backend backend;

    @Setup(Level.Trial)
    public void open() {
      store = BenchStore.create(uri);
      String u = store.uri();
      backend = Backends.open(u + (u.contains("?") ? "&" : "?") + "group_commit=" + groupCommit);
    }

    @TearDown(Level.Trial)
    public void close() {
      backend.close();
      store.close();
    }
  }

  /** One engine: its own connection, logbook and task detail on the shared backend. */
  @State(Scope.Thread)
  public static class Engine {
    private Connection conn;
    private TaskTransitions task;

    @Setup(Level.Trial)
    public void open(Shared shared) {
      conn = shared.backend.getConnection();
      task = new TaskTransitions(conn);
    }

    AtomDetail update() {
      return task.next();
    }

    @TearDown(Level.Trial)
    public void close() {
      conn.close();
    }
  }

  @Benchmark
  @Threads(1)
  public AtomDetail oneEngine(Engine engine) {
    return engine.update();
  }

  @Benchmark
  @Threads(8)
  public AtomDetail eightEngines(Engine engine) {
    return engine.update();
  }
}
