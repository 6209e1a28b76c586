package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.assertConflict;
import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Optimistic concurrency: checked writes, conflicts, and all-or-nothing writes.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code Revisions} group.
 */
public abstract class RevisionCases extends ContractCases {

  @Test
  void returnedValuesCarryIncreasingRevisionsAndCanBeWrittenAgainWithoutARead() {
    LogBook saved = saveOneFlow(task("t"));
    FlowDetail fd = saved.flows().get(0);
    AtomDetail ad = fd.atoms().get(0);
    assertThat(ad.revision()).isPositive();
    assertThat(fd.revision()).isPositive();

    for (int i = 1; i <= 5; i++) {
      AtomDetail next = conn().updateAtomDetails(ad.withMetaEntries(Map.of("i", i)));
      assertThat(next.revision()).isGreaterThan(ad.revision());
      ad = next;
      // Without its atoms: the ones it carries are at their first revision by now.
      FlowDetail nextFd =
          conn().updateFlowDetails(fd.withoutAtoms().withMetaEntries(Map.of("i", i)));
      assertThat(nextFd.revision()).isGreaterThan(fd.revision());
      fd = nextFd;
    }

    assertThat(conn().getAtomDetails(ad.uuid())).isEqualTo(ad);
    assertThat(conn().getAtomDetails(ad.uuid()).meta()).isEqualTo(Map.of("i", 5));
    assertThat(conn().getFlowDetails(fd.uuid(), true).revision()).isEqualTo(fd.revision());
    assertThat(conn().getFlowDetails(fd.uuid(), true).meta()).isEqualTo(Map.of("i", 5));
  }

  @Test
  void savingTheReturnedBookAgainWorksAndTheOlderCopyConflicts() {
    LogBook first = conn().saveLogBook(book("b", flow("f", task("t"))));
    LogBook second = conn().saveLogBook(first.withMeta(Map.of("round", 2)));
    LogBook third = conn().saveLogBook(second.withMeta(Map.of("round", 3)));

    FlowDetail fd1 = first.flows().get(0);
    FlowDetail fd3 = third.flows().get(0);
    assertThat(fd3.revision()).isGreaterThan(fd1.revision());
    assertThat(fd3.atoms().get(0).revision()).isGreaterThan(fd1.atoms().get(0).revision());

    assertThatThrownBy(() -> conn().saveLogBook(first.withMeta(Map.of("round", 4))))
        .isInstanceOf(ConflictException.class)
        .message()
        .containsAnyOf(fd1.uuid(), fd1.atoms().get(0).uuid());
    assertThat(conn().getLogBook(first.uuid()).meta()).isEqualTo(Map.of("round", 3));
    assertThat(conn().getLogBook(first.uuid())).isEqualTo(third);
  }

  @Test
  void twoWritersOfOneAtomFromTheSameRevisionGetExactlyOneConflict() {
    LogBook saved = saveOneFlow(task("t"));
    String atomUuid = saved.flows().get(0).atoms().get(0).uuid();
    AtomDetail readByA = conn().getAtomDetails(atomUuid);
    AtomDetail readByB = withOtherConnection(c -> c.getAtomDetails(atomUuid));
    assertThat(readByB.revision()).isEqualTo(readByA.revision());

    AtomDetail writtenByA = conn().updateAtomDetails(readByA.put(AtomState.SUCCESS, "A"));
    assertConflict(
        () -> withOtherConnection(c -> c.updateAtomDetails(readByB.put(AtomState.SUCCESS, "B"))),
        atomUuid);

    assertThat(conn().getAtomDetails(atomUuid)).isEqualTo(writtenByA);
    assertThat(conn().getAtomDetails(atomUuid).lastResults()).isEqualTo("A");

    // Nothing is lost: B reloads and writes again.
    AtomDetail reloadedByB = withOtherConnection(c -> c.getAtomDetails(atomUuid));
    AtomDetail writtenByB =
        withOtherConnection(
            c -> c.updateAtomDetails(reloadedByB.withMetaEntries(Map.of("by", "B"))));
    AtomDetail stored = conn().getAtomDetails(atomUuid);
    assertThat(stored).isEqualTo(writtenByB);
    assertThat(stored.lastResults()).isEqualTo("A");
    assertThat(stored.meta()).isEqualTo(Map.of("by", "B"));
  }

