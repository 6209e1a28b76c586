package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exec-log audit of {@link KillCampaign} catches each broken promise it is meant to. */
class KillCampaignAuditTest {
  @TempDir Path dir;

  private List<String> audit(int kills, String... lines) {
    KillCampaign c = KillCampaign.builder(dir).tasks(3).build();
    List<String> out = new ArrayList<>();
    c.auditLog(List.of(lines), kills, new KillCampaign.Stats(), out);
    return out;
  }

  @Test
  void aCleanRunWithOneReExecutionPerKillPasses() {
    assertThat(audit(0, "#resume 0", "t1", "t2", "t3")).isEmpty();
    assertThat(audit(1, "#resume 0", "t1", "t2", "#resume 1", "t2", "t3")).isEmpty();
  }

  @Test
  void aTaskRunAgainAfterItsSuccessWasRecordedIsCaught() {
    assertThat(audit(1, "#resume 0", "t1", "t2", "#resume 2", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("t2 ran again after its SUCCESS was recorded"));
  }

  @Test
  void aTaskThatNeverRanIsCaught() {
    assertThat(audit(0, "#resume 0", "t1", "t3")).contains("t2 never ran");
  }

  @Test
  void moreReExecutionsThanKillsAreCaught() {
    assertThat(audit(0, "#resume 0", "t1", "t1", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("with only 0 kills"));
  }

  @Test
  void twoReExecutionsInOneRestartAreCaught() {
    assertThat(audit(2, "#resume 0", "t1", "t2", "#resume 0", "t1", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("re-ran more than one task"));
  }

  @Test
  void aTornOrForeignLineIsCaught() {
    assertThat(audit(1, "#resume 0", "t1", "t", "t2", "t3"))
        .anySatisfy(p -> assertThat(p).contains("not a task name"));
  }

  // --- the parallel fan-out: any set of tasks recorded, up to one re-run per worker ---

  private List<String> auditFanOut(int workers, int kills, String... lines) {
    KillCampaign c = KillCampaign.builder(dir).tasks(4).fanOut(workers).build();
    List<String> out = new ArrayList<>();
    c.auditLog(List.of(lines), kills, new KillCampaign.Stats(), out);
    return out;
  }

  @Test
  void aFanOutRestartMayReRunOneTaskPerWorkerAndFindTasksRecordedOutOfOrder() {
    assertThat(
            auditFanOut(
                2, 1, "#resume 0", "t2", "t1", "t4", "#resume 0", "#extra 2", "t1", "t4", "t3"))
        .isEmpty();
  }

  @Test
  void aFanOutTaskRunAgainAfterItsSuccessWasRecordedOutOfOrderIsCaught() {
    assertThat(
            auditFanOut(2, 1, "#resume 0", "t2", "t3", "#resume 0", "#extra 2,3", "t1", "t3", "t4"))
        .anySatisfy(p -> assertThat(p).contains("t3 ran again after its SUCCESS was recorded"));
  }

  @Test
  void aFanOutKillLosingMoreTasksThanWorkersIsCaught() {
    assertThat(
            auditFanOut(2, 3, "#resume 0", "t1", "t2", "t3", "#resume 0", "t1", "t2", "t3", "t4"))
        .anySatisfy(
            p -> assertThat(p).contains("start 0 lost 3 tasks it ran to its kill, more than one"));
  }

  @Test
  void aFanOutRestartMayReRunWhatAStartKilledEarlyRanAndLostAgain() {
    // 2 workers: start 0 loses t1, t2; start 1 re-runs them and runs t3, and loses t1, t2 again
    // (t3 is recorded); start 2 re-runs t1 and t2 once more and runs t4.
    assertThat(
            auditFanOut(
                2,
                2,
                "#resume 0",
                "t1",
                "t2",
                "#resume 0",
                "t1",
                "t3",
                "t2",
                "#resume 0",
                "#extra 3",
                "t1",
                "t2",
                "t4"))
        .isEmpty();
  }

  @Test
  void theChainStillCallsTasksRecordedOutOfOrderAProblem() {
    assertThat(audit(1, "#resume 0", "t2", "#resume 0", "#extra 2", "t1", "t3"))
        .anySatisfy(p -> assertThat(p).contains("out of chain order"));
  }

  // --- the concurrent-chains mode: each chain's exec log is audited on its own ---

  private List<String> auditChains(int kills, KillCampaign.Stats st, List<List<String>> logs) {
    KillCampaign c = KillCampaign.builder(dir).tasks(3).chains(logs.size()).build();
    List<String> out = new ArrayList<>();
    c.auditChainLogs(logs, kills, st, out);
    return out;
  }

  private List<String> auditChains(int kills, List<List<String>> logs) {
    return auditChains(kills, new KillCampaign.Stats(), logs);
  }

  private static final List<String> CLEAN = List.of("#resume 0", "t1", "t2", "t3");

  @Test
  void aRestartMayReRunOneTaskOfEveryChain() {
    KillCampaign.Stats st = new KillCampaign.Stats();
    // one kill, in flight in all three chains: each re-runs its task once
    List<String> out =
        auditChains(
            1,
            st,
            List.of(
                List.of("#resume 0", "t1", "t2", "#resume 1", "t2", "t3"),
                List.of("#resume 0", "t1", "#resume 0", "t1", "t2", "t3"),
                List.of("#resume 0", "t1", "t2", "t3", "#resume 2", "t3")));
    assertThat(out).isEmpty();
    assertThat(st.reexecutions).isEqualTo(3);
  }

  @Test
  void aChainReRunAfterItsOwnRecordedSuccessIsCaughtAndNamed() {
    // chain 2's own marker says t1..t2 were recorded: running t2 again breaks the promise, even
    // though the other chains' logs are clean
    assertThat(
            auditChains(
                1,
                List.of(CLEAN, List.of("#resume 0", "t1", "t2", "#resume 2", "t2", "t3"), CLEAN)))
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("chain 2: ")
                    .contains("t2 ran again after its SUCCESS was recorded"));
  }

  @Test
  void twoReExecutionsOfOneChainInOneRestartAreCaught() {
    assertThat(
            auditChains(
                2,
                List.of(
                    CLEAN, CLEAN, List.of("#resume 0", "t1", "t2", "#resume 0", "t1", "t2", "t3"))))
        .anySatisfy(p -> assertThat(p).startsWith("chain 3: ").contains("re-ran more than one"));
  }

  @Test
  void aChainReRunMoreOftenThanTheRoundWasKilledIsCaught() {
    // one kill in the round, but chain 1 re-ran t1 twice (in two starts)
    assertThat(
            auditChains(
                1,
                List.of(
                    List.of("#resume 0", "t1", "#resume 0", "t1", "#resume 0", "t1", "t2", "t3"),
                    CLEAN)))
        .contains("chain 1: t1 ran 3 times with only 1 kills")
        .contains("chain 1: 2 re-executions with only 1 kills")
        .allSatisfy(p -> assertThat(p).startsWith("chain 1: "));
  }

  @Test
  void aTaskOfOneChainThatNeverRanIsCaught() {
    assertThat(auditChains(0, List.of(CLEAN, List.of("#resume 0", "t1", "t2"), CLEAN)))
        .containsExactly("chain 2: t3 never ran");
  }

  @Test
  void anExecutionLoggedBeforeTheChainsStartMarkerIsCaught() {
    assertThat(auditChains(0, List.of(CLEAN, List.of("t1", "#resume 1", "t2", "t3"))))
        .anySatisfy(p -> assertThat(p).startsWith("chain 2: ").contains("before any start"));
  }

  @Test
  void theConcurrentModeNeedsAChildCommandThatTakesTheNumberOfChains() {
    assertThatThrownBy(
            () ->
                KillCampaign.builder(dir)
                    .chains(4)
                    .childCommand(
                        List.of(
                            "child",
                            KillCampaign.CONNECTION,
                            KillCampaign.BOOK,
                            KillCampaign.TASKS,
                            KillCampaign.EXEC_LOG))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(KillCampaign.CHAINS);
  }

  @Test
  void concurrentChainsRunInTheirOwnBooksAndLogsAndPassTheAuditWhileAMissingChainFailsIt()
      throws Exception {
    String url = "sqlite:///" + dir.resolve("store.db");
    Path log = dir.resolve("round.log");
    try (io.taskflow4j.persistence.Backend b = io.taskflow4j.persistence.Backends.open(url)) {
      assertThat(ChainChild.runChains(b, "round", 20, log.toString(), 3)).isZero();
      // a second start finds every chain SUCCESS: nothing runs, no marker is written
      assertThat(ChainChild.runChains(b, "round", 20, log.toString(), 3)).isZero();
    }
    for (int k = 1; k <= 3; k++) {
      assertThat(Files.readAllLines(dir.resolve("round.log-" + k)))
          .hasSize(21)
          .first()
          .isEqualTo("#resume 0");
    }
    KillCampaign.Target target = new KillCampaign.Target("sqlite", url);
    KillCampaign three = KillCampaign.builder(dir).tasks(20).chains(3).build();
    assertThat(three.auditChains(target, "round", log, 0, new KillCampaign.Stats())).isEmpty();
    // audited as four chains, the round lacks chain 4's logbook and exec log
    KillCampaign four = KillCampaign.builder(dir).tasks(20).chains(4).build();
    assertThat(four.auditChains(target, "round", log, 0, new KillCampaign.Stats()))
        .contains("chain 4: no logbook named round-4", "chain 4: no exec log round.log-4");
    // a chain audited against the wrong length fails on its values and its log
    KillCampaign longer = KillCampaign.builder(dir).tasks(21).chains(3).build();
    assertThat(longer.auditChains(target, "round", log, 0, new KillCampaign.Stats()))
        .contains("chain 1: flow has 20 chain tasks, not 21", "chain 3: t21 never ran");
  }
}
