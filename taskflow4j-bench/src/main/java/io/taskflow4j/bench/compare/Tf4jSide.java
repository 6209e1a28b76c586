package io.taskflow4j.bench.compare;

import io.taskflow4j.bench.BenchStore;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.workloads.Workloads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * taskflow4j's side of the comparison, measured in this JVM: the workloads of {@link Workloads}
 * (the chain on the serial engine, the fan-out on the parallel one with TaskFlow's default of
 * {@link Engines#DEFAULT_MAX_WORKERS} threads), each run built from its recorded factory, and with
 * a backend followed by a resume of the finished flow from the store. A third workload, {@link
 * #FANOUT64}, is the fan-out on a parallel engine of {@link #FANOUT64_WORKERS} threads: 64 tasks in
 * flight, so that a store able to group concurrent commits can show it (TaskFlow has no such run).
 */
public final class Tf4jSide {

  /** The fan-out with {@link #FANOUT64_WORKERS} tasks in flight (a taskflow4j-only workload). */
  public static final String FANOUT64 = "fanout64";

  /** The parallel engine's worker threads in the {@link #FANOUT64} workload. */
  public static final int FANOUT64_WORKERS = 64;

  /** The workloads this side runs: those of {@link Workloads}, and {@link #FANOUT64}. */
  public static final List<String> WORKLOADS = List.of(Workloads.CHAIN, Workloads.FANOUT, FANOUT64);

  /**
   * A store to run on.
   *
   * @param backend the backend's short name ({@code none}, {@code memory}, {@code dir}, ...)
   * @param durability {@code power}, {@code process} or {@code -}
   * @param template the connection-string template ({@link BenchStore}), {@code null} for none
   */
  public record Store(String backend, String durability, String template) {}

  /** No backend: the engine's private in-memory storage. */
  public static final Store NONE = new Store("none", "-", null);

  /** The {@code memory://} backend. */
  public static final Store MEMORY = new Store("memory", "-", "memory://");

  private Tf4jSide() {}

  /** A directory store of this durability. */
  public static Store dir(String durability) {
    return new Store("dir", durability, "dir://{tmp}?durability=" + durability);
  }

  /** A SQLite file of this durability. */
  public static Store sqlite(String durability) {
    return new Store("sqlite", durability, "sqlite:///{tmp}/tf.db?durability=" + durability);
  }

  /**
   * A fresh database of this durability on a PostgreSQL server; {@code server} is like {@code
   * postgresql://postgres@127.0.0.1:5432}.
   */
  public static Store postgresql(String server, String durability) {
    return new Store("postgresql", durability, server + "/{db}?durability=" + durability);
  }

  /**
   * The {@link Workloads} flow a workload of this harness builds: {@link #FANOUT64} is the fan-out;
   * an unknown name is refused.
   */
  static String flowOf(String workload) {
    String flow = FANOUT64.equals(workload) ? Workloads.FANOUT : workload;
    Workloads.factory(flow); // rejects an unknown workload
    return flow;
  }

  /**
   * Timing of one run and of the resume that followed it (negative: none), and the CPU time this
   * JVM spent during the run (NaN when it cannot tell).
   */
  record Timing(double runSeconds, double resumeSeconds, double cpuSeconds) {}

  /** This JVM's CPU time so far in nanoseconds (all threads), or -1 when it cannot tell. */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The warm-up of {@link #measure(String, Store, int, int, double, boolean)}, in seconds. */
  public static final double WARM_UP_SECONDS = 2;

  /**
   * Measures {@code workload} on a fresh {@code store} at size {@code n}: when {@code warmUp},
   * first untimed runs for about {@link #WARM_UP_SECONDS} (see {@link #measure(String, Store, int,
   * int, double, double)}).
   */
  public static Result measure(
      String workload, Store store, int n, int maxRuns, double budgetSeconds, boolean warmUp) {
    return measure(workload, store, n, maxRuns, budgetSeconds, warmUp ? WARM_UP_SECONDS : 0);
  }

  /**
   * Measures {@code workload} on a fresh {@code store} at size {@code n}: first untimed runs (for
   * the JIT) of at most 1,000 tasks on a store of their own, at least one and until {@code
   * warmUpSeconds} have passed (none when it is 0; see {@link #WARM_UP_MAX_TASKS}); then up to
   * {@code maxRuns} timed runs, stopping early once they took {@code budgetSeconds} in total (at
   * least one).
   *
   * <p>A store's code takes far longer to compile than the engine's: the directory store's chain
   * ran its 100-task runs at 1 to 2.5 ms per task for its first 4,000 tasks and settled near 0.3 ms
   * only after about 10,000, while the JIT's compiler threads took a core of their own. So the
   * harness warms each store for several seconds before its first size.
   */
  public static Result measure(
      String workload,
      Store store,
      int n,
      int maxRuns,
      double budgetSeconds,
      double warmUpSeconds) {
    flowOf(workload); // rejects an unknown workload before any store is made
    if (warmUpSeconds > 0) {
      warmUp(workload, store, Math.min(n, 1000), warmUpSeconds);
    }
    BenchStore bs = store.template() == null ? null : BenchStore.create(store.template());
    Backend backend = null;
    try {
      backend = bs == null ? null : Backends.open(bs.uri());
      List<Double> runs = new ArrayList<>();
      List<Double> resumes = new ArrayList<>();
      List<Double> cpu = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < Math.max(1, maxRuns); i++) {
        Timing t = runOnce(workload, n, backend);
        runs.add(t.runSeconds());
        if (!Double.isNaN(t.cpuSeconds())) {
          cpu.add(t.cpuSeconds());
        }
        if (t.resumeSeconds() >= 0) {
          resumes.add(t.resumeSeconds());
        }
        if ((System.nanoTime() - start) / 1e9 > budgetSeconds) {
          break;
        }
      }
      return new Result(
          "taskflow4j",
          workload,
          store.backend(),
          store.durability(),
          n,
          runs,
          resumes,
          "",
          cpu.size() == runs.size() ? cpu : List.of());
    } finally {
      try {
        if (backend != null) {
          backend.close();
        }
      } finally {
        if (bs != null) {
          bs.close();
        }
      }
    }
  }

  /** The most tasks a warm-up runs, whatever its time. */
  static final int WARM_UP_MAX_TASKS = 20_000;

  /**
   * Untimed runs of {@code n} tasks for {@code seconds} (at least one, at most {@link
   * #WARM_UP_MAX_TASKS} tasks in all) on a store of their own, discarded before the timed runs
   * start: what they leave (a memory store's flows on the heap, a directory's files) must not slow
   * the runs measured after them.
   */
  private static void warmUp(String workload, Store store, int n, double seconds) {
    BenchStore bs = store.template() == null ? null : BenchStore.create(store.template());
    try (Backend backend = bs == null ? null : Backends.open(bs.uri())) {
      long end = System.nanoTime() + (long) (seconds * 1e9);
      int tasks = 0;
      do {
        runOnce(workload, n, backend);
        tasks += n;
      } while (System.nanoTime() < end && tasks < WARM_UP_MAX_TASKS);
    } finally {
      if (bs != null) {
        bs.close();
      }
    }
  }

  /** One run of {@code workload} (checked), then with a backend a resume of it (checked). */
  static Timing runOnce(String workload, int n, Backend backend) {
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    String flow = flowOf(workload);
    Engines.Builder b = Engines.loadFromFactory(Workloads.factory(flow), List.of(n), Map.of());
    if (FANOUT64.equals(workload)) {
      b.parallel(FANOUT64_WORKERS);
    } else if (Workloads.FANOUT.equals(flow)) {
      b.parallel();
    } else {
      // As TaskFlow's peer is given store={'v0': 0} (t1 also has x=0 injected).
      b.store(Map.of("v0", 0L));
    }
    if (backend != null) {
      b.backend(backend);
    }
    Object last;
    FlowState state;
    String flowUuid;
    try (Engine engine = b.build()) {
      engine.run();
      last = engine.storage().fetch("v" + n);
      state = engine.flowState();
      flowUuid = engine.flowDetail().uuid();
    }
    double run = (System.nanoTime() - t0) / 1e9;
    long cpu1 = processCpuNanos();
    double cpu = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e9;
    if (state != FlowState.SUCCESS || !(last instanceof Number v) || v.longValue() != n) {
      throw new IllegalStateException(
          workload + " of " + n + " ended " + state + " with v" + n + " = " + last);
    }
    if (backend == null) {
      return new Timing(run, -1, cpu);
    }
    long t1 = System.nanoTime();
    FlowDetail fd;
    try (Connection c = backend.getConnection()) {
      fd = c.getFlowDetails(flowUuid);
    }
    AtomicInteger events = new AtomicInteger();
    try (Engine engine = Engines.loadFromDetail(fd, backend)) {
      engine.onAtomEvent(e -> events.incrementAndGet());
      engine.run();
      state = engine.flowState();
    }
    double resume = (System.nanoTime() - t1) / 1e9;
    if (state != FlowState.SUCCESS || events.get() != 0) {
      throw new IllegalStateException(
          "resuming the finished " + workload + " ended " + state + " after " + events + " events");
    }
    return new Timing(run, resume, cpu);
  }
}
