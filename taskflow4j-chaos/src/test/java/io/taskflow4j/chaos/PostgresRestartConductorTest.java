package io.taskflow4j.chaos;

import static io.taskflow4j.chaos.ConductorProcesses.await;
import static io.taskflow4j.chaos.ConductorProcesses.witness;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.chaos.ConductorProcesses.Child;
import io.taskflow4j.chaos.ConductorProcesses.Outcome;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL is restarted while two conductor processes claim and run 200 jobs: afterwards every
 * job has completed, none was trashed or lost (a store that is down never makes a job disappear).
 * Stopping the server disturbs everyone using it, so this test is tagged {@code outage} like {@link
 * ServerRestartTest}; the chaos module runs the {@code outage} tests when {@code CI=true}. The
 * server is stopped and started with {@code TF4J_PG_STOP}/{@code TF4J_PG_START} (default: {@code
 * pg_ctlcluster} of the only cluster).
 */
@Tag("outage")
@Timeout(150)
class PostgresRestartConductorTest {
  private static final int JOBS = 200;

  @TempDir Path dir;

  @Test
  void aRestartWhileClaimingLosesNoJob(@PostgresDatabase String db) throws Exception {
    String store = TestDatabases.postgresUrl(db);
    Path w = dir.resolve("witness.log");
    try (ConductorProcesses procs = new ConductorProcesses(dir)) {
      List<FlowJob> specs = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        specs.add(AbstractConductorProcessTest.jobOf("r" + i, 1, 50, w));
      }
      List<Job> jobs = AbstractConductorProcessTest.post(store, specs);
      List<Child> cs =
          procs.startAll(store, List.of("A", "B"), 2, AbstractConductorProcessTest.LEASE);
      await(() -> witness(w).size() >= 20, Duration.ofSeconds(60), "20 jobs started");
      long t0 = System.nanoTime();
      ServerRestartTest.sh(ServerRestartTest.pgStop());
      int startedBefore = witness(w).size();
      Thread.sleep(3000); // the outage: the conductors keep trying meanwhile
      ServerRestartTest.sh(ServerRestartTest.pgStart());
      long outageMillis = (System.nanoTime() - t0) / 1_000_000;

      await(() -> boardEmpty(store), Duration.ofSeconds(90), "every job gone from the board");
      try (Jobboard board = Jobboards.open(store)) {
        assertThat(board.trashedJobs()).isEmpty();
      }
      try (Backend backend = Backends.open(store);
          Connection conn = backend.getConnection()) {
        for (Job j : jobs) {
          assertThat(conn.getFlowDetails(j.flowUuid().orElseThrow()).state())
              .as("flow of %s", j.name())
              .isEqualTo(FlowState.SUCCESS);
        }
      }
      Set<String> executed =
          witness(w).stream().map(WitnessFlow.Line::jobKey).collect(Collectors.toSet());
      assertThat(executed).isEqualTo(jobs.stream().map(Job::name).collect(Collectors.toSet()));
      List<Outcome> outcomes = cs.stream().flatMap(c -> c.outcomes().stream()).toList();
      assertThat(outcomes).extracting(Outcome::kind).doesNotContain("TRASHED", "FAILED");
      Map<String, Long> completions =
          outcomes.stream()
              .filter(o -> o.kind().equals("COMPLETED"))
              .collect(Collectors.groupingBy(Outcome::jobName, Collectors.counting()));
      assertThat(completions.values()).allSatisfy(n -> assertThat(n).isEqualTo(1L));
      Map<String, Long> kinds =
          outcomes.stream().collect(Collectors.groupingBy(Outcome::kind, Collectors.counting()));
      long reruns = witness(w).size() - JOBS;
      System.out.printf(
          "[postgresql restart] %d jobs started before the stop, server down/up in %d ms;"
              + " outcomes %s; tasks executed twice: %d%n",
          startedBefore, outageMillis, kinds, reruns);
    } finally {
      ServerRestartTest.sh(ServerRestartTest.pgStart());
      await(PostgresRestartConductorTest::postgresUp, Duration.ofSeconds(60), "PostgreSQL up");
    }
  }

  private static boolean postgresUp() {
    try (java.sql.Connection c = TestDatabases.postgres(TestDatabases.PG_ADMIN_DB)) {
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static boolean boardEmpty(String store) {
    try (Jobboard board = Jobboards.open(store)) {
      return board.jobs().isEmpty();
    } catch (TaskFlowException e) {
      return false; // still coming up
    }
  }
}
