package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.UpgradeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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

  /** Whether every DDL statement of a migration commits with it (false: MySQL/MariaDB). */
  protected boolean transactionalDdl() {
    return true;
  }

  /**
   * Opens a connection holding a lock that makes migration V2's {@code ALTER TABLE atomdetails}
   * wait (after it changed flowdetails), or returns {@code null} where none exists.
   */
  protected java.sql.Connection holdAtomDetails() throws SQLException {
    return null;
  }

  /** Whether a session of the store waits for the lock of {@link #holdAtomDetails()}. */
  protected boolean upgradeWaitsOnAtomDetails(java.sql.Connection probe) throws SQLException {
    throw new UnsupportedOperationException();
  }

  /** How many sessions other than {@code probe}'s are open on the store. */
  protected int otherSessions(java.sql.Connection probe) throws SQLException {
    throw new UnsupportedOperationException();
  }

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

  protected Backend open(String store) {
    Backend b = Backends.fetch(store);
    opened.add(b);
    return b;
  }

  protected void exec(List<String> statements) throws SQLException {
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
    assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("5");
    if (hasAlembic()) {
      assertThat(alembicVersion()).isEqualTo(SchemaMigrator.ALEMBIC_HEAD);
    }
  }

  @Test
  void upgradeSaysItCreatedTheSchemaAndThenThatNothingChanged() throws Exception {
    String store = newStore();
    try (Connection c = open(store).getConnection()) {
      UpgradeResult first = c.upgradeWithResult();
      assertThat(first).isEqualTo(UpgradeResult.created(SchemaMigrator.LATEST_VERSION));
      assertThat(first.describe()).isEqualTo("created the schema at version 5");
      UpgradeResult again = c.upgradeWithResult();
      assertThat(again).isEqualTo(UpgradeResult.upToDate(SchemaMigrator.LATEST_VERSION));
      assertThat(again.changed()).isFalse();
    }
    // A new backend finds it as the last one left it.
    try (Connection c = open(store).getConnection()) {
      assertThat(c.upgradeWithResult().change()).isEqualTo(UpgradeResult.Change.UP_TO_DATE);
    }
  }

  @Test
  void upgradeSaysFromWhichVersionItUpgraded() throws Exception {
    String store = newStore();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(new RawDataSource(this::rawConnection))
        .table(SchemaMigrator.HISTORY_TABLE)
        .locations(((JdbcBackend) open(store)).dialect().migrations())
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .target("2")
        .loggers("slf4j")
        .load()
        .migrate();
    assertThat(history()).endsWith("2:true");
    try (Connection c = open(store).getConnection()) {
      UpgradeResult r = c.upgradeWithResult();
      assertThat(r).isEqualTo(UpgradeResult.upgraded("2", SchemaMigrator.LATEST_VERSION));
      assertThat(r.describe()).isEqualTo("upgraded the schema from version 2 to 5");
    }
  }

  /** The names of the indexes of {@code table}, lower-case. */
  protected Set<String> indexes(String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (java.sql.Connection c = rawConnection()) {
      String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
      String sql =
          product.contains("sqlite")
              ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
              : product.contains("postgres")
                  ? "SELECT indexname FROM pg_indexes WHERE tablename = ?"
                  : "SELECT index_name FROM information_schema.statistics"
                      + " WHERE table_schema = DATABASE() AND table_name = ?";
      try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(TestDatabases.lower(rs.getString(1)));
          }
        }
      }
    }
    return out;
  }

  /**
   * A store at schema version 4 (the one before the flow-listing indexes), holding flows TaskFlow
   * inserted: the upgrade adds the indexes of version 5, keeps every row, and the listing finds the
   * flows by their creation time.
   */
  @Test
  void aStoreAtVersion4GainsTheFlowListingIndexes() throws Exception {
    String store = newStore();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(new RawDataSource(this::rawConnection))
        .table(SchemaMigrator.HISTORY_TABLE)
        .locations(((JdbcBackend) open(store)).dialect().migrations())
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .target("4")
        .loggers("slf4j")
        .load()
        .migrate();
    assertThat(indexes("flowdetails")).doesNotContain("flowdetails_updated_idx");
    exec(
        taskflowRows(
            "2026-11-28 15:51:15.774035",
            "2026-11-28 15:51:15.780000",
            "2026-11-28 15:51:15.781000",
            "2026-11-28 15:51:15.782000",
            "2026-11-28 15:51:15.783000"));
    Map<String, Long> before = fingerprint();
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("schema version 4");
      UpgradeResult r = c.upgradeWithResult();
      assertThat(r).isEqualTo(UpgradeResult.upgraded("4", SchemaMigrator.LATEST_VERSION));
      c.validate();
      FlowDetail fd = c.getFlowDetails(FLOW, true);
      assertThat(fd.createdAt()).isNotNull();
      assertThat(fd.updatedAt()).isEqualTo(fd.createdAt());
      FlowPage page = c.findFlows(FlowQuery.all().states(FlowState.SUCCESS));
      assertThat(page.flows()).extracting(FlowSummary::flowUuid).containsExactly(FLOW);
      assertThat(page.flows().get(0).updatedAt()).isEqualTo(fd.createdAt());
      assertThat(page.flows().get(0).atoms()).isEqualTo(3);
      assertThat(c.countFlows(FlowQuery.all())).isEqualTo(Map.of(FlowState.SUCCESS, 1L));
    }
    Map<String, Long> after = fingerprint();
    String history = SchemaMigrator.HISTORY_TABLE;
    assertThat(after.get(history)).isEqualTo(before.get(history) + 1);
    after.remove(history);
    before.remove(history);
    assertThat(after).as("every table, row and column kept").isEqualTo(before);
    assertThat(indexes("flowdetails"))
        .contains("flowdetails_updated_idx", "flowdetails_state_updated_idx");
    assertThat(history()).endsWith("4:true", "5:true");
  }

  /**
   * A board written by schema version 3, which stored a priority as the level's position in the
   * enum (0 very high .. 4 very low): after the upgrade to version 4 every job is claimed in the
   * order it was claimed before, highest priority first, oldest first within one, and the rows hold
   * the levels' codes.
   */
  @Test
  void theJobPriorityMigrationKeepsTheClaimingOrder() throws Exception {
    String store = newStore();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(new RawDataSource(this::rawConnection))
        .table(SchemaMigrator.HISTORY_TABLE)
        .locations(((JdbcBackend) open(store)).dialect().migrations())
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .target("3")
        .loggers("slf4j")
        .load()
        .migrate();
    // Posted in this order; the number is the stored position (2 normal, 0 very high, ...).
    int[] positions = {2, 0, 4, 1, 3, 0, 2};
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < positions.length; i++) {
      rows.add(
          "INSERT INTO taskflow4j_jobs (uuid, board, name, details, priority, created_on)"
              + " VALUES ('j"
              + i
              + "', 'default', 'job"
              + i
              + "', '{}', "
              + positions[i]
              + ", '2026-11-28 15:51:15.774035')");
    }
    rows.add(
        "INSERT INTO taskflow4j_jobs_trash (uuid, board, name, details, priority, seq, created_on,"
            + " epoch, failures, reason, trashed_on) VALUES ('t0', 'default', 'trashed', '{}', 1,"
            + " 99, '2026-11-28 15:51:15.774035', 0, 3, 'old', '2026-11-28 15:51:16.000000')");
    exec(rows);

    try (io.taskflow4j.jobs.Jobboard board =
        io.taskflow4j.jobs.Jobboards.open(store + (store.contains("?") ? "&" : "?") + "lease=30")) {
      // Before: positions 0 (j1, j5), 1 (j3), 2 (j0, j6), 3 (j4), 4 (j2).
      List<String> expected = List.of("j1", "j5", "j3", "j0", "j6", "j4", "j2");
      assertThat(board.jobs()).extracting(io.taskflow4j.jobs.Job::uuid).isEqualTo(expected);
      assertThat(board.jobs())
          .extracting(io.taskflow4j.jobs.Job::priority)
          .containsExactly(
              io.taskflow4j.jobs.JobPriority.VERY_HIGH,
              io.taskflow4j.jobs.JobPriority.VERY_HIGH,
              io.taskflow4j.jobs.JobPriority.HIGH,
              io.taskflow4j.jobs.JobPriority.NORMAL,
              io.taskflow4j.jobs.JobPriority.NORMAL,
              io.taskflow4j.jobs.JobPriority.LOW,
              io.taskflow4j.jobs.JobPriority.VERY_LOW);
      List<String> claimed = new ArrayList<>();
      io.taskflow4j.jobs.OwnerId me = io.taskflow4j.jobs.OwnerId.generate("migrated");
      for (int i = 0; i < expected.size(); i++) {
        io.taskflow4j.jobs.Claim c = board.claimNext(me).orElseThrow();
        claimed.add(c.job().uuid());
        c.complete();
      }
      assertThat(claimed).isEqualTo(expected);
      assertThat(board.trashedJobs())
          .singleElement()
          .extracting(io.taskflow4j.jobs.Job::priority)
          .isEqualTo(io.taskflow4j.jobs.JobPriority.HIGH);
    }
    assertThat(history()).endsWith("3:true", "4:true", "5:true");
    try (java.sql.Connection c = rawConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT priority FROM taskflow4j_jobs_trash")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(200);
    }
  }

  @Test
  void upgradeSaysItAdoptedATaskFlowStore() throws Exception {
    String store = newStore();
    exec(taskflowSchemaAndRows());
    try (Connection c = open(store).getConnection()) {
      UpgradeResult r = c.upgradeWithResult();
      assertThat(r.change()).isEqualTo(UpgradeResult.Change.ADOPTED);
      assertThat(r.to()).isEqualTo(SchemaMigrator.LATEST_VERSION);
      assertThat(r.from())
          .startsWith("a TaskFlow store")
          .contains(hasAlembic() ? SchemaMigrator.ALEMBIC_HEAD : "unversioned");
      assertThat(r.describe()).startsWith("adopted a TaskFlow store").contains("version 5");
      assertThat(c.upgradeWithResult().change()).isEqualTo(UpgradeResult.Change.UP_TO_DATE);
    }
  }

  /** Rounds of {@link #openingAFreshDatabaseAtOnceFromManyBackendsSucceedsForAll()}. */
  private static final int RACE_ROUNDS = 8;

  /** Backends per round: conductors and engines starting together on a new database. */
  private static final int RACERS = 6;

  /**
   * Backends of their own (each with its own pool, as separate processes have) open the same new
   * database at the same instant, round after round: every one succeeds and the schema ends at the
   * latest version.
   */
  @Test
  void openingAFreshDatabaseAtOnceFromManyBackendsSucceedsForAll() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(RACERS);
    try {
      for (int round = 0; round < RACE_ROUNDS; round++) {
        String store = newStore();
        CyclicBarrier start = new CyclicBarrier(RACERS);
        List<Future<?>> racers = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
          racers.add(
              pool.submit(
                  () -> {
                    start.await(30, TimeUnit.SECONDS);
                    try (Backend b = Backends.open(store);
                        Connection c = b.getConnection()) {
                      c.validate();
                    }
                    return null;
                  }));
        }
        List<String> failures = new ArrayList<>();
        for (Future<?> f : racers) {
          try {
            f.get(120, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            failures.add(String.valueOf(e.getCause()));
          }
        }
        assertThat(failures).as("round %d", round).isEmpty();
        try (Backend b = open(store)) {
          assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("5");
        }
      }
    } finally {
      pool.shutdownNow();
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

      // The flow TaskFlow inserted without an update time is listed by its creation time.
      assertThat(fd.createdAt()).isNotNull();
      assertThat(fd.updatedAt()).isEqualTo(fd.createdAt());
      FlowSummary listed = c.findFlows(FlowQuery.all()).flows().get(0);
      assertThat(listed.flowUuid()).isEqualTo(FLOW);
      assertThat(listed.updatedAt()).isEqualTo(fd.createdAt());
      assertThat(listed.atoms(AtomState.SUCCESS)).isEqualTo(3);

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
    assertThat(indexes("flowdetails"))
        .contains("flowdetails_updated_idx", "flowdetails_state_updated_idx");
    assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("5");
    if (hasAlembic()) {
      assertThat(alembicVersion()).isEqualTo(SchemaMigrator.ALEMBIC_HEAD);
    }
  }

  /**
   * A TaskFlow database read as found (no {@code seq} column on PostgreSQL and MySQL, so books are
   * ordered by creation time, then uuid): the scan follows that order across its pages, books
   * without a creation time and books created in the same second included, and reports a damaged
   * row instead of stopping.
   */
  @Test
  void aTaskFlowDatabaseIsScannedAsFoundInOrderPastADamagedRow() throws Exception {
    String store = newStore();
    exec(taskflowSchemaAndRows());
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < JdbcConnection.SCAN_PAGE + 30; i++) {
      // Two books per second, inserted in reverse uuid order: order is (created_at, uuid).
      String time =
          i == 7 ? "NULL" : String.format("'2020-01-01 00:%02d:%02d.000000'", i / 120, i / 2 % 60);
      rows.add(
          String.format(
              "INSERT INTO logbooks (created_at, name, uuid) VALUES (%s, 'book %d',"
                  + " 'c%07d-0000-0000-0000-000000000000')",
              time, i, 9_999_999 - i));
    }
    rows.add("UPDATE flowdetails SET state = 'EXPLODED' WHERE uuid = '" + FLOW + "'");
    exec(rows);
    Map<String, Long> before = fingerprint();

    try (Connection c = open(store).getConnection()) {
      List<String> expected = new ArrayList<>();
      for (LogBook b : c.getLogBooks(true)) {
        expected.add(b.uuid());
      }
      expected.remove(BOOK);
      List<String> seen = new ArrayList<>();
      List<CorruptRecordException> damaged = new ArrayList<>();
      c.forEachLogBook(false, b -> seen.add(b.uuid()), damaged::add);
      assertThat(seen).hasSize(JdbcConnection.SCAN_PAGE + 30).containsExactlyElementsOf(expected);
      assertThat(damaged)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(CorruptRecordException.Kind.FLOW_DETAIL);
                assertThat(e.uuid()).hasValue(FLOW);
                assertThat(e.bookUuid()).hasValue(BOOK);
                assertThat(e.reason()).contains("EXPLODED");
              });
    }
    assertThat(fingerprint()).isEqualTo(before);
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
                + " execution_time, success) VALUES (99, '6', 'from the future', 'SQL',"
                + " 'V6__from_the_future.sql', 0, 'a newer release', 0, "
                + (this instanceof SqliteMigrationTest ? "1" : "TRUE")
                + ")"));
    Map<String, Long> before = fingerprint();

    Backend newer = open(store);
    try (Connection c = newer.getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("version 6")
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
    // Two revisions before the head (TaskFlow 5.0.0's 40fc8c914bd2, one before, is adopted).
    ddl.add("UPDATE alembic_version SET version_num = '6df9422fcb43'");
    exec(ddl);
    Map<String, Long> before = fingerprint();
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining("6df9422fcb43");
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

  // ------------------------------------------------------- an upgrade stopped half-way

  /** The rows of the schema history, as "version:success" in the order they were written. */
  protected List<String> history() throws SQLException {
    List<String> out = new ArrayList<>();
    try (java.sql.Connection c = rawConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT version, success FROM "
                    + SchemaMigrator.HISTORY_TABLE
                    + " ORDER BY installed_rank")) {
      while (rs.next()) {
        out.add(rs.getString(1) + ":" + rs.getBoolean(2));
      }
    }
    return out;
  }

  private Set<String> columnsOf(String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (java.sql.Connection c = rawConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        out.add(TestDatabases.lower(rs.getMetaData().getColumnName(i)));
      }
    }
    return out;
  }

  /** Reads TaskFlow's rows ({@link #taskflowRows}) back and checks every one, in order. */
  private static void assertTaskFlowRows(Connection c) {
    LogBook lb = c.getLogBook(BOOK);
    assertThat(lb.name()).isEqualTo("taskflow-book");
    assertThat(lb.meta()).isEqualTo(Map.of("made_by", "taskflow"));
    assertThat(lb.flows()).extracting(FlowDetail::uuid).containsExactly(FLOW);
    List<AtomDetail> atoms = lb.flows().get(0).atoms();
    assertThat(atoms).extracting(AtomDetail::uuid).containsExactlyElementsOf(ATOMS);
    for (int i = 0; i < atoms.size(); i++) {
      TaskDetail t = (TaskDetail) atoms.get(i);
      assertThat(t.name()).isEqualTo("task" + i);
      assertThat(t.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(t.results()).isEqualTo(Map.of("value", i + 1));
      assertThat(t.meta()).isEqualTo(Map.of("progress", 1.0));
    }
  }

  /**
   * Adopts a TaskFlow database (with rows) in a child process and kills it (SIGKILL) while its
   * migration V2 waits for a lock on atomdetails, having changed flowdetails already; returns once
   * the server has ended the child's sessions, so the database is as the kill left it.
   */
  private void killUpgradeHalfWay(String store) throws Exception {
    exec(taskflowSchemaAndRows());
    java.sql.Connection hold = holdAtomDetails();
    // Runs on PostgreSQL and MariaDB, in CI too; SQLite has no half-way state to kill into.
    Assumptions.assumeTrue(
        hold != null,
        "SQLite upgrades in one transaction, which a kill undoes whole: nothing is left half-way");
    Path out = Files.createTempFile("upgrade-process", ".out");
    Process child = null;
    try (java.sql.Connection probe = rawConnection()) {
      try {
        String cp =
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        child =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    cp,
                    UpgradeProcess.class.getName(),
                    store)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!upgradeWaitsOnAtomDetails(probe)) {
          if (!child.isAlive() || System.nanoTime() > deadline) {
            throw new AssertionError(
                "the upgrade never waited on atomdetails (exit "
                    + (child.isAlive() ? "none" : child.exitValue())
                    + "): "
                    + Files.readString(out));
          }
          Thread.sleep(20);
        }
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        if (child != null && child.isAlive()) {
          child.destroyForcibly();
        }
        hold.commit();
        hold.close();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (otherSessions(probe) > 0) {
        assertThat(System.nanoTime()).as("the killed sessions end").isLessThan(deadline);
        Thread.sleep(20);
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  @Test
  void anUpgradeKilledHalfWayIsFinishedByTheNextOpenKeepingEveryRow() throws Exception {
    String store = newStore();
    killUpgradeHalfWay(store);

    // What a killed upgrade leaves: TaskFlow's schema baselined at version 1, no row for the step
    // it was in; MySQL/MariaDB keep the DDL that step committed, the others undo it.
    assertThat(history()).containsExactly("1:true");
    assertThat(columnsOf("flowdetails").contains("revision")).isEqualTo(!transactionalDdl());
    assertThat(columnsOf("logbooks")).doesNotContain("seq");

    try (Connection c = open(store).getConnection()) {
      // Not valid, but readable as it is.
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("schema version 1")
          .hasMessageContaining("`upgrade`");
      assertTaskFlowRows(c);
    }
    try (Backend b = Backends.open(store);
        Connection c = b.getConnection()) {
      c.validate();
      assertTaskFlowRows(c);
      assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("5");
      // New rows come after TaskFlow's.
      TaskDetail added = TaskDetail.create("added");
      c.updateFlowDetails(c.getFlowDetails(FLOW).withAtom(added));
      assertThat(c.getAtomsForFlow(FLOW))
          .extracting(AtomDetail::uuid)
          .containsExactly(ATOMS.get(0), ATOMS.get(1), ATOMS.get(2), added.uuid());
    }
    assertThat(history()).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
  }

  /**
   * What an earlier taskflow4j left on MySQL/MariaDB after a killed upgrade: opening it again ran
   * the interrupted step from its start, which failed on its own partial work, and Flyway recorded
   * the step as failed. (PostgreSQL and SQLite undo a failed step and record nothing.)
   */
  @Test
  void aStepRecordedAsFailedAfterAKillIsRunAgain() throws Exception {
    // Runs on MariaDB, in CI too; skipped where DDL is transactional (see above).
    Assumptions.assumeFalse(transactionalDdl(), "a failed step is undone and never recorded here");
    String store = newStore();
    killUpgradeHalfWay(store);
    exec(
        List.of(
            "INSERT INTO "
                + SchemaMigrator.HISTORY_TABLE
                + " (installed_rank, version, description, type, script, checksum, installed_by,"
                + " execution_time, success) VALUES (2, '2', 'taskflow4j revisions and indexes',"
                + " 'SQL', 'V2__taskflow4j_revisions_and_indexes.sql', 919663525, 'root', 12, 0)"));
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("schema version 2 stopped half-way");
    }
    try (Backend b = Backends.open(store);
        Connection c = b.getConnection()) {
      c.validate();
      assertTaskFlowRows(c);
    }
    assertThat(history()).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
  }

  /**
   * A first upgrade killed after Flyway made its history table: PostgreSQL and SQLite keep just the
   * empty table; MySQL/MariaDB also the tables V1 had made (here logbooks, as a kill in V1 leaves
   * it).
   */
  @Test
  void aFirstUpgradeKilledEarlyIsFinishedByTheNextOpen() throws Exception {
    String store = newStore();
    Flyway.configure(getClass().getClassLoader())
        .dataSource(new RawDataSource(this::rawConnection))
        .table(SchemaMigrator.HISTORY_TABLE)
        .locations(((JdbcBackend) open(store)).dialect().migrations())
        .baselineVersion("0")
        .loggers("slf4j")
        .load()
        .baseline();
    List<String> left = new ArrayList<>();
    left.add("DELETE FROM " + SchemaMigrator.HISTORY_TABLE);
    if (!transactionalDdl()) {
      String v1 =
          new String(
              getClass()
                  .getResourceAsStream(
                      "/io/taskflow4j/persistence/jdbc/migration/mysql/V1__taskflow_tables.sql")
                  .readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
      left.add(v1.substring(0, v1.indexOf(';')));
    }
    exec(left);
    assertThat(history()).isEmpty();

    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::validate).isInstanceOf(UpgradeRequiredException.class);
    }
    try (Backend b = Backends.open(store);
        Connection c = b.getConnection()) {
      c.validate();
      LogBook lb = c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
      assertThat(c.getLogBook(lb.uuid()).flows()).hasSize(1);
      assertThat(((JdbcBackend) b).schemaVersion()).isEqualTo("5");
    }
  }
}