  @Test
  @Timeout(120)
  void racingWritersOfOneAtomGetExactlyOneConflictPerRound() throws Exception {
    LogBook saved = saveOneFlow(task("t"));
    String atomUuid = saved.flows().get(0).atoms().get(0).uuid();
    try (Connection other = backend().getConnection()) {
      for (int round = 0; round < 20; round++) {
        AtomDetail base = conn().getAtomDetails(atomUuid);
        CyclicBarrier together = new CyclicBarrier(2);
        List<Callable<AtomDetail>> writers = new ArrayList<>();
        for (Connection c : List.of(conn(), other)) {
          String label = (c == conn() ? "A" : "B") + round;
          writers.add(
              () -> {
                together.await(30, TimeUnit.SECONDS);
                try {
                  return c.updateAtomDetails(base.withMeta(Map.of("writer", label)));
                } catch (ConflictException e) {
                  assertThat(e).hasMessageContaining(atomUuid);
                  return null;
                }
              });
        }
        List<AtomDetail> results = runConcurrently(writers);
        List<AtomDetail> winners = results.stream().filter(r -> r != null).toList();
        assertThat(winners).as("round %s: writes accepted", round).hasSize(1);
        assertThat(conn().getAtomDetails(atomUuid)).isEqualTo(winners.get(0));
      }
    }
  }

  @Test
  void twoWritersOfOneFlowFromTheSameRevisionGetExactlyOneConflict() {
    LogBook saved = saveOneFlow(task("t"));
    String flowUuid = saved.flows().get(0).uuid();
    FlowDetail readByA = conn().getFlowDetails(flowUuid, true);
    FlowDetail readByB = withOtherConnection(c -> c.getFlowDetails(flowUuid, true));

    FlowDetail writtenByA = conn().updateFlowDetails(readByA.withState(FlowState.RUNNING));
    assertConflict(
        () -> withOtherConnection(c -> c.updateFlowDetails(readByB.withState(FlowState.FAILURE))),
        flowUuid);

    FlowDetail stored = conn().getFlowDetails(flowUuid, true);
    assertThat(stored.state()).isEqualTo(FlowState.RUNNING);
    assertThat(stored.revision()).isEqualTo(writtenByA.revision());
  }

  @Test
  void staleFlowUpdateConflictsAndStoresNothingOfThatCall() {
    TaskDetail a1 = task("a1");
    TaskDetail a2 = task("a2");
    LogBook saved = saveOneFlow(a1, a2);
    FlowDetail fd = saved.flows().get(0);
    // Another writer moves the flow on.
    conn().updateFlowDetails(fd.withoutAtoms().withState(FlowState.RUNNING));
    FlowDetail before = conn().getFlowDetails(fd.uuid());

    TaskDetail a3 = task("a3");
    FlowDetail stale =
        fd.withState(FlowState.FAILURE)
            .withMeta(Map.of("stale", true))
            .withAtom(fd.find(a1.uuid()).orElseThrow().put(AtomState.SUCCESS, "x"))
            .withAtom(a3);
    assertConflict(() -> conn().updateFlowDetails(stale), fd.uuid());

    assertThat(conn().getFlowDetails(fd.uuid())).isEqualTo(before);
    assertThat(conn().getFlowDetails(fd.uuid()).state()).isEqualTo(FlowState.RUNNING);
    assertThat(conn().getAtomDetails(a1.uuid()).state()).isEqualTo(AtomState.PENDING);
    assertNotFound(() -> conn().getAtomDetails(a3.uuid()), a3.uuid());
  }

