package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Schema migrations on one database kind: an empty database is brought to the current schema, a
 * database TaskFlow made is adopted without losing a row, and a schema newer than the code (or an
 * unknown TaskFlow revision) is refused and left untouched.
 */
abstract class AbstractMigrationTest {
  protected static final String BOOK = "b0000000-0000-0000-0000-000000000001";
  protected static final String FLOW = "f0000000-0000-0000-0000-000000000001";

  /** Atom uuids in reverse alphabetical order of their insertion, to tell order from uuid. */
  protected static final List<String> ATOMS =
      List.of(
          "a3000000-0000-0000-0000-000000000000",
          "a2000000-0000-0000-0000-000000000000",
          "a1000000-0000-0000-0000-000000000000");

  /**
   * TaskFlow's rows: one book ({@link #BOOK}), its flow ({@link #FLOW}) and the {@link #ATOMS} in
   * that insertion order, created at the given times. Columns are named, so the statements fit
   * every dialect's column order.
   */
  protected static List<String> taskflowRows(
      String bookCreated, String flowCreated, String... atomsCreated) {
    List<String> rows = new ArrayList<>();
    rows.add(
        "INSERT INTO logbooks (created_at, updated_at, meta, name, uuid) VALUES ('"
            + bookCreated
            + "', NULL, '{\"made_by\": \"taskflow\"}', 'taskflow-book', '"
            + BOOK
            + "')");
    rows.add(
        "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, meta, name, state, uuid)"
            + " VALUES ('"
            + flowCreated
            + "', NULL, '"
            + BOOK
            + "', '{}', 'flow', 'SUCCESS', '"
            + FLOW
            + "')");
    for (int i = 0; i < atomsCreated.length; i++) {
      rows.add(
          "INSERT INTO atomdetails (created_at, parent_uuid, meta, name, results, version, state,"
              + " uuid, atom_type, intention) VALUES ('"
              + atomsCreated[i]
              + "', '"
              + FLOW
              + "', '{\"progress\": 1.0}', 'task"
              + i
              + "', '{\"value\": "
              + (i + 1)
              + "}', '1.0', 'SUCCESS', '"
              + ATOMS.get(i)
              + "', 'TASK_DETAIL', 'EXECUTE')");
    }
    return rows;
  }

  private final List<Backend> opened = new ArrayList<>();

  /** The connection string of a new, empty database for this test. */
  protected abstract String newStore() throws Exception;

  /** A plain JDBC connection to the database of the last {@link #newStore()}. */
  protected abstract java.sql.Connection rawConnection() throws SQLException;

  /**
   * TaskFlow's tables at alembic head, written by hand from TaskFlow's schema, plus one book, one
   * flow and the {@link #ATOMS} in that insertion order, as TaskFlow's backend would store them.
   */
  protected abstract List<String> taskflowSchemaAndRows();

  /** Whether TaskFlow keeps an {@code alembic_version} table on this database. */
  protected boolean hasAlembic() {
    return true;
  }

  /** Removes the databases made (optional). */
  protected void dispose() throws Exception {}

  @AfterEach
  void closeAll() throws Exception {
    try {
      for (Backend b : opened) {
        b.close();
      }
    } finally {
      dispose();
    }
  }

  private Backend open(String store) {
    Backend b = Backends.fetch(store);
    opened.add(b);
    return b;
  }

