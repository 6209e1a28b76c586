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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code updateAtomDetails} of a task detail (state, result and meta change), the write an
 * engine makes per task transition, on each backend. The caller keeps the returned value, as an
 * engine does, so every write is revision-checked without a read.
 *
 * <p>The backend is a connection-string template ({@link BenchStore}): {@code {tmp}} is a fresh
 * temporary directory, {@code {db}} a fresh database, created for the trial and dropped after, and
 * {@code {zk}} a ZooKeeper server embedded in the benchmark JVM (it syncs its log as a production
 * server does; it shares the JVM's CPUs with the client). Any installed backend can be measured by
 * passing its connection string, e.g. {@code -p uri=zookeeper://127.0.0.1:2181/{db}} for an
 * external ZooKeeper. The PostgreSQL and MariaDB defaults need the servers on {@code 127.0.0.1}
 * (users {@code postgres} and {@code root}, no password).
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar AtomUpdateBenchmark}, or one
 * backend: {@code ... AtomUpdateBenchmark -p uri='sqlite:///{tmp}/bench.db'}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AtomUpdateBenchmark {

  /** The store: a connection-string template (see {@link BenchStore}). */
  @Param({
    "memory://",
    "dir://{tmp}?durability=power",
    "dir://{tmp}?durability=process",
    "sqlite:///{tmp}/bench.db?durability=power",
    "sqlite:///{tmp}/bench.db?durability=process",
    "postgresql://postgres@127.0.0.1:5432/{db}?durability=power",
    "postgresql://postgres@127.0.0.1:5432/{db}?durability=process",
    "mariadb://root@127.0.0.1:3306/{db}?sslMode=disable&durability=power",
    "zookeeper://{zk}/{db}"
  })
  public String uri;

  private BenchStore store;
  private Backend backend;
  private Connection conn;
  private TaskTransitions task;

  @Setup(Level.Trial)
  public void setUp() {
    store = BenchStore.create(uri);
    backend = Backends.open(store.uri());
    conn = backend.getConnection();
    task = new TaskTransitions(conn);
  }

  @Benchmark
  public AtomDetail updateAtom() {
    return task.next();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      conn.close();
      backend.close();
    } finally {
      store.close();
    }
  }
}
