package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the ZooKeeper backend: TaskFlow's znode layout, one transaction per save,
 * revisions as znode versions, the size limit, and session expiry.
 */
class ZkBackendTest {
  @EmbeddedZooKeeper private static TestingServer server;
  private static CuratorFramework admin;
  private String path;
  private Backend backend;
  private Connection conn;

  @BeforeAll
  static void startServer() throws Exception {
    admin = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    admin.close();
  }

  @BeforeEach
  void open() {
    path = ZkTesting.freshPath("zk");
    backend = Backends.open("zookeeper://" + server.getConnectString() + path);
    conn = backend.getConnection();
  }

  @AfterEach
  void close() throws Exception {
    conn.close();
    backend.close();
    ZkTesting.deleteTree(admin, path);
  }

  private Map<?, ?> json(String znode) throws Exception {
    return (Map<?, ?>) Json.read(admin.getData().forPath(znode));
  }

  private Stat stat(String znode) throws Exception {
    return admin.checkExists().forPath(znode);
  }

  @Test
  void theStoreHasTaskFlowsZnodeLayout() throws Exception {
    TaskDetail t1 = TaskDetail.create("t1").put(AtomState.SUCCESS, 2);
    TaskDetail t2 = TaskDetail.create("t2");
    FlowDetail fd = FlowDetail.create("flow").withAtom(t1).withAtom(t2);
    LogBook lb = LogBook.create("book").withMeta(Map.of("k", "v")).withFlow(fd);
    conn.saveLogBook(lb);

    assertThat(admin.getChildren().forPath(path))
        .containsExactlyInAnyOrder("books", "flow_details", "atom_details");
    Map<?, ?> book = json(path + "/books/" + lb.uuid());
    assertThat(book.get("name")).isEqualTo("book");
    assertThat(book.get("uuid")).isEqualTo(lb.uuid());
    assertThat(book.get("meta")).isEqualTo(Map.of("k", "v"));
    // TaskFlow's marshalled time: a dict of calendar fields
    List<Object> timeKeys =
        new java.util.ArrayList<>(((Map<?, ?>) book.get("created_at")).keySet());
    assertThat(timeKeys)
        .containsExactlyInAnyOrder(
            "year", "month", "day", "hour", "minute", "second", "microsecond");
    assertThat(admin.getChildren().forPath(path + "/books/" + lb.uuid()))
        .containsExactly(fd.uuid());

    Map<?, ?> flow = json(path + "/flow_details/" + fd.uuid());
    assertThat(flow.get("name")).isEqualTo("flow");
    assertThat(flow.get("state")).isEqualTo("PENDING");
    assertThat(admin.getChildren().forPath(path + "/flow_details/" + fd.uuid()))
        .containsExactlyInAnyOrder(t1.uuid(), t2.uuid());
    // the links hold their position in the transaction that made them
    assertThat(admin.getData().forPath(path + "/flow_details/" + fd.uuid() + "/" + t2.uuid()))
        .isEqualTo("1".getBytes(StandardCharsets.US_ASCII));

    Map<?, ?> atom = json(path + "/atom_details/" + t1.uuid());
    assertThat(atom.get("type")).isEqualTo("TASK_DETAIL");
    Map<?, ?> inner = (Map<?, ?>) atom.get("atom");
    assertThat(inner.get("name")).isEqualTo("t1");
    assertThat(inner.get("results")).isEqualTo(2);
    assertThat(inner.get("state")).isEqualTo("SUCCESS");
    assertThat(inner.get("intention")).isEqualTo("EXECUTE");
  }

  @Test
  void aSaveIsOneTransaction() throws Exception {
    TaskDetail t1 = TaskDetail.create("t1");
    FlowDetail fd = FlowDetail.create("flow").withAtom(t1);
    LogBook lb = LogBook.create("book").withFlow(fd);
    LogBook saved = conn.saveLogBook(lb);

    // Every znode of the save was created by the same ZooKeeper transaction (one zxid).
    long zxid = stat(path + "/books/" + lb.uuid()).getCzxid();
    for (String z :
        List.of(
            "/books/" + lb.uuid() + "/" + fd.uuid(),
            "/flow_details/" + fd.uuid(),
            "/flow_details/" + fd.uuid() + "/" + t1.uuid(),
            "/atom_details/" + t1.uuid())) {
      assertThat(stat(path + z).getCzxid()).as(z).isEqualTo(zxid);
    }

    // A flow update changing the flow, updating one atom and adding another: one zxid too.
    TaskDetail t2 = TaskDetail.create("t2");
    FlowDetail stored = saved.flows().get(0);
    conn.updateFlowDetails(
        stored
            .withState(FlowState.RUNNING)
            .withAtom(stored.atoms().get(0).withState(AtomState.RUNNING))
            .withAtom(t2));
    long update = stat(path + "/flow_details/" + fd.uuid()).getMzxid();
    assertThat(update).isGreaterThan(zxid);
    assertThat(stat(path + "/atom_details/" + t1.uuid()).getMzxid()).isEqualTo(update);
    assertThat(stat(path + "/atom_details/" + t2.uuid()).getCzxid()).isEqualTo(update);
    assertThat(stat(path + "/flow_details/" + fd.uuid() + "/" + t2.uuid()).getCzxid())
        .isEqualTo(update);
  }

