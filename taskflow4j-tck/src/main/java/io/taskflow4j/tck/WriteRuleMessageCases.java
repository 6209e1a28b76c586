package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exact words of a refused write. The contract ({@link BackendContractTest}) checks the
 * exception types and that the message names the uuid; these are the messages users read, which
 * come from {@code io.taskflow4j.persistence.spi.WriteRules}. A backend names records and owners
 * with what it knows: override the wording hooks where it knows less (or says more).
 */
public abstract class WriteRuleMessageCases {

  /** The connection under test, upgraded, over an empty store. */
  protected abstract Connection conn();

  /** How a conflict names a record: "Flow detail 'uuid'" unless the backend says more. */
  protected String subject(String kindLabel, String name, String uuid) {
    return kindLabel + " '" + uuid + "'";
  }

  /** How a duplicate names the owner of a record: "logbook 'uuid'", or "another logbook". */
  protected String owner(String kindNoun, String uuid) {
    return kindNoun + " '" + uuid + "'";
  }

  /** How a replacement carrying an atom of another book is refused. */
  protected String atomOfAnotherBook(
      String atomUuid, String ownerFlow, String ownerBook, String newFlow, String newBook) {
    return "Atom detail '"
        + atomUuid
        + "' already belongs to flow detail '"
        + ownerFlow
        + "', not to '"
        + newFlow
        + "'";
  }

  /**
   * Whether an update of an atom detail alone checks its type (ZooKeeper writes the znode by
   * version only).
   */
  protected boolean checksTheTypeOfAnAtomUpdate() {
    return true;
  }

  /** Whether the backend refuses a book whose flows carry one atom detail twice. */
  protected boolean refusesAnAtomCarriedTwice() {
    return true;
  }

  @Test
  void aStaleRevisionIsAConflictThatSaysWhichRecordAndBothRevisions() {
    Connection c = conn();
    LogBook first = c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    c.saveLogBook(first);
    FlowDetail fd = first.flows().get(0);
    assertThatThrownBy(() -> c.saveLogBook(first))
        .isInstanceOf(ConflictException.class)
        .hasMessage(stale(subject("Flow detail", "f", fd.uuid())));

    TaskDetail t = TaskDetail.create("t");
    FlowDetail withAtom = c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withAtom(t));
    c.updateAtomDetails(withAtom.atoms().get(0));
    assertThatThrownBy(() -> c.updateAtomDetails(withAtom.atoms().get(0)))
        .isInstanceOf(ConflictException.class)
        .hasMessage(stale(subject("Atom detail", "t", t.uuid())));
  }

  private static String stale(String subject) {
    return subject
        + " was changed by another writer (stored revision 2, this write was based on revision"
        + " 1); reload it and try again";
  }

  @Test
  void aDetailOfAnotherParentIsADuplicateThatNamesItsOwner() {
    Connection c = conn();
    TaskDetail t = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(t);
    LogBook one = c.saveLogBook(LogBook.create("one").withFlow(fd));
    LogBook two = LogBook.create("two").withFlow(FlowDetail.of("f", fd.uuid()));
    assertThatThrownBy(() -> c.saveLogBook(two))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Flow detail '"
                + fd.uuid()
                + "' already belongs to "
                + owner("logbook", one.uuid())
                + ", not to '"
                + two.uuid()
                + "'");

    FlowDetail other = FlowDetail.create("g");
    c.saveLogBook(c.getLogBook(one.uuid()).withFlow(other));
    assertThatThrownBy(() -> c.updateFlowDetails(other.withAtom(TaskDetail.of("t", t.uuid()))))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail '"
                + t.uuid()
                + "' already belongs to "
                + owner("flow detail", fd.uuid())
                + ", not to '"
                + other.uuid()
                + "'");
  }

  @Test
  void aRetryUnderATasksUuidIsADuplicateThatNamesBothTypes() {
    Connection c = conn();
    TaskDetail t = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(t);
    LogBook book = c.saveLogBook(LogBook.create("b").withFlow(fd));
    String expected =
        "Atom detail '"
            + t.uuid()
            + "' is stored as a TASK_DETAIL and cannot be replaced by a RETRY_DETAIL";
    FlowDetail asRetry = FlowDetail.of("f", fd.uuid()).withAtom(RetryDetail.of("t", t.uuid()));
    assertThatThrownBy(() -> c.saveLogBook(book.withFlows(List.of(asRetry))))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(expected);
    assertThatThrownBy(() -> c.updateFlowDetails(asRetry))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(expected);
    if (checksTheTypeOfAnAtomUpdate()) {
      assertThatThrownBy(() -> c.updateAtomDetails(RetryDetail.of("t", t.uuid())))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(expected);
    }
  }

  @Test
  void aReplacementCarryingAnAtomOfAnotherBookIsADuplicateThatNamesItsOwner() {
    Connection c = conn();
    TaskDetail t = TaskDetail.create("t");
    FlowDetail owner = FlowDetail.create("f").withAtom(t);
    LogBook other = c.saveLogBook(LogBook.create("other").withFlow(owner));
    LogBook mine = c.saveLogBook(LogBook.create("mine"));
    FlowDetail thief = FlowDetail.create("thief").withAtom(TaskDetail.of("t", t.uuid()));
    assertThatThrownBy(() -> c.replaceLogBook(mine.withFlows(List.of(thief))))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            atomOfAnotherBook(t.uuid(), owner.uuid(), other.uuid(), thief.uuid(), mine.uuid()));
  }

  @Test
  void anAtomCarriedByTwoFlowsOfOneBookIsADuplicateAndNothingIsWritten() {
    assumeTrue(refusesAnAtomCarriedTwice(), "this backend does not look for an atom carried twice");
    TaskDetail t = TaskDetail.create("t");
    FlowDetail f1 = FlowDetail.create("f1").withAtom(t);
    FlowDetail f2 = FlowDetail.create("f2").withAtom(t);
    LogBook lb = LogBook.create("b").withFlow(f1).withFlow(f2);
    assertThatThrownBy(() -> conn().saveLogBook(lb))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail '"
                + t.uuid()
                + "' is carried by two flow details of logbook '"
                + lb.uuid()
                + "' ('"
                + f1.uuid()
                + "' and '"
                + f2.uuid()
                + "'); an atom detail belongs to one flow detail");
    assertThatThrownBy(() -> conn().getLogBook(lb.uuid())).isInstanceOf(NotFoundException.class);
  }
}
