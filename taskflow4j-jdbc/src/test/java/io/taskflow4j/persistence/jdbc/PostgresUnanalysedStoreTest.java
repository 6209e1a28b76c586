package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a PostgreSQL store whose tables were never analysed (autovacuum off, or just after a bulk
 * load) the planner has no statistics and takes each value of an {@code IN} list to match 0.5% of
 * the table: a page of 200 flow uuids seems to match most of {@code atomdetails}, and an {@code IN}
 * list over them scans the whole table, page after page. The statements that count and delete the
 * atoms of a page of flows must read the index on {@code atomdetails (parent_uuid, seq)} all the
 * same, and count and delete exactly what they did. The store is filled in bulk by SQL, with
 * autovacuum off for its tables, so that it has no statistics when the plans are made.
 */
class PostgresUnanalysedStoreTest {
  /** Flows in the store; flow {@code n} has {@code n % 13} atoms (none for some). */
  private static final int FLOWS = 3_000;

  /** Flows per page: a prune's batch (the listing's pages are smaller). */
  private static final int PAGE = 200;

  @PostgresDatabase private static String db;
  private static Backend backend;
  private static JdbcConnection conn;

  @BeforeAll
  static void fill() throws SQLException {
    backend = Backends.fetch(TestDatabases.postgresUrl(db));
    conn = (JdbcConnection) backend.getConnection();
    conn.upgrade();
    String book = UUID.randomUUID().toString();
    conn.saveLogBook(LogBook.of(book, "bulk", null, null, Map.of(), List.of()));
    try (Connection c = raw();
        Statement st = c.createStatement()) {
      TestDatabases.withoutAutovacuum(st, "logbooks", "flowdetails", "atomdetails");
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, name, state, uuid,"
                  + " revision) SELECT LOCALTIMESTAMP - n * INTERVAL '1 second',"
                  + " LOCALTIMESTAMP - n * INTERVAL '1 second', ?, 'bulk-' || n, 'SUCCESS',"
                  + " md5('flow-' || n), 1 FROM generate_series(1, "
                  + FLOWS
                  + ") AS g(n)")) {
        ps.setString(1, book);
        ps.executeUpdate();
      }
      // Atoms as wide as real ones (a result of some hundred bytes), in five states and none.
      st.executeUpdate(
          "INSERT INTO atomdetails (created_at, updated_at, parent_uuid, name, results, version,"
              + " state, uuid, atom_type, revision)"
              + " SELECT f.created_at, f.updated_at, f.uuid, 'atom-' || i,"
              + " json_build_object('result', repeat('x', 300)), '1.0',"
              + " (ARRAY['SUCCESS', 'FAILURE', 'RUNNING', 'REVERTED', NULL])[i % 5 + 1],"
              + " md5(f.uuid || '/' || i), CAST('TASK_DETAIL' AS atom_types), 1"
              + " FROM flowdetails f, generate_series(1, CAST(substr(f.name, 6) AS int) % 13)"
              + " AS g(i) WHERE f.name LIKE 'bulk-%'");
      try (ResultSet rs =
          st.executeQuery("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'atomdetails'")) {
        rs.next();
        assertThat(rs.getLong(1)).as("statistics of atomdetails").isZero();
      }
    }
  }

  @AfterAll
  static void close() {
    if (conn != null) {
      conn.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private static Connection raw() throws SQLException {
    return ((JdbcBackend) backend).source().get(true);
  }

  /** The uuids of the first page of flows, newest first. */
  private static List<FlowSummary> firstPage() {
    List<FlowSummary> page = conn.findFlows(FlowQuery.all().limit(PAGE)).flows();
    assertThat(page).hasSize(PAGE);
    return page;
  }

  private static List<String> uuids(List<FlowSummary> flows) {
    return flows.stream().map(FlowSummary::flowUuid).toList();
  }

  /**
   * The plan of an {@code IN} list over {@code uuids}, the form the statements had: a scan of the
   * whole table on this store (else this test would show nothing).
   */
  private static String inListPlan(List<String> uuids) throws SQLException {
    String sql =
        "EXPLAIN SELECT a.parent_uuid, a.state, COUNT(*) FROM atomdetails a"
            + " WHERE a.parent_uuid IN ("
            + JdbcReader.placeholders(uuids.size())
            + ") GROUP BY a.parent_uuid, a.state";
    try (Connection c = raw();
        PreparedStatement ps = c.prepareStatement(sql)) {
      JdbcReader.bind(ps, uuids);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  /** The atom counts by flow and state, counted by a plain GROUP BY over the whole table. */
  private static Map<String, Map<AtomState, Integer>> countedByGroupBy() throws SQLException {
    Map<String, Map<AtomState, Integer>> out = new HashMap<>();
    try (Connection c = raw();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT parent_uuid, state, COUNT(*) FROM atomdetails GROUP BY parent_uuid, state")) {
      while (rs.next()) {
        String state = rs.getString(2);
        out.computeIfAbsent(rs.getString(1), k -> new EnumMap<>(AtomState.class))
            .put(state == null ? AtomState.PENDING : AtomState.valueOf(state), rs.getInt(3));
      }
    }
    return out;
  }

  private static long count(String sql, List<String> uuids) throws SQLException {
    try (Connection c = raw();
        PreparedStatement ps = c.prepareStatement(sql)) {
      if (uuids != null) {
        ps.setArray(1, c.createArrayOf("varchar", uuids.toArray()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * The atom counts of a page of flows read the index on {@code atomdetails}, not the whole table,
   * and count every atom of every flow of the page by state (a missing state as PENDING, a flow
   * without atoms with none).
   */
  @Test
  void theAtomCountsOfAPageReadTheIndexAndCountEveryAtom() throws SQLException {
    List<FlowSummary> page = firstPage();
    assertThat(inListPlan(uuids(page))).contains("Seq Scan on atomdetails");

    String plan = String.join("\n", conn.finder.explainAtomCounts(uuids(page)));
    assertThat(plan)
        .as("plan of the atom counts of a page")
        .contains("atomdetails_parent_uuid_idx")
        .doesNotContain("Seq Scan on atomdetails");

    Map<String, Map<AtomState, Integer>> expected = countedByGroupBy();
    Map<String, Map<AtomState, Integer>> counted = new LinkedHashMap<>();
    for (FlowSummary f : page) {
      counted.put(f.flowUuid(), f.atomCounts());
    }
    Map<String, Map<AtomState, Integer>> wanted = new LinkedHashMap<>();
    for (FlowSummary f : page) {
      wanted.put(f.flowUuid(), expected.getOrDefault(f.flowUuid(), Map.of()));
    }
    assertThat(counted).isEqualTo(wanted);
    assertThat(counted.values()).anySatisfy(m -> assertThat(m).isEmpty());
    assertThat(counted.values()).anySatisfy(m -> assertThat(m).containsKey(AtomState.PENDING));
  }

  /**
   * A batch of flow deletes reads the indexes, not the whole tables, and deletes exactly the flows
   * whose revision still matches, with their atoms; a flow whose revision moved on stays whole.
   */
  @Test
  void aBatchOfFlowDeletesReadsTheIndexesAndDeletesThoseFlowsWithTheirAtoms() throws SQLException {
    List<FlowSummary> page = firstPage();
    List<List<String>> plans = conn.writer.explainFlowDeletes(uuids(page));
    assertThat(plans).hasSize(2);
    assertThat(String.join("\n", plans.get(0)))
        .as("plan of the delete of the atoms")
        .contains("atomdetails_parent_uuid_idx")
        .doesNotContain("Seq Scan");
    assertThat(String.join("\n", plans.get(1)))
        .as("plan of the delete of the flows")
        .contains("Index")
        .doesNotContain("Seq Scan");

    String stale = page.get(0).flowUuid();
    Map<String, Long> revisions = new LinkedHashMap<>();
    for (FlowSummary f : page) {
      revisions.put(f.flowUuid(), f.flowUuid().equals(stale) ? f.revision() + 1 : f.revision());
    }
    List<String> doomed = uuids(page).subList(1, page.size());
    String atomsOf = "SELECT COUNT(*) FROM atomdetails WHERE parent_uuid = ANY(?)";
    long atomsBefore = count("SELECT COUNT(*) FROM atomdetails", null);
    long doomedAtoms = count(atomsOf, doomed);
    long staleAtoms = count(atomsOf, List.of(stale));
    assertThat(doomedAtoms).isPositive();

    Set<String> gone = conn.destroyFlowDetails(revisions);

    assertThat(gone).containsExactlyInAnyOrderElementsOf(doomed);
    assertThat(count("SELECT COUNT(*) FROM flowdetails WHERE uuid = ANY(?)", doomed)).isZero();
    assertThat(count(atomsOf, doomed)).isZero();
    assertThat(count(atomsOf, List.of(stale))).isEqualTo(staleAtoms);
    assertThat(count("SELECT COUNT(*) FROM atomdetails", null))
        .isEqualTo(atomsBefore - doomedAtoms);
    assertThat(count("SELECT COUNT(*) FROM flowdetails", null)).isEqualTo(FLOWS - doomed.size());
  }
}
