package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Digest credentials: a backend given {@code zookeeper://user:password@host/path} writes znodes
 * only that user can read or write. Clients without the credentials, or with a wrong password, are
 * refused by the server itself.
 */
class ZkAclTest {
  private static final String PASSWORD = "s3cret-Pw";
  private static TestingServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ZkTesting.startServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  private static String url(String userInfo, String path) {
    return "zookeeper://" + userInfo + "@" + server.getConnectString() + path;
  }

  @Test
  void onlyTheCredentialsTheStoreWasWrittenWithCanReadOrWriteIt() throws Exception {
    String path = ZkTesting.freshPath("acl");
    TaskDetail td = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(td);
    LogBook lb = LogBook.create("secret book").withFlow(fd);
    try (Backend owner = Backends.open(url("alice:" + PASSWORD, path));
        Connection c = owner.getConnection()) {
      c.saveLogBook(lb);
      c.validate();
      assertThat(c.getLogBook(lb.uuid()).name()).isEqualTo("secret book");
      assertThat(owner.conf().toString()).doesNotContain(PASSWORD);
      assertThat(owner.toString()).doesNotContain(PASSWORD);
    }

    // A plain client without credentials: the server refuses reads and writes (NoAuth).
    try (CuratorFramework anonymous = ZkTesting.plainClient(server.getConnectString())) {
      String atom = path + "/atom_details/" + td.uuid();
      // ZooKeeper 3.9 checks READ even for exists()
      assertThatThrownBy(() -> anonymous.checkExists().forPath(atom))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.getData().forPath(atom))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.setData().forPath(atom, "{}".getBytes()))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.getChildren().forPath(path + "/books"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.create().forPath(path + "/books/intruder"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(
              () ->
                  anonymous.delete().forPath(path + "/flow_details/" + fd.uuid() + "/" + td.uuid()))
          .isInstanceOf(KeeperException.NoAuthException.class);
    }

    // Every znode carries the digest ACL of that user, nothing open.
    try (CuratorFramework authed =
        CuratorFrameworkFactory.builder()
            .connectString(server.getConnectString())
            .retryPolicy(new RetryOneTime(100))
            .authorization("digest", ("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8))
            .build()) {
      authed.start();
      assertThat(authed.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
      for (String z :
          List.of(
              path,
              path + "/books/" + lb.uuid(),
              path + "/flow_details/" + fd.uuid(),
              path + "/flow_details/" + fd.uuid() + "/" + td.uuid(),
              path + "/atom_details/" + td.uuid())) {
        List<ACL> acl = authed.getACL().forPath(z);
        assertThat(acl).as(z).hasSize(1);
        assertThat(acl.get(0).getId().getScheme()).isEqualTo("digest");
        assertThat(acl.get(0).getId().getId()).startsWith("alice:");
        assertThat(acl.get(0).getPerms()).isEqualTo(ZooDefs.Perms.ALL);
      }
    }

    // The backend with a wrong password or none: a typed refusal, no password in the message.
    try (Backend wrong = Backends.fetch(url("alice:not-" + PASSWORD, path));
        Connection c = wrong.getConnection()) {
      assertThatThrownBy(() -> c.getLogBook(lb.uuid()))
          .isInstanceOf(ZkAccessDeniedException.class)
          .hasMessageContaining("alice")
          .hasMessageContaining("check the user name and password")
          .hasMessageNotContaining(PASSWORD);
      assertThatThrownBy(() -> c.updateAtomDetails(td.withMetaEntries(java.util.Map.of("x", 1))))
          .isInstanceOf(ZkAccessDeniedException.class)
          .hasMessageNotContaining(PASSWORD);
      assertThatThrownBy(c::validate).isInstanceOf(ZkAccessDeniedException.class);
    }
    try (Backend none = Backends.fetch("zookeeper://" + server.getConnectString() + path);
        Connection c = none.getConnection()) {
      assertThatThrownBy(c::getLogBooks)
          .isInstanceOf(ZkAccessDeniedException.class)
          .hasMessageContaining("user name and password");
    }
  }
}
