package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Storage#deferNewAtoms}: the atoms the next {@link Storage#ensureAtoms} creates go with the
 * flow's next state change, in one write; any other write writes them first, and the deferral
 * applies to that one call only.
 */
class DeferredAtomsTest {
  private Backend backend;
  private Connection memory;
  private TogetherConnection c;
  private Storage s;

  @BeforeEach
  void open() {
    backend = Backends.open("memory://");
    memory = backend.getConnection();
    c = new TogetherConnection(memory, true);
    LogBook book = memory.saveLogBook(LogBook.create("book").withFlow(FlowDetail.create("flow")));
    s = new Storage(book.flows().get(0), c);
  }

  @AfterEach
  void close() {
    memory.close();
    backend.close();
  }

  private List<String> stored() {
    return memory.getFlowDetails(s.flowUuid()).atoms().stream()
        .map(a -> a.name() + ":" + a.state())
        .toList();
  }

  @Test
  void newAtomsGoWithTheNextStateChange() {
    s.deferNewAtoms();
    s.ensureAtoms(List.of(AtomSpec.task("a"), AtomSpec.task("b")));
    assertThat(c.writes).isEmpty();
    assertThat(stored()).isEmpty();
    assertThat(s.getAtomState("a")).isEqualTo(AtomState.PENDING); // known in memory

    assertThat(s.changeFlowState(FlowState.RESUMING)).isFalse(); // ignored: nothing to carry them
    assertThat(c.writes).isEmpty();
    assertThat(s.changeFlowState(FlowState.RUNNING)).isTrue();

    assertThat(c.writes).containsExactly(List.of("flow:RUNNING", "a:PENDING", "b:PENDING"));
    assertThat(stored()).containsExactly("a:PENDING", "b:PENDING");
    assertThat(memory.getFlowDetails(s.flowUuid()).state()).isEqualTo(FlowState.RUNNING);
  }

  @Test
  void anyOtherWriteWritesThemFirst() {
    s.deferNewAtoms();
    s.ensureAtoms(List.of(AtomSpec.task("a"), AtomSpec.task("b")));
    s.setAtomState("b", AtomState.RUNNING, Map.of());
    assertThat(c.writes)
        .containsExactly(List.of("flow:PENDING", "a:PENDING", "b:PENDING"), List.of("b:RUNNING"));

    c.writes.clear();
    s.deferNewAtoms();
    s.ensureAtoms(List.of(AtomSpec.task("c")));
    s.updateFlowMetadata(Map.of("k", "v"));
    assertThat(c.writes)
        .containsExactly(List.of("flow:PENDING", "c:PENDING"), List.of("flow:PENDING"));
    assertThat(stored()).containsExactly("a:PENDING", "b:RUNNING", "c:PENDING");

    c.writes.clear();
    s.deferNewAtoms();
    s.ensureAtoms(List.of(AtomSpec.task("d")));
    s.writeDeferredAtoms();
    s.writeDeferredAtoms(); // nothing left
    assertThat(c.writes).containsExactly(List.of("flow:PENDING", "d:PENDING"));
  }

  @Test
  void theDeferralAppliesToOneCallEvenWhenItMakesNoAtom() {
    s.ensureAtoms(List.of(AtomSpec.task("a")));
    c.writes.clear();
    s.deferNewAtoms();
    s.ensureAtoms(List.of(AtomSpec.task("a"))); // exists: nothing made, nothing deferred
    s.ensureAtoms(List.of(AtomSpec.task("b"))); // written at once
    assertThat(c.writes).containsExactly(List.of("flow:PENDING", "b:PENDING"));
    assertThat(stored()).containsExactly("a:PENDING", "b:PENDING");
  }
}
