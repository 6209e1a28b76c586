package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A storage without a connection keeps its values privately instead of in a {@link MemoryBackend}
 * of its own; what it shows must be exactly what such a backend would have given back: the same
 * details, revisions, uuids and live failures. It also makes an atom's PENDING detail only when it
 * is first read, and keeps a name with one whole-result provider without a providers object: both
 * must be invisible.
 */
class PrivateStoreTest {

  private static StorageOptions options() {
    AtomicInteger next = new AtomicInteger();
    return StorageOptions.builder()
        .clock(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC))
        .uuidSupplier(() -> "u" + next.incrementAndGet())
        .build();
  }

  /** One failure for both storages (a failure's equality includes its live exception). */
  private static final Failure BOOM = Failure.of(new IllegalStateException("boom"));

  private static final Consumer<Storage> WORK =
      s -> {
        s.ensureAtoms(
            List.of(
                new AtomSpec("a", AtomKind.TASK, "1.0", ResultMapping.whole("x")),
                new AtomSpec("r", AtomKind.RETRY, null, ResultMapping.none()),
                new AtomSpec("b", AtomKind.TASK, null, ResultMapping.byKey(List.of("k")))));
        s.inject(Map.of("v", 1), false);
        s.injectAtomArgs("b", Map.of("w", 2), false);
        s.changeFlowState(FlowState.RUNNING);
        s.setAtomState("a", AtomState.RUNNING, Map.of("progress", 0.0));
        s.save("a", 5, AtomState.SUCCESS, Map.of("progress", 1.0));
        s.save("r", "again");
        s.save("b", BOOM, AtomState.FAILURE);
        s.updateFlowMetadata(Map.of("m", "n"));
        s.reset("a", AtomState.PENDING);
      };

  @Test
  void showsWhatAMemoryBackendOfItsOwnWouldHaveGivenBack() {
    Storage alone = new Storage(FlowDetail.of("flow", "f1"), null, options());
    WORK.accept(alone);

    StorageOptions memOptions = options();
    memOptions.uuidSupplier().get(); // the logbook uuid the private store draws too
    Connection conn = new MemoryBackend().getConnection();
    LogBook book = conn.saveLogBook(LogBook.create("book").withFlow(FlowDetail.of("flow", "f1")));
    Storage backed = new Storage(book.find("f1").orElseThrow(), conn, memOptions);
    WORK.accept(backed);

    FlowDetail got = alone.flowDetail();
    assertThat(got.revision()).isGreaterThan(1);
    assertThat(got).isEqualTo(backed.flowDetail());
    assertThat(got.atoms())
        .extracting(d -> d.revision())
        .containsExactlyElementsOf(
            backed.flowDetail().atoms().stream().map(d -> d.revision()).toList());
    assertThat(got.atoms()).extracting(d -> d.uuid()).containsExactly("u2", "u3", "u4", "u5");
    assertThat(((TaskDetail) alone.atomDetail("b")).failure().exception())
        .containsInstanceOf(IllegalStateException.class);
    assertThat(alone.getExecuteFailures().get("b").exception())
        .containsInstanceOf(IllegalStateException.class);
    assertThat(alone.fetch("v")).isEqualTo(1);
  }

  @Test
  void keepsTheAtomsOfTheFlowDetailItIsGiven() {
    FlowDetail fd =
        FlowDetail.of("flow", "f2")
            .withAtoms(
                List.of(TaskDetail.of("t", "t1").withRevision(7).withState(AtomState.SUCCESS)));
    Storage s = new Storage(fd, null, options());
    assertThat(s.atomDetail("t").revision()).isEqualTo(1);
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.SUCCESS);
    s.setAtomState("t", AtomState.RUNNING);
    assertThat(s.atomDetail("t").revision()).isEqualTo(2);
    assertThat(s.flowDetail().revision()).isEqualTo(1);
  }

  // ---- made when first read, and one providers object only where needed

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
