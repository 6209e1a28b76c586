package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.tck.BackendContractTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The conformance kit plus what is specific to the SQL backend: TaskFlow's table layout, rows in
 * TaskFlow's form both ways, and the SQL backend's own bookkeeping columns.
 */
abstract class AbstractSqlBackendTest extends BackendContractTest {

  /** The connection string of the (already existing) test database. */
  protected abstract String connection();

  @Override
  protected Backend newBackend() {
    Backend b = Backends.fetch(connection());
    try (var c = b.getConnection()) {
      c.upgrade();
      c.clearAll();
    }
    return b;
  }

  /**
   * Writes what no reader can parse into the record's JSON column (meta of a book or flow, results
   * of an atom): a torn JSON text where the column is text, and on PostgreSQL, whose JSON columns
   * refuse invalid JSON, a value nested deeper than any reader accepts.
   */
  @Override
  protected void damage(CorruptRecordException.Kind kind, String uuid) throws SQLException {
    String sql =
        switch (kind) {
          case LOGBOOK -> "UPDATE logbooks SET meta = %s WHERE uuid = ?";
          case FLOW_DETAIL -> "UPDATE flowdetails SET meta = %s WHERE uuid = ?";
          case ATOM_DETAIL -> "UPDATE atomdetails SET results = %s WHERE uuid = ?";
        };
    boolean postgres = ((JdbcBackend) backend).dialect() == Dialect.POSTGRESQL;
    try (Connection c = raw();
        PreparedStatement ps =
            c.prepareStatement(String.format(sql, postgres ? "CAST(? AS JSON)" : "?"))) {
      ps.setString(1, postgres ? "[".repeat(1_001) + "]".repeat(1_001) : "{\"torn\": [1, 2");
      ps.setString(2, uuid);
      assertThat(ps.executeUpdate()).as("rows damaged").isEqualTo(1);
    }
  }

  /** A raw JDBC connection to the store under test (returned to the backend on close). */
  protected Connection raw() throws SQLException {
    return ((JdbcBackend) backend).source().get(true);
  }

