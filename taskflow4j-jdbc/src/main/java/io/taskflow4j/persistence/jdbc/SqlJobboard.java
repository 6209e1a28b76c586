package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.jobs.AbstractJobboard;
import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
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
 *       ({@link #startLease}), not from when it began waiting for them.
 *   <li>Renewal, completion, release and trashing match the row on (uuid, epoch, owner, lease not
 *       lapsed); matching nothing means the claim was lost ({@link FencedException}).
 *   <li>Idle waiting: PostgreSQL {@code LISTEN}s on one dedicated connection (posts and releases
 *       {@code NOTIFY}), plus an indexed poll for lapsed leases; the others poll that index.
 * </ul>
 */
final class SqlJobboard extends AbstractJobboard {
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobboard.class);
  private static final String CHANNEL = "taskflow4j_jobs";
  private static final AtomicInteger BOARDS = new AtomicInteger();
  // The listener's reconnect waits: a lost server is retried soon, a long outage every 5 s.
  private static final Backoff LISTEN_BACKOFF =
      Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5));
  private static final Duration MAX_POLL = Duration.ofMillis(500);

  /** The columns of a job row, in the order {@link #readJob} reads them. */
  private static final String COLUMNS =
      "uuid, name, book_name, book_uuid, details, priority, seq, created_on, owner, epoch,"
          + " failures, idempotency_key";

  /** SQLite's clock in milliseconds since the epoch (its lease columns hold such numbers). */
  private static final String SQLITE_NOW =
      "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;
  private final String board;
  private final String instance = UUID.randomUUID().toString();
  private final ScheduledExecutorService heartbeats;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  private final Thread listener; // PostgreSQL only, else null

  /** SQL of this dialect, built once. */
  private final String now;

  private final String claimable;
  private final String heldBy;

  private SqlJobboard(JdbcBackend backend, String board, Duration leaseTime, Clock clock) {
    super(leaseTime, clock);
    this.backend = backend;
    this.dialect = backend.dialect();
    this.rows = new Rows(dialect);
    this.board = board;
    this.now =
        switch (dialect) {
          case POSTGRESQL -> "now()";
          case MYSQL -> "NOW(6)";
          case SQLITE -> SQLITE_NOW;
        };
    this.claimable = "(owner IS NULL OR lease_until < " + now + ")";
    this.heldBy = "uuid = ? AND board = ? AND epoch = ? AND owner = ? AND lease_until > " + now;
    int n = BOARDS.incrementAndGet();
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("taskflow4j-sqlboard-" + n + "-heartbeat"));
    long every = Math.max(30, leaseTime.toMillis() / 3);
    heartbeats.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    if (dialect == Dialect.POSTGRESQL) {
      listener = DaemonThreads.create("taskflow4j-sqlboard-" + n + "-listener", this::listen);
      listener.start();
    } else {
      listener = null;
    }
  }

  /**
   * Opens the board of a configuration ({@code lease}, {@code board} besides the SQL backend's
   * keys), bringing the schema up to date first.
   */
  static SqlJobboard open(BackendConf conf) {
    Duration lease = Jobboards.leaseTime(conf);
    String board = conf.getString(Jobboards.BOARD).orElse("default");
    if (board.isBlank() || board.length() > 255) {
      throw new InvalidConfigurationException(
          "'board' must be 1 to 255 characters, not '" + board + "'");
    }
    JdbcBackend backend = new JdbcBackend(conf, JdbcCommitHook.NONE);
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

  /** The database's clock plus ({@code sign} 1) or minus (-1) a bound number of milliseconds. */
  private String nowPlusMillis(int sign) {
    return plusMillis(now, sign);
  }

  /** {@code time} plus ({@code sign} 1) or minus (-1) a bound number of milliseconds. */
  private String plusMillis(String time, int sign) {
    String op = sign > 0 ? " + " : " - ";
    return switch (dialect) {
      case POSTGRESQL -> time + op + "CAST(? AS BIGINT) * INTERVAL '1 millisecond'";
      case MYSQL -> time + op + "INTERVAL (? * 1000) MICROSECOND";
      case SQLITE -> "(" + time + op + "?)";
    };
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
                Optional<Job> mine = select(c, "uuid = ?", uuid);
                if (mine.isPresent()) {
                  inserted[0] = true;
                  notifyPeers(c, JobEvent.Kind.POSTED, uuid);
                  return mine.get();
                }
                if (spec.idempotencyKey() != null) {
                  Optional<Job> existing = select(c, "idempotency_key = ?", spec.idempotencyKey());
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

  /** The job of this board matching {@code where} (one bound string), as listed now. */
  private Optional<Job> select(java.sql.Connection c, String where, String arg)
      throws SQLException {
    List<Job> found = list(c, where, arg);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  /** The jobs of this board matching {@code where} (none or one bound string), claiming order. */
  private List<Job> list(java.sql.Connection c, String where, String arg) throws SQLException {
    String sql =
        "SELECT "
            + COLUMNS
            + ", CASE WHEN owner IS NOT NULL AND lease_until >= "
            + now
            + " THEN 1 ELSE 0 END AS held FROM taskflow4j_jobs WHERE board = ?"
            + (where == null ? "" : " AND " + where)
            + " ORDER BY priority, seq";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, board);
      if (arg != null) {
        ps.setString(2, arg);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<Job> out = new ArrayList<>();
        while (rs.next()) {
          boolean held = rs.getInt("held") == 1;
          out.add(readJob(rs, held ? JobState.CLAIMED : JobState.UNCLAIMED, held));
        }
        return out;
      }
    }
  }

  /** The job of the current row; {@code withOwner} keeps its owner column. */
  private Job readJob(ResultSet rs, JobState state, boolean withOwner) throws SQLException {
    String bookName = rs.getString("book_name");
    String bookUuid = rs.getString("book_uuid");
    JobPriority priority;
    try {
      priority = JobPriority.ofCode(rs.getInt("priority"));
    } catch (IncompatibleVersionException e) {
      throw new IncompatibleVersionException(
          "Job '" + rs.getString("uuid") + "' on board '" + board + "': " + e.getMessage(), e);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> details =
        Json.read(rs.getString("details")) instanceof Map<?, ?> m
            ? (Map<String, Object>) m
            : Map.of();
    return new Job(
        rs.getString("uuid"),
        rs.getString("name"),
        bookUuid == null ? null : new BookRef(bookName == null ? "" : bookName, bookUuid),
        details,
        priority,
        rs.getLong("seq"),
        rows.time(rs, "created_on"),
        state,
        withOwner ? rs.getString("owner") : null,
        rs.getLong("epoch"),
        rs.getInt("failures"),
        rs.getString("idempotency_key"));
  }

  @Override
  public List<Job> jobs() {
    return backend.run(
        "listing the jobs of board '" + board + "'", false, c -> list(c, null, null));
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    return backend.run("reading job '" + jobUuid + "'", false, c -> select(c, "uuid = ?", jobUuid));
  }

  @Override
  public List<Job> trashedJobs() {
    return backend.run(
        "listing the trash of board '" + board + "'",
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM taskflow4j_jobs_trash WHERE board = ? ORDER BY seq")) {
            ps.setString(1, board);
            try (ResultSet rs = ps.executeQuery()) {
              List<Job> out = new ArrayList<>();
              while (rs.next()) {
                out.add(readJob(rs, JobState.TRASHED, false));
              }
              return out;
            }
          }
        });
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
                          + nowPlusMillis(1)
                          + " WHERE uuid = ? AND board = ? AND "
                          + claimable)) {
                ps.setString(1, owner.id());
                ps.setLong(2, leaseTime().toMillis());
                ps.setString(3, jobUuid);
                ps.setString(4, board);
                n = ps.executeUpdate();
              }
              Optional<Job> job = select(c, "uuid = ?", jobUuid);
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
    Optional<Job> claimed =
        backend.run(
            "claiming the next job of board '" + board + "'",
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

  private String firstClaimable() {
    return "SELECT uuid FROM taskflow4j_jobs WHERE board = ? AND "
        + claimable
        + " ORDER BY priority, seq LIMIT 1";
  }

  /** PostgreSQL and SQLite: one {@code UPDATE … RETURNING} of the first claimable row. */
  private Optional<Job> claimNextAtOnce(java.sql.Connection c, OwnerId owner) throws SQLException {
    String sql =
        "UPDATE taskflow4j_jobs SET owner = ?, epoch = epoch + 1, lease_until = "
            + nowPlusMillis(1)
            + " WHERE uuid = ("
            + firstClaimable()
            + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "")
            + ") RETURNING "
            + COLUMNS;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      ps.setString(3, board);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(readJob(rs, JobState.CLAIMED, true)) : Optional.empty();
      }
    }
  }

  /** MariaDB/MySQL (no {@code UPDATE … RETURNING}): lock the first free row, update, read it. */
  private Optional<Job> claimNextLocked(java.sql.Connection c, OwnerId owner) throws SQLException {
    String uuid;
    try (PreparedStatement ps = c.prepareStatement(firstClaimable() + " FOR UPDATE SKIP LOCKED")) {
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
                + nowPlusMillis(1)
                + " WHERE uuid = ?")) {
      ps.setString(1, owner.id());
      ps.setLong(2, leaseTime().toMillis());
      ps.setString(3, uuid);
      ps.executeUpdate();
    }
    return select(c, "uuid = ?", uuid);
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
    if (dialect == Dialect.SQLITE) {
      return started;
    }
    Instant local = clock().instant();
    String grantedNow = dialect == Dialect.POSTGRESQL ? "clock_timestamp()" : "NOW(6)";
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE taskflow4j_jobs SET lease_until = "
                + plusMillis(grantedNow, 1)
                + " WHERE uuid = ?")) {
      ps.setLong(1, leaseTime().toMillis());
      ps.setString(2, jobUuid);
      ps.executeUpdate();
    }
    return local;
  }

  /** Raises the job's fence to its new epoch, in the claim's transaction. */
  private Job fence(java.sql.Connection c, Job job) throws SQLException {
    long stored = JdbcConnection.raiseFence(c, dialect, new Fence(job.uuid(), job.token()));
    if (stored != job.token()) {
      // Only when someone advanced the fence by hand past the board's epochs.
      throw new FencedException(
          "Cannot claim job '"
              + job.uuid()
              + "': its fence holds token "
              + stored
              + ", above the job's epoch "
              + job.token());
    }
    return job;
  }

  // ---------------------------------------------------------------- held claims

  /** Binds {@link #heldBy} from {@code index}. */
  private void bindHeld(PreparedStatement ps, int index, Claim claim) throws SQLException {
    ps.setString(index, claim.job().uuid());
    ps.setString(index + 1, board);
    ps.setLong(index + 2, claim.token());
    ps.setString(index + 3, claim.owner().id());
  }

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
                      + nowPlusMillis(1)
                      + " WHERE "
                      + heldBy)) {
            ps.setLong(1, leaseTime().toMillis());
            bindHeld(ps, 2, claim);
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
    backend.run(
        "completing job '" + claim.job().uuid() + "'",
        true,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM taskflow4j_jobs WHERE " + heldBy)) {
            bindHeld(ps, 1, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "complete");
            }
          }
          return null;
        });
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
                      + heldBy)) {
            ps.setInt(1, failure == null ? 0 : 1);
            bindHeld(ps, 2, claim);
            if (ps.executeUpdate() == 0) {
              throw notHeld(claim, "release");
            }
          }
          notifyPeers(c, JobEvent.Kind.RELEASED, claim.job().uuid());
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
                      + COLUMNS
                      + ", lease_until, reason, trashed_on) SELECT board, "
                      + COLUMNS
                      + ", lease_until, ?, ? FROM taskflow4j_jobs WHERE "
                      + heldBy)) {
            ps.setString(1, reason);
            rows.time(ps, 2, clock().instant());
            bindHeld(ps, 3, claim);
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
          try (PreparedStatement ps = c.prepareStatement(firstClaimable())) {
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

  /** PostgreSQL: tells the other boards, at commit, what happened to a job. */
  private void notifyPeers(java.sql.Connection c, JobEvent.Kind kind, String jobUuid)
      throws SQLException {
    if (dialect != Dialect.POSTGRESQL) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, kind.name() + "|" + instance + "|" + jobUuid + "|" + board);
      ps.executeQuery().close();
    }
  }

  /** The PostgreSQL listener thread: LISTEN on a connection of its own, reconnecting on loss. */
  private void listen() {
    int failures = 0;
    boolean relisten = false;
    while (!isClosed()) {
      java.sql.Connection c = null;
      try {
        c = backend.source().get(false);
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + CHANNEL);
        }
        failures = 0;
        if (relisten) {
          // Whatever was posted while nobody listened is found by claiming now.
          signalWork();
        }
        relisten = true;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!isClosed()) {
          PGNotification[] ns = pg.getNotifications(250);
          if (ns != null) {
            for (PGNotification n : ns) {
              onNotification(n.getParameter());
            }
          }
        }
      } catch (SQLException | TaskFlowException e) {
        if (isClosed()) {
          return;
        }
        LOG.debug("{}: listening for job notifications failed, retrying: {}", describe(), e);
        try {
          LISTEN_BACKOFF.sleep(++failures);
        } catch (InterruptedException ie) {
          return;
        }
      } finally {
        unlistenAndClose(c);
      }
    }
  }

  private void unlistenAndClose(java.sql.Connection c) {
    if (c == null) {
      return;
    }
    try {
      try (Statement st = c.createStatement()) {
        // The connection goes back to the pool: it must not keep collecting notifications.
        st.execute("UNLISTEN *");
      }
    } catch (SQLException e) {
      LOG.debug("could not UNLISTEN on {}", backend.settings().describe(), e);
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("could not hand back the listening connection", e);
    }
  }

  private void onNotification(String payload) {
    String[] p = payload == null ? new String[0] : payload.split("\\|", 4);
    if (p.length != 4 || !p[3].equals(board) || p[1].equals(instance)) {
      return;
    }
    try {
      emit(JobEvent.Kind.valueOf(p[0]), p[2], null);
    } catch (IllegalArgumentException e) {
      LOG.debug("ignoring a job notification of unknown kind: {}", payload);
    }
  }

  // ---------------------------------------------------------------- conductors

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    Objects.requireNonNull(conductor, "conductor");
    ensureOpen();
    String id = conductor.id();
    backend.run(
        "registering conductor '" + id + "'",
        true,
        c -> {
          deleteConductor(c, id);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO taskflow4j_conductors (id, board, name, host, pid, since,"
                      + " heartbeat, meta) VALUES (?, ?, ?, ?, ?, ?, "
                      + now
                      + ", ?)")) {
            ps.setString(1, id);
            ps.setString(2, board);
            ps.setString(3, conductor.name());
            ps.setString(4, HostIdentity.hostName());
            ps.setLong(5, HostIdentity.pid());
            rows.time(ps, 6, clock().instant());
            ps.setString(7, Json.write(meta == null ? Map.of() : meta));
            ps.executeUpdate();
          }
          return null;
        });
    registered.add(id);
    return () -> {
      if (registered.remove(id) && !isClosed()) {
        unregister(id);
      }
    };
  }

  private void unregister(String id) {
    backend.run(
        "unregistering conductor '" + id + "'",
        true,
        c -> {
          deleteConductor(c, id);
          return null;
        });
  }

  private void deleteConductor(java.sql.Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM taskflow4j_conductors WHERE id = ? AND board = ?")) {
      ps.setString(1, id);
      ps.setString(2, board);
      ps.executeUpdate();
    }
  }

  /** Renews the heartbeat of every conductor registered through this board. */
  private void heartbeat() {
    for (String id : registered) {
      try {
        backend.run(
            "renewing the heartbeat of conductor '" + id + "'",
            true,
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE taskflow4j_conductors SET heartbeat = "
                          + now
                          + " WHERE id = ? AND board = ?")) {
                ps.setString(1, id);
                ps.setString(2, board);
                ps.executeUpdate();
              }
              return null;
            });
      } catch (TaskFlowException e) {
        LOG.warn("{}: could not renew the heartbeat of {}: {}", describe(), id, e.getMessage());
      }
    }
  }

  @Override
  public List<ConductorInfo> conductors() {
    return backend.run(
        "listing the conductors of board '" + board + "'",
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, name, host, pid, since, meta FROM taskflow4j_conductors"
                      + " WHERE board = ? AND heartbeat > "
                      + nowPlusMillis(-1)
                      + " ORDER BY since, id")) {
            ps.setString(1, board);
            ps.setLong(2, leaseTime().toMillis());
            try (ResultSet rs = ps.executeQuery()) {
              List<ConductorInfo> out = new ArrayList<>();
              while (rs.next()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> meta =
                    Json.read(rs.getString("meta")) instanceof Map<?, ?> m
                        ? (Map<String, Object>) m
                        : Map.of();
                out.add(
                    new ConductorInfo(
                        rs.getString("id"),
                        rs.getString("name"),
                        rs.getString("host"),
                        rs.getLong("pid"),
                        rows.time(rs, "since"),
                        meta));
              }
              return out;
            }
          }
        });
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
    heartbeats.shutdownNow();
    for (String id : List.copyOf(registered)) {
      registered.remove(id);
      try {
        unregister(id);
      } catch (TaskFlowException e) {
        LOG.debug("could not unregister {} on close: {}", id, e.getMessage());
      }
    }
    if (listener != null) {
      try {
        listener.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    backend.close();
  }
}
