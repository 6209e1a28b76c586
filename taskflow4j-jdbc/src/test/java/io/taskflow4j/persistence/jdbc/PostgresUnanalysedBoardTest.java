package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL board whose tables have no statistics: a queue's table is often so (never analysed,
 * or analysed while it was empty), and then PostgreSQL takes the board to match a few rows. The
 * statements a conductor runs for every job must read a few index entries all the same, not every
 * job of the board: the claim, the read of a job by its uuid, the completion, and the read of a
 * flow's atoms before the engine writes them. Each case first shows the form the statement had
 * doing what it did (else this test would show nothing), then that the board's form does not. The
 * store is filled in bulk by SQL, with autovacuum off for its tables.
 */
class PostgresUnanalysedBoardTest {
  /** Jobs on the board: the old claim read and sorted them all. */
  private static final int JOBS = 1_000;

  /** One-atom flows in the store, as a conductor's one-task jobs leave them. */
  private static final int FLOWS = 400;

  private static final String BOARD = "unanalysed";

  @PostgresDatabase private static String db;
  private static Backend backend;
  private static JdbcConnection conn;
  private static Jobboard board;

  @BeforeAll
  static void fill() throws SQLException {
    backend = Backends.fetch(TestDatabases.postgresUrl(db));
    conn = (JdbcConnection) backend.getConnection();
    conn.upgrade();
    board = Jobboards.open(TestDatabases.postgresUrl(db) + "?board=" + BOARD + "&lease=30");
    try (Connection c = raw();
        Statement st = c.createStatement()) {
      TestDatabases.withoutAutovacuum(st, "taskflow4j_jobs", "taskflow4j_fences", "atomdetails");
      // priorities of the five levels (codes 100..500), in an order unlike the sequence's
      st.executeUpdate(
          "INSERT INTO taskflow4j_jobs (uuid, board, name, details, priority, created_on)"
              + " SELECT md5('job-' || n), '"
              + BOARD
              + "', 'j' || n, '{}', (n * 7 % 5 + 1) * 100, LOCALTIMESTAMP"
              + " FROM generate_series(1, "
              + JOBS
              + ") AS g(n)");
      st.executeUpdate(
          "INSERT INTO logbooks (created_at, updated_at, name, uuid)"
              + " VALUES (LOCALTIMESTAMP, LOCALTIMESTAMP, 'bulk', 'bulk-book')");
      st.executeUpdate(
          "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, name, state, uuid,"
              + " revision) SELECT LOCALTIMESTAMP, LOCALTIMESTAMP, 'bulk-book', 'f' || n,"
              + " 'SUCCESS', md5('flow-' || n), 1 FROM generate_series(1, "
              + FLOWS
              + ") AS g(n)");
      st.executeUpdate(
          "INSERT INTO atomdetails (created_at, updated_at, parent_uuid, name, results, version,"
              + " state, uuid, atom_type, revision) SELECT f.created_at, f.updated_at, f.uuid,"
              + " 't1', json_build_object('result', repeat('x', 100)), '1.0', 'SUCCESS',"
              + " md5('atom-' || f.uuid), CAST('TASK_DETAIL' AS atom_types), 1"
              + " FROM flowdetails f WHERE f.parent_uuid = 'bulk-book'");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT COUNT(*) FROM pg_stats"
                  + " WHERE tablename IN ('taskflow4j_jobs', 'atomdetails')")) {
        rs.next();
        assertThat(rs.getLong(1)).as("statistics of the jobs and atoms").isZero();
      }
    }
  }

  @AfterAll
  static void close() {
    for (AutoCloseable open : new AutoCloseable[] {board, conn, backend}) {
      if (open != null) {
        try {
          open.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private static Connection raw() throws SQLException {
    return TestDatabases.postgres(db);
  }

  /**
   * The plan PostgreSQL keeps for {@code sql} once it is prepared (a driver prepares a statement
   * run often, and the server then plans it once for any parameters), after {@code settings}, for
   * {@code args} (strings, numbers, or a {@code varchar[]} as a string array), in a transaction
   * rolled back after it: with {@code analyze} the statement ran, and the plan says what it read.
   */
  private static String plan(String settings, boolean analyze, String sql, Object... args)
      throws SQLException {
    String numbered = TestDatabases.numberedParameters(sql);
    List<String> literals = new ArrayList<>();
    for (Object a : args) {
      if (a instanceof String[] arr) {
        literals.add("CAST(ARRAY['" + String.join("', '", arr) + "'] AS varchar[])");
      } else if (a instanceof Number) {
        literals.add(a.toString());
      } else {
        literals.add("'" + a + "'");
      }
    }
    try (Connection c = raw();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        st.execute("SET LOCAL plan_cache_mode = force_generic_plan");
        if (settings != null) {
          st.execute(settings);
        }
        st.execute("PREPARE probe AS " + numbered);
        StringBuilder out = new StringBuilder();
        try (ResultSet rs =
            st.executeQuery(
                "EXPLAIN ("
                    + (analyze ? "ANALYZE, BUFFERS" : "COSTS")
                    + ") EXECUTE probe("
                    + String.join(", ", literals)
                    + ")")) {
          while (rs.next()) {
            out.append(rs.getString(1)).append('\n');
          }
        }
        return out.toString();
      } finally {
        c.rollback();
        st.execute("DEALLOCATE ALL");
      }
    }
  }

  /** The most rows a scan of the jobs table returned, from an analysed plan. */
  private static long jobsScanned(String plan) {
    Matcher m =
        Pattern.compile("Scan[^\\n]* on taskflow4j_jobs[^\\n]*\\(actual time=\\S+ rows=(\\d+)")
            .matcher(plan);
    long most = -1;
    while (m.find()) {
      most = Math.max(most, Long.parseLong(m.group(1)));
    }
    assertThat(most).as("scans of taskflow4j_jobs in the plan:\n%s", plan).isNotNegative();
    return most;
  }

  private static String jobUuid(int n) throws SQLException {
    try (Connection c = raw();
        PreparedStatement ps = c.prepareStatement("SELECT md5(?)")) {
      ps.setString(1, "job-" + n);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /**
   * The claim reads the first few jobs in claiming order through the claim index: the form it had
   * (an update of the first claimable row, PostgreSQL left to its estimates) read and sorted every
   * job of the board. And it claims in claiming order, then completes.
   */
  @Test
  void theClaimWalksTheClaimIndexAndClaimsInOrder() throws SQLException {
    String oldClaim =
        "UPDATE taskflow4j_jobs SET owner = 'o', epoch = epoch + 1, lease_until = now()"
            + " WHERE uuid IN (SELECT uuid FROM taskflow4j_jobs WHERE board = ?"
            + " AND (owner IS NULL OR lease_until < now()) ORDER BY priority, seq LIMIT ?"
            + " FOR UPDATE SKIP LOCKED)";
    String before = plan(null, true, oldClaim, BOARD, 8);
    assertThat(jobsScanned(before)).as("jobs the old claim read:\n%s", before).isEqualTo(JOBS);

    String after =
        plan(SqlJobboard.PG_CLAIM_SETTINGS, true, SqlJobboard.PG_CLAIM, BOARD, 8, "o", 30_000L);
    assertThat(after)
        .as("plan of the claim")
        .contains("Index Scan using taskflow4j_jobs_claim_idx")
        .doesNotContain("Bitmap")
        .doesNotContain("taskflow4j_jobs_idempotency_key")
        .doesNotContain("JIT");
    assertThat(jobsScanned(after)).as("jobs the claim read:\n%s", after).isLessThan(20);

    List<String> firstEight = new ArrayList<>();
    try (Connection c = raw();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT uuid FROM taskflow4j_jobs WHERE board = ? ORDER BY priority, seq LIMIT 8")) {
      ps.setString(1, BOARD);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          firstEight.add(rs.getString(1));
        }
      }
    }
    OwnerId me = OwnerId.generate("unanalysed");
    List<Claim> claims = new ArrayList<>(board.claimNext(me, 5));
    board.claimNext(me).ifPresent(claims::add);
    claims.addAll(board.claimNext(me, 2));
    assertThat(claims).extracting(cl -> cl.job().uuid()).containsExactlyElementsOf(firstEight);
    assertThat(claims).allSatisfy(cl -> assertThat(cl.token()).isEqualTo(1));
    assertThat(board.completeAll(claims)).isEmpty();
    assertThat(board.job(firstEight.get(0))).isEmpty();
  }

  /**
   * A job is read, and a claim completed, through the primary key: with the board as an index
   * condition PostgreSQL walked another index through every job of the board to find one.
   */
  @Test
  void aJobIsFoundByItsUuidThroughThePrimaryKey() throws SQLException {
    SqlJobRows rows = new SqlJobRows(Dialect.POSTGRESQL, null, BOARD);
    String uuid = jobUuid(JOBS / 2);

    String before = plan(null, false, rows.listSql("board = ?", "uuid = ?"), BOARD, uuid);
    assertThat(before).contains("Index Cond: ((board)::text = $1)").doesNotContain("pkey");
    String after = plan(null, false, rows.listSql(SqlJobRows.OF_BOARD, "uuid = ?"), BOARD, uuid);
    assertThat(after)
        .contains("Index Scan using taskflow4j_jobs_pkey")
        .doesNotContain("Index Cond: ((board)");

    String delete = "DELETE FROM taskflow4j_jobs WHERE " + rows.heldBy;
    String heldBefore =
        plan(null, false, delete.replace(SqlJobRows.OF_BOARD, "board = ?"), uuid, BOARD, 1L, "o");
    assertThat(heldBefore).contains("Index Cond: ((board)::text = $2)").doesNotContain("pkey");
    String heldAfter = plan(null, false, delete, uuid, BOARD, 1L, "o");
    assertThat(heldAfter)
        .contains("Index Scan using taskflow4j_jobs_pkey")
        .doesNotContain("Index Cond: ((board)");

    Job job = board.job(uuid).orElseThrow();
    assertThat(job.name()).isEqualTo("j" + (JOBS / 2));
    Claim claim = board.claim(uuid, OwnerId.generate("by-uuid")).orElseThrow();
    claim.complete();
    assertThat(board.job(uuid)).isEmpty();
  }

  /**
   * The engine's write of a running flow reads the atoms it writes, locked, through the index: as
   * one array joined with the table, PostgreSQL scanned the table of a store without statistics
   * until it held some thousands of atoms.
   */
  @Test
  void aFewAtomsAreReadForAWriteThroughTheIndex() throws SQLException {
    JdbcWriter writer = conn.writer;
    String atom;
    try (Connection c = raw();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT uuid FROM atomdetails LIMIT 1")) {
      rs.next();
      atom = rs.getString(1);
    }
    String asArray = writer.storedSql("atomdetails", JdbcWriter.FEW_UUIDS + 1);
    assertThat(asArray).contains("unnest");
    assertThat(plan(null, false, asArray, (Object) new String[] {atom}))
        .contains("Seq Scan on atomdetails");

    String few = writer.storedSql("atomdetails", 1);
    assertThat(plan(null, false, few, atom))
        .contains("Index Scan")
        .doesNotContain("Seq Scan on atomdetails");
    try (Connection c = raw()) {
      c.setAutoCommit(false);
      assertThat(writer.stored(c, "atomdetails", List.of(atom, "no-such-atom")))
          .containsOnlyKeys(atom)
          .hasValueSatisfying(
              new org.assertj.core.api.Condition<>(
                  s -> s.revision() == 1, "an atom at revision 1"));
      c.rollback();
    }
  }
}
