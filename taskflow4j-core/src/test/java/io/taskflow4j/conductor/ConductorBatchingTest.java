package io.taskflow4j.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.MemoryJobboard;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.memory.MemoryBackend;
import io.taskflow4j.workloads.Workloads;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ConductorBatchingTest {
  private final Backend backend = new MemoryBackend();
  private final Connection conn = backend.getConnection();
  private final MemoryJobboard memory =
      new MemoryJobboard(Duration.ofSeconds(30), Clock.systemUTC());
  private final RecordingBoard board = new RecordingBoard(memory);
  private final BlockingQueue<JobOutcome> settled = new LinkedBlockingQueue<>();
  private final List<String> claimedOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Conductor conductor;

  @AfterEach
  void tearDown() {
    board.gate.countDown();
    if (conductor != null) {
      conductor.stop(Duration.ofSeconds(5));
    }
    memory.close();
  }

  private Conductor start(int slots) {
    conductor =
        Conductor.builder(board, backend)
            .name("batching")
            .maxConcurrentJobs(slots)
            .factories(FlowFactories.installed())
            .idleWait(Duration.ofSeconds(1))
            .listener(
                new ConductorListener() {
                  @Override
                  public void claimed(io.taskflow4j.jobs.Claim c) {
                    claimedOrder.add(c.job().uuid());
                  }

                  @Override
                  public void settled(JobOutcome o) {
                    settled.add(o);
                  }
                })
            .build();
    conductor.start();
    return conductor;
  }

  private List<JobOutcome> outcomes(int n) throws InterruptedException {
    List<JobOutcome> out = new ArrayList<>();
    while (out.size() < n) {
      JobOutcome o = settled.poll(30, TimeUnit.SECONDS);
      assertThat(o).as("outcome %d of %d", out.size() + 1, n).isNotNull();
      out.add(o);
    }
    return out;
  }

  @Test
  void aConductorClaimsAsManyJobsAsItHasFreeSlotsInOneCallHighestPriorityFirst() throws Exception {
    List<String> urgent = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      JobPriority p = i < 4 ? JobPriority.NORMAL : JobPriority.VERY_HIGH;
      var job =
          FlowJobs.post(
              board, conn, FlowJob.of(new Workloads.Chain(), 2).named("j" + i).withPriority(p));
      if (p == JobPriority.VERY_HIGH) {
        urgent.add(job.uuid());
      }
    }
    board.gate = new CountDownLatch(1); // hold the completions back: no slot frees meanwhile
    start(4);
    assertThat(board.completing.poll(30, TimeUnit.SECONDS)).isNotNull();
    assertThat(board.claims.get(0)).isEqualTo(new RecordingBoard.BatchClaim(4, 4));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (claimedOrder.size() < 4 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(claimedOrder).hasSize(4).containsAll(urgent);
    board.gate.countDown();
    List<JobOutcome> all = outcomes(6);
    assertThat(all).allSatisfy(o -> assertThat(o.kind()).isEqualTo(JobOutcome.Kind.COMPLETED));
    assertThat(memory.jobs()).isEmpty();
    assertThat(board.claims.stream().mapToInt(RecordingBoard.BatchClaim::got).sum()).isEqualTo(6);
    assertThat(board.completions.stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
  }

  @Test
  void jobsThatFinishTogetherAreCompletedInOneBatch() throws Exception {
    for (int i = 0; i < 4; i++) {
      FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 1).named("j" + i));
    }
    board.gate = new CountDownLatch(1);
    start(4);
    // the first batch is held at the gate (it may already hold more than one job, when jobs
    // finished before the completer woke); the rest finish meanwhile and queue
    Integer first = board.completing.poll(30, TimeUnit.SECONDS);
    assertThat(first).isNotNull().isBetween(1, 4);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (conductor.completionsQueued() < 4 - first && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    board.gate.countDown();
    assertThat(outcomes(4))
        .allSatisfy(o -> assertThat(o.kind()).isEqualTo(JobOutcome.Kind.COMPLETED));
    if (first == 4) {
      assertThat(board.completions).containsExactly(4);
    } else {
      assertThat(board.completions).containsExactly(first, 4 - first);
    }
  }
}
