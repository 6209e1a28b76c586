package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.tck.WriteRuleMessageCases;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The words of a refused write on ZooKeeper, which names a record by its name and uuid, and knows
 * of another owner only that it does not link the record.
 */
class ZkWriteRuleMessagesTest extends WriteRuleMessageCases {
  @EmbeddedZooKeeper private static TestingServer server;
  private static CuratorFramework admin;
  private String path;
  private Backend backend;
  private Connection c;

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

  @Override
  protected Connection conn() {
    return c;
  }

  /** A conflict names the record as every ZooKeeper message does: by name and uuid. */
  @Override
  protected String subject(String kindLabel, String name, String uuid) {
    return kindLabel + " '" + name + "' (" + uuid + ")";
  }

  /** A record is owned when its parent links it; the owner of an unlinked one is not looked up. */
  @Override
  protected String owner(String kindNoun, String uuid) {
    return "another " + kindNoun;
  }

  @Override
  protected String atomOfAnotherBook(
      String atomUuid, String ownerFlow, String ownerBook, String newFlow, String newBook) {
    return "Atom detail '"
        + atomUuid
        + "' already belongs to another logbook, not to '"
        + newBook
        + "'";
  }

  @Override
  protected boolean checksTheTypeOfAnAtomUpdate() {
    return false;
  }
}
