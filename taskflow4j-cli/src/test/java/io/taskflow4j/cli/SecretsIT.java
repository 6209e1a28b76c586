package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets and errors of the shaded jar, run as a user runs it: passwords in every URL shape stay
 * masked, masking never mangles other output, passwords can come from a file or the environment,
 * options are checked, files that tell what ran are private, and no failure prints a stack trace.
 */
class SecretsIT {
  private static final String SECRET = "WrongPass99";

  @TempDir Path dir;

  private Cli.Result jar(Map<String, String> env, List<String> jvm, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Cli.javaBinary());
    cmd.addAll(jvm);
    cmd.add("-jar");
    cmd.add(Jar.path().toString());
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd, env);
  }

  /** One line on standard error, no stack trace, the secret nowhere. */
  private static String oneLine(Cli.Result r, int code, String... secrets) {
    r.expect(code);
    assertThat(r.errLines()).as(r.err()).hasSize(1);
    assertThat(r.err()).startsWith("taskflow4j: error: ").doesNotContain("\tat ");
    for (String s : secrets) {
      assertThat(r.out() + r.err()).doesNotContain(s);
    }
    return r.errLines().get(0);
  }

  @Test
  void aPasswordInTheUserPartOfAJdbcUrlIsNeverPrinted() throws Exception {
    for (String url :
        new String[] {
          "jdbc:mariadb://u:" + SECRET + "@127.0.0.1:1/db",
          "jdbc:mysql://u:" + SECRET + "@127.0.0.1:1/db",
          "jdbc:postgresql://127.0.0.1:1/db?user=u&password=" + SECRET,
          "zookeeper://u:" + SECRET + "@127.0.0.1:1/x?connection_timeout_ms=200&retry_budget_ms=0"
        }) {
      for (String verbose : new String[] {"", "--verbose"}) {
        List<String> args = new ArrayList<>();
        if (!verbose.isEmpty()) {
          args.add(verbose);
        }
        args.addAll(List.of("logbooks", "list", "--all", "--connection", url + poolTimeout(url)));
        Cli.Result r = Jar.run(dir, args.toArray(String[]::new));
        assertThat(r.code()).as(url + "\n" + r.err()).isEqualTo(ExitCodes.STORE);
        assertThat(r.out() + r.err()).as(url).doesNotContain(SECRET);
        if (verbose.isEmpty()) {
          oneLine(r, ExitCodes.STORE, SECRET);
        }
      }
    }
  }

  private static String poolTimeout(String url) {
    if (url.startsWith("zookeeper")) {
      return "";
    }
    return (url.contains("?") ? "&" : "?") + "pool_timeout=1";
  }

  @Test
  void maskingNeverManglesOutputThatHappensToContainThePassword(@PostgresDatabase String db)
      throws Exception {
    // trust authentication: any password connects, so "true" reaches verify's JSON
    String url = "postgresql://postgres:true@" + TestDatabases.PG_HOST + "/" + db;
    Jar.run(dir, "upgrade", "--connection", url).expect(ExitCodes.OK);
    Cli.Result v = Jar.run(dir, "verify", "--json", "--connection", url);
    v.expect(ExitCodes.OK);
    Map<String, Object> json = v.json();
    assertThat(json).containsEntry("consistent", true);
    assertThat(json.get("connection")).isEqualTo(url.replace(":true@", ":***@"));
    // a one-letter password leaves class names whole in a --verbose trace
    Cli.Result e =
        Jar.run(
            dir,
            "--verbose",
            "logbooks",
            "list",
            "--connection",
            "postgresql://postgres:x@127.0.0.1:1/test?pool_timeout=1");
    e.expect(ExitCodes.STORE);
    assertThat(e.err()).contains("StorageException").doesNotContain("E***ception");
  }

  @Test
  void aPasswordFromAFileOrTheEnvironmentIsUsedAndNeverShown() throws Exception {
    TestDatabases.requireMariaDb();
    String user = "tf_cli_pwfile";
    String password = "Pw-" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      st.execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
      st.execute("GRANT ALL ON " + TestDatabases.MARIADB_ADMIN_DB + ".* TO '" + user + "'@'%'");
    }
    try {
      String base =
          "mariadb://"
              + user
              + "@"
              + TestDatabases.MARIADB_HOST
              + "/"
              + TestDatabases.MARIADB_ADMIN_DB
              + "?sslMode=disable&pool_timeout=2&max_retries=0";
      Path file = dir.resolve("db.pw");
      Files.writeString(file, password + "\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      Cli.Result fromFile =
          Jar.run(dir, "validate", "--connection", base + "&password_file=" + file);
      assertThat(fromFile.code()).as(fromFile.err()).isIn(ExitCodes.OK, ExitCodes.STORE);
      // connected: whatever the store holds, the server took the password
      assertThat(fromFile.out() + fromFile.err())
          .doesNotContain("Access denied")
          .doesNotContain(password);

      Cli.Result fromEnv =
          jar(
              Map.of("APP_DB_PW", password),
              List.of(),
              "validate",
              "--connection",
              base + "&password_env=APP_DB_PW");
      assertThat(fromEnv.out() + fromEnv.err())
          .doesNotContain("Access denied")
          .doesNotContain(password);
      assertThat(fromEnv.code()).as(fromEnv.err()).isEqualTo(fromFile.code());

      // the same user without the password is refused: the password did come from the file
      Cli.Result without = Jar.run(dir, "validate", "--connection", base);
      assertThat(without.err()).contains("Access denied");

      // a file other users can read is refused before anything is opened
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      String line =
          oneLine(
              Jar.run(dir, "validate", "--connection", base + "&password_file=" + file),
              ExitCodes.USAGE,
              password);
      assertThat(line).contains("chmod 600 " + file);
    } finally {
      try (Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
          Statement st = c.createStatement()) {
        st.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      }
    }
  }

  @Test
  void aPasswordFileServesTheBoardsAndLogbooksOfOneConnection() throws Exception {
    // jobs and conductor re-read the configuration to add --lease: the password read once
    // and its file must not be taken for two passwords
    Path file = dir.resolve("pw");
    Files.writeString(file, "pw-of-the-board\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    String connection = Cli.dir(dir.resolve("store")) + "?password_file=" + file;
    Jar.run(dir, "jobs", "post", "--lease", "5", "--connection", connection, "chain", "2")
        .expect(ExitCodes.OK);
    Cli.Result list = Jar.run(dir, "jobs", "list", "--lease", "5", "--connection", connection);
    list.expect(ExitCodes.OK);
    assertThat(list.out() + list.err()).contains("chain").doesNotContain("pw-of-the-board");
  }

  @Test
  void argumentsCanComeFromAnArgfileKeepingThePasswordOffTheCommandLine() throws Exception {
    Path store = dir.resolve("store");
    Path args = dir.resolve("args");
    Files.writeString(args, "--connection\n" + Cli.dir(store) + "\n");
    Files.setPosixFilePermissions(args, PosixFilePermissions.fromString("rw-------"));
    Jar.run(dir, "upgrade", "@" + args).expect(ExitCodes.OK);
    Cli.Result r = Jar.run(dir, "logbooks", "list", "--all", "@" + args);
    r.expect(ExitCodes.OK);
    assertThat(r.out()).contains("No logbooks in " + Cli.dir(store));
  }

  @Test
  void misspelledOrInvalidOptionsAreUsageErrors() throws Exception {
    Path store = dir.resolve("store");
    Jar.run(dir, "upgrade", "--connection", Cli.dir(store)).expect(ExitCodes.OK);
    assertThat(
            oneLine(
                Jar.run(
                    dir,
                    "logbooks",
                    "list",
                    "--all",
                    "--connection",
                    Cli.dir(store) + "?durabilty=process"),
                ExitCodes.USAGE))
        .contains("unknown option 'durabilty' (did you mean 'durability'?)");
    assertThat(
            oneLine(
                Jar.run(
                    dir,
                    "upgrade",
                    "--connection",
                    Cli.dir(dir.resolve("s2")) + "?permisions=group"),
                ExitCodes.USAGE))
        .contains("did you mean 'permissions'?");
    assertThat(dir.resolve("s2")).doesNotExist();
    assertThat(
            oneLine(
                Jar.run(
                    dir,
                    "logbooks",
                    "list",
                    "--all",
                    "--connection",
                    "memory://?durability=banana"),
                ExitCodes.USAGE))
        .contains("unknown option 'durability'");
    // the board's keys on the URL of both the board and the logbooks
    Jar.run(dir, "jobs", "list", "--connection", Cli.dir(store) + "?lease=5&board=b2")
        .expect(ExitCodes.OK);
    assertThat(
            oneLine(
                Jar.run(dir, "jobs", "list", "--lease", "0", "--connection", Cli.dir(store)),
                ExitCodes.USAGE))
        .contains("--lease")
        .doesNotContain("connection string");
    assertThat(
            oneLine(
                Jar.run(dir, "jobs", "post", "--connection", Cli.dir(store), "chain", "-5"),
                ExitCodes.USAGE))
        .contains("chain -5")
        .contains("number of tasks");
  }

  @Test
  void theExecutionLogIsPrivateToItsOwner() throws Exception {
    Path log = dir.resolve("exec.log");
    // the umask of a shell session would make it 0644
    Jar.run(
            dir,
            "bench",
            "--workload",
            "chain",
            "--tasks",
            "3",
            "--connection",
            Cli.sqlite(dir.resolve("b.db")),
            "--exec-log",
            log.toString())
        .expect(ExitCodes.OK);
    assertThat(Files.readAllLines(log)).hasSize(3);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
        .isEqualTo("rw-------");
  }

  @Test
  void noFailurePrintsAStackTraceWithoutVerbose() throws Exception {
    Path store = dir.resolve("store");
    Jar.run(dir, "upgrade", "--connection", Cli.dir(store)).expect(ExitCodes.OK);
    Path big = dir.resolve("big.json");
    // one logbook whose name alone needs more heap than the JVM is given
    Files.writeString(
        big,
        "{\"format\":\"taskflow4j-export\",\"version\":1,\"exported_at\":\"2026-01-02T03:04:05Z\","
            + "\"logbooks\":[{\"uuid\":\"0b1c0000-0000-0000-0000-000000000001\",\"name\":\""
            + "x".repeat(30_000_000)
            + "\",\"created_at\":\"2026-01-02T03:04:05Z\",\"updated_at\":null,\"meta\":{},"
            + "\"flows\":[]}]}");
    Cli.Result oom =
        jar(Map.of(), List.of("-Xmx48m"), "import", big.toString(), "--connection", "memory://");
    assertThat(oneLine(oom, ExitCodes.FAILURE)).contains("out of memory").contains("-Xmx");

    String[][] failing = {
      {"logbooks", "list", "--all", "--connection", "foo://admin:" + SECRET + "@x/y"},
      {"logbooks", "list", "--all", "--connection", "postgresql://u:" + SECRET + "@h:99999/db"},
      {"logbooks", "list", "--all", "--connection", Cli.dir(dir.resolve("nowhere"))},
      {"logbooks", "show", "../x", "--connection", Cli.dir(store)},
      {"logbooks", "show", UUID.randomUUID().toString(), "--connection", Cli.dir(store)},
      {"export", "-o", "/", "--connection", Cli.dir(store)},
      {"import", dir.resolve("missing.json").toString(), "--connection", Cli.dir(store)},
      {"jobs", "post", "--connection", Cli.dir(store), "nosuchfactory"},
      {"jobs", "show", "nope", "--connection", Cli.dir(store)},
      {"resume", "--flow", "nope", "--connection", Cli.dir(store)},
      {"bench", "--workload", "chain", "--tasks", "0"},
      {"conductor", "--connection", "memory://?lease=abc"},
      {"worker", "--topic", "t", "--tasks", "nosuch.Provider"},
    };
    for (String[] args : failing) {
      Cli.Result r = Jar.run(dir, args);
      assertThat(r.code()).as(String.join(" ", args) + "\n" + r.err()).isNotEqualTo(ExitCodes.OK);
      assertThat(r.err())
          .as(String.join(" ", args))
          .doesNotContain("\tat ")
          .doesNotContain("Exception in thread")
          .doesNotContain(SECRET)
          .doesNotContain("unexpected error");
    }
  }
}
