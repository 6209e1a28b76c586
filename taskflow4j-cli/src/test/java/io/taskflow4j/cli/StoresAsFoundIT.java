package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only commands ({@code logbooks list|show}, {@code export}, {@code verify}, {@code
 * validate}) of the shaded jar on stores as they are found: made by OpenStack TaskFlow itself (a
 * directory, one that TaskFlow's {@code clear_all()} left without {@code atom_details/}, and a
 * ZooKeeper store), and a read-only directory of another user. Each is read exactly and left
 * exactly as it was; the writing commands get a clear error where they cannot write.
 */
class StoresAsFoundIT {
  private static final String DIR_WRITE = "taskflow4j-core/src/test/python/tf_interop_write.py";
  private static final String DIR_CLEARED =
      "taskflow4j-core/src/test/python/tf_interop_no_upgrade.py";
  private static final String ZK_SCRIPT = "taskflow4j-zookeeper/src/test/python/tf_zk_interop.py";

  @TempDir Path dir;

  @AfterEach
  void writableAgain() throws Exception {
    if (Files.exists(dir.resolve("tf"))) {
      Snapshots.chmod(dir.resolve("tf"), "rwxr-xr-x", "rw-r--r--"); // so the directory goes
    }
  }

  private Map<String, Object> taskFlowDirStore(String script, Path store) throws Exception {
    TaskFlowScripts.require(dir, "taskflow.engines, taskflow.persistence.backends");
    return TaskFlowScripts.runJson(dir, TaskFlowScripts.script(script), store.toString());
  }

  @Test
  void aDirectoryStoreTaskFlowWroteIsReadExactlyAndLeftAsItWas() throws Exception {
    // Under tf/: the commands' captured output goes to files in the working directory, dir.
    Path store = dir.resolve("tf/store");
    Map<String, Object> dump = castMap(taskFlowDirStore(DIR_WRITE, store).get("dump"));
    String connection = Cli.dir(store);
    Map<String, String> before = Snapshots.dir(dir.resolve("tf"));

    assertReadAsFound(connection, dump, false);
    Cli.Result valid = Jar.run(dir, "validate", "--connection", connection);
    valid.expect(ExitCodes.OK);
    assertThat(valid.out()).contains("is valid (2 logbook(s))");
    assertThat(Snapshots.dir(dir.resolve("tf"))).isEqualTo(before);
  }