  private void exec(List<String> statements) throws SQLException {
    try (java.sql.Connection c = rawConnection();
        Statement st = c.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }

  /** Every table with its row count, as a fingerprint of the database's content. */
  private Map<String, Long> fingerprint() throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (java.sql.Connection c = rawConnection()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          c.getMetaData().getTables(c.getCatalog(), c.getSchema(), "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          tables.add(rs.getString("TABLE_NAME"));
        }
      }
      for (String t : tables) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + t)) {
          rs.next();
          out.put(TestDatabases.lower(t), rs.getLong(1));
        }
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM " + t + " WHERE 1 = 0")) {
          out.put(TestDatabases.lower(t) + ".columns", (long) rs.getMetaData().getColumnCount());
        }
      }
    }
    return out;
  }

  private String alembicVersion() throws SQLException {
    try (java.sql.Connection c = rawConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Test
  void anEmptyDatabaseIsBroughtToTheCurrentSchema() throws Exception {
    String store = newStore();
    Backend b = open(store);
    try (Connection c = b.getConnection()) {
      c.upgrade();
      c.upgrade(); // idempotent
      LogBook lb =
          LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t")));
      c.saveLogBook(lb);
      assertThat(c.getLogBook(lb.uuid()).flows().get(0).atoms()).hasSize(1);
      c.validate();
    }
    assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("3");
    if (hasAlembic()) {
      assertThat(alembicVersion()).isEqualTo(SchemaMigrator.ALEMBIC_HEAD);
    }
  }

  @Test
  void unrelatedTablesDoNotStopAFreshInstall() throws Exception {
    String store = newStore();
    exec(List.of("CREATE TABLE app_owned (id INTEGER PRIMARY KEY)"));
    Backend b = open(store);
    try (Connection c = b.getConnection()) {
      c.upgrade();
      c.validate();
    }
    assertThat(fingerprint()).containsKeys("app_owned", "logbooks", "atomdetails");
  }

  @Test
  void aDatabaseTaskFlowMadeIsAdoptedKeepingEveryRow() throws Exception {
    String store = newStore();
    exec(taskflowSchemaAndRows());
    Map<String, Long> before = fingerprint();

    Backend b = open(store);
    try (Connection c = b.getConnection()) {
      c.upgrade();
      LogBook lb = c.getLogBook(BOOK);
      assertThat(lb.name()).isEqualTo("taskflow-book");
      assertThat(lb.meta()).isEqualTo(Map.of("made_by", "taskflow"));
      FlowDetail fd = lb.flows().get(0);
      assertThat(fd.uuid()).isEqualTo(FLOW);
      assertThat(fd.atoms()).extracting(AtomDetail::uuid).containsExactlyElementsOf(ATOMS);
      TaskDetail first = (TaskDetail) fd.atoms().get(0);
      assertThat(first.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(first.results()).isEqualTo(Map.of("value", 1));
      assertThat(first.meta()).isEqualTo(Map.of("progress", 1.0));

      // The adopted store takes writes; new atoms come after the adopted ones.
      TaskDetail added = TaskDetail.create("added");
      FlowDetail written = c.updateFlowDetails(fd.withAtom(added));
      // Adopted rows start at revision 0; the flow update wrote them all once.
      AtomDetail stored = written.atoms().get(0);
      assertThat(stored.revision()).isEqualTo(1);
      AtomDetail bumped = c.updateAtomDetails(stored.withState(AtomState.REVERTING));
      assertThat(bumped.revision()).isEqualTo(2);
      assertThat(c.getAtomDetails(first.uuid()).state()).isEqualTo(AtomState.REVERTING);
      assertThat(c.getAtomsForFlow(FLOW))
          .extracting(AtomDetail::uuid)
          .containsExactly(ATOMS.get(0), ATOMS.get(1), ATOMS.get(2), added.uuid());
    }
    Map<String, Long> after = fingerprint();
    assertThat(after.get("logbooks")).isEqualTo(before.get("logbooks"));
    assertThat(after.get("flowdetails")).isEqualTo(before.get("flowdetails"));
    assertThat(after.get("atomdetails")).isEqualTo(before.get("atomdetails") + 1);
    assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("3");
    if (hasAlembic()) {
      assertThat(alembicVersion()).isEqualTo(SchemaMigrator.ALEMBIC_HEAD);
    }
  }

  @Test
  void aSchemaNewerThanTheCodeIsRefusedAndLeftUntouched() throws Exception {
    String store = newStore();
    try (Connection c = open(store).getConnection()) {
      c.upgrade();
      c.saveLogBook(LogBook.create("kept").withFlow(FlowDetail.create("f")));
    }
    exec(
        List.of(
            "INSERT INTO "
                + SchemaMigrator.HISTORY_TABLE
                + " (installed_rank, version, description, type, script, checksum, installed_by,"
                + " execution_time, success) VALUES (99, '4', 'from the future', 'SQL',"
                + " 'V4__from_the_future.sql', 0, 'a newer release', 0, "
                + (this instanceof SqliteMigrationTest ? "1" : "TRUE")
                + ")"));
    Map<String, Long> before = fingerprint();

    Backend newer = open(store);
    try (Connection c = newer.getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("version 4")
          .hasMessageContaining("upgrade taskflow4j");
    }
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void aTaskFlowSchemaAtAnotherAlembicRevisionIsRefusedAndLeftUntouched() throws Exception {
    // Runs on PostgreSQL and MariaDB, in CI too. Skipped on SQLite only: TaskFlow creates SQLite
    // schemas without alembic, so there is no alembic revision to disagree with.
    org.junit.jupiter.api.Assumptions.assumeTrue(hasAlembic(), "TaskFlow uses no alembic here");
    String store = newStore();
    List<String> ddl = new ArrayList<>(taskflowSchemaAndRows());
    ddl.add("UPDATE alembic_version SET version_num = '40fc8c914bd2'");
    exec(ddl);
    Map<String, Long> before = fingerprint();
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("40fc8c914bd2");
    }
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void aTaskFlowSchemaMissingColumnsIsRefusedAndLeftUntouched() throws Exception {
    String store = newStore();
    exec(
        List.of(
            "CREATE TABLE logbooks (uuid VARCHAR(64) NOT NULL PRIMARY KEY, name VARCHAR(255))",
            "CREATE TABLE flowdetails (uuid VARCHAR(64) NOT NULL PRIMARY KEY,"
                + " parent_uuid VARCHAR(64))",
            "CREATE TABLE atomdetails (uuid VARCHAR(64) NOT NULL PRIMARY KEY,"
                + " parent_uuid VARCHAR(64), name VARCHAR(255))"));
    Map<String, Long> before = fingerprint();
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("atomdetails");
    }
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void aDatabaseWithOnlySomeOfTaskFlowsTablesIsRefusedAndLeftUntouched() throws Exception {
    String store = newStore();
    exec(
        List.of(
            "CREATE TABLE flowdetails (uuid VARCHAR(64) NOT NULL PRIMARY KEY,"
                + " parent_uuid VARCHAR(64))"));
    Map<String, Long> before = fingerprint();
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("'logbooks'");
    }
    assertThat(fingerprint()).isEqualTo(before);
  }
}
