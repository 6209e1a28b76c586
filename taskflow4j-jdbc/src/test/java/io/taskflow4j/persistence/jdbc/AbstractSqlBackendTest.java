package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
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
import java.time.Instant;
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
                    + enumValue(d, "atom_types")
                    + ", "
                    + enumValue(d, "intention_type")
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

  private Dialect dialect() {
    return ((JdbcBackend) backend).dialect();
  }

  /**
   * A flow row inserted the way TaskFlow inserts it, without an update time, reports its creation
   * time as its update time on every read, and the listing orders and filters it by that time; an
   * update stamps the update time and keeps the creation time.
   */
  @Test
  void aFlowTaskFlowInsertedWithoutAnUpdateTimeIsListedByItsCreationTime() throws SQLException {
    Dialect d = dialect();
    String book = java.util.UUID.randomUUID().toString();
    String flow = java.util.UUID.randomUUID().toString();
    String created = "2024-05-06 07:08:09.123456";
    Instant t = Instant.parse("2024-05-06T07:08:09.123456Z");
    try (Connection c = raw()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO logbooks (created_at, meta, name, uuid) VALUES ('"
                  + created
                  + "', "
                  + d.json()
                  + ", 'tf-book', ?)")) {
        ps.setString(1, "{}");
        ps.setString(2, book);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, meta, name, state,"
                  + " uuid) VALUES ('"
                  + created
                  + "', NULL, ?, "
                  + d.json()
                  + ", 'tf-flow', 'FAILURE', ?)")) {
        ps.setString(1, book);
        ps.setString(2, "{}");
        ps.setString(3, flow);
        ps.executeUpdate();
      }
    }
    FlowDetail fd = conn.getFlowDetails(flow);
    assertThat(fd.createdAt()).isEqualTo(t);
    assertThat(fd.updatedAt()).isEqualTo(t);
    assertThat(conn.getLogBook(book).flows().get(0).updatedAt()).isEqualTo(t);
    assertThat(conn.getFlowsForBook(book).get(0).createdAt()).isEqualTo(t);

    FlowSummary s = conn.findFlows(FlowQuery.all().states(FlowState.FAILURE)).flows().get(0);
    assertThat(s.flowUuid()).isEqualTo(flow);
    assertThat(s.updatedAt()).isEqualTo(t);
    assertThat(s.createdAt()).isEqualTo(t);
    assertThat(conn.findFlows(FlowQuery.all().updatedSince(t)).flows()).hasSize(1);
    assertThat(conn.findFlows(FlowQuery.all().updatedBefore(t)).flows()).isEmpty();
    assertThat(conn.findFlows(FlowQuery.all().after(s.cursor())).flows()).isEmpty();
    assertThat(conn.countFlows(FlowQuery.all().createdSince(t)))
        .isEqualTo(Map.of(FlowState.FAILURE, 1L));

    conn.updateFlowDetails(fd.withState(FlowState.RUNNING));
    FlowDetail after = conn.getFlowDetails(flow);
    assertThat(after.createdAt()).isEqualTo(t);
    assertThat(after.updatedAt()).isAfter(t);
    assertThat(conn.findFlows(FlowQuery.all()).flows().get(0).updatedAt())
        .isEqualTo(after.updatedAt());
  }

  /** taskflow4j's own inserts stamp both record times; its updates keep the creation time. */
  @Test
  void aSaveStampsBothRecordTimesOfANewFlowRow() throws SQLException {
    LogBook saved = conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
    String flow = saved.flows().get(0).uuid();
    try (Connection c = raw();
        PreparedStatement ps =
            c.prepareStatement("SELECT created_at, updated_at FROM flowdetails WHERE uuid = ?")) {
      ps.setString(1, flow);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isNotNull();
        assertThat(rs.getString(2)).isNotNull().isEqualTo(rs.getString(1));
      }
    }
    FlowDetail read = conn.getFlowDetails(flow);
    assertThat(saved.flows().get(0).createdAt()).isEqualTo(read.createdAt());
    assertThat(saved.flows().get(0).updatedAt()).isEqualTo(read.updatedAt());
  }

  /**
   * Name prefixes are matched as they are: {@code %} and {@code _} are no wildcards, case counts
   * (SQLite's LIKE and MySQL's collations would ignore it), and so do trailing spaces.
   */
  @Test
  void namePrefixesMatchLiterallyAndCaseSensitively() {
    conn.saveLogBook(
        LogBook.create("50%_off")
            .withFlow(FlowDetail.create("a_b%c"))
            .withFlow(FlowDetail.create("aXbYc"))
            .withFlow(FlowDetail.create("A_B%C"))
            .withFlow(FlowDetail.create("\u00fcn\u00ef\ud83d\ude00x")));
    conn.saveLogBook(LogBook.create("50xyoff").withFlow(FlowDetail.create("other")));

    assertThat(flowNames(FlowQuery.all().flowNamePrefix("a_b%"))).containsExactly("a_b%c");
    assertThat(flowNames(FlowQuery.all().flowNamePrefix("a_"))).containsExactly("a_b%c");
    assertThat(flowNames(FlowQuery.all().flowNamePrefix("A"))).containsExactly("A_B%C");
    assertThat(flowNames(FlowQuery.all().flowNamePrefix("a")))
        .containsExactlyInAnyOrder("a_b%c", "aXbYc");
    assertThat(flowNames(FlowQuery.all().flowNamePrefix("a_b%c "))).isEmpty();
    assertThat(flowNames(FlowQuery.all().flowNamePrefix("\u00fcn\u00ef\ud83d\ude00")))
        .containsExactly("\u00fcn\u00ef\ud83d\ude00x");
    assertThat(flowNames(FlowQuery.all().bookNamePrefix("50%"))).hasSize(4);
    assertThat(flowNames(FlowQuery.all().bookNamePrefix("50_"))).isEmpty();
    assertThat(flowNames(FlowQuery.all().bookNamePrefix("50x"))).containsExactly("other");
    assertThat(conn.countFlows(FlowQuery.all().bookNamePrefix("50%_").flowNamePrefix("a")))
        .isEqualTo(Map.of(FlowState.PENDING, 2L));
  }

  private List<String> flowNames(FlowQuery q) {
    return conn.findFlows(q).flows().stream().map(FlowSummary::flowName).toList();
  }

  /** Flows in a store, inserted in bulk by SQL. */
  static final int BULK_FLOWS = 20_000;

  /**
   * Inserts {@value #BULK_FLOWS} flow rows into one new book, one a second back from now, in five
   * states by turn; every tenth without an update time (as TaskFlow inserts), the others updated a
   * little after their creation.
   */
  private void insertBulkFlows() throws SQLException {
    Dialect d = dialect();
    String book = java.util.UUID.randomUUID().toString();
    conn.saveLogBook(LogBook.of(book, "bulk", null, null, Map.of(), List.of()));
    String series;
    String created;
    String updated;
    String state;
    String uuid;
    switch (d) {
      case POSTGRESQL -> {
        series = " FROM generate_series(1, " + BULK_FLOWS + ") AS g(n)";
        created = "LOCALTIMESTAMP - n * INTERVAL '1 second'";
        updated =
            "CASE WHEN n % 10 = 0 THEN NULL ELSE LOCALTIMESTAMP - n * INTERVAL '1 second'"
                + " + INTERVAL '1.5 second' END";
        state = "(ARRAY['SUCCESS', 'FAILURE', 'RUNNING', 'PENDING', 'REVERTED'])[n % 5 + 1]";
        uuid = "md5(n::text)";
      }
      case SQLITE -> {
        series =
            " FROM (WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < "
                + BULK_FLOWS
                + ") SELECT n FROM g)";
        created = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || n || ' seconds') || '000'";
        updated =
            "CASE WHEN n % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || n"
                + " || ' seconds', '+1.5 seconds') || '000' END";
        state =
            "CASE n % 5 WHEN 0 THEN 'SUCCESS' WHEN 1 THEN 'FAILURE' WHEN 2 THEN 'RUNNING'"
                + " WHEN 3 THEN 'PENDING' ELSE 'REVERTED' END";
        uuid = "lower(hex(randomblob(16)))";
      }
      default -> {
        series =
            " FROM (WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < "
                + BULK_FLOWS
                + ") SELECT n FROM g) s";
        created = "NOW(6) - INTERVAL n SECOND";
        updated =
            "CASE WHEN n % 10 = 0 THEN NULL ELSE NOW(6) - INTERVAL n SECOND"
                + " + INTERVAL 1500000 MICROSECOND END";
        state = "ELT(n % 5 + 1, 'SUCCESS', 'FAILURE', 'RUNNING', 'PENDING', 'REVERTED')";
        uuid = "MD5(n)";
      }
    }
    try (Connection c = raw()) {
      if (d == Dialect.MYSQL) {
        // The bound of a recursive query: MariaDB's variable, or MySQL's.
        for (String v : List.of("max_recursive_iterations", "cte_max_recursion_depth")) {
          try (Statement st = c.createStatement()) {
            st.execute("SET SESSION " + v + " = " + (BULK_FLOWS + 1));
          } catch (SQLException notThisServer) {
            // the other server's variable
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, name, state, uuid,"
                  + " revision) SELECT "
                  + created
                  + ", "
                  + updated
                  + ", ?, CONCAT('bulk-', n), "
                  + state
                  + ", "
                  + uuid
                  + ", 1"
                  + series)) {
        ps.setString(1, book);
        ps.executeUpdate();
      }
      try (Statement st = c.createStatement()) {
        st.execute(
            switch (d) {
              case POSTGRESQL -> "ANALYZE flowdetails";
              case SQLITE -> "ANALYZE";
              case MYSQL -> "ANALYZE TABLE flowdetails";
            });
      }
    }
  }

  /**
   * On a store of many flows the listing is right on every database, page after page, and on
   * PostgreSQL and SQLite its plan reads an index in the listing's order (no sort of the table),
   * for all flows as for the flows of one state.
   */
  @Test
  void aListingOfManyFlowsPagesInOrderReadingAnIndex() throws SQLException {
    insertBulkFlows();
    assertThat(conn.countFlows(FlowQuery.all()).values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(BULK_FLOWS);
    assertThat(conn.countFlows(FlowQuery.all().states(FlowState.FAILURE)))
        .isEqualTo(Map.of(FlowState.FAILURE, (long) BULK_FLOWS / 5));
    for (FlowQuery q : List.of(FlowQuery.all(), FlowQuery.all().states(FlowState.FAILURE))) {
      List<FlowSummary> seen = new ArrayList<>();
      FlowPage page = conn.findFlows(q.limit(50));
      for (int i = 0; i < 3; i++) {
        assertThat(page.flows()).hasSize(50);
        seen.addAll(page.flows());
        page = conn.findFlows(q.limit(50).after(page.nextCursor()));
      }
      assertThat(seen).isSortedAccordingTo(FlowQuery.NEWEST_FIRST);
      assertThat(seen).extracting(FlowSummary::flowUuid).doesNotHaveDuplicates();
      if (q.states().isEmpty()) {
        // bulk-1 is the newest, and bulk-10 (no update time) comes by its creation time
        assertThat(seen.get(0).flowName()).isEqualTo("bulk-1");
        assertThat(seen).extracting(FlowSummary::flowName).contains("bulk-10");
      }
    }
    // Several states (a prune's finished flows): the pages are those of the listing of all flows,
    // left with the flows of those states.
    FlowQuery finished =
        FlowQuery.all().states(FlowState.SUCCESS, FlowState.FAILURE, FlowState.REVERTED);
    List<FlowSummary> expected = new ArrayList<>();
    for (FlowPage p = conn.findFlows(FlowQuery.all().limit(500)); expected.size() < 150; ) {
      p.flows().stream().filter(f -> finished.states().contains(f.state())).forEach(expected::add);
      p = conn.findFlows(FlowQuery.all().limit(500).after(p.nextCursor()));
    }
    List<FlowSummary> merged = new ArrayList<>();
    FlowPage mp = conn.findFlows(finished.limit(50));
    for (int i = 0; i < 3; i++) {
      merged.addAll(mp.flows());
      mp = conn.findFlows(finished.limit(50).after(mp.nextCursor()));
    }
    assertThat(merged)
        .extracting(FlowSummary::flowUuid)
        .containsExactlyElementsOf(
            expected.subList(0, 150).stream().map(FlowSummary::flowUuid).toList());

    Dialect d = dialect();
    if (d == Dialect.MYSQL) {
      return; // no expression index: the listing sorts (see migration V5)
    }
    JdbcFlowFinder finder = new JdbcConnection((JdbcBackend) backend).finder;
    String notSorted = d == Dialect.SQLITE ? "TEMP B-TREE" : "Sort";
    List<String> all = finder.explain(FlowQuery.all());
    assertThat(String.join("\n", all))
        .as("plan of the first page of all flows")
        .contains("flowdetails_updated_idx")
        .doesNotContain(notSorted);
    List<String> failed = finder.explain(FlowQuery.all().states(FlowState.FAILURE));
    assertThat(String.join("\n", failed))
        .as("plan of the first page of the failed flows")
        .contains("flowdetails_state_updated_idx")
        .doesNotContain(notSorted);
    List<String> ofThree = finder.explain(finished.after(mp.nextCursor()));
    assertThat(String.join("\n", ofThree))
        .as("plan of a page of three states")
        .contains("flowdetails_state_updated_idx")
        .doesNotContain(notSorted);
    String cursor = conn.findFlows(FlowQuery.all().limit(500)).nextCursor();
    List<String> next = finder.explain(FlowQuery.all().states(FlowState.FAILURE).after(cursor));
    assertThat(String.join("\n", next))
        .as("plan of a page after a cursor")
        .contains("flowdetails_state_updated_idx")
        .doesNotContain(notSorted);
  }

  /** A value of a native enum type on PostgreSQL (V1's type names), a string elsewhere. */
  private static String enumValue(Dialect d, String pgType) {
    return d == Dialect.POSTGRESQL ? "CAST(? AS " + pgType + ")" : "?";
  }

  private static String time(Dialect d) {
    return d == Dialect.SQLITE ? "'2026-01-02 03:04:05.123456'" : "CURRENT_TIMESTAMP";
  }
}
