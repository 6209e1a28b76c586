package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.interop.Canonical;
import io.taskflow4j.persistence.interop.StoreReads;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A ZooKeeper store that OpenStack TaskFlow wrote (by running its engines), read by taskflow4j as
 * it was found: through {@link Backends#fetch}, never {@code upgrade()}; every record read exactly
 * as TaskFlow reads it, the verifier finding nothing, and every znode of the server (data and stat:
 * versions, zxids, children) the same afterwards.
 */
class TaskFlowZkStoreAsFoundTest {
  private static final Path SCRIPT = TaskFlowPython.script("tf_zk_interop.py");

  @EmbeddedZooKeeper private static TestingServer server;
  private static String problem;

  private CuratorFramework client;
  private String path;
  private String hosts;

  @BeforeAll
  static void findTaskFlow() throws Exception {
    problem = TaskFlowPython.problem(SCRIPT);
  }

  @BeforeEach
  void requireTaskFlow() throws Exception {
    TaskFlowPython.require(problem);
    path = ZkTesting.freshPath("as-found");
    hosts = server.getConnectString();
    client = ZkTesting.plainClient(hosts);
  }

  @AfterEach
  void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void aStoreTaskFlowWroteIsReadExactlyAsFoundAndLeftUnchanged() throws Exception {
    Map<String, Object> written = runJson("engines", hosts, path);
    Map<String, String> before = snapshot(client);

    try (Backend backend = Backends.fetch("zookeeper://" + hosts + path);
        Connection conn = backend.getConnection()) {
      // TaskFlow's layout is taskflow4j's: the store is usable as it is, nothing to adopt.
      conn.validate();
      StoreReads.assertReadExactly(
          conn,
          Canonical.taskflow4jView(
              castMap(written.get("dump")), castMap(written.get("retry_values"))));
      Report report = StoreVerifier.verify(conn);
      assertThat(report.problems()).as(report.toString()).isEmpty();
      assertThat(report.books()).isEqualTo(2);
      assertThat(report.flows()).isEqualTo(3);
    }
    assertThat(snapshot(client)).isEqualTo(before);
  }

  @Test
  void aStoreMissingADirectoryZnodeIsReadAndValidateSaysUpgradeAddsIt() throws Exception {
    String connection = "zookeeper://" + hosts + path;
    LogBook book = LogBook.create("b").withFlow(FlowDetail.create("no atoms"));
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      book = conn.saveLogBook(book);
    }
    // Deleted by hand or by a tool: the store is still readable, and upgrade() makes it again.
    client.delete().forPath(path + "/atom_details");
    Map<String, String> before = snapshot(client);
    try (Backend backend = Backends.fetch(connection);
        Connection conn = backend.getConnection()) {
      assertThatThrownBy(conn::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining(path + "/atom_details")
          .hasMessageContaining("upgrade()");
      assertThat(conn.getLogBook(book.uuid())).isEqualTo(book);
      assertThat(StoreVerifier.verify(conn).problems()).isEmpty();
    }
    assertThat(snapshot(client)).isEqualTo(before);
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      conn.validate();
      assertThat(conn.getLogBook(book.uuid())).isEqualTo(book);
    }

    // A root without any of the three is no store at all: nothing to adopt, just to create.
    client.create().forPath(path + "-bare");
    try (Backend backend = Backends.fetch(connection + "-bare");
        Connection conn = backend.getConnection()) {
      assertThatThrownBy(conn::validate)
          .isInstanceOf(StorageException.class)
          .isNotInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("upgrade()");
    }
  }

  /** Every znode of the server but ZooKeeper's own, with its data and its whole stat. */
  static Map<String, String> snapshot(CuratorFramework client) throws Exception {
    Map<String, String> out = new TreeMap<>();
    walk(client, "/", out);
    return out;
  }

  private static void walk(CuratorFramework client, String node, Map<String, String> out)
      throws Exception {
    Stat stat = new Stat();
    byte[] data = client.getData().storingStatIn(stat).forPath(node);
    out.put(
        node,
        stat.toString().strip()
            + " data="
            + (data == null ? "null" : HexFormat.of().formatHex(data)));
    for (String child : client.getChildren().forPath(node)) {
      String p = node.equals("/") ? "/" + child : node + "/" + child;
      if (!p.equals("/zookeeper")) {
        walk(client, p, out);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> runJson(String... args) throws Exception {
    Object v = TaskFlowPython.runJson(SCRIPT, args);
    if (!(v instanceof Map<?, ?>)) {
      throw new AssertionError("tf_zk_interop.py printed no JSON object: " + v);
    }
    return (Map<String, Object>) v;
  }
}
