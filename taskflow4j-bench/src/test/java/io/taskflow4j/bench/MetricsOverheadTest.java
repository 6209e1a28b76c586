package io.taskflow4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsOverheadTest {

  @Test
  void comparesEachVariantWithTheRunWithoutListenersInPairs() {
    List<MetricsOverhead.Result> results = MetricsOverhead.measure(50, 5, 0);

    assertThat(results)
        .extracting(MetricsOverhead.Result::variant)
        .containsExactly("metrics (default)", "metrics, full atom timers", "no-op listener");
    for (MetricsOverhead.Result r : results) {
      // ratios of like runs: far from 0 and from infinity, and ordered as quantiles are
      assertThat(r.wall()).as(r.variant()).isBetween(0.1, 10.0);
      assertThat(r.wallLow()).isLessThanOrEqualTo(r.wall());
      assertThat(r.wallHigh()).isGreaterThanOrEqualTo(r.wall());
      assertThat(r.cpu()).as(r.variant()).isBetween(0.1, 10.0);
      assertThat(r.baseMicrosPerTask()).isPositive();
      assertThat(r.toString()).contains(r.variant()).contains("wall ratio");
    }
  }
}
