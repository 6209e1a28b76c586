package io.taskflow4j.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.micrometer.TaskflowMetrics;
import io.taskflow4j.workloads.Workloads;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What metrics cost the engine, measured in pairs: the chain of {@link EngineBenchmark} run without
 * metrics and with them, alternately, in short blocks in one JVM, in the order A B B A so that a
 * drift of the machine's speed during a round falls on both alike. Each round gives a ratio of the
 * two; the median of the rounds is reported, with the spread of its middle half. On a shared
 * machine whose speed swings by a third from one second to the next (as JMH's iterations of {@code
 * EngineBenchmark.chainUnmetered} showed on the machines the project is measured on), separate JMH
 * runs of the two cannot resolve a difference of a few percent; pairs a few milliseconds apart do.
 *
 * <p>Both variants run in one JVM, so the engine's code is compiled having seen listeners: if
 * anything, this flatters the run without metrics (which a JVM without listeners would compile for
 * the empty case alone), so the ratio errs high.
 *
 * <pre>{@code
 * java -Xms4g -Xmx4g -XX:+AlwaysPreTouch -cp taskflow4j-bench/target/benchmarks.jar \
 *     io.taskflow4j.bench.MetricsOverhead 1000 200
 * }</pre>
 *
 * <p>Arguments: tasks per chain (1,000), rounds (200), seconds of warm-up (20). It prints, for the
 * default metrics ({@code TaskflowMetrics.bind}), for atoms timed by full Timers ({@code
 * atomHistograms(true)}) and for a listener that does nothing, the median ratio to the run without
 * any listener, by wall time and by the engine thread's CPU time.
 */
public final class MetricsOverhead {
  private static final Map<String, Object> V0 = EngineBenchmark.V0;
  private static final int RUNS_PER_BLOCK = 10;
  private static volatile Object sink;

  private MetricsOverhead() {}

  /** One way of running the chain: none, a no-op listener, or metrics. */
  private record Variant(String name, Function<Engine, Registration> attach) {}

  /** One variant's ratios to the run without listeners: medians and middle halves. */
  record Result(
      String variant,
      double wall,
      double wallLow,
      double wallHigh,
      double cpu,
      double cpuLow,
      double cpuHigh,
      double baseMicrosPerTask) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%-26s wall ratio %.3f (middle half %.3f-%.3f), cpu ratio %.3f (middle half"
              + " %.3f-%.3f); without: %.2f us/task",
          variant,
          wall,
          wallLow,
          wallHigh,
          cpu,
          cpuLow,
          cpuHigh,
          baseMicrosPerTask);
    }
  }

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    long warmupSeconds = args.length > 2 ? Long.parseLong(args[2]) : 20;
    System.out.printf(
        Locale.ROOT,
        "chain of %d tasks, %d rounds of %d runs per variant and block (A B B A)%n",
        n,
        rounds,
        RUNS_PER_BLOCK);
    for (Result r : measure(n, rounds, warmupSeconds * 1000)) {
      System.out.println(r);
    }
  }

  /** Warms every variant up for {@code warmupMillis}, then measures {@code rounds} pairs each. */
  static List<Result> measure(int n, int rounds, long warmupMillis) {
    TaskflowMetrics metrics = TaskflowMetrics.bind(new SimpleMeterRegistry());
    TaskflowMetrics full =
        TaskflowMetrics.builder().atomHistograms(true).bind(new SimpleMeterRegistry());
    Variant none = new Variant("none", e -> () -> {});
    List<Variant> others =
        List.of(
            new Variant("metrics (default)", metrics::listen),
            new Variant("metrics, full atom timers", full::listen),
            new Variant("no-op listener", e -> e.atomNotifier().registerAny(ev -> {})));
    // Warm up every path, long enough for the JIT's final tiers.
    long warmEnd = System.nanoTime() + warmupMillis * 1_000_000L;
    do {
      block(n, none);
      for (Variant v : others) {
        block(n, v);
      }
    } while (System.nanoTime() < warmEnd);
    List<Result> results = new ArrayList<>();
    for (Variant v : others) {
      double[] wall = new double[rounds];
      double[] cpu = new double[rounds];
      double baseWall = 0;
      for (int r = 0; r < rounds; r++) {
        long[] a1 = block(n, none);
        long[] b1 = block(n, v);
        long[] b2 = block(n, v);
        long[] a2 = block(n, none);
        wall[r] = (double) (b1[0] + b2[0]) / (a1[0] + a2[0]);
        cpu[r] = (double) (b1[1] + b2[1]) / (a1[1] + a2[1]);
        baseWall += (a1[0] + a2[0]) / (2.0 * RUNS_PER_BLOCK * n);
      }
      results.add(
          new Result(
              v.name(),
              quantile(wall, 0.5),
              quantile(wall, 0.25),
              quantile(wall, 0.75),
              quantile(cpu, 0.5),
              quantile(cpu, 0.25),
              quantile(cpu, 0.75),
              baseWall / rounds / 1000.0));
    }
    return results;
  }

  /** Runs {@link #RUNS_PER_BLOCK} chains: {wall nanos, engine-thread CPU nanos}. */
  private static long[] block(int n, Variant v) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<Flow> flows = new ArrayList<>(RUNS_PER_BLOCK);
    for (int i = 0; i < RUNS_PER_BLOCK; i++) {
      flows.add(Workloads.chain(n, null)); // built outside the timing, as JMH's setup does
    }
    long c0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    for (Flow flow : flows) {
      try (Engine engine = Engines.load(flow).store(V0).build();
          Registration r = v.attach().apply(engine)) {
        engine.run();
        sink = engine.storage().fetchAll();
      }
    }
    return new long[] {System.nanoTime() - t0, threads.getCurrentThreadCpuTime() - c0};
  }

  private static double quantile(double[] xs, double q) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
  }
}
