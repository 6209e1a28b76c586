package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
  void taskflowSharesAPostgresDatabase(@PostgresDatabase String db) throws Exception {
    requireTaskFlow("psycopg2", "python3-psycopg2");
    roundTrip(TestDatabases.postgresUrl(db), TestDatabases.postgresUrl(db));
  }

  @Test
  void taskflowSharesAMariaDbDatabase(@MariaDbDatabase String db) throws Exception {
    requireTaskFlow("pymysql", "python3-pymysql");
    roundTrip(
        TestDatabases.mariadbUrl(db),
        "mysql+pymysql://"
            + TestDatabases.MARIADB_USER
            + "@"
            + TestDatabases.MARIADB_HOST
            + "/"
            + db);
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
      // The flow listing (and the indexes of schema V5, which TaskFlow wrote through) finds
      // TaskFlow's flow, with the record times TaskFlow gave it.
      FlowDetail pyFlow = c.getFlowDetails(py.flows().get(0).uuid(), true);
      assertThat(pyFlow.createdAt()).isNotNull();
      assertThat(pyFlow.updatedAt()).isNotNull().isAfterOrEqualTo(pyFlow.createdAt());
      FlowSummary listed =
          c.findFlows(FlowQuery.all().bookNamePrefix("py-")).flows().stream()
              .filter(f -> f.flowUuid().equals(pyFlow.uuid()))
              .findFirst()
              .orElseThrow();
      assertThat(listed.flowName()).isEqualTo("py-flow");
      assertThat(listed.updatedAt()).isEqualTo(pyFlow.updatedAt());
      assertThat(listed.createdAt()).isEqualTo(pyFlow.createdAt());
      assertThat(listed.atoms()).isEqualTo(1);
      assertThat(c.countFlows(FlowQuery.all()).values().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(2);
    }
  }

  // ------------------------------------------- a store TaskFlow made, read as it is

  /**
   * Runs TaskFlow to create a store at {@code connection} (its upgrade(): create_all on SQLite, its
   * alembic chain elsewhere, to {@code revision} or head) holding two logbooks; returns them as
   * TaskFlow reads them back.
   */
  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> taskflowMakesStore(String connection, String revision)
      throws Exception {
    Path script = dir.resolve("taskflow_make_store.py");
    try (InputStream in = getClass().getResourceAsStream("/interop/taskflow_make_store.py")) {
      Files.write(script, in.readAllBytes());
    }
    Path alembic = dir.resolve("taskflow_alembic");
    Files.createDirectories(alembic.resolve("versions"));
    for (String f : ALEMBIC_FILES) {
      try (InputStream in = getClass().getResourceAsStream("/interop/taskflow_alembic/" + f)) {
        Files.write(alembic.resolve(f), in.readAllBytes());
      }
    }
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(PYTHON.toString(), script.toString(), connection, alembic.toString()));
    if (revision != null) {
      cmd.add(revision);
    }
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() != 0) {
      fail("TaskFlow failed: " + Files.readString(dir.resolve("stderr.txt")));
    }
    return (List<Map<String, Object>>) Json.read(out);
  }

  /**
   * TaskFlow's alembic chain (which Debian's python3-taskflow does not ship), as test resources.
   */
  private static final List<String> ALEMBIC_FILES =
      List.of(
          "env.py",
          "versions/1cea328f0f65_initial_logbook_deta.py",
          "versions/1c783c0c2875_replace_exception_an.py",
          "versions/84d6e888850_add_task_detail_type.py",
          "versions/14b227d79a87_add_intention_column.py",
          "versions/589dccdf2b6e_rename_taskdetails_to_atomdetails.py",
          "versions/3162c0f3f8e4_add_revert_results_and_revert_failure_.py",
          "versions/2ad4984f2864_switch_postgres_to_json_native.py",
          "versions/0bc3e1a3c135_set_result_meduimtext_type.py",
          "versions/6df9422fcb43_fix_flowdetails_meta_size.py",
          "versions/40fc8c914bd2_fix_atomdetails_failure_size.py",
          "versions/00af93df9d77_add_unique_into_all_indexes.py");

  /**
   * Everything a database holds: every table with its columns (name, type, size, nullability) and
   * indexes, and every row; rows and indexes sorted, so only a change shows.
   */
  private static List<String> snapshot(java.sql.Connection c) throws SQLException {
    List<String> out = new java.util.ArrayList<>();
    DatabaseMetaData md = c.getMetaData();
    List<String> tables = new java.util.ArrayList<>();
    try (ResultSet rs =
        md.getTables(c.getCatalog(), c.getSchema(), "%", new String[] {"TABLE", "VIEW"})) {
      while (rs.next()) {
        tables.add(rs.getString("TABLE_NAME"));
        out.add("table " + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
      }
    }
    for (String t : tables) {
      try (ResultSet rs = md.getColumns(c.getCatalog(), c.getSchema(), t, "%")) {
        while (rs.next()) {
          out.add(
              "column "
                  + t
                  + "."
                  + rs.getString("COLUMN_NAME")
                  + " "
                  + rs.getString("TYPE_NAME")
                  + "("
                  + rs.getString("COLUMN_SIZE")
                  + ") nullable="
                  + rs.getString("IS_NULLABLE")
                  + " default="
                  + rs.getString("COLUMN_DEF"));
        }
      }
      List<String> indexes = new java.util.ArrayList<>();
      try (ResultSet rs = md.getIndexInfo(c.getCatalog(), c.getSchema(), t, false, false)) {
        while (rs.next()) {
          indexes.add(
              "index "
                  + t
                  + "."
                  + rs.getString("INDEX_NAME")
                  + " unique="
                  + !rs.getBoolean("NON_UNIQUE")
                  + " "
                  + rs.getString("COLUMN_NAME"));
        }
      }
      java.util.Collections.sort(indexes);
      out.addAll(indexes);
      if (!t.toLowerCase(java.util.Locale.ROOT).startsWith("sqlite_")) {
        List<String> rows = new java.util.ArrayList<>();
        try (java.sql.Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM " + t)) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder row = new StringBuilder("row " + t + ":");
            for (int i = 1; i <= n; i++) {
              row.append(" | ").append(rs.getString(i));
            }
            rows.add(row.toString());
          }
        }
        java.util.Collections.sort(rows);
        out.addAll(rows);
      }
    }
    return out;
  }

  /** Type names of TaskFlow's atom classes, as taskflow4j names them. */
  private static String typeOf(Map<String, Object> pyAtom) {
    return pyAtom.get("type").equals("RetryDetail")
        ? AtomDetail.RETRY_DETAIL
        : AtomDetail.TASK_DETAIL;
  }

  /**
   * Reads the store TaskFlow made without upgrading it, every way there is, and checks each book,
   * flow and atom against what TaskFlow read; then that writes are refused with the finding and
   * validate() reports it.
   */
  @SuppressWarnings("unchecked")
  private void readAsItIs(String ours, List<Map<String, Object>> expected, boolean ordered) {
    try (Backend b = Backends.fetch(ours);
        Connection c = b.getConnection()) {
      List<LogBook> books = c.getLogBooks();
      assertThat(books)
          .extracting(LogBook::uuid)
          .containsExactlyElementsOf(expected.stream().map(m -> (String) m.get("uuid")).toList());
      assertThat(c.getLogBooks(true)).extracting(LogBook::uuid).hasSize(expected.size());
      for (Map<String, Object> pyBook : expected) {
        String bookUuid = (String) pyBook.get("uuid");
        LogBook book = c.getLogBook(bookUuid);
        assertThat(books).contains(book);
        assertThat(book.name()).isEqualTo(pyBook.get("name"));
        assertThat(book.meta()).isEqualTo(pyBook.get("meta"));
        assertThat(book.createdAt()).isNotNull();
        List<Map<String, Object>> pyFlows = (List<Map<String, Object>>) pyBook.get("flows");
        assertThat(c.getFlowsForBook(bookUuid)).isEqualTo(book.flows());
        assertThat(book.flows())
            .extracting(FlowDetail::uuid)
            .containsExactlyElementsOf(pyFlows.stream().map(m -> (String) m.get("uuid")).toList());
        for (Map<String, Object> pyFlow : pyFlows) {
          String flowUuid = (String) pyFlow.get("uuid");
          FlowDetail fd = c.getFlowDetails(flowUuid);
          assertThat(fd.name()).isEqualTo(pyFlow.get("name"));
          assertThat(fd.state()).isEqualTo(TaskFlowFormat.flowState(pyFlow.get("state")));
          assertThat(fd.meta()).isEqualTo(pyFlow.get("meta"));
          assertThat(fd.revision()).isZero();
          assertThat(c.getFlowDetails(flowUuid, true).atoms()).isEmpty();
          assertThat(c.getAtomsForFlow(flowUuid)).isEqualTo(fd.atoms());
          List<Map<String, Object>> pyAtoms = (List<Map<String, Object>>) pyFlow.get("atoms");
          List<String> pyOrder = pyAtoms.stream().map(m -> (String) m.get("uuid")).toList();
          if (ordered) {
            assertThat(fd.atoms()).extracting(AtomDetail::uuid).containsExactlyElementsOf(pyOrder);
          } else {
            // MySQL keeps whole seconds: atoms saved in one second come back by uuid, as
            // TaskFlow itself reads them (InnoDB's primary key order).
            assertThat(fd.atoms())
                .extracting(AtomDetail::uuid)
                .containsExactlyInAnyOrderElementsOf(pyOrder);
          }
          for (Map<String, Object> pyAtom : pyAtoms) {
            AtomDetail ad = c.getAtomDetails((String) pyAtom.get("uuid"));
            assertThat(fd.atoms()).contains(ad);
            assertThat(ad.typeName()).isEqualTo(typeOf(pyAtom));
            assertThat(ad.revision()).isZero();
            Map<String, Object> ours4j = TaskFlowFormat.atomToMap(ad);
            for (String key :
                List.of(
                    "uuid",
                    "name",
                    "state",
                    "intention",
                    "version",
                    "meta",
                    "revert_results",
                    "failure",
                    "revert_failure")) {
              assertThat(ours4j.get(key)).as("%s of %s", key, ad.name()).isEqualTo(pyAtom.get(key));
            }
            if (ad instanceof TaskDetail td) {
              assertThat(td.results())
                  .as("results of %s", ad.name())
                  .isEqualTo(pyAtom.get("results"));
            } else {
              RetryDetail rd = (RetryDetail) ad;
              assertThat(rd.history()).hasSize(2);
              assertThat(rd.history().get(0).value()).isEqualTo(1);
              assertThat(rd.history().get(0).failures()).isEmpty();
              assertThat(rd.history().get(1).value()).isEqualTo(2);
              assertThat(rd.history().get(1).failures().get("ship").exceptionStr())
                  .isEqualTo("flat tyre");
            }
          }
        }
      }
      Report report = StoreVerifier.verify(b);
      assertThat(report.problems()).isEmpty();
      assertThat(report.books()).isEqualTo(expected.size());
      assertThat(report.atoms()).isEqualTo(3);

      // Writes are refused before touching anything, saying what was found.
      LogBook first = c.getLogBook((String) expected.get(0).get("uuid"));
      AtomDetail atom = first.flows().get(0).atoms().get(0);
      List<ThrowingCallable> writes =
          List.of(
              () -> c.saveLogBook(LogBook.create("new")),
              () -> c.saveLogBook(first),
              () -> c.updateFlowDetails(first.flows().get(0)),
              () -> c.updateAtomDetails(atom.withState(AtomState.PENDING)),
              () -> c.destroyLogBook(first.uuid()),
              c::clearAll,
              () -> c.advanceFence(new Fence("job", 1)));
      for (ThrowingCallable w : writes) {
        assertThatThrownBy(w)
            .isInstanceOf(UpgradeRequiredException.class)
            .hasMessageContaining("nothing was written")
            .hasMessageContaining("a TaskFlow store");
      }
    }
  }

  /** validate() says what it found, on a backend of its own (a fresh look). */
  private static void validateSays(String ours, String revision) {
    try (Backend b = Backends.fetch(ours);
        Connection c = b.getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("a TaskFlow store (schema version " + revision + ")")
          .hasMessageContaining("`upgrade` adopts it");
    }
  }

  @Test
  void aSqliteStoreTaskFlowMadeIsReadAsItIsAndLeftByteForByte() throws Exception {
    requireTaskFlow("sqlite3", "python3-sqlalchemy");
    Path db = dir.resolve("made-by-taskflow.db");
    String url = "sqlite:///" + db;
    List<Map<String, Object>> expected = taskflowMakesStore(url, null);
    byte[] before = Files.readAllBytes(db);
    Set<String> files = filesIn(dir);

    readAsItIs(url, expected, true);
    validateSays(url, "unversioned: TaskFlow's SQLite schema");

    assertThat(Files.readAllBytes(db)).as("the file, byte for byte").isEqualTo(before);
    assertThat(filesIn(dir)).as("no journal, WAL or other file left").isEqualTo(files);
  }

  @Test
  void aPostgresStoreTaskFlowMadeIsReadAsItIsAndLeftRowForRow(@PostgresDatabase String db)
      throws Exception {
    requireTaskFlow("psycopg2", "python3-psycopg2");
    String url = TestDatabases.postgresUrl(db);
    List<Map<String, Object>> expected = taskflowMakesStore(url, null);
    List<String> before;
    try (java.sql.Connection raw = TestDatabases.postgres(db)) {
      before = snapshot(raw);
    }
    assertThat(before).contains("row alembic_version: | " + SchemaMigrator.ALEMBIC_HEAD);

    readAsItIs(url, expected, true);
    validateSays(url, SchemaMigrator.ALEMBIC_HEAD);

    try (java.sql.Connection raw = TestDatabases.postgres(db)) {
      assertThat(snapshot(raw)).isEqualTo(before);
    }
  }

  @Test
  void aMariaDbStoreTaskFlowMadeIsReadAsItIsAndLeftRowForRow(@MariaDbDatabase String db)
      throws Exception {
    requireTaskFlow("pymysql", "python3-pymysql");
    String url = TestDatabases.mariadbUrl(db);
    List<Map<String, Object>> expected =
        taskflowMakesStore(
            "mysql+pymysql://"
                + TestDatabases.MARIADB_USER
                + "@"
                + TestDatabases.MARIADB_HOST
                + "/"
                + db,
            null);
    List<String> before;
    try (java.sql.Connection raw = TestDatabases.mariadb(db)) {
      before = snapshot(raw);
    }
    assertThat(before).contains("row alembic_version: | " + SchemaMigrator.ALEMBIC_HEAD);

    readAsItIs(url, expected, false);
    validateSays(url, SchemaMigrator.ALEMBIC_HEAD);

    try (java.sql.Connection raw = TestDatabases.mariadb(db)) {
      assertThat(snapshot(raw)).isEqualTo(before);
    }
  }

  /**
   * TaskFlow 5.0.0 (the release Debian ships) stops at alembic revision 40fc8c914bd2, one before
   * the head taskflow4j shares; its head only makes MySQL's uuid indexes unique, which the primary
   * keys already are. Such a store reads as it is, validate() says `upgrade` adopts it, and
   * upgrade() does, keeping every row, after which TaskFlow still reads it.
   */
  @Test
  void aPostgresStoreOfTaskFlow500ReadsAsFoundAndIsAdoptedByUpgrade(@PostgresDatabase String db)
      throws Exception {
    requireTaskFlow("psycopg2", "python3-psycopg2");
    storeOfTaskFlow500IsReadThenAdopted(
        TestDatabases.postgresUrl(db),
        TestDatabases.postgresUrl(db),
        () -> TestDatabases.postgres(db));
  }

  /** As above on MariaDB, where the head's change (unique uuid indexes) is not applied. */
  @Test
  void aMariaDbStoreOfTaskFlow500ReadsAsFoundAndIsAdoptedByUpgrade(@MariaDbDatabase String db)
      throws Exception {
    requireTaskFlow("pymysql", "python3-pymysql");
    storeOfTaskFlow500IsReadThenAdopted(
        TestDatabases.mariadbUrl(db),
        "mysql+pymysql://"
            + TestDatabases.MARIADB_USER
            + "@"
            + TestDatabases.MARIADB_HOST
            + "/"
            + db,
        () -> TestDatabases.mariadb(db));
  }

  /**
   * A store made from TaskFlow's table model ({@code tables.fetch(metadata)} and {@code
   * create_all}, as where no alembic configuration ships, Debian's python3-taskflow among them) has
   * no alembic revision, other constraint names, and enum types named by the model: the intention's
   * is {@code intentions}, not the migrations' {@code intention_type}. It reads as found, is
   * adopted, and taskflow4j then writes every kind of atom row into it (inserts, a lone update,
   * several atoms with their flow, a changed intention), which TaskFlow reads back.
   */
  @Test
  void aPostgresStoreMadeFromTaskFlowsTableModelIsAdoptedAndWrittenInto(@PostgresDatabase String db)
      throws Exception {
    requireTaskFlow("psycopg2", "python3-psycopg2");
    String url = TestDatabases.postgresUrl(db);
    List<Map<String, Object>> expected = taskflowMakesStore(url, "model");
    try (java.sql.Connection raw = TestDatabases.postgres(db);
        java.sql.Statement st = raw.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT udt_name FROM information_schema.columns"
                    + " WHERE table_name = 'atomdetails' AND column_name = 'intention'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).as("the model's enum name").isEqualTo("intentions");
    }
    readAsItIs(url, expected, true);
    validateSays(url, "unversioned: made from TaskFlow's table model, without its migrations");

    TaskDetail charge = TaskDetail.create("charge");
    RetryDetail retry = RetryDetail.create("again");
    FlowDetail fd = FlowDetail.create("java-flow").withAtom(charge).withAtom(retry);
    LogBook lb = LogBook.create("java-book").withFlow(fd);
    String theirAtom;
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      c.validate();
      c.saveLogBook(lb);
      // A lone update, and one of TaskFlow's own rows with its intention changed.
      c.updateAtomDetails(c.getAtomDetails(charge.uuid()).withState(AtomState.RUNNING));
      AtomDetail theirs =
          c.getLogBook((String) expected.get(0).get("uuid")).flows().get(0).atoms().stream()
              .filter(a -> a instanceof TaskDetail && a.state() == AtomState.FAILURE)
              .findFirst()
              .orElseThrow();
      theirAtom = theirs.uuid();
      c.updateAtomDetails(theirs.withIntention(Intention.RETRY));
      // Several atoms with their flow.
      FlowDetail stored = c.getFlowDetails(fd.uuid());
      FlowDetail next = stored.withState(FlowState.SUCCESS);
      for (AtomDetail a : stored.atoms()) {
        next =
            next.withAtom(
                a instanceof TaskDetail t
                    ? t.put(AtomState.SUCCESS, Map.of("paid", 12))
                    : a.withState(AtomState.SUCCESS));
      }
      c.updateFlowDetails(next);
      assertThat(((TaskDetail) c.getAtomDetails(charge.uuid())).results())
          .isEqualTo(Map.of("paid", 12));
    }

    List<?> books = (List<?>) runTaskFlow(url, charge.uuid());
    assertThat(books.toString()).contains("java-book", "java-flow", "py-book");
    assertThat(atomAsTaskFlowReads(books, charge.uuid()))
        .containsEntry("type", "TaskDetail")
        .containsEntry("results", Map.of("paid", 12))
        .containsEntry("revert_results", "undone")
        .containsEntry("intention", "EXECUTE");
    assertThat(atomAsTaskFlowReads(books, retry.uuid()))
        .containsEntry("type", "RetryDetail")
        .containsEntry("state", "SUCCESS");
    assertThat(atomAsTaskFlowReads(books, theirAtom))
        .as("TaskFlow reads the intention taskflow4j wrote on its row")
        .containsEntry("intention", "RETRY")
        .containsEntry("state", "FAILURE");
    try (Backend b = Backends.fetch(url);
        Connection c = b.getConnection()) {
      assertThat(c.getAtomDetails(theirAtom).intention()).isEqualTo(Intention.RETRY);
      assertThat(c.getAtomDetails(charge.uuid()).state()).isEqualTo(AtomState.REVERTED);
    }
  }

  /** The atom of that uuid in logbooks as the TaskFlow scripts print them. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> atomAsTaskFlowReads(List<?> books, String uuid) {
    for (Object b : books) {
      for (Object f : (List<Object>) ((Map<String, Object>) b).get("flows")) {
        for (Object a : (List<Object>) ((Map<String, Object>) f).get("atoms")) {
          if (uuid.equals(((Map<String, Object>) a).get("uuid"))) {
            return (Map<String, Object>) a;
          }
        }
      }
    }
    throw new AssertionError("TaskFlow did not read atom " + uuid + " in " + books);
  }

  /** Opens a raw connection to the test database. */
  private interface RawOpener {
    java.sql.Connection open() throws java.sql.SQLException;
  }

  private void storeOfTaskFlow500IsReadThenAdopted(String url, String theirs, RawOpener raw)
      throws Exception {
    List<Map<String, Object>> expected = taskflowMakesStore(theirs, "40fc8c914bd2");
    List<String> before;
    try (java.sql.Connection r = raw.open()) {
      before = snapshot(r);
    }
    String bookUuid = (String) expected.get(0).get("uuid");
    LogBook read;
    try (Backend b = Backends.fetch(url);
        Connection c = b.getConnection()) {
      assertThat(c.getLogBooks()).extracting(LogBook::name).containsExactly("orders", "empty");
      read = c.getLogBook(bookUuid);
      assertThat(read.flows().get(0).atoms()).hasSize(3);
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("40fc8c914bd2")
          .hasMessageContaining("`upgrade` adopts it");
      assertThatThrownBy(() -> c.saveLogBook(LogBook.create("new")))
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("nothing was written");
    }
    try (java.sql.Connection r = raw.open()) {
      assertThat(snapshot(r)).as("reading changed nothing").isEqualTo(before);
    }
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      c.validate();
      LogBook adopted = c.getLogBook(bookUuid);
      assertThat(adopted.flows()).hasSize(read.flows().size());
      assertThat(adopted.flows().get(0).atoms())
          .extracting(io.taskflow4j.persistence.AtomDetail::uuid)
          .containsExactlyInAnyOrderElementsOf(
              read.flows().get(0).atoms().stream()
                  .map(io.taskflow4j.persistence.AtomDetail::uuid)
                  .toList());
      assertThat(adopted.flows().get(0).atoms())
          .extracting(io.taskflow4j.persistence.AtomDetail::state)
          .containsExactlyInAnyOrderElementsOf(
              read.flows().get(0).atoms().stream()
                  .map(io.taskflow4j.persistence.AtomDetail::state)
                  .toList());
    }
    // TaskFlow still reads and writes the adopted store (a task: TaskFlow drops a retry's revert
    // results when it merges one, its own bug).
    String atomUuid =
        read.flows().get(0).atoms().stream()
            .filter(a -> a instanceof TaskDetail)
            .findFirst()
            .orElseThrow()
            .uuid();
    List<?> books = (List<?>) runTaskFlow(theirs, atomUuid);
    assertThat(books.toString()).contains("py-book").contains(atomUuid).contains("undone");
  }

  private static Set<String> filesIn(Path d) throws java.io.IOException {
    try (var s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
    }
  }
}
