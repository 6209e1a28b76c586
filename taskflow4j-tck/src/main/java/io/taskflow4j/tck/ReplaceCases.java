package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.CREATED;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.InvalidTextException;
import io.taskflow4j.persistence.LimitExceededException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Connection#replaceLogBook}: one step that leaves the new book whole, or the stored one as
 * it was; and {@link Connection#checkStorable}, which refuses before anything is written.
 */
public abstract class ReplaceCases {

  /** The connection under test, upgraded, over an empty store. */
  protected abstract Connection conn();

  private LogBook stored() {
    TaskDetail a1 = task("a1").put(AtomState.SUCCESS, Map.of("v", 1));
    TaskDetail a2 = task("a2");
    TaskDetail a3 = task("a3").put(AtomState.SUCCESS, "three");
    FlowDetail f1 = flow("f1", a1, a2).withState(FlowState.RUNNING);
    FlowDetail f2 = flow("f2", a3).withState(FlowState.SUCCESS);
    return conn().saveLogBook(Fixtures.book("stored", f1, f2).withMeta(Map.of("k", "old")));
  }

  @Test
  void replaceWritesTheWholeNewTreeAndRemovesWhatOnlyTheOldHad() {
    LogBook old = stored();
    FlowDetail f1 = old.flows().get(0);
    FlowDetail f2 = old.flows().get(1);
    AtomDetail a1 = f1.atoms().get(0);
    AtomDetail a2 = f1.atoms().get(1);
    AtomDetail a3 = f2.atoms().get(0);
    // a1 changes, a2 is dropped, a3 moves from f2 (dropped) to f1, a1's uuid is kept; a new flow
    // f3 holds a retry whose uuid is new; the book's meta and creation time change.
    AtomDetail a1New = a1.withRevision(0).put(AtomState.SUCCESS, Map.of("v", 2));
    AtomDetail a3Moved = a3.withRevision(0);
    TaskDetail a4 = task("a4");
    FlowDetail f1New =
        f1.withRevision(0).withAtoms(List.of(a1New, a3Moved, a4)).withState(FlowState.PENDING);
    RetryDetail r = RetryDetail.create("r");
    FlowDetail f3 = flow("f3", r);
    Instant created = CREATED.minusSeconds(86_400);
    LogBook replacement =
        LogBook.of(old.uuid(), "renamed", created, null, Map.of("k", "new"), List.of(f1New, f3));

    LogBook written = conn().replaceLogBook(replacement);

    assertThat(unrevised(written)).isEqualTo(unrevised(replacement));
    LogBook read = conn().getLogBook(old.uuid());
    assertThat(unrevised(read)).isEqualTo(unrevised(replacement));
    assertThat(read.createdAt()).isEqualTo(created);
    assertThatThrownBy(() -> conn().getFlowDetails(f2.uuid()))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn().getAtomDetails(a2.uuid()))
        .isInstanceOf(NotFoundException.class);
    assertThat(conn().getAtomDetails(a3.uuid()).state()).isEqualTo(AtomState.SUCCESS);
    // the written revisions are the stored ones: a writer can go on from them
    FlowDetail f1Written = written.flows().get(0);
    conn().updateFlowDetails(f1Written.withState(FlowState.RUNNING));
    assertThat(StoreVerifier.verify(conn()).ok()).as("%s", StoreVerifier.verify(conn())).isTrue();
  }

  @Test
  void replaceMayChangeTheTypeOfAnAtomOfTheOldBook() {
    LogBook old = stored();
    FlowDetail f1 = old.flows().get(0);
    String a1 = f1.atoms().get(0).uuid();
    RetryDetail retry = RetryDetail.of("a1", a1, null, 0);
    LogBook replacement = old.withFlows(List.of(f1.withRevision(0).withAtoms(List.of(retry))));

    conn().replaceLogBook(replacement);

    assertThat(conn().getAtomDetails(a1)).isInstanceOf(RetryDetail.class);
    assertThat(unrevised(conn().getLogBook(old.uuid())))
        .isEqualTo(unrevised(replacement.withFlows(replacement.flows())));
  }

  @Test
  void replacingABookThatIsNotStoredSavesIt() {
    LogBook book = Fixtures.book("new", flow("f", task("t")));
    conn().replaceLogBook(book);
    assertThat(unrevised(conn().getLogBook(book.uuid()))).isEqualTo(unrevised(book));
  }

  @Test
  void aReplacementHoldingADetailOfAnotherBookIsRefusedAndTheStoredBookStaysAsItWas() {
    LogBook old = stored();
    LogBook other = conn().saveLogBook(Fixtures.book("other", flow("of", task("ot"))));
    FlowDetail foreign = other.flows().get(0);
    LogBook before = conn().getLogBook(old.uuid());
    List<FlowDetail> flows = new ArrayList<>();
    flows.add(flow("fresh", task("x")));
    flows.add(unrevised(foreign));
    LogBook replacement = old.withFlows(flows);

    assertThatThrownBy(() -> conn().replaceLogBook(replacement))
        .isInstanceOf(DuplicateException.class)
        .hasMessageContaining(foreign.uuid());

    assertThat(conn().getLogBook(old.uuid())).isEqualTo(before);
    assertThat(conn().getLogBook(other.uuid())).isEqualTo(other);
    AtomDetail foreignAtom = foreign.atoms().get(0);
    LogBook atomThief =
        old.withFlows(List.of(flow("thief", TaskDetail.of("ot", foreignAtom.uuid(), null, 0))));
    assertThatThrownBy(() -> conn().replaceLogBook(atomThief))
        .isInstanceOf(DuplicateException.class)
        .hasMessageContaining(foreignAtom.uuid());
    assertThat(conn().getLogBook(old.uuid())).isEqualTo(before);
    assertThat(conn().getLogBook(other.uuid())).isEqualTo(other);
  }

  @Test
  void aNameOverTheStoresLimitIsRefusedBeforeAnythingIsWritten() {
    OptionalLong max = conn().limits().max(StoreLimits.Field.ATOM_NAME);
    assumeTrue(max.isPresent(), "this store keeps names of any length");
    LogBook old = stored();
    LogBook before = conn().getLogBook(old.uuid());
    FlowDetail f1 = old.flows().get(0);
    String longName = "n".repeat((int) max.getAsLong() + 1);
    LogBook replacement =
        old.withFlows(List.of(f1.withRevision(0).withAtoms(List.of(task(longName), task("fine")))));

    assertThatThrownBy(() -> conn().checkStorable(replacement))
        .isInstanceOf(LimitExceededException.class)
        .hasMessageContaining(f1.uuid())
        .hasMessageContaining("name is " + longName.length() + " characters long");
    assertThatThrownBy(() -> conn().replaceLogBook(replacement))
        .isInstanceOf(LimitExceededException.class);
    assertThat(conn().getLogBook(old.uuid())).isEqualTo(before);
  }

  @Test
  void aLoneSurrogateInAFailureIsRefusedByEveryStore() {
    // Failures captured from live exceptions escape lone surrogates; one built from parts (read
    // from a file, say) may hold one.
    Failure broken =
        Failure.of(
            List.of("java.lang.RuntimeException"), "broken \ud800 text", "", List.of(), null);
    TaskDetail t = task("t").put(AtomState.FAILURE, broken);
    LogBook book = Fixtures.book("b", flow("f", t));
    assertThatThrownBy(() -> conn().checkStorable(book))
        .isInstanceOf(InvalidTextException.class)
        .hasMessageContaining(t.uuid())
        .hasMessageContaining("\\ud800");
    assertThatThrownBy(() -> conn().replaceLogBook(book)).isInstanceOf(InvalidTextException.class);
    assertThatThrownBy(() -> conn().getLogBook(book.uuid())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void theLimitsOfTheStoreAdmitWhatItWasGivenToStore() {
    LogBook book = Fixtures.book("b", flow("f", task("t")));
    conn().checkStorable(book);
    assertThat(conn().limits().violations(book, 10)).isEmpty();
    assertThat(uuid()).isNotEmpty();
  }
}
