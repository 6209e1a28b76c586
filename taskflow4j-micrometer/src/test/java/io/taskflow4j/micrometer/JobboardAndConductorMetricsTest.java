package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.MemoryJobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.memory.MemoryBackend;
import io.taskflow4j.workloads.Workloads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class JobboardAndConductorMetricsTest {

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Board events and settlements arrive on other threads: waits until {@code done}, or fails. */
  static void await(String what, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  private static double count(MeterRegistry r, String name) {
    return r.get(name).counter().count();
  }

  @Test
  void countsClaimsTakeoversAndLeaseLossesOnTheMemoryBoard() throws Exception {
    MovableClock clock = new MovableClock();
    MeterRegistry regA = new SimpleMeterRegistry();
    MeterRegistry regB = new SimpleMeterRegistry();
    // a long lease: the keepers do not renew during the test, the clock decides
    try (MemoryJobboard a = new MemoryJobboard(Duration.ofMinutes(10), clock);
        MemoryJobboard b = a.peer();
        JobboardMetrics metricsA = new JobboardMetrics(a);
        JobboardMetrics metricsB = new JobboardMetrics(b)) {
      metricsA.bindTo(regA);
      metricsB.bindTo(regB);
      Job job = a.post(JobSpec.of("work", null, "flow-of-work"));
      Job other = a.post(JobSpec.of("other", null, "flow-of-other"));
      Claim first = a.claim(job.uuid(), OwnerId.generate("x")).orElseThrow();
      a.claim(other.uuid(), OwnerId.generate("x")).orElseThrow().release();

      clock.advance(Duration.ofMinutes(11)); // x is presumed dead: its lease lapsed
      Claim second = b.claim(job.uuid(), OwnerId.generate("y")).orElseThrow();
      assertThatThrownBy(first::complete).isInstanceOf(FencedException.class);
      second.complete();

      await("b's completion", () -> count(regB, JobboardMetrics.CLAIMS) == 3);
      await(
          "a's view of the completion",
          () ->
              regA.get(JobboardMetrics.CLAIMS_ENDED).tag("outcome", "completed").counter().count()
                  == 1);
      assertThat(count(regB, JobboardMetrics.TAKEOVERS)).isEqualTo(1);
      assertThat(count(regA, JobboardMetrics.TAKEOVERS)).as("a saw it too").isEqualTo(1);
      assertThat(count(regA, JobboardMetrics.LEASE_LOSSES)).isEqualTo(1);
      assertThat(count(regB, JobboardMetrics.LEASE_LOSSES)).as("b lost nothing").isZero();
      assertThat(count(regA, JobboardMetrics.CLAIMS)).isEqualTo(3);
      assertThat(count(regA, JobboardMetrics.POSTED)).isEqualTo(2);
      assertThat(
              regA.get(JobboardMetrics.CLAIMS_ENDED).tag("outcome", "released").counter().count())
          .isEqualTo(1);
    }
  }

  @Test
  void countsAConductorsJobsAndTheirEnginesAndWrites() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    TestObservationRegistry observations = TestObservationRegistry.create();
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
    try (Backend memory = new MemoryBackend();
        Connection conn = memory.getConnection();
        MemoryJobboard board = new MemoryJobboard(Duration.ofSeconds(10), Clock.systemUTC());
        JobboardMetrics boardMetrics = new JobboardMetrics(board)) {
      boardMetrics.bindTo(registry);
      FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 5));
      FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 5));
      Conductor c =
          Conductor.builder(board, MeteredBackend.wrap(memory, registry))
              .name("metered")
              .idleWait(Duration.ofMillis(100))
              .listener(metrics.conductorListener(new TaskflowObservations(observations)))
              .build();
      c.start();
      Timer completed =
          registry.get(TaskflowMetrics.CONDUCTOR_SETTLED).tag("outcome", "completed").timer();
      try {
        await("two jobs settled", () -> completed.count() == 2);
      } finally {
        c.stop(Duration.ofSeconds(5));
      }
      assertThat(count(registry, TaskflowMetrics.CONDUCTOR_CLAIMS)).isEqualTo(2);
      assertThat(registry.get(TaskflowMetrics.CONDUCTOR_ACTIVE).gauge().value()).isZero();
      assertThat(completed.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
      assertThat(registry.get(TaskflowMetrics.FLOWS_STARTED).tag("flow", "chain").counter().count())
          .isEqualTo(2);
      assertThat(
              registry
                  .get(TaskflowMetrics.ATOM_EXECUTIONS)
                  .tags("flow", "chain", "atom", "t5", "outcome", "success")
                  .functionTimer()
                  .count())
          .isEqualTo(2);
      // the jobs' engines write through fenced views of the metered connection
      assertThat(
              registry
                  .get(StoreMeters.WRITES)
                  .tags("operation", "update_atom", "outcome", "success")
                  .timer()
                  .count())
          .isGreaterThanOrEqualTo(10);
      assertThat(
              registry
                  .get(StoreMeters.WRITES)
                  .tags("operation", "advance_fence", "outcome", "success")
                  .timer()
                  .count())
          .isEqualTo(2);
      await("board events", () -> count(registry, JobboardMetrics.CLAIMS) == 2);
      assertThat(count(registry, JobboardMetrics.TAKEOVERS)).isZero();
      TestObservationRegistryAssert.assertThat(observations)
          .hasNumberOfObservationsWithNameEqualTo(TaskflowObservations.FLOW_RUN, 2)
          .hasNumberOfObservationsWithNameEqualTo(TaskflowObservations.ATOM_RUN, 10)
          .hasAnObservation(
              o ->
                  o.hasNameEqualTo(TaskflowObservations.FLOW_RUN)
                      .hasLowCardinalityKeyValue(TaskflowObservations.FLOW_STATE, "success"));
    }
  }
}
