package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL store filled by one backend, its tables never analysed by autovacuum (off for them,
 * as on servers where it is off): the backend analyses them itself as its writes grow them, so the
 * plans of its prepared lookups by uuid are made again through the index, where the plans made
 * while the tables were tiny scanned them whole for every write (see {@link TableStatistics}).
 */
class PostgresTableStatisticsTest {
  @PostgresDatabase private String db;

  /** The plan PostgreSQL keeps for the writer's lookup of six atoms by uuid, as it would now. */
  private static String genericPlanOfTheAtomLookup(JdbcBackend b, String sql) throws SQLException {
    try (Connection c = b.source().get(true);
        Statement st = c.createStatement()) {
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute("BEGIN");
      String numbered = TestDatabases.numberedParameters(sql);
      st.execute("PREPARE lookup(text, text, text, text, text, text) AS " + numbered);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE lookup('a', 'b', 'c', 'd', 'e', 'f')")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      st.execute("ROLLBACK");
      st.execute("DEALLOCATE lookup");
      return plan.toString();
    }
  }

  private static long manualAnalyses(JdbcBackend b, String table) throws SQLException {
    try (Connection c = b.source().get(true);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = '" + table + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void saveBooks(io.taskflow4j.persistence.Connection c, int books) {
    for (int i = 0; i < books; i++) {
      FlowDetail fd = FlowDetail.create("flow");
      for (int a = 0; a < 6; a++) {
        fd = fd.withAtom(TaskDetail.create("t" + a));
      }
      c.saveLogBook(LogBook.create("book-" + UUID.randomUUID()).withFlow(fd));
    }
  }

  @Test
  void aGrowingStoreIsAnalysedSoItsLookupsByUuidReadTheIndex() throws Exception {
    try (Backend backend = Backends.fetch(TestDatabases.postgresUrl(db));
        io.taskflow4j.persistence.Connection conn = backend.getConnection()) {
      JdbcBackend b = (JdbcBackend) backend;
      conn.upgrade();
      try (Connection c = b.source().get(true);
          Statement st = c.createStatement()) {
        TestDatabases.withoutAutovacuum(st, "logbooks", "flowdetails", "atomdetails");
      }
      String lookup = ((JdbcConnection) conn).writer.storedSql("atomdetails", 6);
      saveBooks(conn, 20);
      assertThat(b.statistics().analysed()).isZero();
      assertThat(genericPlanOfTheAtomLookup(b, lookup))
          .as("the plan kept while the tables are tiny (else this test shows nothing)")
          .contains("Seq Scan on atomdetails");

      saveBooks(conn, (int) TableStatistics.FIRST);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (b.statistics().analysed() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(b.statistics().analysed()).as("analyses after %d writes", 276).isEqualTo(1);
      assertThat(manualAnalyses(b, "atomdetails")).isEqualTo(1);
      assertThat(genericPlanOfTheAtomLookup(b, lookup))
          .as("the plan once the tables are analysed")
          .doesNotContain("Seq Scan on atomdetails")
          .contains("Index Cond");

      saveBooks(conn, 300); // 576 writes: the next at 512
      deadline = System.nanoTime() + 30_000_000_000L;
      while (b.statistics().analysed() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(b.statistics().analysed()).as("analyses after 576 writes").isEqualTo(2);
    }
  }

  @Test
  void aStoreThatOutgrewItsStatisticsIsAnalysedOnFirstUseAndAFreshOneIsNot() throws Exception {
    String url = TestDatabases.postgresUrl(db);
    try (Backend filler = Backends.fetch(url);
        io.taskflow4j.persistence.Connection conn = filler.getConnection()) {
      conn.upgrade();
      JdbcBackend b = (JdbcBackend) filler;
      try (Connection c = b.source().get(true);
          Statement st = c.createStatement()) {
        TestDatabases.withoutAutovacuum(st, "logbooks", "flowdetails", "atomdetails");
        st.execute("TRUNCATE logbooks, flowdetails, atomdetails CASCADE");
        st.execute("ANALYZE logbooks, flowdetails, atomdetails");
        // Filled by SQL, as many short-lived processes (or a bulk load) would: 3,000 atoms.
        String book = UUID.randomUUID().toString();
        st.execute(
            "INSERT INTO logbooks (created_at, name, uuid) VALUES (LOCALTIMESTAMP, 'bulk', '"
                + book
                + "')");
        st.execute(
            "INSERT INTO flowdetails (created_at, parent_uuid, name, state, uuid, revision)"
                + " SELECT LOCALTIMESTAMP, '"
                + book
                + "', 'f', 'SUCCESS', md5('f' || n), 1 FROM generate_series(1, 500) AS g(n)");
        st.execute(
            "INSERT INTO atomdetails (created_at, parent_uuid, name, version, state, uuid,"
                + " atom_type, revision) SELECT f.created_at, f.uuid, 'a' || i, '1.0', 'SUCCESS',"
                + " md5(f.uuid || i), CAST('TASK_DETAIL' AS atom_types), 1"
                + " FROM flowdetails f, generate_series(1, 6) AS g(i)");
      }
      long before = manualAnalyses(b, "atomdetails");
      // PostgreSQL counts the live rows a moment after the inserts' commit.
      awaitLiveRows(b, 3_000);

      try (Backend reader = Backends.fetch(url);
          io.taskflow4j.persistence.Connection r = reader.getConnection()) {
        JdbcBackend rb = (JdbcBackend) reader;
        assertThat(r.countFlows(io.taskflow4j.persistence.FlowQuery.all()))
            .containsEntry(io.taskflow4j.persistence.FlowState.SUCCESS, 500L);
        awaitIdle(rb);
        assertThat(rb.statistics().analysed())
            .as("analyses by a reader of the grown store")
            .isOne();
        assertThat(manualAnalyses(b, "atomdetails")).isEqualTo(before + 1);
      }
      try (Backend again = Backends.fetch(url);
          io.taskflow4j.persistence.Connection r = again.getConnection()) {
        JdbcBackend ab = (JdbcBackend) again;
        r.countFlows(io.taskflow4j.persistence.FlowQuery.all());
        awaitIdle(ab);
        assertThat(ab.statistics().analysed()).as("analyses of a store just analysed").isZero();
      }
    }
  }

  private static void awaitIdle(JdbcBackend b) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    do {
      Thread.sleep(20);
    } while (b.statistics().busy() && System.nanoTime() < deadline);
  }

  private static void awaitLiveRows(JdbcBackend b, long rows) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Connection c = b.source().get(true);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'atomdetails'")) {
        rs.next();
        if (rs.getLong(1) >= rows) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("PostgreSQL never counted " + rows + " live atoms");
  }
}
