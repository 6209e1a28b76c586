package io.taskflow4j.persistence.jdbc;

import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps PostgreSQL's statistics of a store's tables in step with what this backend writes into
 * them: after its 256th committed write, and again each time the count doubles, it runs {@code
 * ANALYZE} on them, on a thread of its own; and on its first work, if they outgrew their
 * statistics.
 *
 * <p>Why: PostgreSQL keeps the plan of a prepared statement that its first executions found best.
 * On a store just created, or one whose tables were never analysed (autovacuum off, or not yet
 * round), the tables are tiny then, and the plan of a lookup by a list of uuids ({@code IN (?, ?,
 * ...)}, which every write of a flow's atoms makes) is a scan of the whole table: kept, it reads
 * every atom of the store for each write as the store grows. Copying a SQLite store of 62,000
 * logbooks into a new PostgreSQL database ({@code taskflow4j migrate}, with autovacuum off) slowed
 * to 25 logbooks a second at 11,000, each write scanning {@code atomdetails}; an {@code ANALYZE}
 * there let the plans be made again, through the index, at some 450 a second. An {@code ANALYZE}
 * invalidates the plans of every session that uses the tables.
 *
 * <p>At most one runs at a time, and doubling keeps them few: some twenty in a million writes.
 * Autovacuum, where it is on, analyses the tables too; these add little to it. A role that does not
 * own the tables gets a warning from PostgreSQL and nothing is analysed; a failure is logged and
 * never reaches a write.
 */
final class TableStatistics {
  private static final Logger LOG = LoggerFactory.getLogger(TableStatistics.class);

  /** The committed writes after which the tables are first analysed. */
  static final long FIRST = 256;

  static final String ANALYZE = "ANALYZE logbooks, flowdetails, atomdetails";

  private final JdbcBackend backend;
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong next = new AtomicLong(FIRST);
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong analysed = new AtomicLong();
  private final AtomicBoolean checked = new AtomicBoolean();

  TableStatistics(JdbcBackend backend) {
    this.backend = backend;
  }

  /**
   * Whether the tables hold at least 1,000 rows more than twice what their statistics say (none, if
   * never analysed): PostgreSQL's own statistics of the live rows, against the planner's.
   */
  static final String STALE =
      "SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
          + " WHERE s.relid IN (to_regclass('logbooks'), to_regclass('flowdetails'),"
          + " to_regclass('atomdetails'))"
          + " AND s.n_live_tup >= 1000 AND s.n_live_tup > 2 * GREATEST(c.reltuples, 0)";

  /** After a write committed: analyses the tables when the count of writes reached the next. */
  void committed() {
    long n = commits.incrementAndGet();
    long due = next.get();
    if (n < due || !next.compareAndSet(due, 2 * n)) {
      return;
    }
    start(false);
  }

  /**
   * On the backend's first work: analyses the tables if they outgrew their statistics, as a store
   * filled by many short-lived processes (or by SQL) does where autovacuum is off. A process that
   * only reads (a listing, {@code stats}, {@code export}) then plans its queries on statistics too.
   */
  void firstUse() {
    if (!checked.get() && checked.compareAndSet(false, true)) {
      start(true);
    }
  }

  private void start(boolean ifStale) {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(() -> analyse(ifStale), "taskflow4j-analyze");
    t.setDaemon(true);
    t.start();
  }

  private boolean stale() {
    return backend.run(
        "reading the statistics of the store's tables",
        JdbcBackend.Mode.READ,
        c -> {
          try (Statement st = c.createStatement();
              java.sql.ResultSet rs = st.executeQuery(STALE)) {
            return rs.next() && rs.getLong(1) > 0;
          }
        });
  }

  /** Whether an analysis (or the check before one) is under way. */
  boolean busy() {
    return running.get();
  }

  /** How many times the tables were analysed. */
  long analysed() {
    return analysed.get();
  }

  private void analyse(boolean ifStale) {
    try {
      if (ifStale && !stale()) {
        return;
      }
      backend.run(
          "refreshing the statistics of the store's tables",
          JdbcBackend.Mode.MAINTENANCE,
          c -> {
            try (Statement st = c.createStatement()) {
              st.execute(ANALYZE);
            }
            return null;
          });
      analysed.incrementAndGet();
    } catch (RuntimeException e) {
      LOG.debug("Could not analyse the tables of {}", backend.describe(), e);
    } finally {
      running.set(false);
    }
  }
}