  private Set<String> columns(Connection c, String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        out.add(TestDatabases.lower(md.getColumnName(i)));
      }
    }
    return out;
  }

  /**
   * A flow of more atoms than one batch sends (500 rows, so that binding a batch never leaves the
   * transaction idle for long) is written whole, in order, with its revisions: new atoms, then a
   * mix of changed and new ones, each crossing batch boundaries.
   */
  @Test
  void aFlowOfMoreAtomsThanOneBatchIsWrittenWholeInOrder() {
    List<AtomDetail> atoms = new ArrayList<>();
    for (int i = 0; i < 1_201; i++) {
      atoms.add(TaskDetail.create("t" + i));
    }
    FlowDetail fd = FlowDetail.create("big").withAtoms(atoms);
    LogBook saved = conn.saveLogBook(LogBook.create("b").withFlow(fd));
    List<AtomDetail> first = saved.flows().get(0).atoms();
    assertThat(first).hasSize(1_201).allSatisfy(a -> assertThat(a.revision()).isEqualTo(1));

    List<AtomDetail> next = new ArrayList<>();
    for (int i = 0; i < first.size(); i++) {
      next.add(i % 2 == 0 ? first.get(i).put(AtomState.SUCCESS, i) : first.get(i));
    }
    for (int i = 0; i < 700; i++) {
      next.add(TaskDetail.create("n" + i));
    }
    conn.saveLogBook(saved.withFlows(List.of(saved.flows().get(0).withAtoms(next))));

    List<AtomDetail> stored = conn.getFlowDetails(fd.uuid()).atoms();
    assertThat(stored)
        .extracting(AtomDetail::uuid)
        .containsExactlyElementsOf(next.stream().map(AtomDetail::uuid).toList());
    for (int i = 0; i < stored.size(); i++) {
      AtomDetail a = stored.get(i);
      assertThat(a.revision()).as(a.name()).isEqualTo(i < 1_201 ? 2 : 1);
      assertThat(a.lastResults()).as(a.name()).isEqualTo(i < 1_201 && i % 2 == 0 ? i : null);
    }
  }

  @Test
  void tablesHaveTaskFlowsColumnsPlusTheRevisionColumns() throws SQLException {
    try (Connection c = raw()) {
      assertThat(columns(c, "logbooks"))
          .containsAll(Set.of("created_at", "updated_at", "meta", "name", "uuid"));
      assertThat(columns(c, "flowdetails"))
          .containsAll(
              Set.of(
                  "created_at",
                  "updated_at",
                  "parent_uuid",
                  "meta",
                  "name",
                  "state",
                  "uuid",
                  "revision"));
      assertThat(columns(c, "atomdetails"))
          .containsAll(
              Set.of(
                  "created_at",
                  "updated_at",
                  "meta",
                  "parent_uuid",
                  "name",
                  "version",
                  "state",
                  "uuid",
                  "failure",
                  "results",
                  "revert_results",
                  "revert_failure",
                  "atom_type",
                  "intention",
                  "revision"));
    }
  }

  @Test
  void rowsAreStoredInTaskFlowsForm() throws SQLException {
    TaskDetail td =
        TaskDetail.create("t1")
            .withVersion("1.0")
            .withMeta(Map.of("progress", 1.0))
            .put(AtomState.SUCCESS, Map.of("answer", 42));
    RetryDetail rd = RetryDetail.create("r1").withIntention(Intention.RETRY);
    FlowDetail fd =
        FlowDetail.create("flow").withState(FlowState.RUNNING).withAtom(td).withAtom(rd);
    LogBook lb = LogBook.create("book").withMeta(Map.of("k", "v")).withFlow(fd);
    conn.saveLogBook(lb);

    try (Connection c = raw();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT name, state, intention, version, atom_type, results, meta, parent_uuid,"
                    + " revision FROM atomdetails WHERE uuid = ?")) {
      ps.setString(1, td.uuid());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("name")).isEqualTo("t1");
        assertThat(rs.getString("state")).isEqualTo("SUCCESS");
        assertThat(rs.getString("intention")).isEqualTo("EXECUTE");
        assertThat(rs.getString("version")).isEqualTo("1.0");
        assertThat(rs.getString("atom_type")).isEqualTo("TASK_DETAIL");
        assertThat(Json.read(rs.getString("results"))).isEqualTo(Map.of("answer", 42));
        assertThat(Json.read(rs.getString("meta"))).isEqualTo(Map.of("progress", 1.0));
        assertThat(rs.getString("parent_uuid")).isEqualTo(fd.uuid());
        assertThat(rs.getLong("revision")).isEqualTo(1);
      }
      ps.setString(1, rd.uuid());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("atom_type")).isEqualTo("RETRY_DETAIL");
        assertThat(rs.getString("intention")).isEqualTo("RETRY");
        assertThat(Json.read(rs.getString("results"))).isEqualTo(List.of());
      }
    }
  }

  /** Rows inserted the way TaskFlow inserts them (no revision, no sequence) read back. */
  @Test
  void rowsWrittenByTaskFlowAreRead() throws SQLException {
    Dialect d = ((JdbcBackend) backend).dialect();
    String book = java.util.UUID.randomUUID().toString();
    String flow = java.util.UUID.randomUUID().toString();
    List<String> atoms = new ArrayList<>();
    try (Connection c = raw()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO logbooks (created_at, meta, name, uuid) VALUES ("
                  + time(d)
                  + ", "
                  + d.json()
                  + ", ?, ?)")) {
        ps.setString(1, "{\"owner\": \"taskflow\"}");
        ps.setString(2, "from-taskflow");
        ps.setString(3, book);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO flowdetails (created_at, parent_uuid, meta, name, state, uuid) VALUES ("
                  + time(d)
                  + ", ?, "
                  + d.json()
                  + ", ?, ?, ?)")) {
        ps.setString(1, book);
        ps.setString(2, "{}");
        ps.setString(3, "flow");
        ps.setString(4, "SUCCESS");
        ps.setString(5, flow);
        ps.executeUpdate();
      }
      for (int i = 0; i < 5; i++) {
        String au = java.util.UUID.randomUUID().toString();
        atoms.add(au);
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO atomdetails (created_at, meta, parent_uuid, name, version, state, uuid,"
                    + " failure, results, revert_results, revert_failure, atom_type, intention)"
                    + " VALUES ("
                    + time(d)
                    + ", "
                    + d.json()
                    + ", ?, ?, ?, ?, ?, NULL, "
                    + d.json()
                    + ", NULL, NULL, "
                    + d.atomType()
                    + ", "
                    + d.intention()
                    + ")")) {
          ps.setString(1, "{\"progress\": 1.0}");
          ps.setString(2, flow);
          ps.setString(3, "task-" + i);
          ps.setString(4, "1.0");
          ps.setString(5, "SUCCESS");
          ps.setString(6, au);
          ps.setString(7, String.valueOf(i * 10));
          ps.setString(8, "TASK_DETAIL");
          ps.setString(9, "EXECUTE");
          ps.executeUpdate();
        }
      }
      c.commit();
      c.setAutoCommit(true);
    }

    LogBook lb = conn.getLogBook(book);
    assertThat(lb.name()).isEqualTo("from-taskflow");
    assertThat(lb.meta()).isEqualTo(Map.of("owner", "taskflow"));
    FlowDetail fd = lb.flows().get(0);
    assertThat(fd.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(fd.atoms()).extracting(AtomDetail::uuid).containsExactlyElementsOf(atoms);
    TaskDetail t3 = (TaskDetail) fd.atoms().get(3);
    assertThat(t3.name()).isEqualTo("task-3");
    assertThat(t3.results()).isEqualTo(30);
    assertThat(t3.revision()).isZero();
    // A TaskFlow row (revision 0) can be updated with a checked write from revision 0... which
    // is unconditional; the next checked write uses the returned revision.
    AtomDetail updated = conn.updateAtomDetails(t3.withMeta(Map.of("progress", 0.5)));
    assertThat(updated.revision()).isEqualTo(1);
    assertThat(conn.updateAtomDetails(updated.withState(AtomState.RUNNING)).revision())
        .isEqualTo(2);
  }

  private static String time(Dialect d) {
    return d == Dialect.SQLITE ? "'2026-01-02 03:04:05.123456'" : "CURRENT_TIMESTAMP";
  }
}
