package io.taskflow4j.conductor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.MemoryJobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StorageException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CompletionBatcherTest {
  private final MemoryJobboard memory =
      new MemoryJobboard(Duration.ofSeconds(30), Clock.systemUTC());
  private final RecordingBoard board = new RecordingBoard(memory);
  private final CompletionBatcher batcher = new CompletionBatcher(board);
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    board.gate.countDown();
    batcher.stop();
    pool.shutdownNow();
    memory.close();
  }

  private List<Claim> claims(int n) {
    for (int i = 0; i < n; i++) {
      memory.post(JobSpec.of("j" + i, null, "f" + i));
    }
    List<Claim> got = memory.claimNext(OwnerId.generate("c"), n);
    assertThat(got).hasSize(n);
    return got;
  }

  @Test
  void aLoneCompletionIsStoredAtOnceOnItsOwn() {
    Claim only = claims(1).get(0);
    batcher.complete(only); // returns only once stored: nothing else will ever come
    assertThat(board.completions).containsExactly(1);
    assertThat(only.isHeld()).isFalse();
    assertThat(memory.jobs()).isEmpty();
  }

  @Test
  void completionsArrivingWhileOneIsStoredGoTogetherInTheNext() throws Exception {
    List<Claim> cs = claims(4);
    board.gate = new CountDownLatch(1);
    Future<?> first = pool.submit(() -> batcher.complete(cs.get(0)));
    assertThat(board.completing.poll(10, TimeUnit.SECONDS)).isEqualTo(1);
    List<Future<?>> rest = new ArrayList<>();
    for (Claim c : cs.subList(1, 4)) {
      rest.add(pool.submit(() -> batcher.complete(c)));
    }
    // the three wait in the queue while the first is being stored
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (batcher.queued() < 3 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(batcher.queued()).isEqualTo(3);
    board.gate.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (Future<?> f : rest) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(board.completions).containsExactly(1, 3);
    assertThat(memory.jobs()).isEmpty();
  }

  @Test
  void aStaleClaimInABatchFailsAloneAndTheOthersComplete() throws Exception {
    Claim blocker = claims(1).get(0);
    List<Claim> cs = claims(3);
    Claim stale = cs.get(1);
    stale.release();
    board.gate = new CountDownLatch(1);
    Future<?> first = pool.submit(() -> batcher.complete(blocker));
    assertThat(board.completing.poll(10, TimeUnit.SECONDS)).isEqualTo(1);
    List<Future<?>> batch = new ArrayList<>();
    for (Claim c : cs) {
      batch.add(pool.submit(() -> batcher.complete(c)));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (batcher.queued() < 3 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    board.gate.countDown();
    first.get(10, TimeUnit.SECONDS);
    batch.get(0).get(10, TimeUnit.SECONDS);
    batch.get(2).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> batch.get(1).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(FencedException.class);
    assertThat(board.completions).containsExactly(1, 3);
    assertThat(memory.jobs()).extracting(j -> j.uuid()).containsExactly(stale.job().uuid());
  }

  @Test
  void afterStopACompletionFailsWithoutTouchingTheBoard() {
    Claim c = claims(1).get(0);
    batcher.stop();
    assertThatThrownBy(() -> batcher.complete(c))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("stopped");
    assertThat(c.isHeld()).isTrue();
    assertThat(board.completions).isEmpty();
  }
}
