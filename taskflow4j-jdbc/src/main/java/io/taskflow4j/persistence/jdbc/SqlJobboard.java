package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.AbstractJobboard;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.jobs.TrashedJob;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A jobboard in the SQL database that holds the logbooks ({@code taskflow4j_jobs}, {@code
 * taskflow4j_jobs_trash}, {@code taskflow4j_conductors}), so that a claim and its fence are one
 * transaction. Leases are judged by the database's clock.
 *
 * <ul>
 *   <li>Claiming bumps the job's {@code epoch} (the fencing token) and raises the job's row in
 *       {@code taskflow4j_fences} to it in the same transaction: from the commit on, fenced writes
 *       of earlier owners are refused, without a window. PostgreSQL claims the next job in one
 *       {@code UPDATE … WHERE uuid = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …}; MariaDB/MySQL
 *       selects it {@code FOR UPDATE SKIP LOCKED} then updates it; SQLite, with one writer at a
 *       time, updates the first claimable row. The lease runs from when the claim holds its locks
 *       ({@link #startLease}), not from when it began waiting for them. {@link #claimNext(OwnerId,
 *       int)} claims several jobs the same way in one transaction: one statement picks and claims
 *       them, one raises their fences, one starts their leases.
 *   <li>{@link #completeAll} completes many claims in one transaction, each delete matching its own
 *       claim, so a stale one is refused alone.
 *   <li>Renewal, completion, release and trashing match the row on (uuid, epoch, owner, lease not
 *       lapsed); matching nothing means the claim was lost ({@link FencedException}).
 *   <li>Idle waiting: PostgreSQL {@code LISTEN}s on one dedicated connection (posts and releases
 *       {@code NOTIFY}; {@link SqlJobNotifications}), plus an indexed poll for lapsed leases; the
 *       others poll that index.
 * </ul>
 *
 * <p>The SQL of the job rows is in {@link SqlJobRows}, the conductor registry in {@link
 * SqlConductors}.
 */
final class SqlJobboard extends AbstractJobboard {
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobboard.class);
  private static final AtomicInteger BOARDS = new AtomicInteger();
  private static final Duration MAX_POLL = Duration.ofMillis(500);

  /** Claims per statement of a batch completion: 3 parameters each, far below drivers' limits. */
  private static final int MAX_CLAIMS_PER_DELETE = 500;

  /**
   * PostgreSQL: the settings {@link #PG_CLAIM} runs with, for its transaction only: sent with it in
   * one round trip in auto-commit mode, they and the claim are one implicit transaction.
   */
  static final String PG_CLAIM_SETTINGS =
      "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true),"
          + " set_config('jit', 'off', true)";

  /**
   * PostgreSQL: the claim statement of {@link #claimFencedAndLeased}; parameters: the board, the
   * most jobs, the owner, the lease in milliseconds.
   */
  static final String PG_CLAIM =
      "WITH picked AS MATERIALIZED (SELECT uuid, epoch + 1 AS token FROM taskflow4j_jobs"
          + " WHERE board = ? AND "
          + SqlJobRows.claimableBy("now()")
          + " ORDER BY priority, seq LIMIT ? FOR UPDATE SKIP LOCKED),"
          + " fenced AS (INSERT INTO taskflow4j_fences (fence_key, token)"
          + " SELECT uuid, token FROM picked ORDER BY uuid ON CONFLICT (fence_key) DO UPDATE"
          + " SET token = GREATEST(taskflow4j_fences.token, excluded.token)"
          + " RETURNING fence_key, token)"
          + " UPDATE taskflow4j_jobs SET owner = ?, epoch = taskflow4j_jobs.epoch + 1,"
          + " lease_until = clock_timestamp() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'"
          + " FROM fenced WHERE taskflow4j_jobs.uuid = fenced.fence_key RETURNING "
          + qualified("taskflow4j_jobs")
          + ", CAST(FLOOR(EXTRACT(EPOCH FROM"
          + " (taskflow4j_jobs.lease_until - statement_timestamp())) * 1000) AS BIGINT)"
          + " AS granted_ms, 1 / CASE WHEN fenced.token = taskflow4j_jobs.epoch THEN 1 ELSE 0 END"
          + " AS fence_check";

  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;
  private final String board;
  private final SqlJobRows table;
  private final SqlConductors conductors;
  private final SqlJobNotifications notifications;

  private SqlJobboard(JdbcBackend backend, String board, Duration leaseTime, Clock clock) {
    super(leaseTime, clock);
    this.backend = backend;
    this.dialect = backend.dialect();
    this.rows = new Rows(dialect);
    this.board = board;
    this.table = new SqlJobRows(dialect, rows, board);
    int n = BOARDS.incrementAndGet();
    this.conductors =
        new SqlConductors(backend, table, rows, board, n, leaseTime, clock, this::describe);
    this.notifications =
        new SqlJobNotifications(
            backend,
            board,
            n,
            this::describe,
            this::isClosed,
            this::signalWork,
            (kind, jobUuid) -> emit(kind, jobUuid, null));
  }

  /**
   * Opens the board of a configuration ({@code lease}, {@code board} besides the SQL backend's
   * keys), bringing the schema up to date first.
   */
  static SqlJobboard open(BackendConf conf) {
    return open(conf, new JdbcBackend(conf, JdbcCommitHook.NONE));
  }

  /** As {@link #open(BackendConf)}, on {@code backend}'s connections; closes it on failure. */
  static SqlJobboard open(BackendConf conf, JdbcBackend backend) {
    Duration lease;
    String board;
    try {
      lease = Jobboards.leaseTime(conf);
      board = conf.getString(Jobboards.BOARD).orElse("default");
      if (board.isBlank() || board.length() > 255) {
        throw new InvalidConfigurationException(
            "'board' must be 1 to 255 characters, not '" + board + "'");
      }
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    try {
      backend.upgrade();
      return new SqlJobboard(backend, board, lease, Clock.systemUTC());
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  @Override
  public String describe() {
    return "SQL jobboard '" + board + "' on " + backend.settings().describe();
  }

  // ---------------------------------------------------------------- posting and listing

  @Override
  public Job post(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    if (spec.name().length() > 255) {
      throw new IllegalArgumentException("job name is longer than 255 characters: " + spec.name());
    }
    String uuid = UUID.randomUUID().toString();
    String insert =
        "INSERT INTO taskflow4j_jobs (uuid, board, name, book_name, book_uuid, details, priority,"
            + " created_on, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + (dialect == Dialect.MYSQL
                ? " ON DUPLICATE KEY UPDATE idempotency_key = idempotency_key"
                : " ON CONFLICT DO NOTHING");
    boolean[] inserted = {false};
    Job job =
        backend.run(
            "posting job '" + spec.name() + "' on board '" + board + "'",
            true,
            c -> {
              // A concurrent post with the same key makes the insert a no-op (the unique
              // constraint waits for it to commit); the job it posted is returned. Should that one
              // be completed before it is read, post again.
              for (int attempt = 0; attempt < 5; attempt++) {
                try (PreparedStatement ps = c.prepareStatement(insert)) {
                  ps.setString(1, uuid);
                  ps.setString(2, board);
                  ps.setString(3, spec.name());
                  Rows.string(ps, 4, spec.book() == null ? null : spec.book().name());
                  Rows.string(ps, 5, spec.book() == null ? null : spec.book().uuid());
                  ps.setString(6, Json.write(spec.details()));
                  ps.setInt(7, spec.priority().code());
                  rows.time(ps, 8, clock().instant());
                  Rows.string(ps, 9, spec.idempotencyKey());
                  ps.executeUpdate();
                }
                Optional<Job> mine = table.byUuid(c, uuid);
                if (mine.isPresent()) {
                  inserted[0] = true;
                  notifications.notifyPeers(c, JobEvent.Kind.POSTED, uuid);
                  return mine.get();
                }
                if (spec.idempotencyKey() != null) {
                  Optional<Job> existing = table.byIdempotencyKey(c, spec.idempotencyKey());
                  if (existing.isPresent()) {
                    return existing.get();
                  }
                }
              }
              throw new StorageException(
                  "Could not post job '"
                      + spec.name()
                      + "': its idempotency key kept meeting jobs being completed");
            });
    if (inserted[0]) {
      emit(JobEvent.Kind.POSTED, job.uuid(), null);
    }
    return job;
  }

  @Override
  public List<Job> jobs() {
    return backend.run("listing the jobs of board '" + board + "'", false, c -> table.all(c));
  }

  /** The first rows in claiming order, read with a {@code LIMIT}. */
  @Override
  public List<Job> jobs(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    return backend.run(
        "listing the first " + limit + " jobs of board '" + board + "'",
        false,
        c -> table.first(c, limit));
  }

  /** Counted in the database: no row is read. */
  @Override
  public Map<JobState, Long> countJobs() {
    return backend.run("counting the jobs of board '" + board + "'", false, c -> table.counts(c));
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    return backend.run("reading job '" + jobUuid + "'", false, c -> table.byUuid(c, jobUuid));
  }

  /** One indexed read: the key is unique per board ({@code taskflow4j_jobs_idempotency_key}). */
  @Override
  public Optional<Job> jobWithIdempotencyKey(String key) {
    Objects.requireNonNull(key, "key");
    return backend.run(
        "reading the job with idempotency key '" + key + "'",
        false,
        c -> table.byIdempotencyKey(c, key));
  }

  @Override
  public List<Job> trashedJobs() {
    return TrashedJob.jobs(trashEntries());
  }

  @Override
  public List<TrashedJob> trashEntries() {
    return backend.run(
        "listing the trash of board '" + board + "'",
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + SqlJobRows.COLUMNS
                      + ", reason AS trash_reason, trashed_on AS trash_time"
                      + " FROM taskflow4j_jobs_trash WHERE board = ? ORDER BY seq")) {
            ps.setString(1, board);
            try (ResultSet rs = ps.executeQuery()) {
              List<TrashedJob> out = new ArrayList<>();
              while (rs.next()) {
                out.add(
                    new TrashedJob(
                        table.readJob(rs, JobState.TRASHED, false),
                        rows.time(rs, "trash_time"),
                        rs.getString("trash_reason")));
              }
              return out;
            }
          }
        });
  }

  @Override
  public long purgeTrash(Instant trashedBefore) {
    Objects.requireNonNull(trashedBefore, "trashedBefore");
    ensureOpen();
    return backend.run(
        "emptying the trash of board '" + board + "'",
        true,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM taskflow4j_jobs_trash WHERE board = ? AND trashed_on < ?")) {
            ps.setString(1, board);
            rows.time(ps, 2, trashedBefore);
            return (long) ps.executeUpdate();
          }
        });
  }

  /**
   * True for a backend on this board's database (the same JDBC URL and user, not SQLite in memory):
   * every claim raises its job's fence there, in the claim's transaction.
   */
  @Override
  public boolean raisesFencesIn(io.taskflow4j.persistence.Backend other) {
    return other instanceof JdbcBackend b && b.sameDatabase(backend);
  }

  /**
   * The claim's fenced view of {@code conn}, which on a connection to this board's database deletes
   * the job's row (if the claim still holds it) in the same transaction, or on PostgreSQL the same
   * statement, as its write of the flow's final state: one write less per job, and no crash can
   * leave a finished flow's job on the board. Once that write is stored the claim is completed, or
   * lost when its row was no longer held for it. Through a connection to another store the delete
   * is not done, and the job is completed on its own ({@link Claim#complete()}).
   */
  @Override
  public io.taskflow4j.persistence.Connection fencedCompleting(
      Claim claim, io.taskflow4j.persistence.Connection conn, String flowUuid) {
    checkCompleting(claim, conn, flowUuid);
    return conn.fenced(
        claim.fence(),
        new JobCompletion(
            backend,
            table,
            claim,
            flowUuid,
            completionStored(claim, () -> notHeld(claim, "complete"))));
  }

  // ---------------------------------------------------------------- claiming

  @Override
  public Optional<Claim> claim(String jobUuid, OwnerId owner) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    Instant[] leaseFrom = new Instant[1];
    Optional<Job> claimed =
        backend.run(
            "claiming job '" + jobUuid + "'",
            true,
            c -> {
              leaseFrom[0] = clock().instant();
              int n;
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
                          + table.nowPlusMillis(1)
                          + " WHERE uuid = ? AND "
                          + SqlJobRows.OF_BOARD
                          + " AND "
                          + table.claimable)) {
                ps.setString(1, owner.id());
                ps.setLong(2, leaseTime().toMillis());
                ps.setString(3, jobUuid);
                ps.setString(4, board);
                n = ps.executeUpdate();
              }
              Optional<Job> job = table.byUuid(c, jobUuid);
              if (job.isEmpty()) {
                throw new NotFoundException(
                    "Job '" + jobUuid + "' is not on board '" + board + "'");
              }
              if (n == 0) {
                return Optional.<Job>empty();
              }
              Job fenced = fence(c, job.get());
              leaseFrom[0] = startLease(c, fenced.uuid(), leaseFrom[0]);
              return Optional.of(fenced);
            });
    return claimed.map(j -> newClaim(j, owner, j.token(), leaseFrom[0].plus(leaseTime())));
  }

  @Override
  public Optional<Claim> claimNext(OwnerId owner) {
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    Instant[] leaseFrom = new Instant[1];
    String what = "claiming the next job of board '" + board + "'";
    if (dialect == Dialect.POSTGRESQL) {
      return claimFencedAndLeased(what, owner, 1, leaseFrom).stream()
          .findFirst()
          .map(j -> newClaim(j, owner, j.token(), leaseFrom[0].plus(leaseTime())));
    }
    Optional<Job> claimed =
        backend.run(
            what,
            true,
            c -> {
              leaseFrom[0] = clock().instant();
              Optional<Job> job =
                  dialect == Dialect.MYSQL ? claimNextLocked(c, owner) : claimNextAtOnce(c, owner);
              if (job.isEmpty()) {
                return job;
              }
              Job fenced = fence(c, job.get());
              leaseFrom[0] = startLease(c, fenced.uuid(), leaseFrom[0]);
              return Optional.of(fenced);
            });
    return claimed.map(j -> newClaim(j, owner, j.token(), leaseFrom[0].plus(leaseTime())));
  }

  /**
   * Claims up to {@code max} jobs in one transaction, one commit for them all. PostgreSQL: one
   * statement picks them, raises their fences and starts their leases ({@link
   * #claimFencedAndLeased}). Elsewhere one statement picks and claims them (SQLite, one writer at a
   * time: an {@code UPDATE … RETURNING}; MariaDB/MySQL, which has no {@code UPDATE … RETURNING}:
   * select {@code FOR UPDATE SKIP LOCKED}, update, read back), one raises their fences, one starts
   * their leases ({@link #startLease}).
   */
  @Override
  public List<Claim> claimNext(OwnerId owner, int max) {
    Objects.requireNonNull(owner, "owner");
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    if (max == 1) {
      return claimNext(owner).map(List::of).orElse(List.of());
    }
    ensureOpen();
    Instant[] leaseFrom = new Instant[1];
    String what = "claiming up to " + max + " jobs of board '" + board + "'";
    List<Job> claimed =
        dialect == Dialect.POSTGRESQL
            ? claimFencedAndLeased(what, owner, max, leaseFrom)
            : backend.run(
                what,
                true,
                c -> {
                  leaseFrom[0] = clock().instant();
                  List<Job> jobs =
                      dialect == Dialect.MYSQL
                          ? claimFirstLocked(c, owner, max)
                          : claimFirstAtOnce(c, owner, max);
                  if (jobs.isEmpty()) {
                    return jobs;
                  }
                  fenceAll(c, jobs);
                  leaseFrom[0] = startLeases(c, jobs, leaseFrom[0]);
                  return jobs;
                });
    List<Claim> out = new ArrayList<>(claimed.size());
    for (Job j : claimed) {
      out.add(newClaim(j, owner, j.token(), leaseFrom[0].plus(leaseTime())));
    }
    return out;
  }

  /**
   * PostgreSQL: claims up to {@code max} jobs in one round trip to the server, one statement in
   * auto-commit mode ({@link JdbcBackend#runOneStatement}) that picks the first claimable rows
   * ({@code FOR UPDATE SKIP LOCKED}), raises their fences to their new epochs (in uuid order, so
   * that two claimers never lock fence rows in opposite orders), and then claims them with leases
   * counted from the moment each holds its fence row ({@link #startLeasesOf}): the update joins the
   * fences' upsert, so it runs after it, and {@code clock_timestamp()} is read then. A fence found
   * above the new epoch divides by zero, which aborts the statement: nothing is claimed, and the
   * job is named by {@link #fencedAboveEpoch(java.sql.Connection)}. The claimer's lease runs from
   * {@code leaseFrom[0]}, the local clock read before the statement was sent, moved on by the time
   * the statement waited before its leases started, as the server measured it from the statement's
   * start: never past the server's grant.
   *
   * <p>The statement is preceded, in the same round trip and implicit transaction, by settings for
   * that transaction that make it walk the claim index in claiming order whatever the table's
   * statistics. A queue's table is often without them (never analysed, or analysed while it was
   * empty), and PostgreSQL then takes the board to match a few rows: it has been seen to read every
   * claimable job of the board, through the idempotency index or a bitmap, and sort them (1 ms per
   * claim at a thousand queued jobs, 17 ms at ten thousand), where the walk reads the first few.
   * The fences' sort, which must stay, then looks so costly that PostgreSQL would compile the
   * statement to machine code at every run (a quarter of a second): the settings turn that off too.
   * A claim's commit need not wait for the disk (as a claim in a transaction: a claim lost to a
   * power cut is a job claimed by no one), so on a durable store the settings relax it as well.
   */
  private List<Job> claimFencedAndLeased(String what, OwnerId owner, int max, Instant[] leaseFrom) {
    return backend.runOneStatement(
        what,
        true,
        c -> {
          leaseFrom[0] = clock().instant();
          return claimFencedAndLeased(c, owner, max, leaseFrom);
        },
        c -> false); // a claim whose reply was lost is not sent again: its lease will lapse
  }

  private List<Job> claimFencedAndLeased(
      java.sql.Connection c, OwnerId owner, int max, Instant[] leaseFrom) throws SQLException {
    List<Job> out = new ArrayList<>();
    long waitedMillis = Long.MAX_VALUE;
    boolean relax = JdbcBackend.relaxPending();
    String settings = PG_CLAIM_SETTINGS + (relax ? JdbcBackend.RELAX_IN_RETURNING : "");
    try (PreparedStatement ps = c.prepareStatement(settings + "; " + PG_CLAIM)) {
      ps.setString(1, board);
      ps.setInt(2, max);
      ps.setString(3, owner.id());
      ps.setLong(4, leaseTime().toMillis());
      try (ResultSet rs = claimResult(ps)) {
        if (relax) {
          JdbcBackend.relaxDone();
        }
        while (rs.next()) {
          out.add(table.readJob(rs, JobState.CLAIMED, true));
          // the lease granted, counted from the statement's start: the lease and the wait
          waitedMillis = Math.min(waitedMillis, rs.getLong("granted_ms") - leaseTime().toMillis());
        }
      }
    } catch (SQLException e) {
      if (DIVISION_BY_ZERO.equals(e.getSQLState())) {
        throw fencedAboveEpoch(c);
      }
      throw e;
    }
    if (!out.isEmpty()) {
      leaseFrom[0] = leaseFrom[0].plusMillis(Math.max(0, waitedMillis));
    }
    out.sort(Job::compareForClaiming);
    return out;
  }

  /** PostgreSQL's SQL state for a division by zero: {@link #PG_CLAIM}'s fence check. */
  private static final String DIVISION_BY_ZERO = "22012";

  /** The claim's rows: the result after the settings' row. */
  private static ResultSet claimResult(PreparedStatement ps) throws SQLException {
    ps.execute();
    if (!ps.getMoreResults() && ps.getUpdateCount() == -1) {
      throw new SQLException("the claim statement returned no rows");
    }
    return ps.getResultSet();
  }

  /**
   * Why {@link #PG_CLAIM} aborted: the first claimable job whose fence holds a token above the
   * job's epoch (someone advanced it by hand), read after the claim changed nothing.
   */
  private FencedException fencedAboveEpoch(java.sql.Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT uuid, epoch, f.token FROM taskflow4j_jobs JOIN taskflow4j_fences f ON"
                + " f.fence_key = uuid WHERE board = ? AND "
                + SqlJobRows.claimableBy("now()")
                + " AND f.token > epoch ORDER BY priority, seq LIMIT 1")) {
      ps.setString(1, board);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return fencedAboveEpoch(rs.getString(1), rs.getLong(2) + 1, rs.getLong(3));
        }
      }
    }
    return new FencedException(
        "Cannot claim a job of board '"
            + board
            + "': the fence of a job it picked held a token above the job's epoch");
  }

  /**
   * SQLite, one writer at a time: one {@code UPDATE … RETURNING} of the first claimable rows, in
   * the write transaction.
   */
  private List<Job> claimFirstAtOnce(java.sql.Connection c, OwnerId owner, int max)
      throws SQLException {
    String sql =
        "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
            + table.nowPlusMillis(1)
            + " WHERE uuid IN ("
            + table.firstClaimableLimited()
            + ") RETURNING "
            + SqlJobRows.COLUMNS;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      ps.setString(3, board);
      ps.setInt(4, max);
      List<Job> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(table.readJob(rs, JobState.CLAIMED, true));
        }
      }
      out.sort(Job::compareForClaiming);
      return out;
    }
  }

  /** {@link SqlJobRows#COLUMNS}, each qualified by {@code table}. */
  private static String qualified(String table) {
    StringBuilder b = new StringBuilder();
    for (String col : SqlJobRows.COLUMNS.split(",")) {
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append(table).append('.').append(col.trim());
    }
    return b.toString();
  }

  /** MariaDB/MySQL: lock the first free rows, update them, read them back. */
  private List<Job> claimFirstLocked(java.sql.Connection c, OwnerId owner, int max)
      throws SQLException {
    List<String> uuids = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(table.firstClaimableLimited() + " FOR UPDATE SKIP LOCKED")) {
      ps.setString(1, board);
      ps.setInt(2, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          uuids.add(rs.getString(1));
        }
      }
    }
    if (uuids.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
                + table.nowPlusMillis(1)
                + " WHERE uuid IN "
                + SqlJobRows.placeholders(uuids.size()))) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      for (int i = 0; i < uuids.size(); i++) {
        ps.setString(i + 3, uuids.get(i));
      }
      ps.executeUpdate();
    }
    return table.claimedByUuid(c, uuids);
  }

  /**
   * Raises the fences of jobs claimed in this transaction to their new epochs, in one statement.
   */
  private void fenceAll(java.sql.Connection c, List<Job> jobs) throws SQLException {
    // In uuid order, so that two claimers never lock fence rows in opposite orders.
    List<Job> byKey = new ArrayList<>(jobs);
    byKey.sort(java.util.Comparator.comparing(Job::uuid));
    boolean returning = dialect.updateReturning();
    Map<String, Long> stored = new java.util.HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            dialect.upsertFences(byKey.size())
                + (returning ? " RETURNING fence_key, token" : ""))) {
      int i = 1;
      for (Job j : byKey) {
        ps.setString(i++, j.uuid());
        ps.setLong(i++, j.token());
      }
      if (returning) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stored.put(rs.getString(1), rs.getLong(2));
          }
        }
      } else {
        ps.executeUpdate();
      }
    }
    if (!returning) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT fence_key, token FROM taskflow4j_fences WHERE fence_key IN "
                  + SqlJobRows.placeholders(byKey.size()))) {
        for (int i = 0; i < byKey.size(); i++) {
          ps.setString(i + 1, byKey.get(i).uuid());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            stored.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
    }
    for (Job j : jobs) {
      Long token = stored.get(j.uuid());
      if (token == null) {
        throw new SQLException("the fence row of '" + j.uuid() + "' vanished after its upsert");
      }
      if (token != j.token()) {
        throw fencedAboveEpoch(j, token);
      }
    }
  }

  /** As {@link #startLease} for every job claimed in this transaction, in one statement. */
  private Instant startLeases(java.sql.Connection c, List<Job> jobs, Instant started)
      throws SQLException {
    List<String> uuids = new ArrayList<>(jobs.size());
    for (Job j : jobs) {
      uuids.add(j.uuid());
    }
    return startLeasesOf(c, uuids, started);
  }

  /** SQLite: one {@code UPDATE … RETURNING} of the first claimable row. */
  private Optional<Job> claimNextAtOnce(java.sql.Connection c, OwnerId owner) throws SQLException {
    String sql =
        "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
            + table.nowPlusMillis(1)
            + " WHERE uuid = ("
            + table.firstClaimable()
            + ") RETURNING "
            + SqlJobRows.COLUMNS;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      ps.setString(3, board);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(table.readJob(rs, JobState.CLAIMED, true))
            : Optional.empty();
      }
    }
  }

  /** MariaDB/MySQL (no {@code UPDATE … RETURNING}): lock the first free row, update, read it. */
  private Optional<Job> claimNextLocked(java.sql.Connection c, OwnerId owner) throws SQLException {
    String uuid;
    try (PreparedStatement ps =
        c.prepareStatement(table.firstClaimable() + " FOR UPDATE SKIP LOCKED")) {
      ps.setString(1, board);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        uuid = rs.getString(1);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
                + table.nowPlusMillis(1)
                + " WHERE uuid = ?")) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      ps.setString(3, uuid);
      ps.executeUpdate();
    }
    return table.byUuid(c, uuid);
  }

  /**
   * Starts the lease of a job claimed in this transaction from now, the moment the claim has every
   * lock it needs: the claim may have waited for the fence row (held by a fenced write of the
   * previous owner until that commits or its session ends), and a lease counted from before the
   * wait would be partly or wholly spent when the claim commits, letting a third conductor take the
   * job straight back. PostgreSQL's {@code now()} is the transaction's start, so the clock is read
   * with {@code clock_timestamp()}; MariaDB's {@code NOW(6)} is this statement's start. On SQLite
   * the transaction took the write lock at {@code BEGIN IMMEDIATE}, before the claim's own
   * statement set the lease, so nothing waited since and that lease stands.
   *
   * @param started the local clock read when the transaction had its write lock (SQLite)
   * @return the local clock read before the lease started in the database, so the claimer never
   *     counts on more lease than the database grants
   */
  private Instant startLease(java.sql.Connection c, String jobUuid, Instant started)
      throws SQLException {
    return startLeasesOf(c, List.of(jobUuid), started);
  }

  /** Starts the leases of the jobs {@code uuids} claimed in this transaction (see above). */
  private Instant startLeasesOf(java.sql.Connection c, List<String> uuids, Instant started)
      throws SQLException {
    if (dialect == Dialect.SQLITE) {
      return started;
    }
    Instant local = clock().instant();
    String grantedNow = dialect == Dialect.POSTGRESQL ? "clock_timestamp()" : "NOW(6)";
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE taskflow4j_jobs SET lease_until = "
                + table.plusMillis(grantedNow, 1)
                + " WHERE uuid IN "
                + SqlJobRows.placeholders(uuids.size()))) {
      ps.setLong(1, leaseTime().toMillis());
      for (int i = 0; i < uuids.size(); i++) {
        ps.setString(i + 2, uuids.get(i));
      }
      ps.executeUpdate();
    }
    return local;
  }

  /** Raises the job's fence to its new epoch, in the claim's transaction. */
  private Job fence(java.sql.Connection c, Job job) throws SQLException {
    long stored = JdbcConnection.raiseFence(c, dialect, new Fence(job.uuid(), job.token()));
    if (stored != job.token()) {
      throw fencedAboveEpoch(job, stored);
    }
    return job;
  }

  // Only when someone advanced the fence by hand past the board's epochs.
  private static FencedException fencedAboveEpoch(Job job, long stored) {
    return fencedAboveEpoch(job.uuid(), job.token(), stored);
  }

  private static FencedException fencedAboveEpoch(String jobUuid, long epoch, long stored) {
    return new FencedException(
        "Cannot claim job '"
            + jobUuid
            + "': its fence holds token "
            + stored
            + ", above the job's epoch "
            + epoch);
  }

  // ---------------------------------------------------------------- held claims

  private static FencedException notHeld(Claim claim, String action) {
    return claimNotHeld(claim, action, "its lease lapsed, or a peer claimed the job");
  }

  @Override
  protected Instant renewLease(Claim claim) {
    Instant before = clock().instant();
    backend.run(
        "renewing the claim on job '" + claim.job().uuid() + "'",
        true,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE taskflow4j_jobs SET lease_until = "
                      + table.nowPlusMillis(1)
                      + " WHERE "
                      + table.heldBy)) {
            ps.setLong(1, leaseTime().toMillis());
            table.bindHeld(ps, 2, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "renew the claim on");
            }
          }
          return null;
        });
    return before.plus(leaseTime());
  }

  @Override
  protected void completeJob(Claim claim) {
    inOneStatement(
        "completing job '" + claim.job().uuid() + "'",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM taskflow4j_jobs WHERE " + table.heldBy)) {
            table.bindHeld(ps, 1, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "complete");
            }
          }
          return null;
        },
        List.of(claim));
  }

  /**
   * Runs {@code work}, one statement that deletes the rows of {@code claims} it may: on PostgreSQL
   * in auto-commit mode, where the server commits it in the round trip that runs it ({@link
   * JdbcBackend#runOneStatement}); elsewhere as a transaction. A statement whose connection is lost
   * is done again only when every claim's row is still there.
   */
  private <T> T inOneStatement(
      String what, JdbcBackend.Work<T> work, List<? extends Claim> claims) {
    if (!backend.writesInOneStatement()) {
      return backend.run(what, true, work);
    }
    return backend.runOneStatement(
        what,
        false,
        work,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT 1 FROM taskflow4j_jobs WHERE uuid = ? AND "
                      + SqlJobRows.OF_BOARD
                      + " AND epoch = ? AND owner = ? FOR UPDATE")) {
            for (Claim claim : claims) {
              table.bindHeld(ps, 1, claim);
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                  return false;
                }
              }
            }
          }
          return true;
        });
  }

  /**
   * Completes the claims in one transaction, each delete matching its own claim's (uuid, epoch,
   * owner) and an unlapsed lease, so that a stale claim deletes nothing and is refused alone:
   * PostgreSQL and SQLite in one {@code DELETE … RETURNING}, MariaDB/MySQL one delete per claim.
   */
  @Override
  public Map<Claim, FencedException> completeAll(Collection<? extends Claim> claims) {
    return completeTogether(
        claims,
        live -> {
          String what = "completing " + live.size() + " jobs of board '" + board + "'";
          if (live.size() <= MAX_CLAIMS_PER_DELETE && dialect == Dialect.POSTGRESQL) {
            return inOneStatement(what, c -> deleteHeldAtOnce(c, live), live);
          }
          return backend.run(
              what,
              true,
              c ->
                  dialect.updateReturning()
                      ? deleteHeldAtOnce(c, live)
                      : deleteHeldOneByOne(c, live));
        });
  }

  /**
   * PostgreSQL and SQLite: one {@code DELETE … RETURNING} of the rows still held by their claims; a
   * claim whose row is not returned is stale.
   */
  private Map<Claim, FencedException> deleteHeldAtOnce(java.sql.Connection c, List<Claim> live)
      throws SQLException {
    java.util.Set<String> deleted = new java.util.HashSet<>();
    for (int from = 0; from < live.size(); from += MAX_CLAIMS_PER_DELETE) {
      List<Claim> part = live.subList(from, Math.min(live.size(), from + MAX_CLAIMS_PER_DELETE));
      String sql =
          "DELETE FROM taskflow4j_jobs WHERE uuid IN "
              + SqlJobRows.placeholders(part.size())
              + " AND "
              + SqlJobRows.OF_BOARD
              + " AND lease_until > "
              + table.now
              + " AND (uuid, epoch, owner) IN (VALUES "
              + String.join(", ", java.util.Collections.nCopies(part.size(), "(?, ?, ?)"))
              + ") RETURNING uuid, epoch";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        for (Claim claim : part) {
          ps.setString(i++, claim.job().uuid());
        }
        ps.setString(i++, board);
        for (Claim claim : part) {
          ps.setString(i++, claim.job().uuid());
          ps.setLong(i++, claim.token());
          ps.setString(i++, claim.owner().id());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            deleted.add(rs.getString(1) + "/" + rs.getLong(2));
          }
        }
      }
    }
    Map<Claim, FencedException> stale = new LinkedHashMap<>();
    for (Claim claim : live) {
      if (!deleted.contains(claim.job().uuid() + "/" + claim.token())) {
        stale.put(claim, notHeld(claim, "complete"));
      }
    }
    return stale;
  }

  /** MariaDB/MySQL: one fenced delete per claim, in the one transaction. */
  private Map<Claim, FencedException> deleteHeldOneByOne(java.sql.Connection c, List<Claim> live)
      throws SQLException {
    Map<Claim, FencedException> stale = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM taskflow4j_jobs WHERE " + table.heldBy)) {
      for (Claim claim : live) {
        table.bindHeld(ps, 1, claim);
        if (ps.executeUpdate() == 0) {
          stale.put(claim, notHeld(claim, "complete"));
        }
      }
    }
    return stale;
  }

  @Override
  protected void releaseJob(Claim claim, String failure) {
    if (failure != null) {
      LOG.info("Job {} given back after a failure: {}", claim.job().uuid(), failure);
    }
    backend.run(
        "releasing job '" + claim.job().uuid() + "'",
        true,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE taskflow4j_jobs SET owner = NULL, lease_until = NULL,"
                      + " failures = failures + ? WHERE "
                      + table.heldBy)) {
            ps.setInt(1, failure == null ? 0 : 1);
            table.bindHeld(ps, 2, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "release");
            }
          }
          notifications.notifyPeers(c, JobEvent.Kind.RELEASED, claim.job().uuid());
          return null;
        });
  }

  @Override
  protected void trashJob(Claim claim, String reason) {
    backend.run(
        "trashing job '" + claim.job().uuid() + "'",
        true,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO taskflow4j_jobs_trash (board, "
                      + SqlJobRows.COLUMNS
                      + ", lease_until, reason, trashed_on) SELECT board, "
                      + SqlJobRows.COLUMNS
                      + ", lease_until, ?, ? FROM taskflow4j_jobs WHERE "
                      + table.heldBy)) {
            ps.setString(1, reason);
            rows.time(ps, 2, clock().instant());
            table.bindHeld(ps, 3, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "trash");
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM taskflow4j_jobs WHERE uuid = ?")) {
            ps.setString(1, claim.job().uuid());
            ps.executeUpdate();
          }
          return null;
        });
  }

  // A job's fence row outlives the job: were it removed, an owner that paused between its claim
  // and its own advanceFence could register its stale token afresh after the job was completed,
  // and write to a finished flow. One small row per job ever claimed is the price.

  // ---------------------------------------------------------------- waiting for work

  @Override
  protected boolean hasClaimableWork() {
    return backend.run(
        "looking for claimable jobs on board '" + board + "'",
        false,
        c -> {
          // any claimable job will do, in no order: no plan sorts the board's jobs for it
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT 1 FROM taskflow4j_jobs WHERE board = ? AND "
                      + table.claimable
                      + " LIMIT 1")) {
            ps.setString(1, board);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Override
  protected Duration pollInterval() {
    // Lapsed leases send no notification: look a few times per lease. PostgreSQL is told of
    // posts and releases at once; elsewhere the poll finds those too, so it is kept short.
    Duration quarter = leaseTime().dividedBy(4);
    if (dialect == Dialect.POSTGRESQL) {
      return quarter;
    }
    return quarter.compareTo(MAX_POLL) < 0 ? quarter : MAX_POLL;
  }

  // ---------------------------------------------------------------- conductors

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    Objects.requireNonNull(conductor, "conductor");
    ensureOpen();
    return conductors.register(conductor, meta, this::isClosed);
  }

  @Override
  public List<ConductorInfo> conductors() {
    return conductors.list();
  }

  /**
   * Stops the heartbeats, notifications and renewals and closes the connections; held claims lapse,
   * conductors registered here are removed.
   */
  @Override
  public void close() {
    if (isClosed()) {
      return;
    }
    super.close();
    conductors.close();
    notifications.awaitStop();
    backend.close();
  }
}
