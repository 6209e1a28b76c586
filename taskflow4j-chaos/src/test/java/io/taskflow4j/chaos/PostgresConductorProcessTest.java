package io.taskflow4j.chaos;

import static io.taskflow4j.chaos.ConductorProcesses.witness;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.chaos.ConductorProcesses.Child;
import io.taskflow4j.chaos.ConductorProcesses.Outcome;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AbstractConductorProcessTest} on PostgreSQL: the SQL jobboard and the fenced SQL logbooks
 * in one fresh database for the class, a board of its own per run. Without PostgreSQL the tests
 * skip, and fail in CI ({@code CI=true}).
 */
@Timeout(300)
class PostgresConductorProcessTest extends AbstractConductorProcessTest {
  @PostgresDatabase private static String db;

  @Override
  protected String newStore() {
    return TestDatabases.postgresUrl(db) + "?board=" + boardName("b");
  }

  @Override
  protected String label() {
    return "postgresql";
  }

  @Override
  protected int fewJobs() {
    return 200;
  }

  @Override
  protected int manyJobs() {
    return 1000;
  }

  /**
   * Three conductors, two six-task jobs. A runs one and is SIGKILLed mid-task; B runs the other and
   * is SIGSTOPped at the commit point of a fenced write (t3's result, not stored: on PostgreSQL one
   * statement, not yet sent, so B holds no lock). C takes both jobs over, each within two leases,
   * re-running only the task in flight, and completes them. B, resumed after, writes nothing and
   * reports its job DROPPED. Every job completes exactly once.
   */
  @Test
  void aKilledOwnerAndOnePausedInAFencedWriteAreBothTakenOverWithinTwoLeases() throws Exception {
    String store = newStore();
    Path w = dir.resolve("witness.log");
    Child a = procs.start(store, "A", 1, LEASE);
    Child b = procs.start(store, "B", 1, LEASE);
    Child c = procs.start(store, "C", 2, LEASE);
    for (Child x : List.of(a, b, c)) {
      x.awaitReady();
    }
    // One job each for A and B, in turn; C starts once both are claimed.
    a.go();
    Job killed = post(store, List.of(jobOf("killed", TASKS, TASK_MILLIS, w))).get(0);
    assertThat(claimer(List.of(a), killed)).isSameAs(a);
    b.go();
    Job paused = post(store, List.of(jobOf("paused", TASKS, TASK_MILLIS, w))).get(0);
    assertThat(claimer(List.of(b), paused)).isSameAs(b);
    c.go();

    awaitExecution(w, "A", "t3", killed);
    long killedAt = System.currentTimeMillis();
    a.process.destroyForcibly();

    awaitExecution(w, "B", "t3", paused);
    b.send("PAUSE"); // B stops at its next atom write, t3's result, right before the commit
    String marker = b.awaitLine(l -> l.startsWith("PAUSED "), Duration.ofSeconds(30), "PAUSED");
    // On PostgreSQL that write (t3's result with t4's RUNNING marker) is one statement that the
    // server commits as it runs it: stopped at its commit point, B holds no transaction and no
    // lock.
    // (A writer stopped inside a fenced transaction: AbstractSqlJobboardTest.)
    assertThat(idleInTransaction())
        .as("B, stopped at the commit point of its fenced write (%s), holds no transaction", marker)
        .noneMatch(q -> q.contains("atomdetails"));
    b.signal("STOP");
    long stoppedAt = System.currentTimeMillis();

    Outcome killedDone = c.awaitOutcome(killed.name(), Duration.ofSeconds(30));
    Outcome pausedDone = c.awaitOutcome(paused.name(), Duration.ofSeconds(30));
    assertThat(List.of(killedDone.kind(), pausedDone.kind())).containsOnly("COMPLETED");
    List<WitnessFlow.Line> lines = witness(w);
    long killTakeover = firstExecution(lines, "C", killed) - killedAt;
    long pauseTakeover = firstExecution(lines, "C", paused) - stoppedAt;
    System.out.printf(
        "[%s] takeover from a SIGKILLed owner %d ms, from one SIGSTOPped in a fenced write %d"
            + " ms (lease %d ms)%n",
        label(), killTakeover, pauseTakeover, LEASE.toMillis());
    assertThat(killTakeover).isLessThanOrEqualTo(2 * LEASE.toMillis());
    assertThat(pauseTakeover).isLessThanOrEqualTo(2 * LEASE.toMillis());

    FlowDetail left = readFlow(store, paused);
    b.signal("CONT");
    b.send("RESUME");
    Outcome zombie = b.awaitOutcome(paused.name(), Duration.ofSeconds(30));
    System.out.printf(
        "[%s] the owner paused in a fenced write, resumed: %s (%s)%n",
        label(), zombie.kind(), zombie.reason());
    assertThat(zombie.kind()).isEqualTo("DROPPED");
    assertThat(readFlow(store, paused)).as("nothing of B's landed").isEqualTo(left);

    for (Job job : List.of(killed, paused)) {
      Child owner = job == killed ? a : b;
      FlowDetail fd = readFlow(store, job);
      // only the task in flight ran twice; every result is its last runner's
      assertThat(results(fd)).containsExactly(owner.name, owner.name, "C", "C", "C", "C");
      assertThat(executions(forJob(witness(w), job), owner.name)).containsExactly("t1", "t2", "t3");
      assertThat(executions(forJob(witness(w), job), "C")).containsExactly("t3", "t4", "t5", "t6");
      assertThat(
              Stream.of(a, b, c)
                  .flatMap(x -> x.outcomes().stream())
                  .filter(o -> o.jobUuid().equals(job.uuid()) && o.kind().equals("COMPLETED")))
          .as("completed once: %s", job.name())
          .hasSize(1);
      assertGone(store, job);
    }
  }

  /** The last statements of this database's sessions idle inside a transaction. */
  private static List<String> idleInTransaction() throws Exception {
    return TestDatabases.idleInTransaction(db);
  }

  private static List<WitnessFlow.Line> forJob(List<WitnessFlow.Line> lines, Job job) {
    return lines.stream().filter(l -> l.jobKey().equals(job.name())).toList();
  }

  private static long firstExecution(List<WitnessFlow.Line> lines, String conductor, Job job) {
    return forJob(lines, job).stream()
        .filter(l -> l.conductor().equals(conductor))
        .mapToLong(WitnessFlow.Line::millis)
        .min()
        .orElseThrow();
  }

  /** Single-row autocommit inserts per second from one client: the commit limit of the moment. */
  @Override
  protected String baseline() throws Exception {
    int n = 200;
    try (Connection c = TestDatabases.postgres(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE commit_probe (n int)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO commit_probe VALUES (?)")) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ps.setInt(1, i);
          ps.executeUpdate();
        }
        long micros = (System.nanoTime() - t0) / 1000;
        return String.format(
            "(PostgreSQL alone: %.0f commits/s from one client)", n * 1e6 / micros);
      } finally {
        st.execute("DROP TABLE commit_probe");
      }
    }
  }
}
