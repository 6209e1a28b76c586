package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Digest credentials: a backend given {@code zookeeper://user:password@host/path} writes znodes
 * only that user can read or write. Clients without the credentials, or with a wrong password, are
 * refused by the server itself, and the backend and the board say which znode refused which user
 * (never the password), and whether the credentials lack permission there (NoAuth) or the server
 * refused the credentials themselves (AuthFailed).
 */
class ZkAclTest {
  private static final String PASSWORD = "s3cret-Pw";
  @EmbeddedZooKeeper private static TestingServer server;

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

  private static CuratorFramework authed(String user) throws InterruptedException {
    CuratorFramework c =
        CuratorFrameworkFactory.builder()
            .connectString(server.getConnectString())
            .retryPolicy(new RetryOneTime(100))
            .authorization("digest", (user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))
            .build();
    c.start();
    assertThat(c.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
    return c;
  }

  /** The message of what {@code call} throws: a refusal that names the znode and the user. */
  private static String refusal(ThrowingCallable call, String user) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(ZkAccessDeniedException.class);
    assertThat(t.getMessage())
        .contains("user '" + user + "'")
        .doesNotContain("null")
        .doesNotContain(PASSWORD);
    return t.getMessage();
  }

  @Test
  void credentialsLackingPermissionAreSaidToLackItOnTheZnodeThatRefusedThem() throws Exception {
    String path = ZkTesting.freshPath("noauth");
    String book;
    try (Backend owner = Backends.open(url("alice:" + PASSWORD, path));
        Connection c = owner.getConnection()) {
      book = c.saveLogBook(LogBook.create("book")).uuid();
    }
    try (Backend wrong = Backends.fetch(url("alice:not-" + PASSWORD, path));
        Connection c = wrong.getConnection()) {
      List<ThrowingCallable> calls =
          List.of(
              c::validate,
              c::getLogBooks,
              c::upgrade,
              () -> c.saveLogBook(LogBook.create("intruder")),
              () -> c.getLogBook(book));
      for (ThrowingCallable call : calls) {
        assertThat(refusal(call, "alice"))
            .containsPattern("znode " + path + "(/[-a-z0-9_.]+)*[ ;:,]")
            .contains("lacks permission")
            .contains("check the user name and password");
      }
    }
  }

  @Test
  void theBoardNamesTheZnodeWhoseAclRefusedAUserEvenInATransaction() throws Exception {
    String path = ZkTesting.freshPath("board-acl");
    String alice = url("alice:" + PASSWORD, path);
    try (Jobboard board = Jobboards.open(alice)) {
      board.post(JobSpec.of("j", new BookRef("b", UUID.randomUUID().toString()), "f-1"));
    }
    // A wrong password: the board's znodes refuse it on opening.
    assertThat(refusal(() -> Jobboards.open(url("alice:not-" + PASSWORD, path)).close(), "alice"))
        .contains("znode " + path + "/jobs")
        .contains("lacks permission");

    // Bob may read the board but not write it: his post, one transaction (its idempotency key
    // and the job), is refused on the znode it creates in, which ZooKeeper leaves unnamed.
    try (CuratorFramework admin = authed("alice")) {
      List<String> all = new ArrayList<>();
      collect(admin, path, all);
      String bobDigest = DigestAuthenticationProvider.generateDigest("bob:" + PASSWORD);
      for (String z : all) {
        admin
            .setACL()
            .withACL(
                List.of(
                    new ACL(
                        ZooDefs.Perms.ALL,
                        new Id(
                            "digest",
                            DigestAuthenticationProvider.generateDigest("alice:" + PASSWORD))),
                    new ACL(ZooDefs.Perms.READ, new Id("digest", bobDigest))))
            .forPath(z);
      }
    }
    try (Jobboard bob = Jobboards.open(url("bob:" + PASSWORD, path))) {
      assertThat(bob.jobs()).hasSize(1);
      JobSpec keyed =
          JobSpec.of("k", new BookRef("b", UUID.randomUUID().toString()), "f-2")
              .withIdempotencyKey("order-1");
      assertThat(refusal(() -> bob.post(keyed), "bob"))
          .contains("znode " + path + "/.keys")
          .contains("lacks permission");
      String job = bob.jobs().get(0).uuid();
      assertThat(refusal(() -> bob.claim(job, OwnerId.generate("bob")), "bob"))
          .contains("znode " + path + "/jobs/")
          .contains("lacks permission");
    }
  }

  @Test
  void credentialsTheServerRefusesAreSaidToBeRefused() throws Exception {
    String path = ZkTesting.freshPath("authfailed");
    try (Backend owner = Backends.open(url("alice:" + PASSWORD, path))) {
      owner.getConnection().close();
    }
    String refused = RefusingDigestProvider.REFUSED_USER;
    RefusingDigestProvider.install();
    try {
      long start = System.nanoTime();
      try (Backend b = Backends.fetch(url(refused + ":" + PASSWORD, path));
          Connection c = b.getConnection()) {
        for (ThrowingCallable call : List.<ThrowingCallable>of(c::validate, c::getLogBooks)) {
          assertThat(refusal(call, refused))
              .contains("refused the credentials of user '" + refused + "'")
              .contains(path)
              .contains("check the user name and password")
              .doesNotContain("lacks permission");
        }
      }
      assertThat(
              refusal(() -> Jobboards.open(url(refused + ":" + PASSWORD, path)).close(), refused))
          .contains("refused the credentials of user '" + refused + "'")
          .contains(path + "/jobs");
      // said at once, not after the retry budget as if the server could not be reached
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(20);
    } finally {
      RefusingDigestProvider.uninstall();
    }
  }

  private static void collect(CuratorFramework c, String node, List<String> out) throws Exception {
    out.add(node);
    for (String child : c.getChildren().forPath(node)) {
      collect(c, node + "/" + child, out);
    }
  }
}
