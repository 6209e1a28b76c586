package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.assertConflict;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.uuid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Connection#advanceFence}, {@link Connection#fenced} and {@link Connection#fenceToken}:
 * what a conductor relies on so that an owner that lost its job cannot change the logbook.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code Fencing} group.
 */
public abstract class FencingCases extends ContractCases {
  private final String job = uuid();

  private AtomDetail storedAtom(LogBook lb) {
    return conn().getAtomDetails(lb.flows().get(0).atoms().get(0).uuid());
  }

  @Test
  @DisplayName("a fenced connection writes while its token is the store's")
  void writesWithCurrentToken() {
    LogBook lb = saveOneFlow(task("a"));
    conn().advanceFence(new Fence(job, 1));
    Connection fenced = conn().fenced(new Fence(job, 1));
    AtomDetail a = storedAtom(lb);
    AtomDetail written = fenced.updateAtomDetails(a.withState(AtomState.RUNNING));
    assertThat(storedAtom(lb).state()).isEqualTo(AtomState.RUNNING);
    assertThat(storedAtom(lb).revision()).isEqualTo(written.revision());
    assertThat(conn().fenceToken(job)).hasValue(1);
    assertThat(conn().fenceToken(uuid())).isEmpty();
  }

  @Test
  @DisplayName("after a higher token is registered, every kind of write is refused")
  void staleTokenRefusesEveryWrite() {
    LogBook lb = saveOneFlow(task("a"));
    conn().advanceFence(new Fence(job, 3));
    Connection stale = conn().fenced(new Fence(job, 3));
    stale.updateAtomDetails(storedAtom(lb).withState(AtomState.RUNNING));
    withOtherConnection(
        other -> {
          other.advanceFence(new Fence(job, 4));
          return null;
        });
    FlowDetail fd = conn().getFlowDetails(lb.flows().get(0).uuid());
    AtomDetail before = storedAtom(lb);
    assertFenced(() -> stale.updateAtomDetails(before.withState(AtomState.SUCCESS)));
    assertFenced(() -> stale.updateFlowDetails(fd.withState(FlowState.SUCCESS)));
    assertFenced(() -> stale.saveLogBook(lb.withMeta(Map.of("zombie", true))));
    assertFenced(() -> stale.saveLogBook(book("another")));
    assertFenced(
        () -> {
          stale.destroyLogBook(lb.uuid());
          return null;
        });
    assertFenced(
        () -> {
          stale.clearAll();
          return null;
        });
    // nothing of it landed
    assertThat(storedAtom(lb)).isEqualTo(before);
    assertThat(conn().getFlowDetails(fd.uuid()).state()).isEqualTo(fd.state());
    assertThat(conn().getLogBook(lb.uuid()).meta()).doesNotContainKey("zombie");
    assertThat(conn().getLogBooks()).hasSize(1);
    // reads still work through the stale view
    assertThat(stale.getAtomDetails(before.uuid())).isEqualTo(before);
    // and the new owner writes
    Connection owner = conn().fenced(new Fence(job, 4));
    owner.updateAtomDetails(before.withState(AtomState.SUCCESS));
    assertThat(storedAtom(lb).state()).isEqualTo(AtomState.SUCCESS);
  }

  @Test
  @DisplayName("a token never registered is refused; a lower one cannot be registered")
  void unregisteredAndLowerTokens() {
    LogBook lb = saveOneFlow(task("a"));
    AtomDetail a = storedAtom(lb);
    assertFenced(
        () -> conn().fenced(new Fence(job, 1)).updateAtomDetails(a.withState(AtomState.RUNNING)));
    conn().advanceFence(new Fence(job, 5));
    conn().advanceFence(new Fence(job, 5)); // idempotent
    assertFenced(
        () -> {
          conn().advanceFence(new Fence(job, 4));
          return null;
        });
    assertThat(conn().fenceToken(job)).hasValue(5);
    assertFenced(
        () -> conn().fenced(new Fence(job, 6)).updateAtomDetails(a.withState(AtomState.RUNNING)));
    assertThat(storedAtom(lb)).isEqualTo(a);
  }

  @Test
  @DisplayName("fences of different jobs are independent")
  void independentKeys() {
    LogBook lb = saveOneFlow(task("a"));
    String other = uuid();
    conn().advanceFence(new Fence(job, 2));
    conn().advanceFence(new Fence(other, 7));
    conn().advanceFence(new Fence(other, 8));
    AtomDetail a = storedAtom(lb);
    conn().fenced(new Fence(job, 2)).updateAtomDetails(a.withState(AtomState.RUNNING));
    assertThat(conn().fenceToken(job)).hasValue(2);
    assertThat(conn().fenceToken(other)).hasValue(8);
  }

  @Test
  @DisplayName("revisions are still checked under a fence")
  void revisionsStillChecked() {
    LogBook lb = saveOneFlow(task("a"));
    conn().advanceFence(new Fence(job, 1));
    Connection fenced = conn().fenced(new Fence(job, 1));
    AtomDetail a = storedAtom(lb);
    fenced.updateAtomDetails(a.withState(AtomState.RUNNING));
    assertConflict(() -> fenced.updateAtomDetails(a.withState(AtomState.FAILURE)), a.uuid());
  }

  @Test
  @Timeout(120)
  @DisplayName("no write of the old token lands once the advance has returned")
  void advanceIsAtomicWithWrites() throws Exception {
    LogBook lb = saveOneFlow(task("a"));
    conn().advanceFence(new Fence(job, 1));
    String atomUuid = storedAtom(lb).uuid();
    java.util.concurrent.atomic.AtomicLong lastLanded =
        new java.util.concurrent.atomic.AtomicLong(-1);
    java.util.concurrent.atomic.AtomicBoolean advanced =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong landedAfter =
        new java.util.concurrent.atomic.AtomicLong();
    CountDownLatch someWritten = new CountDownLatch(20);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> writer =
          pool.submit(
              () -> {
                try (Connection c = backend().getConnection()) {
                  Connection zombie = c.fenced(new Fence(job, 1));
                  for (long i = 0; ; i++) {
                    AtomDetail cur = c.getAtomDetails(atomUuid);
                    try {
                      zombie.updateAtomDetails(cur.withMeta(Map.of("i", i)));
                    } catch (io.taskflow4j.persistence.FencedException e) {
                      return null;
                    }
                    if (advanced.get()) {
                      landedAfter.incrementAndGet();
                    }
                    lastLanded.set(i);
                    someWritten.countDown();
                  }
                }
              });
      assertThat(someWritten.await(60, TimeUnit.SECONDS)).isTrue();
      withOtherConnection(
          other -> {
            other.advanceFence(new Fence(job, 2));
            return null;
          });
      advanced.set(true);
      writer.get(60, TimeUnit.SECONDS);
      Object stored = conn().getAtomDetails(atomUuid).meta().get("i");
      assertThat(((Number) stored).longValue()).isEqualTo(lastLanded.get());
      // a write may have been in flight while the advance ran; once it returned, none started
      assertThat(landedAfter.get()).isLessThanOrEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  private void assertFenced(Supplier<?> write) {
    assertThatThrownBy(write::get)
        .isInstanceOf(io.taskflow4j.persistence.FencedException.class)
        .hasMessageContaining(job);
  }
}
