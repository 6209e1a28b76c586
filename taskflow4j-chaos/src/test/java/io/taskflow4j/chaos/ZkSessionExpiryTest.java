package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import io.taskflow4j.persistence.zookeeper.ZkSessions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper sessions lost in the middle of a chain run: the server expires the backend's session
 * (three times in one run), or the server is down past the session timeout and the retry budget and
 * comes back on the same port with the same data. Either the run completes, or it fails with a
 * {@link StorageException} after its retry budget and a resumed run completes it; then the round is
 * audited as the kill campaign audits one ({@link KillCampaign}: flow SUCCESS, every task SUCCESS
 * with its value, no task run again after its SUCCESS was recorded, at most one re-execution per
 * interrupted run, {@code StoreVerifier} clean). The server is Curator's {@link TestingServer} (the
 * real server code) in this JVM, ticking every 200 ms so it grants sessions of 0.4 to 4 s.
 */
@Timeout(300)
class ZkSessionExpiryTest {
  private static final int TASKS = 300;

  @TempDir Path dir;

  @EmbeddedZooKeeper(tickMs = 200)
  private TestingServer server;

  private final List<Throwable> chaosErrors = new CopyOnWriteArrayList<>();

  @Test
  void sessionsExpiredByTheServerMidRunLoseNoCheckpoint() throws Exception {
    String url = store() + "?session_timeout_ms=2000";
    Path log = dir.resolve("expiry.log");
    List<Long> expired = new CopyOnWriteArrayList<>();
    List<String> failures = new ArrayList<>();
    try (Backend backend = Backends.open(url)) {
      Thread chaos =
          chaos(
              () -> {
                for (int k = 1; k <= 3; k++) {
                  ServerRestartTest.awaitExecutions(log, k * TASKS / 8);
                  expired.add(ZkSessions.expire(backend, server.getConnectString()));
                  assertThat(ServerRestartTest.executions(log)).as("mid-run").isLessThan(TASKS);
                }
              });
      runToEnd(backend, "expiry", log, chaos, false, failures);
      assertThat(expired).as("sessions expired mid-run").hasSize(3).doesNotHaveDuplicates();
      assertThat(expired).doesNotContain(ZkSessions.sessionId(backend));
    }
    audit(url, "expiry", log, failures.size());
    System.out.println(
        "3 sessions expired: "
            + (failures.isEmpty() ? "the run completed through them" : failures));
  }

  @Test
  void aServerDownPastTheSessionTimeoutFailsAfterTheRetryBudgetAndTheRunResumes() throws Exception {
    // The backend's budget is the write's only one (Storage does not retry on top): 1.5 s, what
    // three attempts of 0.5 s came to, rides out a loaded machine's pauses and a new session.
    String url = store() + "?session_timeout_ms=1000&retry_budget_ms=1500";
    Path log = dir.resolve("outage.log");
    long[] before = new long[1];
    List<String> failures = new ArrayList<>();
    try (Backend backend = Backends.fetch(url)) {
      // the first connection of a loaded machine may take longer than this short budget
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try (Connection c = backend.getConnection()) {
          c.upgrade();
          break;
        } catch (StorageException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
      }
      Thread chaos =
          chaos(
              () -> {
                ServerRestartTest.awaitExecutions(log, TASKS / 3);
                before[0] = ZkSessions.sessionId(backend);
                server.stop();
                // down past the session timeout (1 s) and the retry budget of a write (1.5 s, plus
                // its connection waits)
                Thread.sleep(6_000);
                server.restart();
              });
      runToEnd(backend, "outage", log, chaos, true, failures);
      assertThat(failures)
          .as("the run fails once its retry budget is spent, then its resumption completes")
          .hasSize(1);
      assertThat(failures.get(0))
          .contains("could not be reached", "retry_budget_ms=1500")
          .doesNotContain("Exception:");
      assertThat(ZkSessions.sessionId(backend))
          .as("the session expired while the server was down; the backend works on a new one")
          .isNotEqualTo(before[0]);
    }
    audit(url, "outage", log, failures.size());
    System.out.println("server down 6 s: " + failures);
  }

  private String store() {
    return "zookeeper://127.0.0.1:"
        + server.getPort()
        + "/chaos-expiry-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Runs the chain until its flow ends SUCCESS, resuming it (as a restarted process would) after
   * each {@link StorageException}, whose message is added to {@code failures}; with {@code
   * resumeAfterChaos} a resumption waits for the chaos thread to finish first.
   */
  private void runToEnd(
      Backend backend,
      String book,
      Path log,
      Thread chaos,
      boolean resumeAfterChaos,
      List<String> failures)
      throws Exception {
    chaos.start();
    try {
      while (true) {
        try {
          assertThat(ChainChild.run(backend, book, TASKS, log.toString())).isZero();
          return;
        } catch (StorageException e) {
          failures.add(e.getMessage());
          assertThat(failures).as("runs failed").hasSizeLessThanOrEqualTo(3);
          if (resumeAfterChaos) {
            chaos.join(60_000);
          }
        } catch (RuntimeException | Error e) {
          chaos.interrupt();
          throw e;
        }
      }
    } finally {
      chaos.join(60_000);
      assertThat(chaos.isAlive()).as("the chaos thread ended").isFalse();
      assertThat(chaosErrors).as("the chaos thread's errors").isEmpty();
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private Thread chaos(Step step) {
    Thread t =
        new Thread(
            () -> {
              try {
                step.run();
              } catch (Throwable e) {
                chaosErrors.add(e);
              }
            },
            "zk-chaos");
    t.setDaemon(true);
    return t;
  }

  /** The kill campaign's audit of one round; {@code interruptions} runs ended early. */
  private void audit(String url, String book, Path log, int interruptions) throws Exception {
    KillCampaign campaign = KillCampaign.builder(dir).tasks(TASKS).build();
    KillCampaign.Stats st = new KillCampaign.Stats();
    List<String> problems =
        campaign.audit(new KillCampaign.Target("zookeeper", url), book, log, interruptions, st);
    assertThat(problems).isEmpty();
    assertThat(st.reexecutions).isLessThanOrEqualTo(interruptions);
  }
}
