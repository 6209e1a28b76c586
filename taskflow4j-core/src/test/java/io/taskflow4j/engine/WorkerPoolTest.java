package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.internal.DaemonThreads;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link WorkerPool}: a parallel run's own workers, which write what they hold when idle. */
class WorkerPoolTest {
  @Test
  void startsAtMostItsWorkersAndRunsEveryJob() throws Exception {
    AtomicInteger idle = new AtomicInteger();
    WorkerPool pool = new WorkerPool(3, DaemonThreads.numbered("wp-test-"), idle::incrementAndGet);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch done = new CountDownLatch(50);
    for (int i = 0; i < 50; i++) {
      pool.execute(
          () -> {
            threads.add(Thread.currentThread().getName());
            done.countDown();
          });
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(pool.threadsStarted()).isEqualTo(3);
    assertThat(threads).hasSizeLessThanOrEqualTo(3).allMatch(n -> n.startsWith("wp-test-"));
    pool.shutdown();
  }

  @Test
  void aWorkerThatFindsNoJobRunsTheIdleHookBeforeItWaits() throws Exception {
    CountDownLatch idle = new CountDownLatch(1);
    AtomicBoolean jobDoneBeforeIdle = new AtomicBoolean();
    AtomicBoolean ran = new AtomicBoolean();
    WorkerPool pool =
        new WorkerPool(
            1,
            DaemonThreads.numbered("wp-idle-"),
            () -> {
              jobDoneBeforeIdle.set(ran.get());
              idle.countDown();
            });
    pool.execute(() -> ran.set(true));
    assertThat(idle.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(jobDoneBeforeIdle).isTrue();
    pool.shutdown();
  }

  @Test
  void aFailingIdleHookNeverEndsAWorker() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    WorkerPool pool =
        new WorkerPool(
            1,
            DaemonThreads.numbered("wp-fail-"),
            () -> {
              if (calls.incrementAndGet() % 2 == 0) {
                throw new AssertionError("an Error from the hook");
              }
              throw new IllegalStateException("a failed write");
            });
    for (int round = 0; round < 4; round++) {
      CountDownLatch ran = new CountDownLatch(1);
      pool.execute(ran::countDown);
      assertThat(ran.await(30, TimeUnit.SECONDS)).as("job of round %d", round).isTrue();
    }
    assertThat(pool.threadsStarted()).isEqualTo(1);
    pool.shutdown();
  }

  @Test
  void shutdownLetsTheQueuedJobsFinishUninterruptedAndRefusesNewOnes() throws Exception {
    WorkerPool pool = new WorkerPool(2, DaemonThreads.numbered("wp-shut-"), () -> {});
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger finished = new AtomicInteger();
    AtomicBoolean interrupted = new AtomicBoolean();
    for (int i = 0; i < 6; i++) {
      pool.execute(
          () -> {
            try {
              release.await();
            } catch (InterruptedException e) {
              interrupted.set(true);
            }
            interrupted.compareAndSet(false, Thread.currentThread().isInterrupted());
            finished.incrementAndGet();
          });
    }
    pool.shutdown();
    assertThatThrownBy(() -> pool.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    release.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (finished.get() < 6 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(finished).hasValue(6);
    assertThat(interrupted).isFalse();
  }
}
