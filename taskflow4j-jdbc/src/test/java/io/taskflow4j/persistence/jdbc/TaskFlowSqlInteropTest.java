package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with OpenStack TaskFlow itself (Debian's {@code python3-taskflow} under {@code
 * /usr/bin/python3}): a store taskflow4j wrote is read and written by TaskFlow's SQL backend, and
 * what TaskFlow wrote is read back by taskflow4j. Skipped without TaskFlow, failed in CI.
 */
class TaskFlowSqlInteropTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  @TempDir Path dir;

  private static boolean imports(String modules) throws Exception {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    Process p =
        new ProcessBuilder(PYTHON.toString(), "-c", "import " + modules)
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  /**
   * Fails in CI unless TaskFlow's SQL backend and the given Python driver import (the CI script
   * installs them); elsewhere skips, saying which Debian packages to install.
   */
  private static void requireTaskFlow(String driver, String debianPackage) throws Exception {
    String missing = null;
    if (!imports("taskflow")) {
      missing = "TaskFlow (python3-taskflow) is not installed for " + PYTHON;
    } else if (!imports(
        "sqlalchemy_utils, taskflow.persistence.backends.impl_sqlalchemy, " + driver)) {
      missing = "TaskFlow's SQL backend needs python3-sqlalchemy-utils and " + debianPackage;
    }
    if (missing == null) {
      return;
    }
    if (TestDatabases.CI) {
      fail(missing + "; CI needs it for the interoperability tests");
    }
    // Outside CI a developer may lack TaskFlow's SQL backend: skip, saying what to install.
    Assumptions.abort(missing + " (apt-get install them); skipping");
  }

  private Object runTaskFlow(String connection, String atomUuid) throws Exception {
    Path script = dir.resolve("taskflow_sql.py");
    try (InputStream in = getClass().getResourceAsStream("/interop/taskflow_sql.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder(PYTHON.toString(), script.toString(), connection, atomUuid)
            .redirectError(dir.resolve("stderr.txt").toFile())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() != 0) {
      fail("TaskFlow failed: " + Files.readString(dir.resolve("stderr.txt")));
    }
    return Json.read(out);
  }

  @Test
  void taskflowSharesASqliteFile() throws Exception {
    requireTaskFlow("sqlite3", "python3-sqlalchemy");
    String url = "sqlite:///" + dir.resolve("shared.db");
    roundTrip(url, url);
  }

  @Test
  void taskflowSharesAPostgresDatabase() throws Exception {
    TestDatabases.requirePostgres();
    requireTaskFlow("psycopg2", "python3-psycopg2");
    String db = TestDatabases.createPostgres();
    try {
      roundTrip(TestDatabases.postgresUrl(db), TestDatabases.postgresUrl(db));
    } finally {
      TestDatabases.dropPostgres(db);
    }
  }

  @Test
  void taskflowSharesAMariaDbDatabase() throws Exception {
    TestDatabases.requireMariaDb();
    requireTaskFlow("pymysql", "python3-pymysql");
    String db = TestDatabases.createMariaDb();
    try {
      roundTrip(
          TestDatabases.mariadbUrl(db),
          "mysql+pymysql://"
              + TestDatabases.MARIADB_USER
              + "@"
              + TestDatabases.MARIADB_HOST
              + "/"
              + db);
    } finally {
      TestDatabases.dropMariaDb(db);
    }
  }

  @SuppressWarnings("unchecked")
  private void roundTrip(String ours, String theirs) throws Exception {
    TaskDetail task =
        TaskDetail.create("t1")
            .withVersion("1.0")
            .withMeta(Map.of("progress", 1.0))
            .put(AtomState.SUCCESS, Map.of("answer", 42, "list", List.of(1, "two")));
    TaskDetail failed =
        TaskDetail.create("t2")
            .put(AtomState.FAILURE, Failure.of(new IllegalStateException("boom")));
    RetryDetail retry =
        RetryDetail.create("r1").put(AtomState.SUCCESS, 7).withState(AtomState.SUCCESS);
    FlowDetail fd =
        FlowDetail.create("java-flow")
            .withState(FlowState.RUNNING)
            .withMeta(Map.of("store", Map.of("x", 1)))
            .withAtom(task)
            .withAtom(failed)
            .withAtom(retry);
    LogBook lb = LogBook.create("java-book").withMeta(Map.of("owner", "java")).withFlow(fd);
    try (Backend b = Backends.fetch(ours);
        Connection c = b.getConnection()) {
      c.upgrade();
      c.saveLogBook(lb);
    }

    List<Object> books = (List<Object>) runTaskFlow(theirs, task.uuid());

    // TaskFlow read what taskflow4j wrote...
    Map<String, Object> javaBook =
        (Map<String, Object>)
            books.stream()
                .filter(o -> ((Map<String, Object>) o).get("uuid").equals(lb.uuid()))
                .findFirst()
                .orElseThrow();
    assertThat(javaBook.get("name")).isEqualTo("java-book");
    assertThat(javaBook.get("meta")).isEqualTo(Map.of("owner", "java"));
    Map<String, Object> flow = (Map<String, Object>) ((List<Object>) javaBook.get("flows")).get(0);
    assertThat(flow.get("state")).isEqualTo("RUNNING");
    assertThat(flow.get("meta")).isEqualTo(Map.of("store", Map.of("x", 1)));
    List<Object> atoms = (List<Object>) flow.get("atoms");
    assertThat(atoms).hasSize(3);
    Map<String, Object> byUuid = new java.util.HashMap<>();
    for (Object a : atoms) {
      byUuid.put((String) ((Map<String, Object>) a).get("uuid"), a);
    }
    Map<String, Object> t1 = (Map<String, Object>) byUuid.get(task.uuid());
    assertThat(t1.get("type")).isEqualTo("TaskDetail");
    assertThat(t1.get("results")).isEqualTo(Map.of("answer", 42, "list", List.of(1, "two")));
    assertThat(t1.get("version")).isEqualTo("1.0");
    assertThat(t1.get("meta")).isEqualTo(Map.of("progress", 1.0));
    Map<String, Object> t2 = (Map<String, Object>) byUuid.get(failed.uuid());
    assertThat(t2.get("state")).isEqualTo("FAILURE");
    assertThat(((Map<String, Object>) t2.get("failure")).get("exception_str")).isEqualTo("boom");
    Map<String, Object> r1 = (Map<String, Object>) byUuid.get(retry.uuid());
    assertThat(r1.get("type")).isEqualTo("RetryDetail");
    assertThat(r1.get("results")).isEqualTo(List.of(List.of(7, Map.of())));

    // ...and taskflow4j reads what TaskFlow wrote: its update of t1 and its own new book.
    try (Backend b = Backends.fetch(ours);
        Connection c = b.getConnection()) {
      c.upgrade();
      AtomDetail t1After = c.getAtomDetails(task.uuid());
      assertThat(t1After.state()).isEqualTo(AtomState.REVERTED);
      assertThat(t1After.revertResults()).isEqualTo("undone");
      assertThat(((TaskDetail) t1After).results())
          .isEqualTo(Map.of("answer", 42, "list", List.of(1, "two")));
      LogBook py =
          c.getLogBooks().stream()
              .filter(x -> x.name().equals("py-book"))
              .findFirst()
              .orElseThrow();
      TaskDetail pyTask = (TaskDetail) py.flows().get(0).atoms().get(0);
      assertThat(pyTask.name()).isEqualTo("py-task");
      assertThat(pyTask.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(pyTask.results()).isEqualTo(Map.of("from", "python", "list", List.of(1, 2)));
      assertThat(pyTask.meta()).isEqualTo(Map.of("progress", 1.0));
      // taskflow4j writes on top of TaskFlow's rows.
      assertThat(c.updateAtomDetails(pyTask.withState(AtomState.REVERTING)).revision())
          .isEqualTo(1);
    }
  }
}
