package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.UpgradeResult;
import io.taskflow4j.persistence.WriteOutcomeUnknownException;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend over a SQL database (SQLite, PostgreSQL, MySQL/MariaDB) in TaskFlow's tables. The
 * connection pool is made on first use and released by {@link #close()}. Every operation is one
 * short transaction; transient failures (lost connection, server restart, deadlock, serialization
 * failure, SQLite busy) are retried with bounded exponential backoff, then reported as a {@link
 * StorageException} that says what failed. This is the only retry of a write: its connections say
 * so ({@link Connection#retriesTransientErrors()}), so {@code Storage} does not retry on top.
 */
final class JdbcBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcBackend.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final BackendConf conf;
  private final JdbcSettings settings;
  private final SchemaMigrator migrator;
  private final Object upgradeLock = new Object();
  private volatile StoreLayout layout; // null until first looked at
  private ConnectionSource source; // guarded by this
  private boolean closed; // guarded by this

  private final JdbcCommitHook hook;

  /**
   * Makes the connection source on first use: a pool of our own, or an application's DataSource.
   */
  private final java.util.function.Function<JdbcSettings, ConnectionSource> sources;

  /** The group commit of this backend's atom-detail writes, from all its connections. */
  private final GroupCommit groupCommit;

  /** Waits between attempts; jittered, to spread the retries of many clients of one outage. */
  private final Backoff backoff;

  /** PostgreSQL only: analyses the tables as this backend's writes grow them, else null. */
  private final TableStatistics statistics;

  JdbcBackend(BackendConf conf, JdbcCommitHook hook) {
    this(conf, hook, ConnectionSource::open);
  }

  JdbcBackend(
      BackendConf conf,
      JdbcCommitHook hook,
      java.util.function.Function<JdbcSettings, ConnectionSource> sources) {
    this.sources = Objects.requireNonNull(sources, "sources");
    this.hook = Objects.requireNonNull(hook, "hook");
    this.conf = Objects.requireNonNull(conf, "conf");
    this.settings = JdbcSettings.from(conf);
    this.groupCommit = new GroupCommit(this, settings.dialect() != Dialect.MYSQL);
    this.statistics = settings.dialect() == Dialect.POSTGRESQL ? new TableStatistics(this) : null;
    Duration first = Duration.ofMillis(Math.max(1, settings.retryBackoff().toMillis()));
    this.backoff =
        Backoff.exponential(first.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : first, MAX_BACKOFF)
            .withJitter();
    this.migrator =
        new SchemaMigrator(
            settings.dialect(),
            settings.describe(),
            settings::scrub,
            e -> SqlErrors.advice(SqlErrors.classify(e, settings.dialect()), settings),
            settings.dialect() == Dialect.SQLITE
                && !settings.memory()
                && !settings.driverProperties().containsKey("journal_mode"));
  }

  @Override
  public BackendConf conf() {
    return conf;
  }

  GroupCommit groupCommit() {
    return groupCommit;
  }

  JdbcSettings settings() {
    return settings;
  }

  /** What analyses the tables as they grow (PostgreSQL), else null. */
  TableStatistics statistics() {
    return statistics;
  }

  /** The store, for messages (no password). */
  String describe() {
    return settings.describe();
  }

  Dialect dialect() {
    return settings.dialect();
  }

  /**
   * Whether {@code other} works on this backend's database: the same JDBC URL and user. SQLite in
   * memory is never shared: each backend has its own.
   */
  boolean sameDatabase(JdbcBackend other) {
    return other == this
        || (!settings.memory()
            && !other.settings.memory()
            && settings.jdbcUrl().equals(other.settings.jdbcUrl())
            && java.util.Objects.equals(settings.user(), other.settings.user()));
  }

  @Override
  public Connection getConnection() {
    source();
    return new JdbcConnection(this);
  }

  synchronized ConnectionSource source() {
    if (closed) {
      throw new StorageException(
          "the SQL backend for " + settings.describe() + " is closed; fetch a new one");
    }
    if (source == null) {
      try {
        source = sources.apply(settings);
      } catch (RuntimeException e) {
        throw new StorageException(
            "Could not set up connections to "
                + settings.describe()
                + ": "
                + e.getClass().getSimpleName()
                + (e.getMessage() == null
                    ? ""
                    : ": " + settings.scrub(BackendConf.mask(e.getMessage()))),
            e);
      }
    }
    return source;
  }

  /**
   * Creates or migrates the schema (making a SQLite store's file first, see {@link SqliteFiles})
   * and says what it did.
   */
  UpgradeResult upgrade() {
    synchronized (upgradeLock) {
      boolean made =
          settings.file() != null
              && SqliteFiles.createIfMissing(settings.file(), settings.permissions());
      SchemaMigrator.Upgraded done;
      try {
        // Flyway runs its own transactions, on the writer connection.
        done = run("upgrading the schema", Mode.MAINTENANCE, migrator::upgrade);
      } catch (RuntimeException e) {
        if (made && SqliteFiles.removeIfEmpty(settings.file(), e)) {
          // Its connections are to the file just removed: the next use starts afresh.
          resetSource();
        }
        throw e;
      }
      layout = done.layout();
      return done.result();
    }
  }

  private synchronized void resetSource() {
    if (source != null) {
      source.close();
      source = null;
    }
  }

  /**
   * What the store holds, as first looked at by this backend (or after its last upgrade): reads
   * build their statements from it, so they cost no metadata query.
   */
  StoreLayout layout() {
    StoreLayout l = layout;
    return l != null ? l : inspect();
  }

  /**
   * Looks at the store again (validate, or before refusing a write) and remembers what it found.
   */
  StoreLayout inspect() {
    StoreLayout l = run("inspecting the schema", Mode.READ, migrator::inspect);
    layout = l;
    return l;
  }

  /** The layout, after checking that reads can use it. */
  StoreLayout readableLayout(String what) {
    StoreLayout l = layout();
    if (!l.readable()) {
      // Perhaps made or upgraded since this backend looked.
      l = inspect();
      if (!l.readable()) {
        throw l.problem("Cannot read " + what);
      }
    }
    return l;
  }

  /**
   * Refuses a write, before it touches anything, unless the store has the schema this code writes.
   * A store that is not current is looked at again first: another process may have upgraded it.
   */
  private void requireWritable(String what) {
    StoreLayout l = layout;
    if (l != null && l.writable()) {
      return;
    }
    l = inspect();
    if (!l.writable()) {
      throw l.problem("Refused " + what + " (nothing was written)");
    }
  }

  String schemaVersion() {
    return run("reading the schema version", Mode.READ, migrator::currentVersion);
  }

  /** How {@link #run} uses its connection. */
  enum Mode {
    /** A reader connection in auto-commit mode. */
    READ,
    /** The writer connection, in one transaction committed when the work returns. */
    WRITE,
    /** The writer connection in auto-commit mode (the work manages transactions itself). */
    MAINTENANCE
  }

  /** As {@link #run(String, Mode, Work)}: a transaction when {@code write}, else a read. */
  <T> T run(String what, boolean write, Work<T> work) {
    return run(what, write ? Mode.WRITE : Mode.READ, work);
  }

  /** Work done on one JDBC connection. */
  @FunctionalInterface
  interface Work<T> {
    T apply(java.sql.Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} on a connection, as one transaction when {@code write}: committed when it
   * returns, rolled back when it throws. Transient failures are retried on a fresh connection; a
   * failure of the commit itself is not retried, since the write may have been stored.
   */
  <T> T run(String what, Mode mode, Work<T> work) {
    return run(what, mode, false, work);
  }

  /**
   * Set while the commit of a relaxed PostgreSQL transaction is still to be made asynchronous: the
   * first {@code UPDATE ... RETURNING} of its work does it in the same round trip ({@link
   * #relaxPending}), else a {@code SET LOCAL} just before the commit. A transaction's work runs on
   * the thread that runs the transaction (a group commit's leader runs its followers' work).
   */
  private static final ThreadLocal<Boolean> RELAX_PENDING = new ThreadLocal<>();

  /**
   * Whether the transaction on this thread is relaxed and its commit mode not set yet: then an
   * {@code UPDATE ... RETURNING} adds {@link #RELAX_IN_RETURNING} to its {@code RETURNING} list and
   * calls {@link #relaxDone} once a row came back. {@code synchronous_commit} is read at commit, so
   * setting it (for this transaction only) anywhere before the commit relaxes it; an {@code UPDATE}
   * that matched no row sets nothing, and the commit then waits for the disk, which is only slower.
   */
  static boolean relaxPending() {
    return RELAX_PENDING.get() != null;
  }

  /** The commit mode was set by a statement of the work. */
  static void relaxDone() {
    RELAX_PENDING.remove();
  }

  /**
   * Makes the commit of the transaction on {@code c} asynchronous now if it is relaxed and no
   * statement of its work did ({@link #relaxPending}): a {@code SET LOCAL}, for this transaction
   * only. Called just before the commit.
   */
  static void relaxIfPending(java.sql.Connection c) throws SQLException {
    if (RELAX_PENDING.get() != null) {
      execute(c, "SET LOCAL synchronous_commit TO off");
      RELAX_PENDING.remove();
    }
  }

  /** What {@link #relaxPending} adds to a {@code RETURNING} list. */
  static final String RELAX_IN_RETURNING = ", set_config('synchronous_commit', 'off', true)";

  /**
   * Whether a write transaction may be committed without waiting for the disk although the store is
   * durable ({@code durability=power}): PostgreSQL ({@code synchronous_commit=off} for the
   * transaction) and SQLite files ({@code synchronous=NORMAL} for its commit, which in WAL mode
   * appends to the log without syncing it). The next synced commit syncs what such a commit wrote
   * too: both logs are sequential. MySQL/MariaDB decide this for the whole server.
   */
  boolean canRelaxCommits() {
    return !settings.processDurability()
        && switch (settings.dialect()) {
          case POSTGRESQL -> true;
          case SQLITE ->
              !settings.memory() && !settings.driverProperties().containsKey("synchronous");
          case MYSQL -> false;
        };
  }

  /**
   * As {@link #run(String, Mode, Work)}; a {@code relaxed} write transaction commits without
   * waiting for the disk where the store allows it ({@link #canRelaxCommits()}). Only what a crash
   * may lose without harm is written so: markers that a resumed run treats like the state they
   * replaced.
   */
  <T> T run(String what, Mode mode, boolean relaxed, Work<T> work) {
    if (statistics != null && mode != Mode.MAINTENANCE) {
      statistics.firstUse(); // not under a schema upgrade, whose locks an ANALYZE would wait for
    }
    boolean write = mode == Mode.WRITE;
    boolean relax = relaxed && write && canRelaxCommits();
    if (write) {
      requireWritable(what);
    }
    int attempt = 0;
    while (true) {
      boolean committing = false;
      java.sql.Connection c = null;
      String restoreIdleTimeout = null;
      try {
        c = source().get(mode != Mode.READ);
        if (mode == Mode.MAINTENANCE) {
          restoreIdleTimeout = liftIdleTimeout(c);
        }
        if (relax && settings.dialect() == Dialect.SQLITE) {
          // SQLite refuses to change it inside a transaction; put back in the finally block.
          execute(c, "PRAGMA synchronous=NORMAL");
        }
        if (write) {
          c.setAutoCommit(false);
        }
        boolean relaxInStatement = relax && settings.dialect() == Dialect.POSTGRESQL;
        if (relaxInStatement) {
          RELAX_PENDING.set(Boolean.TRUE); // see relaxPending()
        }
        T out;
        try {
          out = work.apply(c);
          relaxIfPending(c);
          if (write) {
            hook.beforeCommit(what);
          }
        } catch (SQLException | RuntimeException e) {
          if (write) {
            rollbackQuietly(c, e);
          }
          throw e;
        }
        if (write) {
          committing = true;
          c.commit();
          // From here the write is stored whatever happens to the connection.
          restoreAutoCommitQuietly(c);
          hook.afterCommit(what);
          if (statistics != null) {
            statistics.committed();
          }
        }
        return out;
      } catch (TaskFlowException e) {
        throw e;
      } catch (SQLException e) {
        // A session the server ended while it sat idle before the commit (the process was
        // paused there) was rolled back: nothing is stored, so the whole transaction is retried
        // like any lost connection, and a fenced write re-checks its token.
        failOrRetry(what, e, committing && !SqlErrors.endedBeforeCommit(e), attempt);
        attempt++;
      } catch (IllegalArgumentException e) {
        // A stored record TaskFlowFormat could not read, or a value JSON cannot hold.
        throw new StorageException(
            "Failed " + what + " on " + settings.describe() + ": " + e.getMessage(), e);
      } finally {
        RELAX_PENDING.remove();
        if (relax && c != null && settings.dialect() == Dialect.SQLITE) {
          restoreSqliteSync(c);
        }
        if (restoreIdleTimeout != null) {
          executeQuietly(c, restoreIdleTimeout);
        }
        closeQuietly(c);
      }
    }
  }

  /**
   * What a failed attempt of a write or read does next: throws the failure, or (a transient one
   * with attempts left) waits out the back-off and returns, and the caller tries again on a fresh
   * connection.
   *
   * @param outcomeUnknown whether the write may have been stored (its commit was under way)
   */
  private void failOrRetry(String what, SQLException e, boolean outcomeUnknown, int attempt) {
    SqlErrors.Kind kind = SqlErrors.classify(e, settings.dialect());
    // What to do comes from the error's code, never from the words of the message.
    String advice = SqlErrors.advice(kind, settings);
    if (outcomeUnknown) {
      throw new CommitOutcomeUnknownException(
          "Failed "
              + what
              + " on "
              + settings.describe()
              + ": the commit failed, so the write may or may not be stored: "
              + settings.scrub(SqlErrors.summary(e))
              + advice,
          e);
    }
    if (!kind.retry()) {
      throw new StorageException(
          "Failed "
              + what
              + " on "
              + settings.describe()
              + ": "
              + settings.scrub(SqlErrors.summary(e))
              + advice,
          e);
    }
    if (attempt >= settings.maxRetries()) {
      throw new StorageException(
          "Failed "
              + what
              + " on "
              + settings.describe()
              + " after "
              + (attempt + 1)
              + " attempt"
              + (attempt == 0 ? "" : "s")
              + ": "
              + settings.scrub(SqlErrors.summary(e))
              + advice,
          e);
    }
    evictIdleQuietly();
    long delay = backoff.delay(attempt + 1).toMillis();
    LOG.warn(
        "{} on {} failed (attempt {} of {}), retrying in {} ms: {}",
        what,
        settings.describe(),
        attempt + 1,
        settings.maxRetries() + 1,
        delay,
        settings.scrub(SqlErrors.summary(e)));
    sleep(delay, what);
  }

  /**
   * Whether a write may be done as one statement in auto-commit mode ({@link #runOneStatement}):
   * PostgreSQL, where the server commits the statement as it runs it, in the same round trip.
   */
  boolean writesInOneStatement() {
    return settings.dialect() == Dialect.POSTGRESQL;
  }

  /**
   * A write that is one statement, run in auto-commit mode: the server runs and commits it in one
   * round trip, where a transaction costs two (the statement with its {@code BEGIN}, then the
   * {@code COMMIT}), and no transaction is held open between them, so a process paused mid-write
   * holds no lock. The statement must change everything or nothing: a refusal it detects makes it
   * change nothing (a condition that matches no row, or an error that aborts it), and {@code
   * statement} then throws the refusal, after reading what it needs to explain it.
   *
   * <p>{@code relaxed} and the {@link JdbcCommitHook} are as for {@link #run(String, Mode, boolean,
   * Work)}: the hook's {@code beforeCommit} is called before the statement is sent (its commit has
   * not begun), {@code afterCommit} once it returned. A statement that fails without the server's
   * word on it (the connection was lost while it ran) may have been committed: {@code notStored}
   * then looks at the store on another connection, and the write is done again only when it returns
   * {@code true} (the records are as they were before it); otherwise the outcome is reported
   * unknown, as a lost commit's is.
   *
   * @param statement the write, one statement
   * @param notStored whether the store shows that the write did not happen
   */
  <T> T runOneStatement(String what, boolean relaxed, Work<T> statement, Work<Boolean> notStored) {
    boolean relax = relaxed && canRelaxCommits();
    requireWritable(what);
    int attempt = 0;
    boolean mayBeStored = false; // an earlier attempt's statement may still have been committed
    while (true) {
      boolean sent = false;
      boolean done = false;
      java.sql.Connection c = null;
      try {
        c = source().get(true);
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        if (relax) {
          RELAX_PENDING.set(Boolean.TRUE); // the statement's RETURNING list relaxes its commit
        }
        hook.beforeCommit(what);
        sent = true;
        T out = statement.apply(c);
        done = true;
        hook.afterCommit(what);
        return out;
      } catch (io.taskflow4j.persistence.ConflictException e) {
        if (mayBeStored) {
          // The earlier attempt may be what moved the revision on: the caller reads it back.
          throw new CommitOutcomeUnknownException(
              "Failed "
                  + what
                  + " on "
                  + settings.describe()
                  + ": an attempt lost its connection and the next found the record changed, so"
                  + " the write may or may not be stored: "
                  + e.getMessage(),
              e);
        }
        throw e;
      } catch (TaskFlowException e) {
        throw e;
      } catch (SQLException e) {
        boolean unknown = done || (sent && !SqlErrors.answeredByServer(e));
        if (unknown && !done && storedNot(what, notStored)) {
          unknown = false; // the store shows it did not happen: done again like a lost read
          mayBeStored = true; // unless a statement still on its way lands after that look
        }
        failOrRetry(what, e, unknown, attempt);
        attempt++;
      } catch (IllegalArgumentException e) {
        throw new StorageException(
            "Failed " + what + " on " + settings.describe() + ": " + e.getMessage(), e);
      } finally {
        RELAX_PENDING.remove();
        closeQuietly(c);
      }
    }
  }

  /**
   * A write that can also be done as one statement in auto-commit mode ({@link #runOneStatement}),
   * when it is not done in a group commit with others.
   *
   * @param statement the write as one statement
   * @param notStored whether the store shows that the write did not happen
   */
  record OneStatement<T>(Work<T> statement, Work<Boolean> notStored) {}

  /** {@code work} alone: as one statement when {@code single} is given, else a transaction. */
  <T> T runAlone(String what, boolean relaxed, Work<T> work, OneStatement<T> single) {
    if (single != null) {
      return runOneStatement(what, relaxed, single.statement(), single.notStored());
    }
    return run(what, Mode.WRITE, relaxed, work);
  }

  /** Whether {@code notStored} shows, on another connection, that a write did not happen. */
  private boolean storedNot(String what, Work<Boolean> notStored) {
    try {
      return Boolean.TRUE.equals(
          run("looking whether " + what + " was stored", Mode.READ, notStored));
    } catch (RuntimeException e) {
      LOG.debug("could not tell whether {} was stored on {}", what, settings.describe(), e);
      return false;
    }
  }

  private static void execute(java.sql.Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /**
   * Puts a SQLite writer connection back to synced commits after a relaxed one. {@code PRAGMA
   * synchronous} belongs to the connection, which goes back to the pool: a connection that cannot
   * be set back is closed and dropped from the pool, so no later write is left unsynced.
   */
  private void restoreSqliteSync(java.sql.Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback(); // a failed transaction is still open: the pragma needs none
        c.setAutoCommit(true);
      }
      execute(c, "PRAGMA synchronous=FULL");
    } catch (SQLException e) {
      LOG.warn(
          "could not restore synced commits on a connection of {}; dropping it: {}",
          settings.describe(),
          settings.scrub(SqlErrors.summary(e)));
      discardQuietly(c);
    }
  }

  /** Takes {@code c} out of its pool for good (a pooled connection would else be lent again). */
  private void discardQuietly(java.sql.Connection c) {
    ConnectionSource s;
    synchronized (this) {
      s = source;
    }
    try {
      if (s instanceof ConnectionSource.Pooled p && p.writers() != null) {
        p.writers().evictConnection(c); // closes the physical connection
      }
    } catch (RuntimeException e) {
      LOG.debug("could not drop a connection of {}", settings.describe(), e);
    }
  }

  /**
   * Lifts the session's idle-in-transaction timeout for maintenance work, which runs transactions
   * of its own that may wait idle (Flyway polls for a concurrent migration's lock inside one);
   * returns the statement that puts it back, or {@code null} when there is none.
   */
  private String liftIdleTimeout(java.sql.Connection c) throws SQLException {
    String lift = ConnectionSource.idleTimeoutSql(settings, 0);
    if (lift == null) {
      return null;
    }
    try (Statement st = c.createStatement()) {
      st.execute(lift);
    }
    return ConnectionSource.idleTimeoutSql(settings, settings.transactionIdleTimeout().toMillis());
  }

  private void executeQuietly(java.sql.Connection c, String sql) {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      // Only a dead connection fails here; the pool replaces it.
      LOG.debug("could not restore a session setting on {}", settings.describe(), e);
    }
  }

  /**
   * A write whose commit failed so that it may or may not be stored (the connection was lost while
   * committing). A fenced connection then looks at its fence to tell its caller whether the claim
   * is still held; {@code Storage} reads the record back to find out whether it was stored.
   */
  static final class CommitOutcomeUnknownException extends WriteOutcomeUnknownException {
    private static final long serialVersionUID = 1L;

    CommitOutcomeUnknownException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private void restoreAutoCommitQuietly(java.sql.Connection c) {
    try {
      c.setAutoCommit(true);
    } catch (SQLException e) {
      // The pool resets it (or drops the connection) when it is handed back.
      LOG.debug("could not reset auto-commit on {}", settings.describe(), e);
    }
  }

  private void closeQuietly(java.sql.Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      // Handing back a broken connection: the pool discards it; the outcome is already known.
      LOG.debug("could not hand back a connection of {}", settings.describe(), e);
    }
  }

  private void evictIdleQuietly() {
    ConnectionSource s;
    synchronized (this) {
      s = source;
    }
    if (s != null) {
      try {
        s.evictIdle();
      } catch (RuntimeException e) {
        LOG.debug("could not evict idle connections of {}", settings.describe(), e);
      }
    }
  }

  private void sleep(long millis, String what) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while retrying " + what, e);
    }
  }

  private static void rollbackQuietly(java.sql.Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (source != null) {
      source.close();
      source = null;
    }
  }

  @Override
  public String toString() {
    return "JdbcBackend{" + settings.describe() + ", conf=" + conf + '}';
  }
}