  @Test
  void aTaskFlowDirectoryStoreThatNeedsUpgradeIsReadAndValidateSaysWhatItFound() throws Exception {
    Path store = dir.resolve("tf/store");
    Map<String, Object> dump = castMap(taskFlowDirStore(DIR_CLEARED, store).get("dump"));
    assertThat(store.resolve("atom_details")).doesNotExist();
    String connection = Cli.dir(store);
    Map<String, String> before = Snapshots.dir(dir.resolve("tf"));

    assertReadAsFound(connection, dump, false);
    Cli.Result validate = Jar.run(dir, "validate", "--connection", connection);
    assertThat(validate.code()).as(validate.err()).isNotIn(ExitCodes.OK, ExitCodes.FAILURE);
    assertThat(validate.out() + validate.err())
        .contains("a TaskFlow store")
        .contains("'atom_details'")
        .contains("upgrade")
        .doesNotContain("not writable");
    assertThat(validate.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(Snapshots.dir(dir.resolve("tf"))).isEqualTo(before);

    Jar.run(dir, "upgrade", "--connection", connection).expect(ExitCodes.OK);
    Jar.run(dir, "validate", "--connection", connection).expect(ExitCodes.OK);
    assertThat(store.resolve("atom_details")).isDirectory();
  }

  @Test
  void aReadOnlyDirectoryStoreOfAnotherUserIsReadButNotWritten() throws Exception {
    Path store = dir.resolve("tf/store");
    Map<String, Object> dump = castMap(taskFlowDirStore(DIR_WRITE, store).get("dump"));
    String connection = Cli.dir(store);
    // A backup, or another user's store: everybody may read it, nobody may write it.
    Snapshots.chmod(dir, "rwxr-xr-x", "rw-r--r--");
    Snapshots.chmod(store, "r-xr-xr-x", "r--r--r--");
    Map<String, String> before = Snapshots.dir(dir.resolve("tf"));

    assertReadAsFound(connection, dump, true);
    Cli.Result valid = Jar.runAsAnotherUser(dir, "validate", "--connection", connection);
    valid.expect(ExitCodes.OK);
    assertThat(valid.out()).contains("is valid (2 logbook(s))").contains("not writable");

    String book = (String) castMap(((List<?>) dump.get("books")).get(0)).get("uuid");
    Cli.Result delete =
        Jar.runAsAnotherUser(dir, "logbooks", "delete", book, "--connection", connection);
    delete.expect(ExitCodes.STORE);
    assertThat(delete.errLines()).hasSize(1);
    assertThat(delete.err()).contains("not writable").contains(store.toString());
    assertThat(Snapshots.dir(dir.resolve("tf"))).isEqualTo(before);
  }

  @Test
  void aZooKeeperStoreTaskFlowWroteIsReadExactlyAndLeftAsItWas(
      @EmbeddedZooKeeper TestingServer server) throws Exception {
    TaskFlowScripts.require(
        dir, "kazoo.client, taskflow.engines, taskflow.persistence.backends.impl_zookeeper");
    try (CuratorFramework client =
        CuratorFrameworkFactory.newClient(
            server.getConnectString(), 10_000, 5_000, new RetryOneTime(100))) {
      client.start();
      String path = "/as-found-" + UUID.randomUUID().toString().substring(0, 8);
      Map<String, Object> written =
          TaskFlowScripts.runJson(
              dir, TaskFlowScripts.script(ZK_SCRIPT), "engines", server.getConnectString(), path);
      String connection = "zookeeper://" + server.getConnectString() + path;
      Map<String, String> before = Snapshots.znodes(client);

      assertReadAsFound(connection, castMap(written.get("dump")), false);
      Cli.Result valid = Jar.run(dir, "validate", "--connection", connection);
      valid.expect(ExitCodes.OK);
      assertThat(valid.out()).contains("is valid (2 logbook(s))");
      assertThat(Snapshots.znodes(client)).isEqualTo(before);
    }
  }

  /**
   * {@code logbooks list}, {@code logbooks show} of the largest book, {@code export} and {@code
   * verify} through the jar: the books, flows and states TaskFlow reads ({@code dump}), every field
   * as this library reads it without upgrading, and nothing to report.
   */
  private void assertReadAsFound(String connection, Map<String, Object> dump, boolean otherUser)
      throws Exception {
    List<LogBook> books;
    try (Backend b = Backends.fetch(connection);
        Connection c = b.getConnection()) {
      books = c.getLogBooks();
    }

    Cli.Result list =
        jar(otherUser, "logbooks", "list", "--all", "--connection", connection, "--json");
    list.expect(ExitCodes.OK);
    assertThat(summary((List<?>) list.json().get("logbooks")))
        .as("what 'logbooks list' shows, against what TaskFlow reads")
        .isEqualTo(summary((List<?>) dump.get("books")));

    Cli.Result export = jar(otherUser, "export", "--connection", connection);
    export.expect(ExitCodes.OK);
    assertThat(Json.normalize(((Map<?, ?>) Json.read(export.out())).get("logbooks")))
        .isEqualTo(Json.normalize(ExportFormat.document(books).get("logbooks")));

    LogBook largest = books.stream().max(Comparator.comparingInt(LogBook::size)).orElseThrow();
    Cli.Result show =
        jar(otherUser, "logbooks", "show", largest.uuid(), "--connection", connection, "--json");
    show.expect(ExitCodes.OK);
    assertThat(Json.normalize(Json.read(show.out())))
        .isEqualTo(Json.normalize(ExportFormat.book(largest)));

    Cli.Result verify = jar(otherUser, "verify", "--connection", connection, "--json");
    verify.expect(ExitCodes.OK);
    Map<?, ?> report = (Map<?, ?>) verify.lastJson();
    assertThat(report.get("consistent")).isEqualTo(true);
    assertThat((List<?>) report.get("problems")).isEmpty();
    assertThat(report.get("logbooks")).isEqualTo(books.size());
  }

  private Cli.Result jar(boolean otherUser, String... args) throws Exception {
    return otherUser ? Jar.runAsAnotherUser(dir, args) : Jar.run(dir, args);
  }

  /**
   * Book uuid → "name: flow uuid name STATE (n atoms), ..." for a TaskFlow dump or the list's JSON;
   * a state TaskFlow never set (None) is PENDING, as TaskFlow's storage reports it.
   */
  private static Map<String, String> summary(List<?> books) {
    Map<String, String> out = new TreeMap<>();
    for (Object b : books) {
      Map<String, Object> book = castMap(b);
      List<String> flows = new ArrayList<>();
      for (Object f : (List<?>) book.get("flows")) {
        Map<String, Object> flow = castMap(f);
        Object atoms = flow.get("atoms");
        int n = atoms instanceof List<?> l ? l.size() : ((Number) atoms).intValue();
        flows.add(
            flow.get("uuid")
                + " "
                + flow.get("name")
                + " "
                + (flow.get("state") == null ? "PENDING" : flow.get("state"))
                + " ("
                + n
                + " atoms)");
      }
      flows.sort(null);
      out.put((String) book.get("uuid"), book.get("name") + ": " + String.join(", ", flows));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }
}
