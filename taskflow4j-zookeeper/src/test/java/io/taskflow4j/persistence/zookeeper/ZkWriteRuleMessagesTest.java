package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exact words of a refused write on ZooKeeper, which names a record by its name and uuid, and
 * knows of another owner only that it does not link the record: the kit checks the exception types
 * and that the message names the uuid; these messages are what users read.
 */
class ZkWriteRuleMessagesTest {
  private static TestingServer server;
  private static CuratorFramework admin;
  private String path;
  private Backend backend;
  private Connection c;

  @BeforeAll
  static void startServer() throws Exception {
    server = ZkTesting.startServer();
    admin = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    admin.close();
    server.close();
  }

  @BeforeEach
  void open() {
    path = ZkTesting.freshPath("rules");
    backend = Backends.open("zookeeper://" + server.getConnectString() + path);
    c = backend.getConnection();
  }

  @AfterEach
  void close() throws Exception {
    c.close();
    backend.close();
    ZkTesting.deleteTree(admin, path);
  }

  @Test
  void aStaleRevisionIsAConflictThatNamesTheRecordByNameAndUuid() {
    LogBook first = c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    c.saveLogBook(first);
    FlowDetail fd = first.flows().get(0);
    assertThatThrownBy(() -> c.saveLogBook(first))
        .isInstanceOf(ConflictException.class)
        .hasMessage(
            "Flow detail 'f' ("
                + fd.uuid()
                + ") was changed by another writer (stored revision 2, this write was based on"
                + " revision 1); reload it and try again");

    TaskDetail t = TaskDetail.create("t");
    FlowDetail withAtom = c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withAtom(t));
    c.updateAtomDetails(withAtom.atoms().get(0));
    assertThatThrownBy(() -> c.updateAtomDetails(withAtom.atoms().get(0)))
        .isInstanceOf(ConflictException.class)
        .hasMessage(
            "Atom detail 't' ("
                + t.uuid()
                + ") was changed by another writer (stored revision 2, this write was based on"
                + " revision 1); reload it and try again");
  }

  @Test
  void aDetailOfAnotherParentIsADuplicate() {
    TaskDetail t = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(t);
    c.saveLogBook(LogBook.create("one").withFlow(fd));
    LogBook two = LogBook.create("two").withFlow(FlowDetail.of("f", fd.uuid()));
    assertThatThrownBy(() -> c.saveLogBook(two))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Flow detail '"
                + fd.uuid()
                + "' already belongs to another logbook, not to '"
                + two.uuid()
                + "'");

    FlowDetail other = FlowDetail.create("g").withAtom(TaskDetail.of("t", t.uuid()));
    LogBook three = LogBook.create("three").withFlow(other);
    assertThatThrownBy(() -> c.saveLogBook(three))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail '"
                + t.uuid()
                + "' already belongs to another flow detail, not to '"
                + other.uuid()
                + "'");

    LogBook mine = c.saveLogBook(LogBook.create("mine"));
    FlowDetail thief = FlowDetail.create("thief").withAtom(TaskDetail.of("t", t.uuid()));
    assertThatThrownBy(() -> c.replaceLogBook(mine.withFlows(List.of(thief))))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail '"
                + t.uuid()
                + "' already belongs to another logbook, not to '"
                + mine.uuid()
                + "'");
  }

  @Test
  void aRetryUnderATasksUuidIsADuplicateThatNamesBothTypes() {
    TaskDetail t = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(t);
    LogBook book = c.saveLogBook(LogBook.create("b").withFlow(fd));
    FlowDetail asRetry = FlowDetail.of("f", fd.uuid()).withAtom(RetryDetail.of("t", t.uuid()));
    assertThatThrownBy(() -> c.saveLogBook(book.withFlows(List.of(asRetry))))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail '"
                + t.uuid()
                + "' is stored as a TASK_DETAIL and cannot be replaced by a RETRY_DETAIL");
  }

  @Test
  void anAtomCarriedByTwoFlowsOfOneBookIsADuplicate() {
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
  }
}
