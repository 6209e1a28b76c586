package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SQLite store that TaskFlow (Debian's {@code python3-taskflow}) created, through the shaded jar
 * as a user runs it: the read commands read it as it is and leave the file unchanged, {@code
 * validate} says what it found in one line, and {@code upgrade} adopts it. Skipped without
 * TaskFlow, failed in CI.
 */
class TaskFlowStoreIT {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final String BOOK = "b1000000-0000-0000-0000-000000000001";

  @TempDir Path dir;

  private static Path jar() {
    Path jar =
        Path.of(
            System.getProperty("taskflow4j.cli.buildDir"),
            "taskflow4j-cli-" + System.getProperty("taskflow4j.cli.version") + "-all.jar");
    assertThat(jar).as("the shaded jar").exists();
    return jar;
  }

  private Cli.Result java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Cli.javaBinary(), "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd);
  }

  /** Runs TaskFlow's own SQL backend to create the store and save its logbooks. */
  private void taskflowMakesStore(Path db) throws Exception {
    Process probe =
        Files.isExecutable(PYTHON)
            ? new ProcessBuilder(
                    PYTHON.toString(),
                    "-c",
                    "import taskflow.persistence.backends.impl_sqlalchemy, sqlalchemy_utils")
                .redirectErrorStream(true)
                .start()
            : null;
    if (probe == null || !probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
      String missing = "TaskFlow's SQL backend (python3-taskflow, python3-sqlalchemy-utils)";
      if (TestDatabases.CI) {
        fail(missing + " is not installed; CI needs it");
      }
      // Outside CI a developer may lack TaskFlow: skip, saying what to install.
      Assumptions.abort(missing + " is not installed (apt-get install them); skipping");
    }
    Path work = Files.createDirectories(dir.resolve("taskflow"));
    Path script = work.resolve("taskflow_make_store.py");
    try (InputStream in = getClass().getResourceAsStream("/interop/taskflow_make_store.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder(
                PYTHON.toString(),
                script.toString(),
                "sqlite:///" + db.toAbsolutePath(),
                work.toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("out.txt").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() != 0) {
      fail("TaskFlow failed: " + Files.readString(work.resolve("out.txt")));
    }
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  private static Set<String> files(Path d) throws Exception {
    try (var s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void readCommandsReadATaskFlowSqliteStoreAsItIsAndValidateSaysWhatItIs() throws Exception {
    Path stores = Files.createDirectories(dir.resolve("stores"));
    Path db = stores.resolve("made-by-taskflow.db");
    taskflowMakesStore(db);
    String connection = Cli.sqlite(db);
    String before = sha256(db);
    Set<String> filesBefore = files(stores);

    Cli.Result validate = java("validate", "--connection", connection);
    validate.expect(ExitCodes.UPGRADE_REQUIRED);
    assertThat(validate.errLines()).as(validate.err()).hasSize(1);
    assertThat(validate.err())
        .startsWith("taskflow4j: error: ")
        .contains("a TaskFlow store (schema version")
        .contains("taskflow4j upgrade --connection ...")
        .doesNotContain("SQLITE_ERROR")
        .doesNotContain("no such column");

    Cli.Result list = java("logbooks", "list", "--all", "--connection", connection);
    list.expect(ExitCodes.OK);
    assertThat(list.out())
        .contains("orders")
        .contains(BOOK)
        .contains("checkout f1000000-0000-0000-0000-000000000001 REVERTED")
        .contains("empty");

    Cli.Result show = java("logbooks", "show", BOOK, "--connection", connection);
    show.expect(ExitCodes.OK);
    assertThat(show.out())
        .contains("flow 'checkout'")
        .containsPattern("task  charge +REVERTED +REVERT")
        .containsPattern("task  ship +FAILURE")
        .contains("no courier")
        .containsPattern("retry again +SUCCESS");

    Path exported = dir.resolve("export.json");
    java("export", "--connection", connection, "--output", exported.toString())
        .expect(ExitCodes.OK);
    assertThat(Files.readString(exported)).contains(BOOK).contains("\"amount\" : 1234567890123");

    Cli.Result verify = java("verify", "--connection", connection, "--json");
    verify.expect(ExitCodes.OK);
    Map<String, Object> report = verify.json();
    assertThat(report).containsEntry("consistent", true).containsEntry("atoms", 3);

    assertThat(sha256(db)).as("the file is unchanged").isEqualTo(before);
    assertThat(files(stores)).as("no journal, WAL or other file left").isEqualTo(filesBefore);

    // A write is refused with the same finding, before touching anything.
    Cli.Result delete = java("logbooks", "delete", BOOK, "--connection", connection);
    delete.expect(ExitCodes.UPGRADE_REQUIRED);
    assertThat(delete.err()).contains("a TaskFlow store").contains("upgrade");
    assertThat(sha256(db)).isEqualTo(before);

    java("upgrade", "--connection", connection).expect(ExitCodes.OK);
    Cli.Result valid = java("validate", "--connection", connection);
    valid.expect(ExitCodes.OK);
    assertThat(valid.out()).contains("is valid (2 logbook(s))");
  }
}
