package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static Result tf4j(String wl, String backend, String durability, int n, double... s) {
    return new Result(Report.TF4J, wl, backend, durability, n, list(s), List.of(), "");
  }

  private static List<Double> list(double... s) {
    List<Double> out = new ArrayList<>();
    for (double v : s) {
      out.add(v);
    }
    return out;
  }

  @Test
  void medianOfOddAndEvenCountsAndNothing() {
    assertThat(Result.median(list(3, 1, 2))).isEqualTo(2.0);
    assertThat(Result.median(list(4, 1, 3, 2))).isEqualTo(2.5);
    assertThat(Result.median(List.of())).isNaN();
    Result r = tf4j("chain", "none", "-", 1000, 0.5, 0.2, 0.3);
    assertThat(r.msPerTask()).isCloseTo(0.3, within(1e-12));
    assertThat(r.tasksPerSecond()).isCloseTo(1000 / 0.3, within(1e-9));
  }

  @Test
  void speedUpIsPeerOverTaskflow4jAndNaNWhenEitherIsMissing() {
    Optional<Result> peer =
        Optional.of(
            new Result(Report.TASKFLOW, "chain", "none", "-", 1000, list(10.0), List.of(), ""));
    Optional<Result> mine = Optional.of(tf4j("chain", "none", "-", 1000, 0.05));
    assertThat(Report.speedUp(peer, mine)).isCloseTo(200.0, within(1e-9));
    assertThat(Report.speedUp(peer, Optional.empty())).isNaN();
    Optional<Result> skipped =
        Optional.of(Result.skipped(Report.TASKFLOW, "chain", "none", "-", 1000, "skipped"));
    assertThat(Report.speedUp(skipped, mine)).isNaN();
  }

  @Test
  void estimateUsesTheGrowthOfTheTwoLastSizesOrThePriorExponent() {
    List<Result> done = new ArrayList<>();
    assertThat(Compare.estimate(done, 100, 2)).isZero();
    done.add(tf4j("chain", "none", "-", 100, 0.13));
    assertThat(Compare.estimate(done, 1000, 1)).isCloseTo(1.3, within(1e-9));
    assertThat(Compare.estimate(done, 1000, 2)).isCloseTo(13.0, within(1e-9));
    assertThat(Compare.estimate(done, 1000, 0.5)).isCloseTo(1.3, within(1e-9)); // at least linear
    done.add(tf4j("chain", "none", "-", 1000, 13.0));
    // Quadratic growth from 100 to 1000: 100x per 10x, so 1300 s at 10,000, whatever the prior.
    assertThat(Compare.estimate(done, 10_000, 1)).isCloseTo(1300.0, within(1e-6));
    assertThat(Compare.taskflowGrowth("chain", "none")).isGreaterThan(1.5);
  }

  @Test
  void tableGoalsAndJsonCarryTheRatios() throws Exception {
    List<Result> rs = new ArrayList<>();
    rs.add(tf4j("chain", "none", "-", 1000, 0.01, 0.02, 0.03));
    rs.add(new Result(Report.TASKFLOW, "chain", "none", "-", 1000, list(10.0), List.of(), ""));
    rs.add(
        new Result(Report.TF4J, "chain", "memory", "-", 1000, list(0.05), list(0.004, 0.006), ""));
    rs.add(new Result(Report.TASKFLOW, "chain", "memory", "-", 1000, list(10.0), list(1.0), ""));
    rs.add(tf4j("chain", "dir", "process", 1000, 2.0));
    rs.add(new Result(Report.TASKFLOW, "chain", "dir", "process", 1000, list(17.0), List.of(), ""));
    rs.add(tf4j("chain", "sqlite", "power", 1000, 1.0));
    rs.add(Result.skipped(Report.TASKFLOW, "chain", "sqlite", "power", 1000, "skipped: 99 s"));
    rs.add(
        new Result(
            Report.SPRING_BATCH, "chain", "sqlite", "power", 1000, list(11.6), List.of(), ""));
    // 1 s for 1000 tasks = 1000 tasks/s against 500 syncs/s: 200 % of the limit.
    DiskSync.Rate sync = new DiskSync.Rate(500, 450, 500, 480, 3);
    Report report = new Report(rs, sync, Map.of("cores", 2));

    String table = report.table();
    assertThat(table)
        .contains("chain    none                  1000")
        .contains("500x") // 10 / 0.02
        .contains("200x") // 10 / 0.05, and the memory resume 1.0 / 0.005
        .contains("8.5x") // dir: 17 / 2
        .contains("skipped")
        .contains("skipped: 99 s")
        .contains("12x") // Spring Batch: 11.6 / 1.0
        .contains("200%");

    List<Report.Goal> goals = report.goals();
    assertThat(goals.get(0).status()).isEqualTo("met");
    assertThat(goals.get(1).status()).isEqualTo("NOT met"); // dir only 8.5x, sqlite not measured
    assertThat(goals.get(2).status()).isEqualTo("not measured");
    assertThat(goals.get(3).status()).isEqualTo("met");
    assertThat(goals.get(4).status()).isEqualTo("met");

    JsonNode json = new ObjectMapper().valueToTree(report.toJson());
    assertThat(json.get("machine").get("cores").asInt()).isEqualTo(2);
    assertThat(json.get("disk_sync").get("syncs_per_s").asDouble()).isEqualTo(500.0);
    assertThat(json.get("results")).hasSize(rs.size());
    JsonNode first = json.get("results").get(0);
    assertThat(first.get("run_median_s").asDouble()).isEqualTo(0.02);
    assertThat(first.get("run_s")).hasSize(3);
    JsonNode cmp = json.get("comparisons");
    assertThat(cmp).hasSize(4);
    assertThat(cmp.get(0).get("peer").asText()).isEqualTo("taskflow");
    assertThat(cmp.get(0).get("speed_up").asDouble()).isCloseTo(500.0, within(1e-9));
    assertThat(cmp.get(1).get("resume_speed_up").asDouble()).isCloseTo(200.0, within(1e-9));
    assertThat(cmp.get(3).get("peer").asText()).isEqualTo("spring-batch");
  }

  @Test
  void optionsQuickKeepsSmallSizesAndBadOptionsAreNamed() {
    Compare.Options o = Compare.Options.parse("--quick");
    assertThat(o.sizes).containsExactly(100, 1000);
    assertThat(o.tf4jSizes).isEmpty();
    Compare.Options full = Compare.Options.parse("--sizes", "1000,100", "--no-spring-batch");
    assertThat(full.sizes).containsExactly(100, 1000);
    assertThat(full.tf4jSizes).containsExactly(100_000);
    assertThat(full.springBatch).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Compare.Options.parse("--fast"))
        .hasMessageContaining("unknown option '--fast'");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Compare.Options.parse("--sizes", "ten"))
        .hasMessageContaining("not a comma-separated list of sizes");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Compare.Options.parse("--workloads", "spiral"))
        .hasMessageContaining("unknown workload 'spiral'");
  }
}
