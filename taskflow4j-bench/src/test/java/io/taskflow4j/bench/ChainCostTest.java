package io.taskflow4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChainCostTest {

  @Test
  void splitsARunsCostPerTask() {
    ChainCost.Cost cost = ChainCost.measure(200, 600, false);

    assertThat(cost.n()).isEqualTo(200);
    assertThat(cost.runs()).isPositive();
    assertThat(cost.wall()).isPositive();
    assertThat(cost.engineCpu()).isPositive();
    // the engine thread cannot have used more CPU than the time that passed (within timer grain)
    assertThat(cost.engineCpu()).isLessThanOrEqualTo(cost.wall() * 1.5 + 1);
    assertThat(cost.gcPause()).isGreaterThanOrEqualTo(0);
    assertThat(cost.toString()).contains("n=200").contains("us/task");
  }

  @Test
  void measuresTheFlowAloneWithoutAnEngine() {
    ChainCost.Cost cost = ChainCost.measure(200, 300, true);

    assertThat(cost.runs()).isPositive();
    assertThat(cost.wall()).isPositive();
  }
}
