package io.taskflow4j.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.micrometer.MeteredBackend;
import io.taskflow4j.micrometer.TaskflowMetrics;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.workloads.Workloads;
import java.util.Map;
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
 * Engine overhead: a linear chain of {@code n} tasks (task {@code i} adds one to {@code v<i-1>},
 * {@link Workloads#chain}), TaskFlow's benchmark workload, run by the serial engine. Scores are
 * milliseconds per whole run; divide by {@code n} for the cost per task.
 *
 * <ul>
 *   <li>{@code chain}: a fresh run without a backend (the engine's private in-memory store).
 *   <li>{@code chainOnMemory}: a fresh run on the {@code memory://} backend.
 *   <li>{@code resumeFinished}: a new engine over the stored flow detail of a finished run: load,
 *       compile, find nothing to do.
 *   <li>{@code chainMetered}, {@code chainOnMemoryMetered}: the same runs with metrics on ({@code
 *       TaskflowMetrics} listening to the engine, into a {@code SimpleMeterRegistry}; on the
 *       backend, {@code MeteredBackend} timing every write with a histogram), to compare side by
 *       side with the runs without: {@code java -jar taskflow4j-bench/target/benchmarks.jar
 *       'EngineBenchmark.chain' -p n=1000,10000}; {@code chainMeteredFullTimers} times atoms with
 *       full Timers ({@code atomHistograms(true)}). A difference of a few percent needs {@link
 *       MetricsOverhead}, which measures in alternating pairs.
 * </ul>
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar EngineBenchmark}. The fork has a
 * fixed 4 GB heap, touched before the benchmark starts ({@code -XX:+AlwaysPreTouch}), so that heap
 * resizing and the first touch of memory (a page fault per page, which showed as iterations twice
 * as slow whenever G1 grew its young generation) do not blur the comparison of sizes. Passing
 * {@code -jvmArgsAppend} replaces these flags: repeat them. It runs the JVM's default collector
 * (G1); {@code -jvmArgsAppend "-Xms4g -Xmx4g -XX:+AlwaysPreTouch -XX:+UseParallelGC"} measures the
 * throughput collector. A large flow keeps every atom, its detail and its result alive for the
 * whole run, which young collections during the run copy: docs/BENCHMARKS.md gives both collectors,
 * what the engine keeps per task and what the pre-touch changes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class EngineBenchmark {

  @Param({"1000", "10000", "100000"})
  public int n;

  private Flow flow;
  private Backend backend;
  private Connection conn;
  private FlowDetail finished;
  private MeterRegistry registry;
  private TaskflowMetrics metrics;
  private TaskflowMetrics histogramMetrics;
  private Backend meteredBackend;

  /** The chain's input, as TaskFlow's benchmark gives it ({@code store={'v0': 0}}). */
  static final Map<String, Object> V0 = Map.of("v0", 0L);

  /** The chain workload ({@link Workloads#chain}). */
  static Flow chain(int n) {
    return Workloads.chain(n, null);
  }

  @Setup(Level.Trial)
  public void setUpStore() {
    backend = Backends.open("memory://");
    conn = backend.getConnection();
    FlowDetail fd = FlowDetail.create("chain");
    LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
    Engines.load(chain(n)).store(V0).backend(backend).logBook(book).flowDetail(fd).run();
    finished = conn.getFlowDetails(fd.uuid());
    registry = new SimpleMeterRegistry();
    metrics = TaskflowMetrics.bind(registry);
    histogramMetrics =
        TaskflowMetrics.builder().atomHistograms(true).bind(new SimpleMeterRegistry());
    meteredBackend = MeteredBackend.wrap(backend, registry);
    if (finished.state() != FlowState.SUCCESS) {
      throw new IllegalStateException("the setup run did not succeed: " + finished.state());
    }
  }

  @Setup(Level.Invocation)
  public void newFlow() {
    flow = chain(n);
  }

  @Benchmark
  public Object chain() {
    return Engines.load(flow).store(V0).run();
  }

  @Benchmark
  public Object chainOnMemory() {
    FlowDetail fd = FlowDetail.create("chain");
    LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
    Object out = Engines.load(flow).store(V0).backend(backend).logBook(book).flowDetail(fd).run();
    conn.destroyLogBook(book.uuid());
    return out;
  }

  @Benchmark
  public Object chainMetered() {
    return runMetered(metrics);
  }

  /** As {@link #chainMetered}, atoms timed by full Timers ({@code atomHistograms(true)}). */
  @Benchmark
  public Object chainMeteredFullTimers() {
    return runMetered(histogramMetrics);
  }

  private Object runMetered(TaskflowMetrics m) {
    try (Engine engine = Engines.load(flow).store(V0).build();
        Registration metered = m.listen(engine)) {
      engine.run();
      return engine.storage().fetchAll();
    }
  }

  /** The chain as the metered ones run it (built, run, results fetched), with no listener. */
  @Benchmark
  public Object chainUnmetered() {
    try (Engine engine = Engines.load(flow).store(V0).build()) {
      engine.run();
      return engine.storage().fetchAll();
    }
  }

  /** The chain with a listener that does nothing: what any listener costs the engine. */
  @Benchmark
  public Object chainListened() {
    try (Engine engine = Engines.load(flow).store(V0).build();
        Registration none = engine.atomNotifier().registerAny(e -> {})) {
      engine.run();
      return engine.storage().fetchAll();
    }
  }

  @Benchmark
  public Object chainOnMemoryMetered() {
    FlowDetail fd = FlowDetail.create("chain");
    LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
    Object out;
    try (Engine engine =
            Engines.load(flow)
                .store(V0)
                .backend(meteredBackend)
                .logBook(book)
                .flowDetail(fd)
                .build();
        Registration metered = metrics.listen(engine)) {
      engine.run();
      out = engine.storage().fetchAll();
    }
    conn.destroyLogBook(book.uuid());
    return out;
  }

  @Benchmark
  public Object resumeFinished() {
    FlowDetail fd = conn.getFlowDetails(finished.uuid());
    return Engines.load(flow).backend(backend).flowDetail(fd).run();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    conn.close();
    backend.close();
  }
}
