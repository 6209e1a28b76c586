package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash points around ZooKeeper transactions: a {@link ZkWriteHook} fails the k-th logbook write
 * just before its multi-operation is sent (it must leave nothing) or just after the server applied
 * it (the caller is told it failed; it is stored), for each write of a series that saves, updates
 * and deletes. After each the store reads consistently, including the raw orphan check.
 */
@Timeout(120)
class ZkWriteCrashTest {
  @EmbeddedZooKeeper private static TestingServer server;
  private static CuratorFramework raw;

  @BeforeAll
  static void start() throws Exception {
    raw = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
  }

  private static final int WRITES = 6;

  private static void write(Connection c, int i, List<LogBook> books) {
    switch (i) {
      case 1 ->
          books.add(
              c.saveLogBook(
                  LogBook.create("b")
                      .withFlow(
                          FlowDetail.create("f")
                              .withAtom(TaskDetail.create("a"))
                              .withAtom(TaskDetail.create("b")))));
      case 2 -> c.updateAtomDetails(atom(c, books).withState(AtomState.RUNNING));
      case 3 -> c.updateAtomDetails(atom(c, books).put(AtomState.SUCCESS, 42));
      case 4 ->
          c.updateFlowDetails(
              c.getFlowDetails(books.get(0).flows().get(0).uuid(), true)
                  .withState(FlowState.RUNNING));
      case 5 -> books.add(c.saveLogBook(LogBook.create("other").withFlow(FlowDetail.create("g"))));
      case 6 -> c.destroyLogBook(books.get(books.size() - 1).uuid());
      default -> throw new IllegalArgumentException("no write " + i);
    }
  }

  private static AtomDetail atom(Connection c, List<LogBook> books) {
    return c.getAtomDetails(books.get(0).flows().get(0).atoms().get(0).uuid());
  }

  /** Every znode under {@code root} with its data. */
  private static TreeMap<String, String> tree(String root) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    walk(root, out);
    return out;
  }

  private static void walk(String path, TreeMap<String, String> out) throws Exception {
    byte[] data = raw.getData().forPath(path);
    out.put(path, data == null ? "" : new String(data, StandardCharsets.UTF_8));
    for (String child : raw.getChildren().forPath(path)) {
      walk(path + "/" + child, out);
    }
  }

  private static String url(String root) {
    return "zookeeper://" + server.getConnectString() + root + "?retry_base_sleep_ms=20";
  }

  @ParameterizedTest(name = "write {0}, {1} the transaction")
  @CsvSource({
    "1, before", "2, before", "3, before", "4, before", "5, before", "6, before",
    "1, after", "2, after", "3, after", "4, after", "5, after", "6, after"
  })
  void aFailureAtEitherSideOfATransactionLeavesAConsistentStore(int failAt, String side)
      throws Exception {
    String root = ZkTesting.freshPath("crash");
    AtomicInteger writes = new AtomicInteger();
    boolean before = side.equals("before");
    ZkWriteHook hook =
        new ZkWriteHook() {
          @Override
          public void beforeWrite(String what) throws KeeperException {
            if (before && writes.incrementAndGet() == failAt) {
              throw KeeperException.create(KeeperException.Code.SYSTEMERROR, "injected before");
            }
          }

          @Override
          public void afterWrite(String what) throws KeeperException {
            if (!before && writes.incrementAndGet() == failAt) {
              throw KeeperException.create(KeeperException.Code.SYSTEMERROR, "injected after");
            }
          }
        };
    List<LogBook> books = new ArrayList<>();
    try (Backend b = ZkBackendProvider.create(BackendConf.parse(url(root)), hook);
        Connection c = b.getConnection()) {
      c.upgrade();
      for (int i = 1; i < failAt; i++) {
        write(c, i, books);
      }
      TreeMap<String, String> beforeTree = tree(root);
      int n = failAt;
      assertThatThrownBy(() -> write(c, n, books))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(before ? "injected before" : "injected after");
      if (before) {
        assertThat(tree(root))
            .as("a write cut before its transaction leaves nothing")
            .isEqualTo(beforeTree);
      } else {
        assertThat(tree(root))
            .as("a write cut after its transaction is stored")
            .isNotEqualTo(beforeTree);
      }
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
      // and the store goes on working: the remaining writes succeed, on what was stored
      books.clear();
      books.addAll(c.getLogBooks());
      if (books.isEmpty()) {
        return;
      }
      for (int i = failAt + 1; i <= WRITES; i++) {
        if (before && failAt == 5 && i == 6) {
          continue; // the book to delete was never saved
        }
        write(c, i, books);
      }
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
    }
  }

  @Test
  void aConnectionLossBeforeTheTransactionIsRetriedAndStoredOnce() throws Exception {
    String root = ZkTesting.freshPath("retry");
    AtomicInteger calls = new AtomicInteger();
    ZkWriteHook hook =
        new ZkWriteHook() {
          @Override
          public void beforeWrite(String what) throws KeeperException {
            if (calls.incrementAndGet() == 1) {
              throw KeeperException.create(KeeperException.Code.CONNECTIONLOSS);
            }
          }

          @Override
          public void afterWrite(String what) {}
        };
    try (Backend b = ZkBackendProvider.create(BackendConf.parse(url(root)), hook);
        Connection c = b.getConnection()) {
      c.upgrade();
      LogBook saved = c.saveLogBook(LogBook.create("once").withFlow(FlowDetail.create("f")));
      assertThat(calls.get()).isEqualTo(2);
      assertThat(c.getLogBooks()).extracting(LogBook::uuid).containsExactly(saved.uuid());
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
    }
  }
}
