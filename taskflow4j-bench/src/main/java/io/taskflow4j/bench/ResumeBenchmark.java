package io.taskflow4j.bench;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.workloads.Workloads;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Resuming a finished flow as another process would: read its flow detail from the store, rebuild
 * the flow from the factory recorded in it ({@link Workloads.Chain}), compile, and find nothing to
 * do. The setup runs the chain of {@code n} tasks once on the store; each invocation then resumes
 * it, and fails if any task runs again. Scores are milliseconds per resume.
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar ResumeBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
public class ResumeBenchmark {

  /** The store: a connection-string template (see {@link BenchStore}). */
  @Param({
    "memory://",
    "dir://{tmp}?durability=process",
    "sqlite:///{tmp}/bench.db?durability=process"
  })
  public String uri;

  @Param({"1000", "10000"})
  public int n;

  private BenchStore store;
  private Backend backend;
  private Connection conn;
  private String flowUuid;

  @Setup(Level.Trial)
  public void setUp() {
    store = BenchStore.create(uri);
    backend = Backends.open(store.uri());
    conn = backend.getConnection();
    try (Engine engine =
        Engines.loadFromFactory(Workloads.Chain.class, List.of(n), Map.of())
            .store(EngineBenchmark.V0)
            .backend(backend)
            .build()) {
      engine.run();
      flowUuid = engine.flowDetail().uuid();
      if (engine.flowState() != FlowState.SUCCESS) {
        throw new IllegalStateException("the setup run ended " + engine.flowState());
      }
    }
  }

  @Benchmark
  public FlowState resumeFinished() {
    FlowDetail fd = conn.getFlowDetails(flowUuid);
    AtomicInteger events = new AtomicInteger();
    try (Engine engine = Engines.loadFromDetail(fd, backend)) {
      engine.onAtomEvent(e -> events.incrementAndGet());
      engine.run();
      if (events.get() != 0) {
        throw new IllegalStateException(events.get() + " atom events on resuming a finished flow");
      }
      return engine.flowState();
    }
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
