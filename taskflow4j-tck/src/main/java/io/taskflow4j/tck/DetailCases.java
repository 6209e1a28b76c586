package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.failure;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Writing and reading flow and atom details.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code Details} group.
 */
public abstract class DetailCases extends ContractCases {

  @Test
  void flowsKeepTheInsertionOrderOfSixtyAtoms() {
    List<AtomDetail> atoms = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String name = "atom-" + ((i * 37) % 60);
      atoms.add(i % 5 == 0 ? RetryDetail.of(name, uuid()) : TaskDetail.of(name, uuid()));
    }
    FlowDetail fd = flow("many").withAtoms(atoms);
    LogBook lb = book("b", fd.withAtoms(atoms.subList(0, 20)));
    conn().saveLogBook(lb);
    conn().updateFlowDetails(fd.withAtoms(atoms.subList(20, 60)));
    // Rewriting an atom must not move it.
    conn().updateAtomDetails(atoms.get(3).withState(AtomState.RUNNING));

    List<String> expected = uuids(atoms);
    assertThat(uuids(conn().getFlowDetails(fd.uuid()).atoms())).containsExactlyElementsOf(expected);
    assertThat(uuids(conn().getAtomsForFlow(fd.uuid()))).containsExactlyElementsOf(expected);
    assertThat(uuids(conn().getLogBook(lb.uuid()).flows().get(0).atoms()))
        .containsExactlyElementsOf(expected);
    assertThat(uuids(withOtherConnection(c -> c.getAtomsForFlow(fd.uuid()))))
        .containsExactlyElementsOf(expected);
  }

  @Test
  void updateFlowDetailsUpsertsCarriedAtomsAndNeverDeletesOthers() {
    TaskDetail a = task("a");
    TaskDetail b = task("b");
    LogBook saved = saveOneFlow(a, b);
    FlowDetail fd = saved.flows().get(0);

    TaskDetail c = task("c");
    AtomDetail bRunning = fd.find(b.uuid()).orElseThrow().withState(AtomState.RUNNING);
    FlowDetail written = conn().updateFlowDetails(fd.withAtoms(List.of(bRunning, c)));
    assertThat(uuids(written.atoms())).containsExactly(b.uuid(), c.uuid());

    conn().updateFlowDetails(written.withoutAtoms().withState(FlowState.RUNNING));

    FlowDetail reloaded = conn().getFlowDetails(fd.uuid());
    assertThat(uuids(reloaded.atoms())).containsExactly(a.uuid(), b.uuid(), c.uuid());
    assertThat(reloaded.find(b.uuid()).orElseThrow().state()).isEqualTo(AtomState.RUNNING);
    assertThat(reloaded.find(a.uuid()).orElseThrow().state()).isEqualTo(AtomState.PENDING);
    assertThat(reloaded.state()).isEqualTo(FlowState.RUNNING);
    assertThat(conn().getAtomDetails(c.uuid()).name()).isEqualTo("c");
  }

  @Test
  void updateFlowDetailsReturnsTheFlowAsWrittenWithItsAtoms() {
    TaskDetail a = task("a");
    LogBook saved = saveOneFlow(a);
    FlowDetail fd = saved.flows().get(0);

    FlowDetail changed =
        fd.withState(FlowState.SUCCESS)
            .withMeta(Map.of("m", "v"))
            .withAtom(fd.atoms().get(0).withState(AtomState.SUCCESS))
            .withAtom(task("new"));
    FlowDetail written = conn().updateFlowDetails(changed);

    assertThat(unrevised(written)).isEqualTo(unrevised(changed));
    assertThat(written.revision()).isGreaterThan(fd.revision());
    assertThat(written.atoms()).allSatisfy(ad -> assertThat(ad.revision()).isPositive());
    assertThat(conn().getFlowDetails(fd.uuid())).isEqualTo(written);
  }

  @Test
  void updateAtomDetailsChangesOnlyThatAtom() {
    TaskDetail a = task("a");
    TaskDetail b = task("b");
    FlowDetail fd = flow("f", a, b).withMeta(Map.of("x", 1));
    LogBook saved = conn().saveLogBook(book("book", fd));
    FlowDetail before = conn().getFlowDetails(fd.uuid());

    AtomDetail stored = saved.flows().get(0).find(a.uuid()).orElseThrow();
    AtomDetail written = conn().updateAtomDetails(stored.put(AtomState.SUCCESS, "done"));

    FlowDetail after = conn().getFlowDetails(fd.uuid());
    assertThat(after.withAtoms(List.of())).isEqualTo(before.withAtoms(List.of()));
    assertThat(after.find(b.uuid())).isEqualTo(before.find(b.uuid()));
    assertThat(after.find(a.uuid())).contains(written);
    assertThat(written.lastResults()).isEqualTo("done");
  }

  @Test
  void everyAtomStateRoundTripsForTasksAndRetries() {
    TaskDetail td = task("t");
    RetryDetail rd = RetryDetail.create("r");
    LogBook saved = saveOneFlow(td, rd);
    AtomDetail t = saved.flows().get(0).atoms().get(0);
    AtomDetail r = saved.flows().get(0).atoms().get(1);

    for (AtomState s : AtomState.values()) {
      t = conn().updateAtomDetails(t.withState(s));
      r = conn().updateAtomDetails(r.withState(s));
      assertThat(conn().getAtomDetails(td.uuid()).state()).as("task state").isEqualTo(s);
      assertThat(conn().getAtomDetails(rd.uuid()).state()).as("retry state").isEqualTo(s);
    }
  }

  @Test
  void everyIntentionRoundTripsForTasksAndRetries() {
    TaskDetail td = task("t");
    RetryDetail rd = RetryDetail.create("r");
    LogBook saved = saveOneFlow(td, rd);
    AtomDetail t = saved.flows().get(0).atoms().get(0);
    AtomDetail r = saved.flows().get(0).atoms().get(1);

    for (Intention i : Intention.values()) {
      t = conn().updateAtomDetails(t.withIntention(i));
      r = conn().updateAtomDetails(r.withIntention(i));
      assertThat(conn().getAtomDetails(td.uuid()).intention()).as("task").isEqualTo(i);
      assertThat(conn().getAtomDetails(rd.uuid()).intention()).as("retry").isEqualTo(i);
    }
  }

  @Test
  void everyFlowStateRoundTrips() {
    LogBook saved = saveOneFlow(task("t"));
    FlowDetail fd = saved.flows().get(0);

    for (FlowState s : FlowState.values()) {
      fd = conn().updateFlowDetails(fd.withState(s));
      assertThat(conn().getFlowDetails(fd.uuid()).state()).isEqualTo(s);
      assertThat(conn().getFlowDetails(fd.uuid(), true).state()).isEqualTo(s);
    }
  }

  @Test
  void atomVersionAndMetaRoundTrip() {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put(AtomDetail.META_PROGRESS, 0.5);
    meta.put(
        AtomDetail.META_PROGRESS_DETAILS, Map.of("at_progress", 0.5, "details", Map.of("step", 3)));
    meta.put(AtomDetail.META_INJECTED, Map.of("x", List.of(1, 2)));
    meta.put("nothing", null);
    TaskDetail versioned = task("v").withVersion("1.0").withMeta(meta);
    TaskDetail unversioned = task("u");
    RetryDetail retry = RetryDetail.create("r").withVersion("2.3.4").withMeta(meta);
    saveOneFlow(versioned, unversioned, retry);

    assertThat(conn().getAtomDetails(versioned.uuid()).version()).isEqualTo("1.0");
    assertThat(conn().getAtomDetails(versioned.uuid()).meta()).isEqualTo(meta);
    assertThat(new ArrayList<>(conn().getAtomDetails(versioned.uuid()).meta().keySet()))
        .containsExactlyElementsOf(meta.keySet());
    assertThat(conn().getAtomDetails(unversioned.uuid()).version()).isNull();
    assertThat(conn().getAtomDetails(unversioned.uuid()).meta()).isEmpty();
    assertThat(conn().getAtomDetails(retry.uuid()).version()).isEqualTo("2.3.4");
    assertThat(conn().getAtomDetails(retry.uuid()).meta()).isEqualTo(meta);
  }

  @Test
  void taskResultsRevertResultsAndRevertFailureRoundTrip() {
    Failure revertFailure = failure("revert went wrong");
    TaskDetail reverted =
        task("reverted")
            .put(AtomState.FAILURE, failure("boom"))
            .put(AtomState.REVERTED, List.of("undo", 1));
    TaskDetail revertFailed = task("revert-failed").put(AtomState.REVERT_FAILURE, revertFailure);
    TaskDetail succeeded = task("ok").put(AtomState.SUCCESS, Map.of("answer", 42));
    TaskDetail nullResult = task("null").put(AtomState.SUCCESS, null);
    saveOneFlow(reverted, revertFailed, succeeded, nullResult);

    for (TaskDetail td : List.of(reverted, revertFailed, succeeded, nullResult)) {
      assertThat(unrevised(conn().getAtomDetails(td.uuid()))).as(td.name()).isEqualTo(td);
    }
    TaskDetail back = (TaskDetail) conn().getAtomDetails(reverted.uuid());
    assertThat(back.revertResults()).isEqualTo(List.of("undo", 1));
    assertThat(back.failure().exceptionStr()).isEqualTo("boom");
    assertThat(conn().getAtomDetails(revertFailed.uuid()).revertFailure().matches(revertFailure))
        .isTrue();
    assertThat(((TaskDetail) conn().getAtomDetails(nullResult.uuid())).results()).isNull();
  }

  @Test
  void unicodeNamesAndMetaRoundTrip() {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("ключ", "значение");
    meta.put("鍵", "値 🚀");
    meta.put("emoji 😀", List.of("ä", "ß", "\t\"quoted\"\\", "𝄞"));
    TaskDetail td = task("tâche ✓ 任务 🚀").withMeta(meta).put(AtomState.SUCCESS, "résultat 😀");
    FlowDetail fd = flow("flüß 流れ", td).withMeta(meta);
    LogBook lb = book("Ünïcødé 書 🚀").withMeta(meta).withFlow(fd);
    conn().saveLogBook(lb);

    LogBook reloaded = withOtherConnection(c -> c.getLogBook(lb.uuid()));
    assertThat(unrevised(reloaded)).isEqualTo(lb);
    assertThat(reloaded.name()).isEqualTo("Ünïcødé 書 🚀");
    assertThat(reloaded.meta()).isEqualTo(meta);
    FlowDetail rfd = reloaded.flows().get(0);
    assertThat(rfd.name()).isEqualTo("flüß 流れ");
    assertThat(rfd.atoms().get(0).name()).isEqualTo("tâche ✓ 任务 🚀");
    assertThat(rfd.atoms().get(0).lastResults()).isEqualTo("résultat 😀");
  }

  @Test
  void oneMegabyteValuesRoundTrip() {
    String big = Fixtures.oneMegabyte();
    Map<String, Object> bigMeta = new LinkedHashMap<>();
    for (int i = 0; i < 10_000; i++) {
      bigMeta.put("key-" + i, "value-" + i);
    }
    List<Integer> bigList = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      bigList.add(i);
    }
    TaskDetail td = task("big").put(AtomState.SUCCESS, big).withMeta(bigMeta);
    RetryDetail rd = RetryDetail.create("big-retry").put(AtomState.SUCCESS, bigList);
    FlowDetail fd = flow("f", td, rd).withMeta(Map.of("big", big));
    LogBook lb = book("b", fd);
    conn().saveLogBook(lb);

    assertThat(((TaskDetail) conn().getAtomDetails(td.uuid())).results()).isEqualTo(big);
    assertThat(conn().getAtomDetails(td.uuid()).meta()).isEqualTo(bigMeta);
    assertThat(conn().getAtomDetails(rd.uuid()).lastResults()).isEqualTo(bigList);
    assertThat(conn().getFlowDetails(fd.uuid()).meta().get("big")).isEqualTo(big);

    AtomDetail updated =
        conn()
            .updateAtomDetails(
                conn().getAtomDetails(td.uuid()).put(AtomState.SUCCESS, big + "tail"));
    assertThat(conn().getAtomDetails(td.uuid())).isEqualTo(updated);
  }

  @Test
  void lazyFlowFetchStillCarriesTheFlowsOwnFields() {
    FlowDetail fd = flow("f", task("t")).withState(FlowState.SUSPENDED).withMeta(Map.of("k", "v"));
    conn().saveLogBook(book("b", fd));

    FlowDetail lazy = conn().getFlowDetails(fd.uuid(), true);
    assertThat(unrevised(lazy)).isEqualTo(fd.withoutAtoms());
    assertThat(conn().getAtomsForFlow(fd.uuid())).hasSize(1);
  }

  @Test
  void atomsOfAFlowWithoutAtomsIsAnEmptyList() {
    FlowDetail fd = flow("empty");
    conn().saveLogBook(book("b", fd));

    assertThat(conn().getAtomsForFlow(fd.uuid())).isEmpty();
    assertThat(conn().getFlowDetails(fd.uuid()).atoms()).isEmpty();
  }
}
