package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The private store (no connection) makes an atom's PENDING detail only when it is first read, and
 * keeps a name with one whole-result provider without a providers object: both must be invisible.
 */
class PrivateStoreTest {

  private static Storage privateStore() {
    return new Storage(FlowDetail.create("f"), null, null);
  }

  private static Storage privateStore(Supplier<String> uuids) {
    return new Storage(
        FlowDetail.create("f"), null, StorageOptions.builder().uuidSupplier(uuids).build());
  }

  @Test
  void newDetailsAreWhatAWrittenDetailWouldBe() {
    Storage s = privateStore();
    List<String> uuids =
        s.ensureAtoms(
            List.of(
                new AtomSpec("t", AtomKind.TASK, "2.0", ResultMapping.whole("x")),
                AtomSpec.retry("r")));

    // Read without making the details
    assertThat(s.getAtomUuid("t")).isEqualTo(uuids.get(0));
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    assertThat(s.getAtomIntention("r")).isEqualTo(Intention.EXECUTE);
    assertThat(s.getAtomsStatesInOrder(List.of("t", "r")))
        .containsOnly(StateAndIntention.of(AtomState.PENDING, Intention.EXECUTE));

    AtomDetail t = s.atomDetail("t");
    assertThat(t)
        .isEqualTo(TaskDetail.of("t", uuids.get(0)).withVersion("2.0").withRevision(1))
        .isEqualTo(TaskDetail.of("t", uuids.get(0), "2.0", 1));
    assertThat(t.state()).isEqualTo(AtomState.PENDING);
    assertThat(t.intention()).isEqualTo(Intention.EXECUTE);
    assertThat(s.atomDetail("t")).isSameAs(t); // made once
    assertThat(s.atomDetail("r")).isInstanceOf(RetryDetail.class);
    assertThat(s.atomDetail("r").revision()).isEqualTo(1);
    assertThat(s.flowDetail().atoms())
        .extracting(AtomDetail::uuid)
        .containsExactlyElementsOf(uuids);
    assertThat(s.flowDetail().revision()).isEqualTo(2); // made, then the new atoms written

    s.setAtomState("t", AtomState.RUNNING);
    assertThat(s.atomDetail("t").revision()).isEqualTo(2);
    assertThat(s.atomDetail("t").uuid()).isEqualTo(uuids.get(0));
  }

  @Test
  void aSuppliedUuidIsCheckedWhenDrawn() {
    AtomicInteger calls = new AtomicInteger();
    // the first uuid is the private logbook's
    Storage s = privateStore(() -> calls.getAndIncrement() == 0 ? "book" : "../escape");
    assertThatThrownBy(() -> s.ensureAtom(AtomSpec.task("t")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../escape");
    assertThat(s.flowDetail().atoms()).isEmpty();
  }

  @Test
  void uuidsAreDrawnInSpecOrderOncePerNewName() {
    AtomicInteger next = new AtomicInteger();
    Storage s = privateStore(() -> "u" + next.incrementAndGet());
    List<String> uuids =
        s.ensureAtoms(List.of(AtomSpec.task("a"), AtomSpec.task("b"), AtomSpec.task("a")));
    // u1 went to the private logbook
    assertThat(uuids).containsExactly("u2", "u3", "u2");
    assertThat(s.ensureAtoms(List.of(AtomSpec.task("c"), AtomSpec.task("b"))))
        .containsExactly("u4", "u3");
  }

  @Test
  void aSoleProviderBecomesOneOfSeveralWhenAnotherSourceArrives() {
    Storage s = privateStore();
    s.ensureAtoms(List.of(AtomSpec.task("a", ResultMapping.whole("x"))));
    s.save("a", 1);
    assertThat(s.fetch("x")).isEqualTo(1);

    // injected values come first; a second atom adds a second value
    s.inject(Map.of("x", 0), false);
    assertThat(s.fetch("x")).isEqualTo(0);
    s.ensureAtoms(List.of(AtomSpec.task("b", ResultMapping.whole("x"))));
    s.save("b", 2);
    assertThat(s.fetchAll()).containsEntry("x", List.of(0, 1, 2));

    // the same atom with a part of its result instead of the whole
    Storage p = privateStore();
    p.ensureAtoms(List.of(AtomSpec.task("a", ResultMapping.whole("x"))));
    p.ensureAtoms(List.of(AtomSpec.task("a", ResultMapping.byKey(List.of("x")))));
    p.save("a", Map.of("x", 7));
    assertThat(p.fetch("x")).isEqualTo(7);
  }
}
