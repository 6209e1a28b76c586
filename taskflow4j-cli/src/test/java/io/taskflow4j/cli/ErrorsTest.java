package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StoreAccessDeniedException;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one line saying what is wrong and what to do, an exit code, no secret. */
class ErrorsTest {
  @TempDir Path dir;

  /** Asserts the run failed with {@code code} and printed exactly one line, without a trace. */
  private static String oneLineError(Cli.Result r, int code, String... secrets) {
    r.expect(code);
    assertThat(r.errLines()).as(r.err()).hasSize(1);
    String line = r.errLines().get(0);
    assertThat(line)
        .startsWith("taskflow4j: error: ")
        .doesNotContain("\tat ")
        .doesNotContain("Exception in");
    for (String s : secrets) {
      assertThat(r.out() + r.err()).doesNotContain(s);
    }
    return line;
  }

  /**
   * A refused access and a fenced write say what happened and what to do themselves: no hint is
   * guessed from their words ("refused" once sent a fenced conductor to check the database server,
   * "password" added a second, redundant, request to check it).
   */
  @Test
  void aRefusalOrAFencedWriteIsSaidAsItIsWithoutAGuessedHint() {
    String refusal =
        "ZooKeeper refused user 'alice' access to znode /flows/books while reading the logbooks:"
            + " the user lacks permission there; check the user name and password";
    Errors.Report denied = Errors.describe(new StoreAccessDeniedException(refusal));
    assertThat(denied.exitCode()).isEqualTo(ExitCodes.STORE);
    assertThat(denied.message()).isEqualTo(refusal);

    Errors.Report fenced =
        Errors.describe(FencedException.stale(new Fence("job-1", 1), 2L, "flow detail 'f'"));
    assertThat(fenced.exitCode()).isEqualTo(ExitCodes.CONFLICT);
    assertThat(fenced.message())
        .contains("a peer took the job over")
        .doesNotContain("database server")
        .doesNotContain("another process may be writing the same logbook");
  }

  @Test
  void anUnknownSchemeListsTheKnownOnes() {
    String line =
        oneLineError(
            Cli.run("logbooks", "list", "--all", "--connection", "foo://admin:hunter2@x/y"),
            ExitCodes.USAGE,
            "hunter2");
    assertThat(line)
        .contains("Could not find a backend for 'foo'")
        .contains("known backends: ")
        .contains("sqlite")
        .contains("postgresql")
        .contains("check the scheme");
  }

  @Test
  void anUnreachableDatabaseFailsFastSayingSo() {
    long t0 = System.nanoTime();
    String line =
        oneLineError(
            Cli.run(
                "logbooks",
                "list",
                "--connection",
                "postgresql://postgres:hunter2@127.0.0.1:1/test"),
            ExitCodes.STORE,
            "hunter2");
    assertThat(line)
        .contains("127.0.0.1:1")
        .containsIgnoringCase("refused")
        .contains("check that the database server is running");
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
  }

