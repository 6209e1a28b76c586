package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many timed runs the harness makes of each store and size. */
class TimedRunsTest {

  @Test
  void storesWithoutADiskRunUntilTheirRunsAddUpToAHundredThousandTasks() {
    for (Tf4jSide.Store s : new Tf4jSide.Store[] {Tf4jSide.NONE, Tf4jSide.MEMORY}) {
      assertThat(Compare.timedRuns(s, 100)).as(s.backend()).isEqualTo(1000);
      assertThat(Compare.timedRuns(s, 1000)).as(s.backend()).isEqualTo(100);
      assertThat(Compare.timedRuns(s, 10_000)).as(s.backend()).isEqualTo(10);
      // Never fewer than five below the largest size; three at the largest.
      assertThat(Compare.timedRuns(s, 30_000)).as(s.backend()).isEqualTo(5);
      assertThat(Compare.timedRuns(s, 100_000)).as(s.backend()).isEqualTo(3);
    }
  }

  @Test
  void storesOnADiskKeepTheirCounts() {
    for (Tf4jSide.Store s :
        new Tf4jSide.Store[] {
          Tf4jSide.dir("process"), Tf4jSide.sqlite("power"), Tf4jSide.postgresql("x", "power")
        }) {
      assertThat(Compare.timedRuns(s, 100)).as(s.backend()).isEqualTo(5);
      assertThat(Compare.timedRuns(s, 1000)).as(s.backend()).isEqualTo(5);
      assertThat(Compare.timedRuns(s, 10_000)).as(s.backend()).isEqualTo(3);
      assertThat(Compare.timedRuns(s, 100_000)).as(s.backend()).isEqualTo(1);
    }
  }
}