  @Test
  void staleAtomInsideAFlowUpdateConflictsAndStoresNothingOfThatCall() {
    TaskDetail a1 = task("a1");
    TaskDetail a2 = task("a2");
    LogBook saved = saveOneFlow(a1, a2);
    FlowDetail fd = saved.flows().get(0);
    AtomDetail staleA2 = fd.find(a2.uuid()).orElseThrow();
    conn().updateAtomDetails(staleA2.withState(AtomState.RUNNING));
    FlowDetail before = conn().getFlowDetails(fd.uuid());

    TaskDetail a3 = task("a3");
    TaskDetail a0 = task("a0-new");
    FlowDetail call =
        fd.withState(FlowState.SUCCESS)
            .withMeta(Map.of("changed", true))
            .withAtom(a0)
            .withAtom(fd.find(a1.uuid()).orElseThrow().put(AtomState.SUCCESS, 1))
            .withAtom(staleA2.put(AtomState.SUCCESS, 2))
            .withAtom(a3);
    assertConflict(() -> conn().updateFlowDetails(call), a2.uuid());

    assertThat(conn().getFlowDetails(fd.uuid())).isEqualTo(before);
    assertThat(conn().getAtomDetails(a1.uuid()).state()).isEqualTo(AtomState.PENDING);
    assertThat(conn().getAtomDetails(a2.uuid()).state()).isEqualTo(AtomState.RUNNING);
    assertNotFound(() -> conn().getAtomDetails(a3.uuid()), a3.uuid());
    assertNotFound(() -> conn().getAtomDetails(a0.uuid()), a0.uuid());
  }

  @Test
  void staleSaveLogBookConflictsAndStoresNothingOfThatCall() {
    TaskDetail a1 = task("a1");
    LogBook saved = conn().saveLogBook(book("original", flow("f1", a1)));
    FlowDetail fd = saved.flows().get(0);
    conn().updateAtomDetails(fd.atoms().get(0).withState(AtomState.RUNNING));
    LogBook before = conn().getLogBook(saved.uuid());

    FlowDetail newFlow = flow("f2", task("a2"));
    LogBook call =
        LogBook.of(
            saved.uuid(),
            "renamed",
            saved.createdAt(),
            Instant.now(),
            Map.of("changed", true),
            List.of(newFlow, fd.withState(FlowState.SUCCESS)));
    assertConflict(() -> conn().saveLogBook(call), a1.uuid());

    assertThat(conn().getLogBook(saved.uuid())).isEqualTo(before);
    assertThat(conn().getLogBook(saved.uuid()).name()).isEqualTo("original");
    assertNotFound(() -> conn().getFlowDetails(newFlow.uuid()), newFlow.uuid());
  }

  @Test
  void revisionZeroWritesAreUnconditional() {
    TaskDetail t = task("t");
    FlowDetail f = flow("f", t);
    LogBook lb = book("b", f);
    LogBook saved = conn().saveLogBook(lb);
    conn().updateAtomDetails(saved.flows().get(0).atoms().get(0).withState(AtomState.RUNNING));
    conn().updateFlowDetails(saved.flows().get(0).withoutAtoms().withState(FlowState.RUNNING));

    // Values never read back (revision 0) overwrite whatever is stored.
    AtomDetail atomWritten = conn().updateAtomDetails(t.put(AtomState.SUCCESS, "blind"));
    assertThat(atomWritten.revision()).isPositive();
    assertThat(conn().getAtomDetails(t.uuid()).lastResults()).isEqualTo("blind");

    FlowDetail flowWritten =
        conn().updateFlowDetails(f.withoutAtoms().withState(FlowState.SUCCESS));
    assertThat(flowWritten.revision()).isPositive();
    assertThat(conn().getFlowDetails(f.uuid()).state()).isEqualTo(FlowState.SUCCESS);

    conn().saveLogBook(lb.withMeta(Map.of("blind", true)));
    LogBook reloaded = conn().getLogBook(lb.uuid());
    assertThat(reloaded.meta()).isEqualTo(Map.of("blind", true));
    assertThat(reloaded.flows().get(0).state()).isEqualTo(FlowState.PENDING);
    assertThat(reloaded.flows().get(0).atoms().get(0).state()).isEqualTo(AtomState.PENDING);
  }

  @Test
  void aNewAtomCarriedByAFlowUpdateIsInsertedWithARevision() {
    LogBook saved = saveOneFlow(task("t"));
    FlowDetail fd = saved.flows().get(0);
    TaskDetail fresh = task("fresh");

    FlowDetail written = conn().updateFlowDetails(fd.withAtom(fresh));

    AtomDetail insert = written.find(fresh.uuid()).orElseThrow();
    assertThat(insert.revision()).isPositive();
    assertThat(conn().getAtomDetails(fresh.uuid())).isEqualTo(insert);
    // The value returned by the insert is good for a checked write at once.
    AtomDetail next = conn().updateAtomDetails(insert.withState(AtomState.RUNNING));
    assertThat(next.revision()).isGreaterThan(insert.revision());
  }
}
