package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exact words of a refused write on the memory and directory backends: the kit checks the
 * exception types and that the message names the uuid; these messages are what users read.
 */
class WriteRuleMessagesTest {
  @TempDir Path tmp;

  private Backend open(String scheme) {
    Backend b =
        Backends.fetch(scheme.equals("dir") ? "dir://" + tmp.resolve("store") : "memory://");
    try (Connection c = b.getConnection()) {
      c.upgrade();
    }
    return b;
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "dir"})
  void aStaleRevisionIsAConflictThatSaysWhichRecordAndBothRevisions(String scheme) {
    try (Backend b = open(scheme);
        Connection c = b.getConnection()) {
      LogBook first = c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
      c.saveLogBook(first);
      FlowDetail fd = first.flows().get(0);
      assertThatThrownBy(() -> c.saveLogBook(first))
          .isInstanceOf(ConflictException.class)
          .hasMessage(
              "Flow detail '"
                  + fd.uuid()
                  + "' was changed by another writer (stored revision 2, this write was based on"
                  + " revision 1); reload it and try again");

      TaskDetail t = TaskDetail.create("t");
      FlowDetail withAtom = c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withAtom(t));
      c.updateAtomDetails(withAtom.atoms().get(0));
      assertThatThrownBy(() -> c.updateAtomDetails(withAtom.atoms().get(0)))
          .isInstanceOf(ConflictException.class)
          .hasMessage(
              "Atom detail '"
                  + t.uuid()
                  + "' was changed by another writer (stored revision 2, this write was based on"
                  + " revision 1); reload it and try again");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "dir"})
  void aDetailOfAnotherParentIsADuplicateThatNamesItsOwner(String scheme) {
    try (Backend b = open(scheme);
        Connection c = b.getConnection()) {
      TaskDetail t = TaskDetail.create("t");
      FlowDetail fd = FlowDetail.create("f").withAtom(t);
      LogBook one = c.saveLogBook(LogBook.create("one").withFlow(fd));
      LogBook two = LogBook.create("two").withFlow(FlowDetail.of("f", fd.uuid()));
      assertThatThrownBy(() -> c.saveLogBook(two))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(
              "Flow detail '"
                  + fd.uuid()
                  + "' already belongs to logbook '"
                  + one.uuid()
                  + "', not to '"
                  + two.uuid()
                  + "'");

      FlowDetail other = FlowDetail.create("g");
      c.saveLogBook(c.getLogBook(one.uuid()).withFlow(other));
      assertThatThrownBy(() -> c.updateFlowDetails(other.withAtom(TaskDetail.of("t", t.uuid()))))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(
              "Atom detail '"
                  + t.uuid()
                  + "' already belongs to flow detail '"
                  + fd.uuid()
                  + "', not to '"
                  + other.uuid()
                  + "'");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "dir"})
  void aRetryUnderATasksUuidIsADuplicateThatNamesBothTypes(String scheme) {
    try (Backend b = open(scheme);
        Connection c = b.getConnection()) {
      TaskDetail t = TaskDetail.create("t");
      FlowDetail fd = FlowDetail.create("f").withAtom(t);
      LogBook book = c.saveLogBook(LogBook.create("b").withFlow(fd));
      String expected =
          "Atom detail '"
              + t.uuid()
              + "' is stored as a TASK_DETAIL and cannot be replaced by a RETRY_DETAIL";
      assertThatThrownBy(() -> c.updateAtomDetails(RetryDetail.of("t", t.uuid())))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(expected);
      FlowDetail asRetry = FlowDetail.of("f", fd.uuid()).withAtom(RetryDetail.of("t", t.uuid()));
      assertThatThrownBy(() -> c.saveLogBook(book.withFlows(List.of(asRetry))))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "dir"})
  void aReplacementCarryingAnAtomOfAnotherBookIsADuplicateThatNamesItsOwner(String scheme) {
    try (Backend b = open(scheme);
        Connection c = b.getConnection()) {
      TaskDetail t = TaskDetail.create("t");
      FlowDetail owner = FlowDetail.create("f").withAtom(t);
      LogBook other = c.saveLogBook(LogBook.create("other").withFlow(owner));
      LogBook mine = c.saveLogBook(LogBook.create("mine"));
      FlowDetail thief = FlowDetail.create("thief").withAtom(TaskDetail.of("t", t.uuid()));
      String expected =
          scheme.equals("memory")
              ? "Atom detail '"
                  + t.uuid()
                  + "' already belongs to flow detail '"
                  + owner.uuid()
                  + "' of logbook '"
                  + other.uuid()
                  + "', not to '"
                  + thief.uuid()
                  + "'"
              : "Atom detail '"
                  + t.uuid()
                  + "' already belongs to flow detail '"
                  + owner.uuid()
                  + "', not to '"
                  + thief.uuid()
                  + "'";
      assertThatThrownBy(() -> c.replaceLogBook(mine.withFlows(List.of(thief))))
          .isInstanceOf(DuplicateException.class)
          .hasMessage(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dir"})
  void anAtomCarriedByTwoFlowsOfOneBookIsADuplicate(String scheme) {
    try (Backend b = open(scheme);
        Connection c = b.getConnection()) {
      TaskDetail t = TaskDetail.create("t");
      FlowDetail f1 = FlowDetail.create("f1").withAtom(t);
      FlowDetail f2 = FlowDetail.create("f2").withAtom(t);
      LogBook lb = LogBook.create("b").withFlow(f1).withFlow(f2);
      assertThatThrownBy(() -> c.saveLogBook(lb))
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
      assertThatThrownBy(() -> c.getLogBook(lb.uuid())).isInstanceOf(NotFoundException.class);
    }
  }
}
