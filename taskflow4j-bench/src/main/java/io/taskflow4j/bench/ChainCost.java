package io.taskflow4j.bench;

import io.taskflow4j.Atom;
import io.taskflow4j.FlowElement;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.workloads.Workloads;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of a chain run goes, per task: wall time, the engine thread's CPU time and the
 * collectors' pause time, averaged over the runs after the first third of the time budget (JIT
 * warm-up). {@link EngineBenchmark} gives the wall time with JMH's rigour; this splits it, which is
 * how the cost of a collector shows (run it once per {@code -XX:+Use...GC}).
 *
 * <pre>{@code
 * java -Xms4g -Xmx4g -XX:+AlwaysPreTouch -cp taskflow4j-bench/target/benchmarks.jar \
 *     io.taskflow4j.bench.ChainCost 100000 30
 * }</pre>
 *
 * <p>With {@code --flow-only} it runs no engine: it keeps a built chain alive while allocating
 * {@code 4,700} bytes of short-lived garbage per task (about what a run allocates), which gives the
 * collector's cost of the caller's flow alone.
 */
public final class ChainCost {

  /** Averages per task, in microseconds. */
  record Cost(int n, int runs, double wall, double engineCpu, double gcPause) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "n=%d runs=%d wall=%.2f engineCpu=%.2f gcPause=%.2f us/task",
          n,
          runs,
          wall,
          engineCpu,
          gcPause);
    }
  }

  private static final long GARBAGE_PER_TASK = 4_700;
  private static volatile Object sink;

  private ChainCost() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: ChainCost <tasks> <seconds> [--flow-only]");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    long seconds = Long.parseLong(args[1]);
    boolean flowOnly = args.length > 2 && args[2].equals("--flow-only");
    System.out.println(measure(n, seconds * 1000, flowOnly));
  }

  /**
   * Runs chains of {@code n} tasks for {@code budgetMillis} and averages the runs that started
   * after the first third of it (all runs, when none did).
   */
  static Cost measure(int n, long budgetMillis, boolean flowOnly) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = System.currentTimeMillis();
    long warmEnd = start + budgetMillis / 3;
    long end = start + budgetMillis;
    double[] warm = new double[3];
    double[] measured = new double[3];
    int warmRuns = 0;
    int runs = 0;
    do {
      boolean warmedUp = System.currentTimeMillis() > warmEnd;
      Flow flow = Workloads.chain(n, null);
      long g0 = gcMillis();
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      if (flowOnly) {
        allocateAround(flow, n);
      } else {
        Engines.load(flow).store(Map.of("v0", 0L)).run();
      }
      long t1 = System.nanoTime();
      long c1 = threads.getCurrentThreadCpuTime();
      long g1 = gcMillis();
      double[] into = warmedUp ? measured : warm;
      into[0] += (t1 - t0) / 1e3 / n;
      into[1] += (c1 - c0) / 1e3 / n;
      into[2] += (g1 - g0) * 1e3 / n;
      if (warmedUp) {
        runs++;
      } else {
        warmRuns++;
      }
    } while (System.currentTimeMillis() < end);
    double[] sums = runs > 0 ? measured : warm;
    int count = runs > 0 ? runs : warmRuns;
    return new Cost(n, count, sums[0] / count, sums[1] / count, sums[2] / count);
  }

  /** Keeps {@code flow} (sealed, as an engine would) alive through a run's worth of garbage. */
  private static void allocateAround(Flow flow, int n) {
    for (FlowElement e : flow.children()) {
      if (e instanceof Atom a) {
        a.seal();
      }
    }
    long chunks = n * GARBAGE_PER_TASK / 64;
    for (long i = 0; i < chunks; i++) {
      sink = new byte[48];
    }
    sink = flow;
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, b.getCollectionTime());
    }
    return total;
  }
}
