package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter on a real PostgreSQL (skipped when it is absent, failed with {@code CI=true}): a job
 * posted to the board is run by the context's conductor, health is UP, and closing the context
 * while a job runs leaves no claim and no conductor on the board.
 */
class PostgresEndToEndTest {
  String db;

  @BeforeEach
  void database() throws Exception {
    TestDatabases.requirePostgres();
    db = TestDatabases.createPostgres();
  }

  @AfterEach
  void drop() throws Exception {
    TestDatabases.dropPostgres(db);
  }

  @Test
  void theContextsConductorRunsPostedJobsAndReleasesItsClaimsOnClose() throws Exception {
    String url = TestDatabases.postgresUrl(db);
    String[] slow = new String[1];
    new ApplicationContextRunner()
        .withConfiguration(TaskflowAutoConfigurationTest.ALL)
        .withPropertyValues(
            "taskflow4j.connection=" + url,
            "taskflow4j.conductor.name=boot-e2e",
            "taskflow4j.conductor.lease=2s",
            "taskflow4j.conductor.shutdown-grace=20s")
        .withBean(Greeting.class)
        .run(
            ctx -> {
              Jobboard board = ctx.getBean(Jobboard.class);
              Greeting greeting = ctx.getBean(Greeting.class);
              Job quick;
              try (Connection c = ctx.getBean(Backend.class).getConnection()) {
                quick = FlowJobs.post(board, c, FlowJob.of(greeting).named("quick"));
              }
              await(() -> board.job(quick.uuid()).isEmpty(), "the quick job to complete");
              try (Connection c = ctx.getBean(Backend.class).getConnection()) {
                String flow = (String) quick.details().get("flow_uuid");
                assertThat(c.getFlowDetails(flow).state()).isEqualTo(FlowState.SUCCESS);
              }
              HealthProbe.Reading h = HealthProbe.read(ctx);
              assertThat(h.status()).isEqualTo("UP");
              assertThat(h.details()).containsEntry("backend", "postgresql");
              assertThat(h.details()).containsEntry("conductors", 1);

              // A job still running when the context closes: suspended and released.
              int runsBefore = Greeting.RUNS.get();
              Job running;
              try (Connection c = ctx.getBean(Backend.class).getConnection()) {
                running = FlowJobs.post(board, c, FlowJob.of(greeting, 1500).named("slow"));
              }
              slow[0] = (String) running.details().get("flow_uuid");
              // Closed while its first task runs: the flow is suspended after it, the job released.
              await(() -> Greeting.RUNS.get() == runsBefore + 1, "the slow job's task to start");
              assertThat(board.job(running.uuid()))
                  .get()
                  .extracting(Job::state)
                  .isEqualTo(JobState.CLAIMED);
            });
    try (Jobboard board = Jobboards.open(url);
        Backend backend = Backends.fetch(url);
        Connection c = backend.getConnection()) {
      assertThat(board.conductors()).isEmpty();
      List<Job> left = board.jobs();
      assertThat(left).hasSize(1);
      assertThat(left.get(0).state()).isEqualTo(JobState.UNCLAIMED);
      assertThat(left.get(0).owner()).isNull();
      assertThat(c.getFlowDetails(slow[0]).state()).isEqualTo(FlowState.SUSPENDED);
    }
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(25);
    }
  }
}