  @Test
  void revisionsAreZnodeVersionsPlusOneAndOtherWritersAreDetected() throws Exception {
    TaskDetail t = TaskDetail.create("t");
    LogBook saved =
        conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(t)));
    String atomZnode = path + "/atom_details/" + t.uuid();
    AtomDetail first = saved.flows().get(0).atoms().get(0);
    assertThat(first.revision()).isEqualTo(1);
    assertThat(stat(atomZnode).getVersion()).isZero();

    AtomDetail second = conn.updateAtomDetails(first.withState(AtomState.RUNNING));
    assertThat(second.revision()).isEqualTo(2);
    assertThat(stat(atomZnode).getVersion()).isEqualTo(1);

    // Another client (TaskFlow, say) rewrites the znode: the version moves on.
    admin.setData().forPath(atomZnode, admin.getData().forPath(atomZnode));
    assertThatThrownBy(() -> conn.updateAtomDetails(second.withState(AtomState.SUCCESS)))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining(t.uuid())
        .hasMessageContaining("stored revision 3");
    assertThat(conn.getAtomDetails(t.uuid()).state()).isEqualTo(AtomState.RUNNING);
    assertThat(conn.getAtomDetails(t.uuid()).revision()).isEqualTo(3);
  }

  @Test
  void aValueOverTheLimitIsRefusedNamingTheAtomAndTheLimitBeforeAnythingIsWritten()
      throws Exception {
    // The server accepts 8 MiB in the tests; this backend is told the default limit of 1 MiB.
    try (Backend small =
            Backends.fetch(
                "zookeeper://" + server.getConnectString() + path + "?max_value_bytes=1048575");
        Connection c = small.getConnection()) {
      String big = "x".repeat(1_100_000);
      TaskDetail huge = TaskDetail.create("huge-task").put(AtomState.SUCCESS, big);
      TaskDetail fine = TaskDetail.create("fine");
      LogBook lb =
          LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(fine).withAtom(huge));

      Throwable refused = catchThrowable(() -> c.saveLogBook(lb));
      assertThat(refused)
          .isInstanceOf(ZkValueTooLargeException.class)
          .hasMessageContaining("huge-task")
          .hasMessageContaining(huge.uuid())
          .hasMessageContaining("1048575")
          .hasMessageContaining("nothing was written");
      assertThat(((ZkValueTooLargeException) refused).limit()).isEqualTo(1048575);
      assertThat(admin.getChildren().forPath(path + "/books")).isEmpty();
      assertThat(admin.getChildren().forPath(path + "/atom_details")).isEmpty();

      // An update of a stored atom with a too large value leaves it as it was.
      LogBook saved =
          c.saveLogBook(LogBook.create("ok").withFlow(FlowDetail.create("f").withAtom(fine)));
      AtomDetail stored = saved.flows().get(0).atoms().get(0);
      assertThatThrownBy(() -> c.updateAtomDetails(stored.put(AtomState.SUCCESS, big)))
          .isInstanceOf(ZkValueTooLargeException.class)
          .hasMessageContaining("fine")
          .hasMessageContaining("1048575");
      assertThat(c.getAtomDetails(fine.uuid())).isEqualTo(stored);

      // Values that fit one by one but not together in one transaction: refused whole.
      String third = "y".repeat(400_000);
      LogBook many =
          LogBook.create("many")
              .withFlow(
                  FlowDetail.create("f3")
                      .withAtom(TaskDetail.create("a").put(AtomState.SUCCESS, third))
                      .withAtom(TaskDetail.create("b").put(AtomState.SUCCESS, third))
                      .withAtom(TaskDetail.create("c").put(AtomState.SUCCESS, third)));
      assertThatThrownBy(() -> c.saveLogBook(many))
          .isInstanceOf(ZkValueTooLargeException.class)
          .hasMessageContaining(many.uuid())
          .hasMessageContaining("1048575");
      assertThat(admin.getChildren().forPath(path + "/books")).containsExactly(saved.uuid());
    }
  }

  @Test
  void anAtomCarriedByTwoFlowsOfOneBookIsADuplicateAndNothingIsWritten() throws Exception {
    TaskDetail shared = TaskDetail.create("shared");
    LogBook lb =
        LogBook.create("b")
            .withFlow(FlowDetail.create("f1").withAtom(shared))
            .withFlow(FlowDetail.create("f2").withAtom(shared));
    assertThatThrownBy(() -> conn.saveLogBook(lb))
        .isInstanceOf(io.taskflow4j.persistence.DuplicateException.class)
        .hasMessageContaining(shared.uuid());
    assertThat(admin.getChildren().forPath(path + "/books")).isEmpty();

    // An atom of one stored flow carried by another flow: also a duplicate.
    FlowDetail f1 = FlowDetail.create("f1").withAtom(shared);
    conn.saveLogBook(LogBook.create("one").withFlow(f1));
    FlowDetail f2 = FlowDetail.create("f2").withAtom(shared);
    assertThatThrownBy(() -> conn.saveLogBook(LogBook.create("two").withFlow(f2)))
        .isInstanceOf(io.taskflow4j.persistence.DuplicateException.class)
        .hasMessageContaining(shared.uuid());
    assertThat(admin.getChildren().forPath(path + "/books")).hasSize(1);
  }

  @Test
  void readsOfUuidsThatCannotNameAZnodeAreNotFound() throws Exception {
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    // "../books" would otherwise read the books directory itself
    for (String u : List.of("../books", "a/b", "")) {
      assertThatThrownBy(() -> conn.getLogBook(u))
          .isInstanceOf(io.taskflow4j.persistence.NotFoundException.class);
      assertThatThrownBy(() -> conn.getFlowDetails(u))
          .isInstanceOf(io.taskflow4j.persistence.NotFoundException.class);
      assertThatThrownBy(() -> conn.getAtomDetails(u))
          .isInstanceOf(io.taskflow4j.persistence.NotFoundException.class);
    }
  }

  @Test
  void anExpiredSessionIsReplacedAndTheOperationRetried() throws Exception {
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    ((ZkBackend) backend).currentZooKeeper().getTestable().injectSessionExpiration();

    assertThat(conn.getLogBook(lb.uuid()).name()).isEqualTo("b");
    conn.saveLogBook(lb.withMeta(Map.of("after", "expiry")));
    assertThat(conn.getLogBook(lb.uuid()).meta()).isEqualTo(Map.of("after", "expiry"));
  }

  @Test
  void aLostConnectionIsRetried() throws Exception {
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    FlowDetail fd = lb.flows().get(0);
    for (int i = 0; i < 2; i++) {
      ((ZkBackend) backend).currentZooKeeper().getTestable().closeSocket();
      fd = conn.updateFlowDetails(fd.withMeta(Map.of("round", i)));
    }
    assertThat(conn.getFlowDetails(fd.uuid()).meta()).isEqualTo(Map.of("round", 1));
    assertThat(conn.getFlowDetails(fd.uuid()).revision()).isEqualTo(fd.revision());
  }

  @Test
  void validateChecksTheServerVersionAndThatTheStoreIsPrepared() throws Exception {
    conn.validate();
    int[] version =
        ZkServerVersion.ask(server.getConnectString().replace("localhost", "127.0.0.1"), 3000);
    // the embedded server is the ZooKeeper this module is built with ("srvr" is allowed)
    assertThat(version).containsExactly(3, 9, 5);
    assertThat(ZkServerVersion.parse("Zookeeper version: 3.3.6-1366786, built on 07/29/2012"))
        .containsExactly(3, 3, 6);
    assertThat(ZkServerVersion.atLeast(new int[] {3, 3, 6}, ZkServerVersion.MINIMUM)).isFalse();
    assertThat(ZkServerVersion.atLeast(new int[] {3, 4, 0}, ZkServerVersion.MINIMUM)).isTrue();
    assertThat(ZkServerVersion.parse("srvr is not executed because it is not in the whitelist."))
        .isNull();

    try (Backend unprepared =
            Backends.fetch("zookeeper://" + server.getConnectString() + path + "-not-upgraded");
        Connection c = unprepared.getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("upgrade()");
      assertThatThrownBy(() -> c.saveLogBook(LogBook.create("b")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("upgrade()");
    }
  }

  @Test
  void theRetryBudgetEndsInAStorageExceptionWhenTheServerIsDown(
      @EmbeddedZooKeeper TestingServer own) throws Exception {
    String url =
        "zookeeper://"
            + own.getConnectString()
            + "/budget?retry_budget_ms=1500&connection_timeout_ms=1000"
            + "&session_timeout_ms=4000&retry_max_sleep_ms=300";
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      LogBook lb = c.saveLogBook(LogBook.create("b"));
      own.stop();

      long start = System.nanoTime();
      Throwable t = catchThrowable(() -> c.getLogBook(lb.uuid()));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(t)
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("could not be reached")
          .hasMessageContaining("retry_budget_ms=1500");
      assertThat(ms).isBetween(1_000L, 8_000L);

      // Back up within the session: the same backend works again.
      own.restart();
      assertThat(c.getLogBook(lb.uuid()).name()).isEqualTo("b");
    }
  }
}
