package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores the shaded jar may not use, said as they are: a directory store this user may not read
 * (another user's, mode 0700) is not "missing a directory", a regular file is not a store that
 * "does not exist" (and {@code upgrade} does not turn it into one), and a ZooKeeper store whose ACL
 * refuses the credentials names the znode and the user, never the password.
 */
class StoreAccessIT {
  private static final String ZK_PASSWORD = "s3cret-Zk";

  @TempDir Path dir;

  @AfterEach
  void reachableAgain() throws Exception {
    Path store = dir.resolve("store");
    if (Files.isDirectory(store)) {
      Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /** Every command that opens a store, reading or writing, with {@code connection} appended. */
  private static List<String[]> commands(String book) {
    return List.of(
        new String[] {"logbooks", "list", "--all"},
        new String[] {"logbooks", "list", "--state", "FAILURE"},
        new String[] {"logbooks", "prune", "--older-than", "1d", "--no-board", "--dry-run"},
        new String[] {"logbooks", "show", book},
        new String[] {"logbooks", "delete", book},
        new String[] {"export"},
        new String[] {"verify"},
        new String[] {"validate"},
        new String[] {"resume", "--all"},
        new String[] {"upgrade"});
  }

  private static String[] with(String[] command, String connection) {
    List<String> args = new ArrayList<>(List.of(command));
    args.add("--connection");
    args.add(connection);
    return args.toArray(String[]::new);
  }

  @Test
  void anotherUsersPrivateDirectoryStoreIsSaidToBeUnreadableNotMissing() throws Exception {
    Path store = dir.resolve("store");
    String connection = Cli.dir(store);
    String book;
    try (Backend b = Backends.open(connection);
        Connection c = b.getConnection()) {
      book = c.saveLogBook(LogBook.create("private")).uuid();
    }
    // Others may reach the store's directory but not into it: the default mode of a store is
    // 0700, which stops every user but its owner (and root, so the commands run as another user;
    // without root, the owner is stopped by mode 0000 instead).
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        store, PosixFilePermissions.fromString(Jar.runningAsRoot(dir) ? "rwx------" : "---------"));
    Map<String, String> before = snapshotAsOwner(store);

    for (String[] command : commands(book)) {
      Cli.Result r = Jar.runAsAnotherUser(dir, with(command, connection));
      String what = String.join(" ", command);
      r.expect(ExitCodes.STORE);
      assertThat(r.errLines()).as(what).hasSize(1);
      assertThat(r.err())
          .as(what)
          .contains("the directory store " + store + " exists but this user")
          .contains("may not read it")
          .contains("permission denied on " + store)
          .contains("run the command as the user owning the store")
          .contains("mode")
          .doesNotContain("has no 'books'")
          .doesNotContain("does not exist")
          .doesNotContain("upgrade")
          .doesNotContain("Exception");
    }
    assertThat(snapshotAsOwner(store)).isEqualTo(before);
  }

  @Test
  void aRegularFileIsSaidToBeAFileAndUpgradeLeavesIt() throws Exception {
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "not a store\n");
    String connection = Cli.dir(file);
    String book = UUID.randomUUID().toString();

    for (String[] command : commands(book)) {
      Cli.Result r = Jar.run(dir, with(command, connection));
      String what = String.join(" ", command);
      r.expect(ExitCodes.STORE);
      assertThat(r.errLines()).as(what).hasSize(1);
      assertThat(r.err())
          .as(what)
          .contains(file + " is a file, not a directory store")
          .contains("give the path of a store's directory")
          .doesNotContain("does not exist")
          .doesNotContain("Exception");
    }
    assertThat(file).isRegularFile().hasContent("not a store");
    assertThat(dir.resolve("notes.txt.lock")).doesNotExist();
  }

  @Test
  void aZooKeeperStoreRefusingTheCredentialsNamesTheZnodeAndTheUser(
      @EmbeddedZooKeeper TestingServer server) throws Exception {
    // the owner's client, which may read every znode of the store
    try (CuratorFramework client =
        CuratorFrameworkFactory.builder()
            .connectString(server.getConnectString())
            .retryPolicy(new RetryOneTime(100))
            .authorization("digest", ("alice:" + ZK_PASSWORD).getBytes(StandardCharsets.UTF_8))
            .build()) {
      client.start();
      String path = "/acl-" + UUID.randomUUID().toString().substring(0, 8);
      String owner = "zookeeper://alice:" + ZK_PASSWORD + "@" + server.getConnectString() + path;
      Jar.run(dir, "jobs", "post", "--connection", owner, "chain", "1").expect(ExitCodes.OK);
      Map<String, String> before = Snapshots.znodes(client);

      String wrong =
          "zookeeper://alice:not-" + ZK_PASSWORD + "@" + server.getConnectString() + path;
      for (String[] command :
          List.of(
              new String[] {"logbooks", "list", "--all"},
              new String[] {"validate"},
              new String[] {"upgrade"},
              new String[] {"jobs", "list"},
              new String[] {"jobs", "post", "chain", "1"})) {
        Cli.Result r = Jar.run(dir, with(command, wrong));
        String what = String.join(" ", command);
        r.expect(ExitCodes.STORE);
        assertThat(r.errLines()).as(what).hasSize(1);
        assertThat(r.err())
            .as(what)
            .containsPattern("znode " + path + "(/[-a-z0-9_.]+)*[ ;:,]")
            .contains("user 'alice'")
            .contains("lacks permission")
            .contains("check the user name and password")
            .doesNotContain("null")
            .doesNotContain(ZK_PASSWORD)
            .doesNotContain("check that the database server is running");
      }
      assertThat(Snapshots.znodes(client)).isEqualTo(before);
    }
  }

  /** The store's files as its owner sees them (this test's user). */
  private static Map<String, String> snapshotAsOwner(Path store) throws Exception {
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(store));
    Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwx------"));
    try {
      return Snapshots.dir(store);
    } finally {
      Files.setPosixFilePermissions(store, PosixFilePermissions.fromString(mode));
    }
  }
}
