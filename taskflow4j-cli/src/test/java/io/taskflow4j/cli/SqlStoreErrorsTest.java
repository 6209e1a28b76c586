package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import io.taskflow4j.persistence.jdbc.TinyFileSystem;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands on SQL stores that are not where the connection string says, or cannot be used
 * there: one line saying what is wrong and what to do, the exit code of the table in docs/CLI.md,
 * at once rather than after minutes of retries, and no file made by a command that only reads.
 */
class SqlStoreErrorsTest {
  /** Generous for a loaded machine; the same failures used to take three and a half minutes. */
  private static final double AT_ONCE_SECONDS = 20;

  @TempDir Path dir;

  /** Runs the command, which must fail with {@code code} and one line, within the bound. */
  private static String failsAtOnce(int code, String... args) {
    long t0 = System.nanoTime();
    Cli.Result r = Cli.run(args);
    double seconds = (System.nanoTime() - t0) / 1e9;
    r.expect(code);
    assertThat(r.errLines()).as(r.err()).hasSize(1);
    assertThat(seconds)
        .as("seconds taken by %s", String.join(" ", args))
        .isLessThan(AT_ONCE_SECONDS);
    String line = r.errLines().get(0);
    assertThat(line).startsWith("taskflow4j: error: ").doesNotContain("\tat ");
    return line;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private List<String> listing() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void readingAMistypedSqlitePathSaysThereIsNoStoreAndCreatesNoFile() throws Exception {
    Path typo = dir.resolve("flwos.db");
    String connection = Cli.sqlite(typo);
    String uuid = UUID.randomUUID().toString();
    List<String[]> commands =
        List.of(
            new String[] {"validate", "--connection", connection},
            new String[] {"logbooks", "list", "--all", "--connection", connection},
            new String[] {"logbooks", "show", uuid, "--connection", connection},
            new String[] {"verify", "--connection", connection},
            new String[] {"export", "--connection", connection},
            new String[] {"logbooks", "delete", uuid, "--connection", connection},
            new String[] {"resume", "--all", "--connection", connection});
    for (String[] args : commands) {
      String line = failsAtOnce(ExitCodes.STORE, args);
      assertThat(line)
          .as(String.join(" ", args))
          .contains("No SQLite store at " + typo)
          .contains("upgrade --connection");
      assertThat(listing()).as("what %s left", args[0]).isEmpty();
    }
  }

  @Test
  void upgradeMakesAnOwnerOnlyFileAndSaysWhatItDid() throws Exception {
    Path file = dir.resolve("flows.db");
    String connection = Cli.sqlite(file);
    Cli.Result created = Cli.run("upgrade", "--connection", connection);
    created.expect(ExitCodes.OK);
    assertThat(created.out())
        .contains("Store " + connection + ": created the schema at version 5.");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");

    Cli.Result again = Cli.run("upgrade", "--connection", connection);
    again.expect(ExitCodes.OK);
    assertThat(again.out()).contains("already up to date (schema version 5)");
  }

  @Test
  void upgradeSaysItAdoptedATaskFlowStore() throws Exception {
    Path file = dir.resolve("taskflow.db");
    try (java.sql.Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = raw.createStatement()) {
      // What TaskFlow's metadata.create_all() emits on SQLite.
      st.execute(
          "CREATE TABLE logbooks (created_at DATETIME, updated_at DATETIME, meta TEXT,"
              + " name VARCHAR(255), uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid))");
      st.execute(
          "CREATE TABLE flowdetails (created_at DATETIME, updated_at DATETIME,"
              + " parent_uuid VARCHAR(64), meta TEXT, name VARCHAR(255), state VARCHAR(255),"
              + " uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid))");
      st.execute(
          "CREATE TABLE atomdetails (created_at DATETIME, updated_at DATETIME, meta TEXT,"
              + " parent_uuid VARCHAR(64), name VARCHAR(255), version VARCHAR(64),"
              + " state VARCHAR(255), uuid VARCHAR(64) NOT NULL, failure TEXT, results TEXT,"
              + " revert_results TEXT, revert_failure TEXT, atom_type VARCHAR(12),"
              + " intention VARCHAR(7), PRIMARY KEY (uuid))");
      st.execute(
          "INSERT INTO logbooks (created_at, meta, name, uuid)"
              + " VALUES ('2026-11-28 15:51:15.774035', '{}', 'kept', 'b1')");
    }
    Cli.Result adopted = Cli.run("upgrade", "--connection", Cli.sqlite(file));
    adopted.expect(ExitCodes.OK);
    assertThat(adopted.out())
        .contains("adopted a TaskFlow store")
        .contains("at schema version 5")
        .doesNotContain("up to date");
    assertThat(Cli.run("logbooks", "list", "--all", "--connection", Cli.sqlite(file)).out())
        .contains("kept");
  }

  @Test
  void aTextFileIsNotTakenForAStore() throws Exception {
    Path text = dir.resolve("notes.db");
    Files.writeString(text, "not a database\n".repeat(100));
    String connection = Cli.sqlite(text);
    for (String command : List.of("validate", "upgrade")) {
      assertThat(failsAtOnce(ExitCodes.STORE, command, "--connection", connection))
          .contains(text.toString())
          .contains("not a SQLite database");
    }
    assertThat(listing()).containsExactly("notes.db");
  }

  @Test
  void upgradeIntoAMissingDirectoryNamesIt() throws Exception {
    Path missing = dir.resolve("typo-dir");
    String line =
        failsAtOnce(
            ExitCodes.STORE, "upgrade", "--connection", Cli.sqlite(missing.resolve("flows.db")));
    assertThat(line).contains("directory " + missing).contains("does not exist");
    assertThat(missing).doesNotExist();
  }

  @Test
  void upgradeOnAFullDiskSaysTheDiskIsFull() throws Exception {
    try (TinyFileSystem fs = TinyFileSystem.mount(dir.resolve("mnt"), "64k")) {
      Path file = fs.path().resolve("flows.db");
      String line = failsAtOnce(ExitCodes.STORE, "upgrade", "--connection", Cli.sqlite(file));
      assertThat(line)
          .contains("is full")
          .contains(file.toString())
          .doesNotContain("no transaction is active");
      assertThat(file).doesNotExist();
    }
  }

  @Test
  void validateAndUpgradeFailFastOnAPortNobodyListensOn() throws Exception {
    int port = freePort();
    for (String connection :
        List.of(
            "postgresql://postgres:hunter2@127.0.0.1:" + port + "/test",
            "mariadb://root:hunter2@127.0.0.1:" + port + "/test?sslMode=disable",
            // The masked password in the URL must not turn this into a password problem.
            "jdbc:postgresql://127.0.0.1:" + port + "/test?user=postgres&password=hunter2")) {
      for (String command : List.of("validate", "upgrade", "logbooks")) {
        String[] args =
            command.equals("logbooks")
                ? new String[] {"logbooks", "list", "--all", "--connection", connection}
                : new String[] {command, "--connection", connection};
        String line = failsAtOnce(ExitCodes.STORE, args);
        assertThat(line)
            .as(String.join(" ", args))
            .contains("check that the database server is running")
            .doesNotContain("user name and password")
            .doesNotContain("hunter2");
      }
    }
  }

  @Test
  void validateAndUpgradeFailFastOnADatabaseThatDoesNotExist() throws Exception {
    TestDatabases.requirePostgres();
    TestDatabases.requireMariaDb();
    String name = TestDatabases.newName();
    for (String connection :
        List.of(TestDatabases.postgresUrl(name), TestDatabases.mariadbUrl(name))) {
      for (String command : List.of("validate", "upgrade")) {
        String line = failsAtOnce(ExitCodes.STORE, command, "--connection", connection);
        assertThat(line)
            .as(command + " " + connection)
            .contains(name)
            .contains("does not exist on the server")
            .doesNotContain("check that the database server is running");
      }
    }
  }

  @Test
  void aJdbcMysqlUrlWorks(@MariaDbDatabase String db) throws Exception {
    String url =
        "jdbc:mysql://"
            + TestDatabases.MARIADB_HOST
            + "/"
            + db
            + "?user="
            + TestDatabases.MARIADB_USER
            + "&sslMode=disable";
    Cli.run("upgrade", "--connection", url).expect(ExitCodes.OK);
    Cli.Result valid = Cli.run("validate", "--connection", url);
    valid.expect(ExitCodes.OK);
    assertThat(valid.out()).contains("is valid (0 logbook(s))");
  }
}
