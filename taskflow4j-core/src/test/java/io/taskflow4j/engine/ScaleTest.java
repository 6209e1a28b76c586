package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.persistence.FlowState;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Large flows: they complete, and the engine's cost per task does not grow with the flow. */
class ScaleTest {
  @TempDir Path dir;

  static Stream<EngineEnv.Case> parallelCases() {
    return EngineEnv.cases().filter(EngineEnv.Case::parallel);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parallelCases")
  void tenThousandParallelTasksComplete(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir)) {
      UnorderedFlow flow = UnorderedFlow.of("wide");
      for (int i = 0; i < 10_000; i++) {
        int v = i;
        flow.add(Task.of("u" + i, () -> v).provides("u" + i));
      }
      long t0 = System.nanoTime();
      try (Engine engine = env.configure(Engines.load(flow)).parallel(8).build()) {
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
        assertThat(engine.storage().fetch("u9999")).isEqualTo(9999);
      }
      System.out.printf(
          "10,000 parallel tasks on %s: %d ms%n", c, (System.nanoTime() - t0) / 1_000_000);
    }
  }

  /** Linear chain without persistence; returns {wall ns, engine-thread CPU ns}. */
  private static long[] chain(int n) {
    return chain(n, null);
  }

  /** Linear chain, over {@code backend} if given; returns {wall ns, engine-thread CPU ns}. */
  private static long[] chain(int n, io.taskflow4j.persistence.Backend backend) {
    LinearFlow flow = LinearFlow.of("chain");
    for (int i = 1; i <= n; i++) {
      flow.add(
          Task.of("t" + i, Integer.class, x -> x + 1)
              .requires("x")
              .rebind("v" + (i - 1))
              .provides("v" + i));
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long cpu0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    Engines.Builder builder = Engines.load(flow).store(Map.of("v0", 0));
    if (backend != null) {
      builder.backend(backend);
    }
    Engine engine = builder.build();
    engine.run();
    long wall = System.nanoTime() - t0;
    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
    assertThat(engine.storage().fetch("v" + n)).isEqualTo(n);
    return new long[] {wall, cpu};
  }

  @Test
  void linearChainCostPerTaskStaysFlat() {
    chain(2_000); // warm-up
    long[] small = chain(1_000);
    long[] large = chain(100_000);
    double smallCpu = small[1] / 1_000.0 / 1_000;
    double largeCpu = large[1] / 1_000.0 / 100_000;
    System.out.printf(
        "linear chain, memory (no backend): 1k tasks %.1f us/task CPU (%.1f wall); "
            + "100k tasks %.1f us/task CPU (%.1f wall), %d ms total%n",
        smallCpu,
        small[0] / 1_000.0 / 1_000,
        largeCpu,
        large[0] / 1_000.0 / 100_000,
        large[0] / 1_000_000);
    // Quadratic scheduling would make the large run ~100x dearer per task; allow for noise.
    assertThat(largeCpu).isLessThan(Math.max(smallCpu * 4, 60));
  }

  @Test
  void linearChainOnTheMemoryBackend() {
    try (io.taskflow4j.persistence.Backend backend =
        io.taskflow4j.persistence.Backends.open("memory://")) {
      chain(2_000, backend); // warm-up
      long[] large = chain(100_000, backend);
      System.out.printf(
          "linear chain, memory backend: 100k tasks %.1f us/task CPU (%.1f wall), %d ms total%n",
          large[1] / 1_000.0 / 100_000, large[0] / 1_000.0 / 100_000, large[0] / 1_000_000);
    }
  }
}
