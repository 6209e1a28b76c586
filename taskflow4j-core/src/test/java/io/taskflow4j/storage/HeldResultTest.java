package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Storage#saveLater}: a task's result held back to share the commit of the next atom's
 * RUNNING marker, written alone before anything else, never lost by a read, and stored with its
 * notification only if its write succeeds.
 */
class HeldResultTest {
  private Backend backend;
  private Connection memory;

  @BeforeEach
  void open() {
    backend = Backends.open("memory://");
    memory = backend.getConnection();
  }

  @AfterEach
  void close() {
    memory.close();
    backend.close();
  }

  private Storage storage(Connection c) {
    LogBook book = memory.saveLogBook(LogBook.create("book").withFlow(FlowDetail.create("flow")));
    Storage s = new Storage(book.flows().get(0), c);
    s.ensureAtoms(List.of(AtomSpec.task("a"), AtomSpec.task("b"), AtomSpec.task("c")));
    return s;
  }

  /** The stored detail, read without asking the storage (which would write what it holds). */
  private AtomDetail stored(Storage s, String name) {
    for (AtomDetail ad : memory.getFlowDetails(s.flowUuid()).atoms()) {
      if (ad.name().equals(name)) {
        return ad;
      }
    }
    throw new AssertionError("no atom " + name);
  }

  @Test
  void theResultAndTheNextMarkerAreOneWriteAndTheListenerHearsAfterIt() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING, Map.of("attempt", 1));
    c.writes.clear();
    AtomicInteger told = new AtomicInteger();
    s.saveLater("a", 42, Map.of("duration", 0.5), told::incrementAndGet);

    assertThat(c.writes).isEmpty();
    assertThat(told).hasValue(0);
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.RUNNING);

    s.setAtomState("b", AtomState.RUNNING, Map.of("attempt", 1));

    assertThat(c.writes).containsExactly(List.of("a:SUCCESS", "b:RUNNING"));
    assertThat(told).hasValue(1);
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.SUCCESS);
    assertThat(stored(s, "a").meta()).containsEntry("duration", 0.5);
    assertThat(stored(s, "b").state()).isEqualTo(AtomState.RUNNING);
    assertThat(s.getExecuteResult("a")).isEqualTo(42);
    // The in-memory details are the stored ones: the next writes of both atoms go through.
    s.save("b", "x");
    s.setAtomState("a", AtomState.PENDING);
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.PENDING);
  }

  @Test
  void anyOtherCallWritesTheHeldResultFirstAlone() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    c.writes.clear();
    AtomicInteger told = new AtomicInteger();

    s.saveLater("a", 1, null, told::incrementAndGet);
    assertThat(s.getExecuteFailures()).isEmpty(); // any read writes it first
    assertThat(c.writes).containsExactly(List.of("a:SUCCESS"));
    assertThat(told).hasValue(1);

    s.saveLater("a", 2, null, told::incrementAndGet);
    assertThat(s.getAtomState("b")).isEqualTo(AtomState.PENDING); // another atom: still held
    assertThat(told).hasValue(1);
    assertThat(s.getAtomState("a")).isEqualTo(AtomState.SUCCESS); // its own: written
    assertThat(told).hasValue(2);
    assertThat(stored(s, "a").lastResults()).isEqualTo(2);

    s.saveLater("a", 3, null, told::incrementAndGet);
    s.changeFlowState(FlowState.RUNNING); // the flow's state carries the held result
    assertThat(told).hasValue(3);
    assertThat(stored(s, "a").lastResults()).isEqualTo(3);
    assertThat(c.writes.get(c.writes.size() - 1)).containsExactly("flow:RUNNING", "a:SUCCESS");
    s.saveLater("a", 33, null, told::incrementAndGet);
    assertThat(s.changeFlowState(FlowState.RUNNING)).isFalse(); // no transition: the result alone
    assertThat(c.writes.get(c.writes.size() - 1)).containsExactly("a:SUCCESS");
    assertThat(told).hasValue(4);
    told.set(3);

    s.saveLater("a", 4, null, told::incrementAndGet);
    s.setAtomState("a", AtomState.RUNNING); // RUNNING of the same atom: the result first, alone
    assertThat(c.writes.subList(c.writes.size() - 2, c.writes.size()))
        .containsExactly(List.of("a:SUCCESS"), List.of("a:RUNNING"));
    assertThat(told).hasValue(4);

    s.saveLater("a", 5, null, told::incrementAndGet);
    s.flush();
    assertThat(told).hasValue(5);
    s.flush(); // nothing held: nothing written
    assertThat(told).hasValue(5);
  }

  @Test
  void aFailedJointWriteStoresNeitherAndTellsNoOne() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    AtomicInteger told = new AtomicInteger();
    s.saveLater("a", 7, null, told::incrementAndGet);
    c.failNextList = new ConflictException("another writer");

    assertThatThrownBy(() -> s.setAtomState("b", AtomState.RUNNING))
        .isInstanceOf(ConflictException.class);

    assertThat(told).hasValue(0);
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.RUNNING);
    assertThat(stored(s, "b").state()).isEqualTo(AtomState.PENDING);
    assertThat(s.getAtomState("a")).isEqualTo(AtomState.RUNNING); // memory is as stored
    s.flush(); // the failed result is not held any more
    assertThat(told).hasValue(0);
  }

  @Test
  void aFailedJointWriteNamesBothAtomsAndTheirFlow() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    s.saveLater("a", 7, null, () -> {});
    c.failNextList = new IllegalStateException("the driver broke");

    assertThatThrownBy(() -> s.setAtomState("b", AtomState.RUNNING))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("atom details 'a' and 'b' of flow detail 'flow'")
        .hasMessageContaining(IllegalStateException.class.getName());
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.RUNNING);
  }

  @Test
  void aStoreThatCannotWriteTwoAtomsTogetherGetsTheResultAtOnce() {
    TogetherConnection c = new TogetherConnection(memory, false);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    c.writes.clear();
    AtomicInteger told = new AtomicInteger();

    s.saveLater("a", 9, null, told::incrementAndGet);

    assertThat(c.writes).containsExactly(List.of("a:SUCCESS"));
    assertThat(told).hasValue(1);
    s.setAtomState("b", AtomState.RUNNING);
    assertThat(c.writes).containsExactly(List.of("a:SUCCESS"), List.of("b:RUNNING"));
  }

  @Test
  void aResultThatCannotBeStoredIsRefusedAtOnceAndNothingIsHeld() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    AtomicInteger told = new AtomicInteger();

    assertThatThrownBy(() -> s.saveLater("a", new Object(), null, told::incrementAndGet))
        .isInstanceOf(InvalidResultException.class);

    s.setAtomState("b", AtomState.RUNNING);
    assertThat(told).hasValue(0);
    assertThat(stored(s, "a").state()).isEqualTo(AtomState.RUNNING);
  }

  @Test
  void closingTheStorageWritesAHeldResult() {
    TogetherConnection c = new TogetherConnection(memory, true);
    Storage s = storage(c);
    s.setAtomState("a", AtomState.RUNNING);
    AtomicInteger told = new AtomicInteger();
    s.saveLater("a", "done", null, told::incrementAndGet);

    s.close();

    assertThat(told).hasValue(1);
    assertThat(stored(s, "a").lastResults()).isEqualTo("done");
  }
}
