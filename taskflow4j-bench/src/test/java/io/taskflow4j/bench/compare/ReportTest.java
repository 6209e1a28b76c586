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
    assertThat(goals)
        .extracting(Report.Goal::id)
        .containsExactly(
            "chain_vs_taskflow_in_memory",
            "chain_vs_taskflow_stores",
            "flat_chain",
            "durable_chain",
            "durable_fanout",
            "durable_fanout64",
            "dir_chain_per_task",
            "dir_chain_vs_taskflow",
            "vs_spring_batch");
    assertThat(goals.get(0).status()).isEqualTo("met");
    assertThat(goals.get(1).status()).isEqualTo("NOT met"); // dir only 8.5x, sqlite not measured
    assertThat(goals.get(2).status()).isEqualTo("not measured");
    // SQLite at 2x F meets its 70%, but PostgreSQL and the directory were not measured.
    assertThat(goals.get(3).status()).isEqualTo("not measured");
    assertThat(goals.get(3).detail())
        .isEqualTo("sqlite N=1000 200%, postgresql not measured, dir not measured");
    assertThat(goals.get(8).status()).isEqualTo("met");

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
    assertThat(o.sizes).containsExactly(100, 300, 1000);
    assertThat(o.tf4jSizes).isEmpty();
    Compare.Options defaults = Compare.Options.parse();
    assertThat(defaults.sizes).containsExactly(100, 300, 1000, 10000);
    assertThat(defaults.workloads).containsExactly("chain", "fanout", "fanout64");
    assertThat(Compare.Options.parse("--workloads", "fanout64").workloads)
        .containsExactly("fanout64");
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

  // ---- the goals against the disk's sync rate F, the directory store's goals ------------------

  /** The sync rate F of the synthetic reports below. */
  private static final double F = 1000;

  private static final DiskSync.Rate SYNC = new DiskSync.Rate(F, F, 900, 800, 3);

  /** A durable taskflow4j run of {@code n} tasks at {@code multiple} times F in tasks/s. */
  private static Result durable(String wl, String backend, int n, double multiple) {
    return tf4j(wl, backend, "power", n, n / (multiple * F));
  }

  private static Report.Goal goal(List<Result> rs, String id) {
    return goal(new Report(rs, SYNC, Map.of()), id);
  }

  private static Report.Goal goal(Report report, String id) {
    return report.goal(id).orElseThrow();
  }

  @Test
  void durableChainIsJudgedPerStoreAtItsLargestSize() {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 100, 0.95)); // the smaller size does not count
    rs.add(durable("chain", "sqlite", 1000, 0.71));
    rs.add(durable("chain", "postgresql", 1000, 0.5)); // exactly the threshold
    rs.add(durable("chain", "dir", 1000, 0.51));
    rs.add(tf4j("chain", "sqlite", "process", 1000, 0.1)); // not durable: ignored
    rs.add(durable("fanout", "dir", 1000, 0.1)); // another workload: ignored
    Report.Goal g = goal(rs, "durable_chain");
    assertThat(g.status()).isEqualTo("met");
    assertThat(g.detail()).isEqualTo("sqlite N=1000 71%, postgresql N=1000 50%, dir N=1000 51%");
    assertThat(g.parts())
        .extracting(Report.Part::label)
        .containsExactly("sqlite", "postgresql", "dir");
    assertThat(g.parts().get(0).threshold()).isEqualTo(0.70);
    assertThat(g.parts().get(0).value()).isCloseTo(0.71, within(1e-9));

    // SQLite's bar is 70%: 69% misses it, though it would meet PostgreSQL's 50%.
    rs.set(1, durable("chain", "sqlite", 1000, 0.69));
    g = goal(rs, "durable_chain");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).startsWith("sqlite N=1000 69% (needs 70%), postgresql N=1000 50%,");
    assertThat(g.parts().get(0).status()).isEqualTo("NOT met");
    assertThat(g.parts().get(1).status()).isEqualTo("met");

    // The directory store at 49% misses its 50%.
    rs.set(1, durable("chain", "sqlite", 1000, 0.71));
    rs.set(3, durable("chain", "dir", 1000, 0.49));
    assertThat(goal(rs, "durable_chain").status()).isEqualTo("NOT met");

    // A larger size decides: SQLite falling to 60% at N=10000 misses even with 71% at 1000.
    rs.set(3, durable("chain", "dir", 1000, 0.51));
    rs.add(durable("chain", "sqlite", 10_000, 0.60));
    g = goal(rs, "durable_chain");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).startsWith("sqlite N=10000 60% (needs 70%)");
  }

  @Test
  void goalsCarryWhatThisMachineAllowsAndSayWhenABoundIsBeyondIt() throws Exception {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 1000, 0.6));
    rs.add(durable("chain", "postgresql", 1000, 0.3));
    rs.add(durable("chain", "dir", 1000, 0.04));
    rs.add(tf4j("chain", "dir", "process", 1000, 0.4)); // 400 us per task
    rs.add(durable("fanout", "sqlite", 1000, 1.5));
    rs.add(durable("fanout", "postgresql", 1000, 0.6));
    rs.add(tf4j("fanout", "none", "-", 1000, 1000 / (9.0 * F))); // the engine alone: 9x F
    rs.add(durable(Tf4jSide.FANOUT64, "sqlite", 1000, 2.5));
    rs.add(tf4j(Tf4jSide.FANOUT64, "none", "-", 1000, 1000 / (7.0 * F)));
    List<BareStores.Limit> bare =
        List.of(
            new BareStores.Limit("sqlite", "power", 0.75 * F, 100, "sqlite loop"),
            new BareStores.Limit("postgresql", "power", 0.36 * F, 100, "pg loop"),
            new BareStores.Limit("dir", "power", 0.03 * F, 100, "dir loop"),
            new BareStores.Limit("dir", "process", 1e6 / 350, 100, "dir process loop"));
    Report report = new Report(rs, SYNC, bare, Map.of());

    Report.Goal chain = goal(report, "durable_chain");
    assertThat(chain.detail())
        .isEqualTo(
            "sqlite N=1000 60% (needs 70%; bare sqlite 75%), postgresql N=1000 30% (needs 50%;"
                + " bare postgresql 36%: beyond this machine), dir N=1000 4% (needs 50%)");
    assertThat(chain.status()).isEqualTo("NOT met"); // the status itself is not softened
    assertThat(chain.parts().get(0).limit()).isCloseTo(0.75, within(1e-9));
    assertThat(chain.parts().get(0).beyondLimit()).isFalse();
    assertThat(chain.parts().get(1).beyondLimit()).isTrue();
    // The directory's 4% outran its bare loop's 3%: that loop is no limit, and is left out.
    assertThat(chain.parts().get(2).limit()).isNaN();

    // The fan-outs' ceiling is the engine on no store at the same size.
    Report.Goal fanout = goal(report, "durable_fanout");
    assertThat(fanout.detail())
        .isEqualTo(
            "sqlite N=1000 1.50x F (needs 4x; no store 9.00x F), postgresql N=1000 0.60x F"
                + " (needs 4x; no store 9.00x F)");
    assertThat(fanout.parts().get(0).beyondLimit()).isFalse();
    Report.Goal fanout64 = goal(report, "durable_fanout64");
    assertThat(fanout64.detail())
        .startsWith("sqlite N=1000 2.50x F (needs 8x; no store 7.00x F: beyond this machine)");
    assertThat(fanout64.parts().get(0).beyondLimit()).isTrue();
    assertThat(fanout64.parts().get(1).limit()).isNaN(); // PostgreSQL not measured

    // At most 150 us against a bare layout that needs 350: beyond this machine.
    Report.Goal dir = goal(report, "dir_chain_per_task");
    assertThat(dir.detail())
        .isEqualTo(
            "N=1000 400 us/task (needs <= 150; bare TaskFlow layout 350 us/task: beyond this"
                + " machine)");
    assertThat(dir.parts().get(0).beyondLimit()).isTrue();

    assertThat(report.table())
        .contains("Bare limits: each store's own write path")
        .containsPattern("sqlite +power +start +1\\.333 +750 +0\\.75 +80% \\(N=1000\\)")
        .contains("  postgresql (power): pg loop");
    JsonNode json = new ObjectMapper().valueToTree(report.toJson());
    assertThat(json.get("bare_limits")).hasSize(4);
    assertThat(json.get("bare_limits").get(1).get("store").asText()).isEqualTo("postgresql");
    assertThat(json.get("bare_limits").get(1).get("sync_limit_fraction").asDouble())
        .isCloseTo(0.36, within(1e-9));
    JsonNode pgPart = json.findValue("goals").get(3).get("parts").get(1);
    assertThat(pgPart.get("limit").asDouble()).isCloseTo(0.36, within(1e-9));
    assertThat(pgPart.get("beyond_limit").asBoolean()).isTrue();

    // A bare loop that taskflow4j outran is no limit: left out of the goals, marked in the table.
    List<BareStores.Limit> slowBare =
        List.of(
            new BareStores.Limit("dir", "power", 0.02 * F, 100, "dir loop"),
            new BareStores.Limit("dir", "process", 1e6 / 500, 100, "dir process loop"));
    Report outran = new Report(rs, SYNC, slowBare, Map.of());
    assertThat(goal(outran, "durable_chain").parts().get(2).limit()).isNaN();
    assertThat(goal(outran, "durable_chain").detail()).endsWith("dir N=1000 4% (needs 50%)");
    assertThat(goal(outran, "dir_chain_per_task").parts().get(0).limit()).isNaN();
    assertThat(outran.table()).containsPattern("dir +power +start .* 200% \\(N=1000\\) no limit");
    assertThat(Report.asLimit(0.5, 0.4, false)).isNaN();
    assertThat(Report.asLimit(0.3, 0.4, false)).isEqualTo(0.4);
    assertThat(Report.asLimit(100, 150, true)).isNaN();
    assertThat(Report.asLimit(200, 150, true)).isEqualTo(150);

    // Without bare limits nothing is added.
    assertThat(goal(rs, "durable_chain").detail())
        .isEqualTo(
            "sqlite N=1000 60% (needs 70%), postgresql N=1000 30% (needs 50%), dir N=1000 4%"
                + " (needs 50%)");
  }

  @Test
  void aDurableRunIsJudgedAgainstTheSyncRateMeasuredAroundIt() throws Exception {
    // The disk did F = 1,000 syncs/s at the start and 400 around the runs measured later.
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 1000, 0.3).withSyncRate(400)); // 300 tasks/s: 75% of 400
    rs.add(durable("chain", "postgresql", 1000, 0.3)); // no rate of its own: 30% of the start's
    rs.add(durable("chain", "dir", 1000, 0.2).withSyncRate(400)); // 200 tasks/s: 50%
    rs.add(durable("fanout", "sqlite", 1000, 1.8).withSyncRate(400)); // 1,800 tasks/s: 4.5x
    rs.add(tf4j("fanout", "none", "-", 1000, 1000 / (9.0 * F))); // 9,000 tasks/s: 22.5x of 400
    List<BareStores.Limit> bare =
        List.of(new BareStores.Limit("sqlite", "power", 0.8 * F, 100, "sqlite loop"));
    Report report = new Report(rs, SYNC, bare, Map.of("cores", 2));

    assertThat(report.syncRateOf(rs.get(0))).isEqualTo(400);
    assertThat(report.syncRateOf(rs.get(1))).isEqualTo(F);
    assertThat(report.syncFraction(rs.get(0))).isCloseTo(0.75, within(1e-9));
    Report.Goal chain = goal(report, "durable_chain");
    assertThat(chain.detail())
        .isEqualTo(
            "sqlite N=1000 75% (bare sqlite 80%), postgresql N=1000 30% (needs 50%), dir N=1000"
                + " 50%");
    assertThat(chain.parts().get(0).status()).isEqualTo("met");
    assertThat(chain.parts().get(1).status()).isEqualTo("NOT met");
    // The fan-out's ceiling (the engine alone) is in units of the same F as the run.
    Report.Goal fanout = goal(report, "durable_fanout");
    assertThat(fanout.detail()).startsWith("sqlite N=1000 4.50x F (no store 22.50x F)");
    assertThat(fanout.parts().get(0).status()).isEqualTo("met");

    // The table shows each row's F; the chain against its bare loop, each over its own F:
    // 75% of F against the loop's 80% of the start's F is 94% of bare (not 300/800 = 38%).
    assertThat(report.table())
        .containsPattern("chain +sqlite +1000 +3\\.333 +300 +400 +75% +0\\.75 ")
        .containsPattern("chain +postgresql +1000 +3\\.333 +300 +1000 +30% ")
        .containsPattern("sqlite +power +start +1\\.250 +800 +0\\.80 +94% \\(N=1000\\)");
    JsonNode json = new ObjectMapper().valueToTree(report.toJson());
    JsonNode first = json.get("results").get(0);
    assertThat(first.get("syncs_per_s").asDouble()).isEqualTo(400);
    assertThat(first.get("sync_limit_fraction").asDouble()).isCloseTo(0.75, within(1e-9));
    assertThat(json.get("results").get(1).get("syncs_per_s").asDouble()).isEqualTo(F);

    // Without a start rate, a run with its own is still judged; one without is not measured.
    Report noStart = new Report(rs, null, Map.of());
    assertThat(noStart.syncFraction(rs.get(0))).isCloseTo(0.75, within(1e-9));
    assertThat(noStart.syncFraction(rs.get(1))).isNaN();
  }

  @Test
  void aBareLoopMeasuredAgainAfterTheChainIsTheLimitTheGoalsUse() throws Exception {
    // At the start the disk did F = 1,000 syncs/s and the SQLite loop 300 tasks/s (30%): the
    // loop met a slow moment. Measured again after the chain, at F = 800: 640 tasks/s, 80%.
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 1000, 0.5).withSyncRate(800)); // 500 tasks/s: 62.5%
    rs.add(tf4j("chain", "dir", "process", 1000, 0.2)); // 200 us per task
    List<BareStores.Limit> bare =
        List.of(
            new BareStores.Limit("sqlite", "power", 0.3 * F, 100, "sqlite loop"),
            new BareStores.Limit("dir", "process", 1e6 / 600, 100, "dir process loop"),
            new BareStores.Limit("sqlite", "power", 640, 100, "sqlite loop").after(1000, 800),
            new BareStores.Limit("dir", "process", 1e6 / 120, 100, "dir process loop")
                .after(1000, Double.NaN));
    Report report = new Report(rs, SYNC, bare, Map.of("cores", 2));

    assertThat(report.bareLimit("sqlite", "power").orElseThrow().afterN()).isEqualTo(1000);
    assertThat(report.fractionOfF(bare.get(0))).isCloseTo(0.30, within(1e-9));
    assertThat(report.fractionOfF(bare.get(2))).isCloseTo(0.80, within(1e-9));
    // Against the start's loop (30% of F) the 70% goal would read beyond this machine; against
    // the later one (80%) it is within reach.
    assertThat(goal(report, "durable_chain").detail())
        .isEqualTo(
            "sqlite N=1000 63% (needs 70%; bare sqlite 80%), postgresql not measured, dir not"
                + " measured");
    // The directory's 150 us goal is judged with the later loop too (120 us: within reach).
    assertThat(goal(report, "dir_chain_per_task").detail())
        .isEqualTo("N=1000 200 us/task (needs <= 150; bare TaskFlow layout 120 us/task)");
    // The table shows both loops, each against its own F, and the chain against each.
    assertThat(report.table())
        .containsPattern("sqlite +power +start +3\\.333 +300 +0\\.30 +208% \\(N=1000\\) no limit")
        .containsPattern("sqlite +power +after N=1000 +1\\.563 +640 +0\\.80 +78% \\(N=1000\\)")
        .containsPattern("dir +process +after N=1000 +0\\.120 +8333 +8\\.33 +60% \\(N=1000\\)");
    JsonNode limits = new ObjectMapper().valueToTree(report.toJson()).get("bare_limits");
    assertThat(limits.get(0).get("measured").asText()).isEqualTo("start");
    assertThat(limits.get(0).has("syncs_per_s")).isFalse();
    assertThat(limits.get(2).get("measured").asText()).isEqualTo("after_chain");
    assertThat(limits.get(2).get("after_n").asInt()).isEqualTo(1000);
    assertThat(limits.get(2).get("syncs_per_s").asDouble()).isEqualTo(800);
    assertThat(limits.get(2).get("sync_limit_fraction").asDouble()).isCloseTo(0.8, within(1e-9));
  }

  @Test
  void theCpuTimePerTaskAndTheRateTheCoresAllowAreReported() throws Exception {
    // 1000 tasks in 0.5 s (2x F) using 0.4 s of CPU: 400 us per task; 2 cores allow 5,000
    // tasks/s, 5x F. (Under 0.1 s of CPU a run is too short for the clock's 10 ms ticks.)
    Result r =
        new Result(
            Report.TF4J,
            "fanout",
            "sqlite",
            "power",
            1000,
            list(0.5, 0.6, 0.4),
            List.of(),
            "",
            list(0.45, 0.4, 0.3));
    assertThat(r.cpuMicrosPerTask()).isCloseTo(400, within(1e-9));
    Report report = new Report(List.of(r), SYNC, List.of(), Map.of("cores", 2));
    assertThat(report.cpuBoundInF(r)).isCloseTo(5.0, within(1e-9));
    assertThat(report.table())
        .containsPattern(
            "fanout +sqlite +1000 +0\\.500 +2000 +1000 +200% +2\\.00 +0\\.50 +400\\.0 +5\\.00");
    JsonNode json = new ObjectMapper().valueToTree(report.toJson());
    JsonNode row = json.get("results").get(0);
    assertThat(row.get("cpu_us_per_task").asDouble()).isCloseTo(400, within(1e-9));
    assertThat(row.get("cpu_bound_x_f").asDouble()).isCloseTo(5.0, within(1e-9));
    assertThat(row.get("cpu_s")).hasSize(3);
    // Without CPU times, or without the core count, the columns say so and the JSON leaves it out.
    Result noCpu = tf4j("fanout", "sqlite", "power", 1000, 0.5);
    assertThat(noCpu.cpuMicrosPerTask()).isNaN();
    Report bare = new Report(List.of(noCpu), SYNC, List.of(), Map.of("cores", 2));
    assertThat(bare.table()).containsPattern("fanout +sqlite +1000 +0\\.500 .* +- +-\\n");
    assertThat(new ObjectMapper().valueToTree(bare.toJson()).get("results").get(0).has("cpu_s"))
        .isFalse();
    assertThat(new Report(List.of(r), SYNC, List.of(), Map.of()).cpuBoundInF(r)).isNaN();
    Result tooShort =
        new Result(
            Report.TF4J, "fanout", "sqlite", "power", 100, list(0.05), List.of(), "", list(0.09));
    assertThat(tooShort.cpuMicrosPerTask()).isNaN();
    JsonNode shortRow =
        new ObjectMapper()
            .valueToTree(
                new Report(List.of(tooShort), SYNC, List.of(), Map.of("cores", 2)).toJson())
            .get("results")
            .get(0);
    assertThat(shortRow.has("cpu_s")).isTrue();
    assertThat(shortRow.has("cpu_us_per_task")).isFalse();
  }

  @Test
  void durableChainIsNotMeasuredWithoutAStoreOrWithoutTheSyncRate() {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 1000, 0.9));
    rs.add(durable("chain", "dir", 1000, 0.9));
    rs.add(Result.skipped(Report.TF4J, "chain", "postgresql", "power", 0, "no server"));
    Report.Goal g = goal(rs, "durable_chain");
    assertThat(g.status()).isEqualTo("not measured"); // PostgreSQL is missing, the rest met
    assertThat(g.detail()).contains("postgresql not measured");
    // A store that misses makes it NOT met whatever is missing.
    rs.set(1, durable("chain", "dir", 1000, 0.3));
    assertThat(goal(rs, "durable_chain").status()).isEqualTo("NOT met");
    // Without F nothing can be judged.
    Report noSync = new Report(rs, null, Map.of());
    assertThat(goal(noSync, "durable_chain").status()).isEqualTo("not measured");
    assertThat(goal(noSync, "durable_chain").detail()).contains("no sync rate");
    assertThat(goal(new ArrayList<>(), "durable_chain").status()).isEqualTo("not measured");
  }

  @Test
  void durableFanoutNeedsFourTimesTheSyncRateOnSqliteAndPostgresql() {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("fanout", "sqlite", 1000, 4.1));
    rs.add(durable("fanout", "postgresql", 1000, 4.1));
    rs.add(durable("fanout", "dir", 1000, 0.5)); // the directory store has no fan-out goal
    Report.Goal g = goal(rs, "durable_fanout");
    assertThat(g.status()).isEqualTo("met");
    assertThat(g.detail()).isEqualTo("sqlite N=1000 4.10x F, postgresql N=1000 4.10x F");

    rs.set(1, durable("fanout", "postgresql", 1000, 3.9));
    g = goal(rs, "durable_fanout");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).isEqualTo("sqlite N=1000 4.10x F, postgresql N=1000 3.90x F (needs 4x)");

    rs.remove(1);
    assertThat(goal(rs, "durable_fanout").status()).isEqualTo("not measured");
    // The 64-worker runs are a goal of their own: they do not stand in for the default pool.
    rs.add(durable("fanout64", "postgresql", 1000, 9));
    assertThat(goal(rs, "durable_fanout").status()).isEqualTo("not measured");
  }

  @Test
  void durableFanout64NeedsEightTimesTheSyncRate() {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("fanout64", "sqlite", 1000, 8.1));
    rs.add(durable("fanout64", "postgresql", 1000, 8.1));
    rs.add(durable("fanout", "sqlite", 1000, 4.5)); // meets 4x, not 8x: another goal
    rs.add(durable("fanout", "postgresql", 1000, 4.5));
    assertThat(goal(rs, "durable_fanout64").status()).isEqualTo("met");
    assertThat(goal(rs, "durable_fanout").status()).isEqualTo("met");

    rs.set(0, durable("fanout64", "sqlite", 1000, 7.9));
    Report.Goal g = goal(rs, "durable_fanout64");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).isEqualTo("sqlite N=1000 7.90x F (needs 8x), postgresql N=1000 8.10x F");
    assertThat(goal(new ArrayList<>(), "durable_fanout64").status()).isEqualTo("not measured");
  }

  @Test
  void dirChainCostIsJudgedAtTheLargestSize() {
    List<Result> rs = new ArrayList<>();
    assertThat(goal(rs, "dir_chain_per_task").status()).isEqualTo("not measured");
    rs.add(tf4j("chain", "dir", "process", 1000, 0.149)); // 149 us per task
    rs.add(tf4j("chain", "dir", "power", 10_000, 50.0)); // durability=power: not this goal
    rs.add(tf4j("fanout", "dir", "process", 10_000, 50.0)); // the fan-out: not this goal
    Report.Goal g = goal(rs, "dir_chain_per_task");
    assertThat(g.status()).isEqualTo("met");
    assertThat(g.detail()).isEqualTo("N=1000 149 us/task");
    assertThat(g.parts().get(0).value()).isCloseTo(149, within(1e-9));

    rs.add(tf4j("chain", "dir", "process", 10_000, 1.51)); // 151 us per task at the largest N
    g = goal(rs, "dir_chain_per_task");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).isEqualTo("N=10000 151 us/task (needs <= 150)");
  }

  private static Result taskflowDir(int n, double seconds) {
    return new Result(Report.TASKFLOW, "chain", "dir", "process", n, list(seconds), List.of(), "");
  }

  @Test
  void dirChainAgainstTaskflowIsJudgedAtEachOfItsSizes() {
    List<Result> rs = new ArrayList<>();
    rs.add(tf4j("chain", "dir", "process", 100, 0.1));
    rs.add(taskflowDir(100, 1.0)); // 10x: the threshold itself
    rs.add(tf4j("chain", "dir", "process", 300, 0.3));
    rs.add(taskflowDir(300, 3.3)); // 11x
    rs.add(tf4j("chain", "dir", "process", 1000, 1.0));
    rs.add(taskflowDir(1000, 33.0)); // 33x
    Report.Goal g = goal(rs, "dir_chain_vs_taskflow");
    assertThat(g.name()).contains("N=100, 300, 1000");
    assertThat(g.status()).isEqualTo("met");
    assertThat(g.detail()).isEqualTo("N=100 10x, N=300 11x, N=1000 33x");

    rs.set(1, taskflowDir(100, 0.99)); // 9.9x
    g = goal(rs, "dir_chain_vs_taskflow");
    assertThat(g.status()).isEqualTo("NOT met");
    assertThat(g.detail()).startsWith("N=100 9.9x (needs 10x), N=300 11x");

    // TaskFlow skipped at N=300, N=1000 not run at all: not measured, each size said.
    rs.set(1, taskflowDir(100, 1.0));
    rs.set(3, Result.skipped(Report.TASKFLOW, "chain", "dir", "process", 300, "skipped"));
    rs.remove(5);
    rs.remove(4);
    g = goal(rs, "dir_chain_vs_taskflow");
    assertThat(g.status()).isEqualTo("not measured");
    assertThat(g.detail()).isEqualTo("N=100 10x, N=300 not measured, N=1000 not measured");
    assertThat(g.parts())
        .extracting(Report.Part::status)
        .containsExactly("met", "not measured", "not measured");
  }

  @Test
  void durableTableShowsEveryDurableRowWithItsMultipleOfTheSyncRate() throws Exception {
    List<Result> rs = new ArrayList<>();
    rs.add(durable("chain", "sqlite", 1000, 0.22));
    rs.add(durable("chain", "postgresql", 1000, 0.15));
    rs.add(durable("fanout", "sqlite", 1000, 4.2));
    rs.add(durable("fanout", "postgresql", 1000, 3.1));
    rs.add(durable("fanout64", "sqlite", 1000, 8.5));
    rs.add(durable("fanout64", "postgresql", 1000, 12.25));
    rs.add(
        new Result(Report.TASKFLOW, "fanout", "sqlite", "power", 1000, list(60.0), List.of(), ""));
    Report report = new Report(rs, SYNC, Map.of());
    String table = report.table();
    assertThat(table)
        .contains("       F   % sync limit      x F")
        .contains("limit F: 1000 syncs/s")
        .containsPattern("chain +postgresql +1000 +6\\.667 +150 +1000 +15% +0\\.15 +6\\.67")
        .containsPattern("fanout +postgresql +1000 +0\\.323 +3100 +1000 +310% +3\\.10")
        .containsPattern("fanout64 +sqlite +1000 +0\\.118 +8500 +1000 +850% +8\\.50")
        .containsPattern("fanout64 +postgresql +1000 +0\\.082 +12250 +1000 +1225% +12\\.25")
        // the TaskFlow table: the 64-worker fan-out is taskflow4j's alone
        .containsPattern("fanout64 +sqlite \\(power\\) +1000 +0\\.118 +- +- ")
        .contains("[NOT met] durable fanout, default pool")
        .contains("postgresql N=1000 3.10x F (needs 4x)")
        .contains("[met] durable fanout with 64 tasks in flight");

    JsonNode json = new ObjectMapper().valueToTree(report.toJson());
    assertThat(json.get("results")).hasSize(rs.size());
    JsonNode f64 = json.get("results").get(5);
    assertThat(f64.get("workload").asText()).isEqualTo("fanout64");
    assertThat(f64.get("backend").asText()).isEqualTo("postgresql");
    assertThat(f64.get("sync_limit_fraction").asDouble()).isCloseTo(12.25, within(1e-9));
    JsonNode goals = json.get("goals");
    JsonNode fanout = null;
    for (JsonNode g : goals) {
      assertThat(g.has("goal") && g.has("status") && g.has("detail") && g.has("id")).isTrue();
      if (g.get("id").asText().equals("durable_fanout")) {
        fanout = g;
      }
    }
    assertThat(fanout).isNotNull();
    assertThat(fanout.get("status").asText()).isEqualTo("NOT met");
    JsonNode pg = fanout.get("parts").get(1);
    assertThat(pg.get("label").asText()).isEqualTo("postgresql");
    assertThat(pg.get("n").asInt()).isEqualTo(1000);
    assertThat(pg.get("value").asDouble()).isCloseTo(3.1, within(1e-9));
    assertThat(pg.get("at_least").asDouble()).isEqualTo(4.0);
    assertThat(pg.get("status").asText()).isEqualTo("NOT met");
  }

  @Test
  void fanout64RunsOnNoStoreAndOnSqliteAndPostgresqlAtPowerOnly() {
    List<Tf4jSide.Store> extra = List.of(new Tf4jSide.Store("zk", "-", "zookeeper://x/{db}"));
    String pg = "postgresql://postgres@127.0.0.1:5432";
    assertThat(Compare.stores("fanout64", pg, List.of()))
        .extracting(s -> s.backend() + "/" + s.durability())
        .containsExactly("none/-", "sqlite/power", "postgresql/power");
    assertThat(Compare.stores("fanout64", null, List.of()))
        .extracting(s -> s.backend() + "/" + s.durability())
        .containsExactly("none/-", "sqlite/power");
    assertThat(Compare.stores("fanout", pg, extra))
        .extracting(s -> s.backend() + "/" + s.durability())
        .containsExactly(
            "none/-",
            "memory/-",
            "dir/process",
            "sqlite/process",
            "dir/power",
            "sqlite/power",
            "zk/-",
            "postgresql/power");
    assertThat(Compare.stores("chain", pg, List.of()))
        .extracting(s -> s.backend() + "/" + s.durability())
        .endsWith("postgresql/process", "postgresql/power");
  }

  @Test
  void taskflowSkippingWithTheSizeOf300() {
    // TaskFlow's reference timings (s per run): the chain on SQLite, 67 ms per task.
    List<Result> done = new ArrayList<>();
    double at300 = Compare.estimate(done, 100, Compare.taskflowGrowth("chain", "sqlite"));
    assertThat(at300).isZero();
    done.add(
        new Result(Report.TASKFLOW, "chain", "sqlite", "power", 100, list(6.7), List.of(), ""));
    // From one size, by the prior exponent: 300 runs (about 24 s), under the 60 s limit.
    assertThat(Compare.estimate(done, 300, Compare.taskflowGrowth("chain", "sqlite")))
        .isBetween(20.0, 30.0);
    done.add(
        new Result(Report.TASKFLOW, "chain", "sqlite", "power", 300, list(20.0), List.of(), ""));
    // From 100 and 300 (an exponent of about 1): 1000 would take about 67 s: skipped.
    assertThat(Compare.estimate(done, 1000, 1.15)).isBetween(60.0, 75.0);

    // The quadratic chain without persistence: 0.34 s at 100, 2.8 s at 300, then 1000 (about
    // 30 s) runs and 10,000 is far beyond the limit.
    List<Result> none = new ArrayList<>();
    none.add(new Result(Report.TASKFLOW, "chain", "none", "-", 100, list(0.34), List.of(), ""));
    assertThat(Compare.estimate(none, 300, Compare.taskflowGrowth("chain", "none"))).isLessThan(60);
    none.add(new Result(Report.TASKFLOW, "chain", "none", "-", 300, list(2.8), List.of(), ""));
    assertThat(Compare.estimate(none, 1000, 1.9)).isBetween(20.0, 60.0);
    none.add(new Result(Report.TASKFLOW, "chain", "none", "-", 1000, list(23.0), List.of(), ""));
    assertThat(Compare.estimate(none, 10_000, 1.9)).isGreaterThan(1000);
  }
}
