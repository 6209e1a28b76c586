package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link TaskflowMetricsTest} with atoms timed by full Timers ({@code
 * atomHistograms(true)}), and what only those give: a maximum and the histogram a registry's filter
 * asks for.
 */
class FullAtomTimersTest extends TaskflowMetricsTest {
  @Override
  boolean fullAtomTimers() {
    return true;
  }

  @Test
  void aFilterAskingForPercentilesGetsThemOnAtomTimers() {
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public DistributionStatisticConfig configure(
                  io.micrometer.core.instrument.Meter.Id id, DistributionStatisticConfig config) {
                return id.getName().equals(TaskflowMetrics.ATOM_EXECUTIONS)
                    ? DistributionStatisticConfig.builder()
                        .percentiles(0.5, 0.99)
                        .build()
                        .merge(config)
                    : config;
              }
            });
    TaskflowMetrics metrics = TaskflowMetrics.builder().atomHistograms(true).bind(registry);
    try (Engine engine = Engines.load(TestFlows.linear("lin")).build();
        Registration r = metrics.listen(engine)) {
      engine.run();
    }
    Timer t =
        registry
            .get(TaskflowMetrics.ATOM_EXECUTIONS)
            .tags("atom", "t1", "outcome", "success")
            .timer();
    HistogramSnapshot snap = t.takeSnapshot();
    assertThat(snap.percentileValues()).hasSize(2);
    assertThat(t.max(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
  }
}
