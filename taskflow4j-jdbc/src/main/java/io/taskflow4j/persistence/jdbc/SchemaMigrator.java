package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.UpgradeResult;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database to the current schema with Flyway ({@code
 * io/taskflow4j/persistence/jdbc/migration/<dialect>/V*.sql}: a folder of its own, so that an
 * application's Flyway, which scans {@code db/migration}, never finds them), and tells what a
 * database holds without changing it ({@link #inspect}).
 *
 * <ul>
 *   <li>An empty database (or one holding only unrelated tables) gets V1 (TaskFlow's tables at
 *       alembic head {@value #ALEMBIC_HEAD}), V2 (taskflow4j's revision/sequence columns and parent
 *       indexes), V3 (fencing and jobboard tables), V4 (job priorities stored as their codes) and
 *       V5 (indexes that list flows newest first, {@code Connection.findFlows}).
 *   <li>A database TaskFlow made (its tables, no Flyway history) is adopted: it must be at
 *       TaskFlow's head schema; it is baselined at V1 and V2 runs, keeping every row.
 *   <li>A database migrated by a newer taskflow4j (history beyond what this code knows), or by an
 *       unknown TaskFlow revision, is refused with {@link IncompatibleVersionException} and left
 *       untouched.
 * </ul>
 *
 * <p>Processes opening one database at once take turns: the whole upgrade runs under a lock of the
 * database (PostgreSQL: a session advisory lock; MySQL/MariaDB: a named lock; SQLite: one {@code
 * BEGIN IMMEDIATE} transaction holding the file's write lock), and each re-reads what the one
 * before it did. A store already at the latest version is recognised without the lock or Flyway.
 *
 * <p>An upgrade killed half-way is finished by the next: PostgreSQL and SQLite undo a step that did
 * not commit (each step commits with its history row; on SQLite the whole upgrade is one
 * transaction). MySQL/MariaDB commit every DDL statement on its own, so there each step is written
 * to run again over its own partial work, and a step recorded as failed is cleared ({@code repair})
 * and run again.
 */
final class SchemaMigrator {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

  /** TaskFlow's newest alembic revision, whose schema V1 reproduces. */
  static final String ALEMBIC_HEAD = "00af93df9d77";

  /**
   * The revision before {@link #ALEMBIC_HEAD}: the head of TaskFlow 5.0.0 (the release Linux
   * distributions ship), adopted as well. The head's only change re-creates MySQL's three uuid
   * indexes as unique ones, which the tables' primary keys on those same columns already make
   * unique, so the tables hold and mean the same; TaskFlow's own migration to the head still
   * applies afterwards.
   */
  static final String ALEMBIC_TASKFLOW_5_0 = "40fc8c914bd2";

  /** Flyway's history table (named for the project so it cannot clash with the application's). */
  static final String HISTORY_TABLE = "taskflow4j_schema_history";

  /** The schema version this code writes: its newest migration. */
  static final String LATEST_VERSION = "5";

  /** How long an upgrade waits for another process's upgrade of the same database. */
  private static final Duration LOCK_WAIT = Duration.ofMinutes(10);

  // How often a waiting upgrade looks at the lock again: soon at first, then every 200 ms.
  private static final Backoff LOCK_POLL =
      Backoff.exponential(Duration.ofMillis(10), Duration.ofMillis(200));

  /**
   * The checksums Flyway recorded for the MySQL migrations as first written, before each step was
   * made safe to run again over its own partial work. The schema they made is the same; a history
   * holding them is realigned ({@code repair}) instead of failing Flyway's validation.
   */
  private static final Map<String, Integer> EARLIER_MYSQL_CHECKSUMS =
      Map.of("1", -350289476, "2", 919663525, "3", 539800685);

  /** PostgreSQL advisory lock of the schema: two int keys ("tf4j", "SCHM"), apart from Flyway's. */
  private static final int PG_LOCK_CLASS = 0x74663466;

  private static final int PG_LOCK_ID = 0x5343484D;

  /** Columns a TaskFlow-made atomdetails table must have to be adopted. */
  private static final List<String> TASKFLOW_ATOM_COLUMNS =
      List.of(
          "uuid",
          "parent_uuid",
          "name",
          "version",
          "state",
          "meta",
          "failure",
          "results",
          "revert_results",
          "revert_failure",
          "atom_type",
          "intention");

  private final Dialect dialect;
  private final String description;
  private final UnaryOperator<String> scrub;
  private final Function<SQLException, String> advice;
  private final boolean wal;

  /**
   * @param description what the database is, for messages (no password)
   * @param scrub removes the password from driver and Flyway texts
   * @param advice what to do about a driver error, as a clause to append to a message (see {@link
   *     SqlErrors#advice}), or empty
   * @param wal whether an upgraded SQLite file is switched to WAL mode (a file whose journal mode
   *     the connection string does not set)
   */
  SchemaMigrator(
      Dialect dialect,
      String description,
      UnaryOperator<String> scrub,
      Function<SQLException, String> advice,
      boolean wal) {
    this.dialect = dialect;
    this.description = description;
    this.scrub = scrub;
    this.advice = advice;
    this.wal = wal;
  }

  /** What an upgrade did, and the layout it left. */
  record Upgraded(StoreLayout layout, UpgradeResult result) {}

  /**
   * Migrates over this connection (which Flyway uses for everything, without closing it), and
   * returns what it did and the layout found after.
   */
  Upgraded upgrade(Connection c) throws SQLException {
    StoreLayout found = inspect(c);
    UpgradeResult result = UpgradeResult.upToDate(LATEST_VERSION);
    if (!found.writable()) {
      if (dialect == Dialect.SQLITE) {
        result = migrateInOneTransaction(c);
      } else {
        result = migrateUnderLock(c);
      }
      found = inspect(c);
    }
    if (wal) {
      // In WAL mode readers never block the writer. Set here, not on every connection, so that
      // merely reading a file TaskFlow made leaves its journal mode alone.
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA journal_mode=WAL");
      }
    }
    return new Upgraded(found, result);
  }

  /**
   * SQLite: the whole upgrade in one {@code BEGIN IMMEDIATE} transaction. Its write lock makes
   * other processes wait (busy timeout) until it commits, and a kill leaves the file as it was.
   * Flyway's own commits are folded into it.
   */
  private UpgradeResult migrateInOneTransaction(Connection c) throws SQLException {
    boolean auto = c.getAutoCommit();
    UpgradeResult result;
    try {
      if (auto) {
        // The writer connection begins IMMEDIATE (see ConnectionSource): the write lock is taken
        // here, waiting up to the busy timeout while another process upgrades.
        c.setAutoCommit(false);
      }
      result = migrate(c, true);
      c.commit();
    } catch (SQLException | RuntimeException | Error e) {
      // SQLite ends the transaction itself on some errors (a full disk, an I/O error): rolling
      // back and leaving the transaction then fail too, and must not hide the error that counts.
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (auto) {
        try {
          c.setAutoCommit(true);
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    if (auto) {
      c.setAutoCommit(true);
    }
    return result;
  }

  /** PostgreSQL and MySQL: the upgrade under a lock of the database held by this session. */
  private UpgradeResult migrateUnderLock(Connection c) throws SQLException {
    acquireLock(c);
    boolean released = false;
    try {
      return migrate(c, false);
    } finally {
      try {
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
      } finally {
        released = releaseLock(c);
      }
      if (!released) {
        // A session that may still hold the lock must not go back to the pool.
        c.abort(Runnable::run);
      }
    }
  }

  private void acquireLock(Connection c) throws SQLException {
    String sql =
        dialect == Dialect.POSTGRESQL
            ? "SELECT pg_try_advisory_lock(" + PG_LOCK_CLASS + ", " + PG_LOCK_ID + ")"
            // Lock names are server-wide: one per database, hashed to fit the 64-character limit.
            : "SELECT GET_LOCK(CONCAT('taskflow4j-schema-', SHA1(COALESCE(DATABASE(), ''))), 1)";
    long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
    int waits = 0;
    boolean said = false;
    long waitingSince = System.nanoTime();
    while (true) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        if (rs.next() && rs.getBoolean(1)) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new StorageException(
            "Could not upgrade the schema of "
                + description
                + ": another process has been upgrading it for "
                + LOCK_WAIT.toMinutes()
                + " minutes (or stopped while holding its lock); try again later");
      }
      if (!said && System.nanoTime() - waitingSince > TimeUnit.SECONDS.toNanos(5)) {
        LOG.info("Waiting for another process upgrading the schema of {}", description);
        said = true;
      }
      if (dialect == Dialect.POSTGRESQL) {
        try {
          LOCK_POLL.sleep(++waits);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StorageException(
              "Interrupted while waiting to upgrade the schema of " + description, e);
        }
      }
    }
  }

  /** Releases the lock; false when that could not be confirmed. */
  private boolean releaseLock(Connection c) {
    String sql =
        dialect == Dialect.POSTGRESQL
            ? "SELECT pg_advisory_unlock(" + PG_LOCK_CLASS + ", " + PG_LOCK_ID + ")"
            : "SELECT RELEASE_LOCK(CONCAT('taskflow4j-schema-', SHA1(COALESCE(DATABASE(), ''))))";
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return true;
    } catch (SQLException e) {
      LOG.debug("could not release the schema lock of {}", description, e);
      return false;
    }
  }

  /** Runs Flyway and says what it did; the caller holds the lock of the database. */
  private UpgradeResult migrate(Connection c, boolean oneTransaction) throws SQLException {
    Set<String> tables = tables(c);
    boolean hasHistory = tables.contains(HISTORY_TABLE);
    boolean hasTaskFlowTables =
        tables.contains("logbooks")
            || tables.contains("flowdetails")
            || tables.contains("atomdetails");
    Flyway flyway = flyway(c, oneTransaction, hasHistory || !hasTaskFlowTables);
    try {
      String adopted = null;
      if (hasHistory) {
        refuseFuture(flyway);
        repairIfResumable(c, flyway);
      } else if (hasTaskFlowTables) {
        checkTaskFlowSchema(c, tables);
        String rev = alembicRevision(c, tables);
        adopted =
            "a TaskFlow store ("
                + (rev == null ? "unversioned: " + unversioned() : "alembic revision " + rev)
                + ")";
        flyway.baseline();
      }
      MigrateResult done = flyway.migrate();
      if (adopted != null) {
        return UpgradeResult.adopted(adopted, LATEST_VERSION);
      }
      if (done.migrationsExecuted == 0) {
        // Another process upgraded it while this one waited for the lock.
        return UpgradeResult.upToDate(LATEST_VERSION);
      }
      String from = done.initialSchemaVersion;
      if (!hasHistory || from == null || from.equals("0")) {
        return UpgradeResult.created(LATEST_VERSION);
      }
      return UpgradeResult.upgraded(from, LATEST_VERSION);
    } catch (FlywayException e) {
      throw new StorageException(
          "Failed upgrading the schema of "
              + description
              + ": "
              + scrub.apply(firstLine(e.getMessage()))
              + cause(e),
          e);
    }
  }

  /** The driver's words of the deepest SQL error under a Flyway error, as a suffix. */
  private String cause(Throwable e) {
    SQLException found = null;
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException s) {
        found = s;
      }
    }
    return found == null
        ? ""
        : " (" + scrub.apply(SqlErrors.summary(found)) + ")" + advice.apply(found);
  }

  /**
   * Clears what stops Flyway from running a step again: a step recorded as failed (MySQL writes one
   * when a step stops half-way; re-running it finishes it, since every step there is written to run
   * over its own partial work) and the checksums of the MySQL steps as first written.
   */
  private void repairIfResumable(Connection c, Flyway flyway) throws SQLException {
    boolean failed = false;
    boolean earlier = false;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version, checksum, success FROM " + HISTORY_TABLE)) {
      while (rs.next()) {
        String version = rs.getString(1);
        int checksum = rs.getInt(2);
        boolean noChecksum = rs.wasNull();
        if (!rs.getBoolean(3)) {
          failed = true;
        } else if (dialect == Dialect.MYSQL
            && !noChecksum
            && Integer.valueOf(checksum).equals(EARLIER_MYSQL_CHECKSUMS.get(version))) {
          earlier = true;
        }
      }
    }
    if (failed || earlier) {
      LOG.info(
          "Resuming the schema upgrade of {}{}",
          description,
          failed ? " after a step that stopped half-way" : "");
      flyway.repair();
    }
  }

  /** The schema version recorded by Flyway, or {@code null} when never migrated. */
  String currentVersion(Connection c) {
    MigrationInfo current = flyway(c, false, false).info().current();
    return current == null ? null : current.getVersion().getVersion();
  }

  private Flyway flyway(Connection c, boolean oneTransaction, boolean fromEmpty) {
    return Flyway.configure(SchemaMigrator.class.getClassLoader())
        .dataSource(new BorrowedDataSource(c, oneTransaction))
        .locations(dialect.migrations())
        .table(HISTORY_TABLE)
        // Unrelated tables in the same schema must not stop a fresh install: baseline at 0 so
        // V1 still runs. A TaskFlow database is baselined explicitly at 1 (see migrate()).
        .baselineOnMigrate(fromEmpty)
        .baselineVersion(fromEmpty ? "0" : "1")
        .baselineDescription(fromEmpty ? "empty database" : "TaskFlow schema " + ALEMBIC_HEAD)
        .cleanDisabled(true)
        .validateOnMigrate(true)
        .loggers("slf4j")
        .load();
  }

  private void refuseFuture(Flyway flyway) {
    for (MigrationInfo i : flyway.info().all()) {
      MigrationState st = i.getState();
      if (st == MigrationState.FUTURE_SUCCESS || st == MigrationState.FUTURE_FAILED) {
        throw new IncompatibleVersionException(
            "The schema of "
                + description
                + " is at version "
                + i.getVersion()
                + " ('"
                + i.getDescription()
                + "'), newer than this taskflow4j knows; upgrade taskflow4j. Nothing was changed.");
      }
    }
  }

  private void checkTaskFlowSchema(Connection c, Set<String> tables) throws SQLException {
    String problem = taskflowProblem(c, tables);
    if (problem != null) {
      throw new IncompatibleVersionException(problem + ". Nothing was changed.");
    }
  }

  /**
   * Why the TaskFlow tables found cannot be adopted, or {@code null} when they can (TaskFlow's
   * three tables, at alembic head where alembic is used, with every column of that schema).
   */
  private String taskflowProblem(Connection c, Set<String> tables) throws SQLException {
    for (String t : List.of("logbooks", "flowdetails", "atomdetails")) {
      if (!tables.contains(t)) {
        return "The database "
            + description
            + " has some of TaskFlow's tables but not '"
            + t
            + "'; it cannot be adopted";
      }
    }
    String rev = alembicRevision(c, tables);
    if (rev != null && !rev.equals(ALEMBIC_HEAD) && !rev.equals(ALEMBIC_TASKFLOW_5_0)) {
      return "TaskFlow's schema in "
          + description
          + " is at alembic revision "
          + rev
          + ", not "
          + ALEMBIC_HEAD
          + " (or TaskFlow 5.0.0's "
          + ALEMBIC_TASKFLOW_5_0
          + ") which this taskflow4j shares; bring it to that revision with TaskFlow's"
          + " migrations first";
    }
    Set<String> cols = columns(c, "atomdetails");
    for (String col : TASKFLOW_ATOM_COLUMNS) {
      if (!cols.contains(col)) {
        return "TaskFlow's atomdetails table in "
            + description
            + " has no '"
            + col
            + "' column: it predates the schema this taskflow4j shares; upgrade it with"
            + " TaskFlow first";
      }
    }
    return null;
  }

  private static String alembicRevision(Connection c, Set<String> tables) throws SQLException {
    if (!tables.contains("alembic_version")) {
      return null;
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /**
   * What the database holds, read without changing anything: the history's latest version (or
   * TaskFlow's revision) and which of taskflow4j's columns exist.
   */
  StoreLayout inspect(Connection c) throws SQLException {
    Set<String> tables = tables(c);
    boolean hasHistory = tables.contains(HISTORY_TABLE);
    boolean hasTables =
        tables.contains("logbooks")
            && tables.contains("flowdetails")
            && tables.contains("atomdetails");
    Set<String> flowCols = hasTables ? columns(c, "flowdetails") : Set.of();
    Set<String> atomCols = hasTables ? columns(c, "atomdetails") : Set.of();
    boolean readable = hasTables && atomCols.containsAll(TASKFLOW_ATOM_COLUMNS);
    boolean flowRevision = flowCols.contains("revision");
    boolean atomRevision = atomCols.contains("revision");
    boolean seq =
        dialect == Dialect.SQLITE
            || (flowCols.contains("seq")
                && atomCols.contains("seq")
                && columns(c, "logbooks").contains("seq"));
    if (hasHistory) {
      History h = history(c);
      String finding;
      StoreLayout.Status status;
      if (h.future != null) {
        status = StoreLayout.Status.INCOMPATIBLE;
        finding =
            "the schema of "
                + description
                + " is at version "
                + h.future
                + ", newer than this taskflow4j knows (version "
                + LATEST_VERSION
                + "); upgrade taskflow4j";
      } else if (h.failed != null) {
        status = StoreLayout.Status.UPGRADE_REQUIRED;
        finding =
            "an upgrade of "
                + description
                + " to schema version "
                + h.failed
                + " stopped half-way; `upgrade` finishes it, keeping every row";
      } else if (!LATEST_VERSION.equals(h.latest)) {
        status = StoreLayout.Status.UPGRADE_REQUIRED;
        finding =
            description
                + " holds a taskflow4j store at schema version "
                + (h.latest == null ? "0 (none applied)" : h.latest)
                + ", older than version "
                + LATEST_VERSION
                + " which this taskflow4j writes (an earlier taskflow4j made it, or an upgrade"
                + " stopped half-way); `upgrade` brings it to version "
                + LATEST_VERSION
                + ", keeping every row";
      } else if (!readable || !flowRevision || !atomRevision || !seq) {
        status = StoreLayout.Status.UNUSABLE;
        finding =
            "the schema history of "
                + description
                + " says version "
                + LATEST_VERSION
                + " but TaskFlow's tables or taskflow4j's columns are missing: the schema was"
                + " changed by hand; restore it from a backup";
      } else {
        return StoreLayout.current();
      }
      return new StoreLayout(status, finding, readable, flowRevision, atomRevision, seq);
    }
    boolean anyTaskFlowTable =
        tables.contains("logbooks")
            || tables.contains("flowdetails")
            || tables.contains("atomdetails");
    if (!anyTaskFlowTable) {
      return new StoreLayout(
          StoreLayout.Status.UNUSABLE,
          description + " holds no store yet (no logbooks table); create one with `upgrade`",
          false,
          false,
          false,
          false);
    }
    String problem = taskflowProblem(c, tables);
    if (problem != null) {
      return new StoreLayout(
          StoreLayout.Status.INCOMPATIBLE, problem, readable, flowRevision, atomRevision, seq);
    }
    String rev = alembicRevision(c, tables);
    return new StoreLayout(
        StoreLayout.Status.UPGRADE_REQUIRED,
        description
            + " holds a TaskFlow store (schema version "
            + (rev == null ? "unversioned: " + unversioned() : rev)
            + ") that taskflow4j has not adopted: it reads as it is; `upgrade` adopts it, adding"
            + " taskflow4j's columns and tables and keeping every row",
        readable,
        flowRevision,
        atomRevision,
        seq);
  }

  /**
   * What a TaskFlow store without an alembic revision is: TaskFlow makes SQLite files from its
   * table model and never versions them; on another database such tables come from that model too
   * ({@code create_all}, where its alembic migrations are not at hand).
   */
  private String unversioned() {
    return dialect == Dialect.SQLITE
        ? "TaskFlow's SQLite schema"
        : "made from TaskFlow's table model, without its migrations";
  }

  /** The history's latest successful version, a failed one, and one newer than this code. */
  private record History(String latest, String failed, String future) {}

  private static History history(Connection c) throws SQLException {
    MigrationVersion latestKnown = MigrationVersion.fromVersion(LATEST_VERSION);
    MigrationVersion latest = null;
    String failed = null;
    String future = null;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version, success FROM " + HISTORY_TABLE)) {
      while (rs.next()) {
        String v = rs.getString(1);
        if (v == null || v.isBlank()) {
          continue;
        }
        MigrationVersion mv = MigrationVersion.fromVersion(v.strip());
        if (mv.compareTo(latestKnown) > 0) {
          future = v;
        } else if (!rs.getBoolean(2)) {
          failed = v;
        } else if (latest == null || mv.compareTo(latest) > 0) {
          latest = mv;
        }
      }
    }
    return new History(latest == null ? null : latest.getVersion(), failed, future);
  }

  private static Set<String> tables(Connection c) throws SQLException {
    Set<String> out = new HashSet<>();
    DatabaseMetaData md = c.getMetaData();
    String catalog = c.getCatalog();
    String schema = c.getSchema();
    try (ResultSet rs = md.getTables(catalog, schema, "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        out.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  private static Set<String> columns(Connection c, String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      var md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        out.add(md.getColumnName(i).toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl > 0 ? t.substring(0, nl) : t;
  }

  /**
   * Hands Flyway the one connection we hold; Flyway's close() leaves it open. With {@code
   * oneTransaction}, Flyway's own transaction calls (auto-commit, commit, rollback) are folded into
   * the transaction the caller holds open, which the caller commits or rolls back.
   */
  private static final class BorrowedDataSource implements DataSource {
    private final Connection c;
    private final boolean oneTransaction;
    private boolean autoCommit = true; // what Flyway believes, with oneTransaction

    BorrowedDataSource(Connection c, boolean oneTransaction) {
      this.c = c;
      this.oneTransaction = oneTransaction;
    }

    @Override
    public Connection getConnection() {
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                String name = method.getName();
                int n = method.getParameterCount();
                if (name.equals("close") && n == 0) {
                  return null;
                }
                if (oneTransaction) {
                  if (name.equals("setAutoCommit") && n == 1) {
                    autoCommit = (Boolean) args[0];
                    return null;
                  }
                  if (name.equals("getAutoCommit") && n == 0) {
                    return autoCommit;
                  }
                  if ((name.equals("commit") || name.equals("rollback")) && n == 0) {
                    // A failure makes the caller roll back everything.
                    return null;
                  }
                }
                try {
                  return method.invoke(c, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public Connection getConnection(String username, String password) {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() {
      return java.util.logging.Logger.getLogger("io.taskflow4j.persistence.jdbc");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this);
    }
  }
}