  @Test
  void aWrongPasswordIsReportedWithoutThePassword() throws Exception {
    TestDatabases.requireMariaDb();
    String user = "tf_cli_pw";
    String password = "Right-" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      st.execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
    }
    try {
      String wrong = "Wrong-" + UUID.randomUUID().toString().substring(0, 8);
      String url =
          "mariadb://"
              + user
              + ":"
              + wrong
              + "@"
              + TestDatabases.MARIADB_HOST
              + "/"
              + TestDatabases.MARIADB_ADMIN_DB
              + "?sslMode=disable";
      String line =
          oneLineError(
              Cli.run("logbooks", "list", "--all", "--connection", url),
              ExitCodes.STORE,
              wrong,
              password);
      assertThat(line)
          .contains("Access denied for user '" + user + "'")
          .contains("check the user name and password");
      // with --verbose: the stack trace, still without the password
      Cli.Result verbose = Cli.run("--verbose", "logbooks", "list", "--all", "--connection", url);
      verbose.expect(ExitCodes.STORE);
      assertThat(verbose.err()).contains("\tat ").doesNotContain(wrong).doesNotContain(password);
    } finally {
      try (Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
          Statement st = c.createStatement()) {
        st.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      }
    }
  }

  @Test
  void aMissingBookNamesItAndHowToListBooks() {
    String connection = Cli.sqlite(dir.resolve("s.db"));
    Cli.run("upgrade", "--connection", connection).expect(ExitCodes.OK);
    String uuid = UUID.randomUUID().toString();
    for (String cmd : new String[] {"show", "delete"}) {
      String line =
          oneLineError(
              Cli.run("logbooks", cmd, uuid, "--connection", connection), ExitCodes.NOT_FOUND);
      assertThat(line).contains("no logbook " + uuid).contains("logbooks list");
    }
    String line =
        oneLineError(
            Cli.run("export", "--book", uuid, "--connection", connection), ExitCodes.NOT_FOUND);
    assertThat(line).contains("no logbook " + uuid);
    line =
        oneLineError(
            Cli.run("resume", "--flow", uuid, "--connection", connection), ExitCodes.NOT_FOUND);
    assertThat(line).contains("no flow " + uuid);
  }

  @Test
  void aStoreThatDoesNotExistPointsToUpgrade() throws Exception {
    java.nio.file.Path empty = java.nio.file.Files.createDirectories(dir.resolve("empty"));
    for (String connection :
        new String[] {
          Cli.dir(dir.resolve("nowhere")), Cli.dir(empty), Cli.sqlite(dir.resolve("nowhere.db"))
        }) {
      String line =
          oneLineError(
              Cli.run("logbooks", "list", "--all", "--connection", connection), ExitCodes.STORE);
      // the command's advice, not the library's (upgrade() is a Java call)
      assertThat(line)
          .containsAnyOf("does not exist", "has no 'books' directory")
          .contains("create it with 'taskflow4j upgrade --connection")
          .doesNotContain("upgrade()")
          .doesNotContain("Backends.open");
    }
  }

  @Test
  void usageErrorsAreOneLineToo() {
    assertThat(oneLineError(Cli.run("resume", "--connection", "memory://"), ExitCodes.USAGE))
        .contains("--flow")
        .contains("--all")
        .contains("'taskflow4j resume --help'");
    assertThat(oneLineError(Cli.run("demo", "--crash-after", "9"), ExitCodes.USAGE))
        .contains("--crash-after must be between 1 and 4");
    assertThat(
            oneLineError(Cli.run("bench", "--workload", "tree", "--tasks", "3"), ExitCodes.USAGE))
        .contains("unknown workload 'tree'");
    assertThat(oneLineError(Cli.run("frobnicate"), ExitCodes.USAGE)).contains("frobnicate");
  }

  @Test
  void verboseShowsTheStackTraceWithoutSecrets() {
    Cli.Result r =
        Cli.run(
            "--verbose", "logbooks", "list", "--all", "--connection", "foo://admin:hunter2@x/y");
    r.expect(ExitCodes.USAGE);
    assertThat(r.err())
        .contains("BackendNotFoundException")
        .contains("\tat ")
        .doesNotContain("hunter2");
  }

  @Test
  void versionAndHelp() {
    Cli.Result v = Cli.run("--version");
    v.expect(ExitCodes.OK);
    assertThat(v.out()).startsWith("taskflow4j ").doesNotContain("unknown").contains("Java ");
    Cli.Result h = Cli.run("--help");
    h.expect(ExitCodes.OK);
    assertThat(h.out())
        .contains("demo")
        .contains("resume")
        .contains("logbooks")
        .contains("export")
        .contains("import")
        .contains("migrate")
        .contains("upgrade")
        .contains("validate")
        .contains("bench")
        .contains("Exit codes:");
  }

  @Test
  void helpListsEveryExitCodeTheCommandUses() throws Exception {
    Cli.Result h = Cli.run("--help");
    h.expect(ExitCodes.OK);
    String codes = h.out().substring(h.out().indexOf("Exit codes:"));
    for (java.lang.reflect.Field f : ExitCodes.class.getFields()) {
      if (f.getType() == int.class && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
        int code = f.getInt(null);
        assertThat(codes)
            .as("--help explains exit code %d (%s)", code, f.getName())
            .containsPattern("(?m)^ {1,2}" + code + "  \\S");
      }
    }
    // the code resume and import use when another writer got there first
    assertThat(codes).contains("concurrent writer");
    // each line fits the help's width, so none is broken where the terminal chooses
    String list = codes.substring(0, codes.indexOf("\n\n"));
    assertThat(list.lines().skip(1))
        .allSatisfy(line -> assertThat(line).matches("( {1,2}\\d+  | {5}).*").hasSizeLessThan(80));
  }
}
