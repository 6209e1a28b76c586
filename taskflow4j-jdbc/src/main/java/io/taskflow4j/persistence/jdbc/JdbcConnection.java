package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.UpgradeResult;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The SQL backend's {@link Connection}. Holds nothing itself: every call borrows a pooled JDBC
 * connection for one short transaction.
 *
 * <p>Writes use prepared statements only. {@link #updateAtomDetails} is a single {@code UPDATE ...
 * SET ..., revision = revision + 1 WHERE uuid = ? [AND revision = ?]}; only when it matches no row
 * does a cheap {@code SELECT} tell a missing atom from a stale revision. New atoms of a flow are
 * inserted in one JDBC batch; a flow's atoms are read in one query.
 *
 * <p>A {@link #fenced(Fence) fenced} connection starts every write transaction by reading its fence
 * row from {@code taskflow4j_fences} with a shared lock (a plain read on SQLite, whose writers are
 * serialized; on PostgreSQL the read is a condition of the transaction's first {@code UPDATE}, see
 * {@link #fenceInUpdate}) and rolls back with a {@link FencedException} unless the stored token is
 * its own. The lock holds until commit, so a takeover ({@link #advanceFence}, or a claim, which
 * raises the row in its own transaction) waits for a write already checked, and every write checked
 * after it sees the new token. A writer paused inside its transaction has its session ended by the
 * server (see {@link JdbcSettings#DEFAULT_TRANSACTION_IDLE_TIMEOUT}), so that wait is bounded.
 */
final class JdbcConnection implements Connection {
  /** Bound parameters per IN list, well under every database's limit. */
  static final int IN_CHUNK = 500;

  final JdbcBackend backend;
  final Dialect dialect;
  final Rows rows;
  final Fence fence; // null when not fenced
  final JobCompletion completion; // null unless a fenced view completes its job with its flow
  private volatile boolean closed;
  private volatile StoreLimits limits;
  final JdbcWriter writer;
  final JdbcReader reader;
  final JdbcFlowFinder finder;

  JdbcConnection(JdbcBackend backend) {
    this(backend, null, null);
  }

  private JdbcConnection(JdbcBackend backend, Fence fence, JobCompletion completion) {
    this.backend = backend;
    this.dialect = backend.dialect();
    this.rows = new Rows(dialect);
    this.fence = fence;
    this.completion = completion;
    this.writer = new JdbcWriter(this);
    this.reader = new JdbcReader(this);
    this.finder = new JdbcFlowFinder(this);
  }

  @Override
  public Backend backend() {
    return backend;
  }

  void ensureOpen() {
    if (closed) {
      throw new StorageException("this connection is closed; get a new one from the backend");
    }
  }

  @Override
  public void upgrade() {
    upgradeWithResult();
  }

  @Override
  public UpgradeResult upgradeWithResult() {
    ensureOpen();
    return backend.upgrade();
  }

  /**
   * Looks at the store afresh: passes when it has the schema this code writes; otherwise throws
   * what was found: {@link io.taskflow4j.persistence.UpgradeRequiredException} for a store that
   * reads as it is and that {@link #upgrade()} adopts or finishes (a TaskFlow store, an earlier
   * taskflow4j schema, an upgrade stopped half-way), {@link
   * io.taskflow4j.persistence.IncompatibleVersionException} for one it cannot adopt, a {@link
   * StorageException} when there is no store.
   */
  @Override
  public void validate() {
    ensureOpen();
    StoreLayout l = backend.inspect();
    if (!l.writable()) {
      throw l.problem(null);
    }
  }

  @Override
  public void clearAll() {
    ensureOpen();
    write(
        "clearing all logbooks",
        c -> {
          checkFence(c, "clearing all logbooks");
          try (Statement st = c.createStatement()) {
            // Children first: TaskFlow-made SQLite files may hold rows its backend orphaned.
            st.executeUpdate("DELETE FROM atomdetails");
            st.executeUpdate("DELETE FROM flowdetails");
            st.executeUpdate("DELETE FROM logbooks");
          }
          return null;
        });
  }

  // ---------------------------------------------------------------- fencing

  @Override
  public void advanceFence(Fence f) {
    Objects.requireNonNull(f, "fence");
    ensureOpen();
    backend.run(
        "advancing the fence of job '" + f.key() + "' to token " + f.token(),
        true,
        c -> {
          long stored = raiseFence(c, dialect, f);
          if (stored > f.token()) {
            throw new FencedException(
                "Cannot advance the fence of job '"
                    + f.key()
                    + "' to token "
                    + f.token()
                    + ": the store holds the higher token "
                    + stored
                    + " (a peer claimed the job since); stop working on this job");
          }
          return null;
        });
  }

  /**
   * Raises the fence row of {@code f} to its token unless it is higher already (inserting it when
   * absent), locking the row until commit; returns the token stored now.
   */
  static long raiseFence(java.sql.Connection c, Dialect dialect, Fence f) throws SQLException {
    Long stored = null;
    boolean returning = dialect.updateReturning();
    try (PreparedStatement ps =
        c.prepareStatement(dialect.upsertFence() + (returning ? " RETURNING token" : ""))) {
      ps.setString(1, f.key());
      ps.setLong(2, f.token());
      if (returning) {
        try (ResultSet rs = ps.executeQuery()) {
          stored = rs.next() ? rs.getLong(1) : null;
        }
      } else {
        ps.executeUpdate();
      }
    }
    if (!returning) {
      stored = readFence(c, f.key(), "");
    }
    if (stored == null) {
      throw new SQLException("the fence row of '" + f.key() + "' vanished after its upsert");
    }
    return stored;
  }

  static Long readFence(java.sql.Connection c, String key, String lock) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT token FROM taskflow4j_fences WHERE fence_key = ?" + lock)) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  @Override
  public Connection fenced(Fence f) {
    Objects.requireNonNull(f, "fence");
    ensureOpen();
    return new JdbcConnection(backend, f, null);
  }

  /**
   * A fenced view that also does the SQL board's completion of the job ({@link JobCompletion}) in
   * the write of its flow's final state, when the board's rows are in this connection's database;
   * any other work is left undone, as a store that does not know it leaves it.
   */
  @Override
  public Connection fenced(Fence f, io.taskflow4j.persistence.spi.FinalStateWork onFinalState) {
    Objects.requireNonNull(f, "fence");
    Objects.requireNonNull(onFinalState, "onFinalState");
    ensureOpen();
    JobCompletion c = onFinalState instanceof JobCompletion jc && jc.doneBy(backend) ? jc : null;
    return new JdbcConnection(backend, f, c);
  }

  @Override
  public OptionalLong fenceToken(String key) {
    Objects.requireNonNull(key, "key");
    ensureOpen();
    Long stored =
        backend.run("reading the fence of job '" + key + "'", false, c -> readFence(c, key, ""));
    return stored == null ? OptionalLong.empty() : OptionalLong.of(stored);
  }

  /**
   * True: {@link JdbcBackend#run} retries every transient failure of a transaction itself, and a
   * commit whose outcome it cannot tell is reported as such (a {@link
   * io.taskflow4j.persistence.WriteOutcomeUnknownException}), never retried blindly. A fenced view
   * writes through the same backend and answers the same.
   */
  @Override
  public boolean retriesTransientErrors() {
    return true;
  }

  /**
   * Runs a write transaction (see {@link JdbcBackend#run}). On a fenced connection whose commit
   * failed with its outcome unknown (the session was lost while committing: the server ended it
   * while the process was paused before its commit, or the network failed), the fence is read
   * afresh: if a peer holds a newer token, the claim is lost whatever became of this last write
   * (one that landed did so while its token was still the newest), and the caller gets the {@link
   * FencedException} that tells it to stop, not a storage error to retry.
   */
  <T> T write(String what, JdbcBackend.Work<T> work) {
    return settle(what, () -> backend.run(what, true, work));
  }

  /**
   * As {@link #write}, in the backend's next {@link GroupCommit group commit} (see {@link
   * GroupCommit#submit} for {@code relaxed} and {@code isolated}); done alone, as one statement
   * when {@code single} is given ({@link JdbcBackend#runOneStatement}).
   *
   * <p>On PostgreSQL an isolated write (several statements, such as a flow written with its atoms)
   * is always done alone, in a transaction of its own: in a group it would run on the group's one
   * connection after the group's other writes, each of them waiting for all, where alone it runs
   * beside them on its own connection, and the server flushes the log for commits that arrive
   * together at once. One conductor running eight one-task jobs at a time did 429-504 jobs/s with
   * such writes grouped and 727-761 with group commit off; grouped atom updates, one statement
   * batch, stay grouped.
   */
  <T> T writeGrouped(
      String what,
      boolean relaxed,
      boolean isolated,
      JdbcBackend.Work<T> work,
      JdbcBackend.OneStatement<T> single) {
    if (!backend.settings().groupCommit()
        || (isolated && backend.dialect() == Dialect.POSTGRESQL)) {
      return settle(what, () -> backend.runAlone(what, relaxed, work, single));
    }
    return settle(what, () -> backend.groupCommit().submit(what, relaxed, isolated, work, single));
  }

  /**
   * An atom-detail update in the backend's next group commit, where it may be batched with the
   * group's other atom updates ({@link JdbcWriter#updateAtomsBatched}); {@code work} does it alone,
   * {@code single} (when given) as one statement.
   */
  AtomDetail writeGroupedAtom(
      AtomDetail ad,
      boolean relaxed,
      JdbcBackend.Work<AtomDetail> work,
      JdbcBackend.OneStatement<AtomDetail> single) {
    String what = "updating atom detail '" + ad.uuid() + "'";
    if (!backend.settings().groupCommit()) {
      return settle(what, () -> backend.runAlone(what, relaxed, work, single));
    }
    return settle(
        what, () -> backend.groupCommit().submitAtom(this, ad, what, relaxed, work, single));
  }

  /**
   * Updates of several atoms, all or none, each with a revision to check, in the backend's next
   * group commit, where their rows may be batched with the group's other atom updates ({@link
   * GroupCommit#submitAtoms}); {@code work} does them alone, {@code single} (when given) as one
   * statement.
   */
  List<AtomDetail> writeGroupedAtoms(
      List<AtomDetail> ads,
      String what,
      boolean relaxed,
      JdbcBackend.Work<List<AtomDetail>> work,
      JdbcBackend.OneStatement<List<AtomDetail>> single) {
    if (!backend.settings().groupCommit()) {
      return settle(what, () -> backend.runAlone(what, relaxed, work, single));
    }
    return settle(
        what, () -> backend.groupCommit().submitAtoms(this, ads, what, relaxed, work, single));
  }

  private <T> T settle(String what, java.util.function.Supplier<T> write) {
    try {
      return write.get();
    } catch (JdbcBackend.CommitOutcomeUnknownException e) {
      if (fence == null) {
        throw e;
      }
      Long stored;
      try {
        stored =
            backend.run(
                "reading the fence of job '" + fence.key() + "'",
                false,
                c -> readFence(c, fence.key(), ""));
      } catch (RuntimeException again) {
        e.addSuppressed(again);
        throw e;
      }
      if (stored != null && stored == fence.token()) {
        throw e;
      }
      throw new FencedException(
          "The commit of "
              + what
              + " was lost with its connection, and the claim on job '"
              + fence.key()
              + "' with token "
              + fence.token()
              + " is stale: the store holds token "
              + stored
              + " (a peer took the job over; the write may or may not have landed before that)."
              + " Stop working on this job",
          e);
    }
  }

  /**
   * On a fenced connection, the first step of every write transaction (unless the fence goes into
   * its first {@code UPDATE}: {@link #fenceInUpdate}): reads the fence row with a shared lock held
   * until commit, and refuses the write unless the stored token is this one's. Held across the
   * transaction's round trips, that lock would let a paused owner stop a takeover for as long as it
   * sleeps; the server ends such a session after {@code transaction_idle_timeout} (see {@link
   * ConnectionSource#initSql}), which releases it.
   */
  void checkFence(java.sql.Connection c, String what) throws SQLException {
    if (fence == null) {
      return;
    }
    checkFenceNow(c, what);
  }

  /**
   * Whether this connection's fence is checked inside the first {@code UPDATE} of a write, as a
   * condition on the fence row read with the same shared lock ({@link #FENCE_CONDITION}), instead
   * of by a read of its own before it: one round trip fewer per write transaction. PostgreSQL only,
   * where a locking clause in a subquery takes the row lock as the read before it would. When the
   * {@code UPDATE} matches no row, {@link #checkFenceNow} tells a stale fence from a stale
   * revision.
   */
  boolean fenceInUpdate() {
    return fence != null && dialect == Dialect.POSTGRESQL;
  }

  /** The condition {@link #fenceInUpdate} adds to an {@code UPDATE}: two parameters. */
  static final String FENCE_CONDITION =
      " AND EXISTS (SELECT 1 FROM taskflow4j_fences WHERE fence_key = ? AND token = ? FOR SHARE)";

  /** Binds {@link #FENCE_CONDITION}'s parameters from {@code i}; the next index. */
  int bindFence(PreparedStatement ps, int i) throws SQLException {
    ps.setString(i++, fence.key());
    ps.setLong(i++, fence.token());
    return i;
  }

  /** {@link #checkFence} of a fenced connection, also where the fence went into an UPDATE. */
  void checkFenceNow(java.sql.Connection c, String what) throws SQLException {
    Long stored = readFence(c, fence.key(), dialect.forShare());
    if (stored == null || stored != fence.token()) {
      throw FencedException.stale(fence, stored, what);
    }
  }

  /**
   * The limits of this store, read from its columns once per connection: a store TaskFlow made may
   * declare other sizes than ours.
   */
  @Override
  public StoreLimits limits() {
    ensureOpen();
    StoreLimits l = limits;
    if (l == null) {
      l = backend.run("reading the column sizes", false, c -> SqlLimits.read(c, dialect));
      limits = l;
    }
    return l;
  }

  /** Books read by one query of {@link #forEachLogBook} (with their flows and atoms). */
  static final int SCAN_PAGE = 100;

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "JdbcConnection{"
        + backend.settings().describe()
        + (fence == null ? "" : ", fenced by " + fence)
        + '}';
  }

  // ---------------------------------------------------------------- reads and writes

  @Override
  public LogBook saveLogBook(LogBook book) {
    return writer.saveLogBook(book);
  }

  @Override
  public LogBook replaceLogBook(LogBook book) {
    return writer.replaceLogBook(book);
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail fd) {
    return writer.updateFlowDetails(fd);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail ad) {
    return writer.updateAtomDetails(ad);
  }

  @Override
  public List<AtomDetail> updateAtomDetails(List<AtomDetail> atomDetails) {
    return writer.updateAtomDetails(atomDetails);
  }

  /** Yes: in one transaction. */
  @Override
  public boolean updatesAtomsTogether() {
    return true;
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    writer.destroyLogBook(bookUuid);
  }

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    return reader.getLogBook(bookUuid, lazy);
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    return reader.getLogBooks(lazy);
  }

  @Override
  public void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    reader.forEachLogBook(lazy, books, damaged);
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    return reader.getFlowsForBook(bookUuid);
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    return reader.getFlowDetails(flowUuid, lazy);
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    return reader.getAtomDetails(atomUuid);
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return reader.getAtomsForFlow(flowUuid);
  }

  /**
   * One indexed keyset query, then one grouped count of the page's atoms: see {@link
   * JdbcFlowFinder}. The listing reads columns only, never a JSON record, so it meets no damaged
   * record ({@code damaged} is never called): a damaged one is met when its flow is read.
   */
  @Override
  public FlowPage findFlows(
      FlowQuery query,
      java.util.function.Consumer<? super io.taskflow4j.persistence.CorruptRecordException>
          damaged) {
    return finder.findFlows(query);
  }

  @Override
  public Map<FlowState, Long> countFlows(FlowQuery query) {
    return finder.countFlows(query);
  }

  /**
   * One transaction: the flow's revision read under a lock, then its atoms and row deleted; on a
   * fenced view the fence is checked first, in the same transaction.
   */
  @Override
  public void destroyFlowDetail(String flowUuid, long revision) {
    writer.destroyFlowDetail(flowUuid, revision);
  }

  /** One transaction for the whole batch: see {@code JdbcWriter.destroyFlowDetails}. */
  @Override
  public java.util.Set<String> destroyFlowDetails(java.util.Map<String, Long> revisions) {
    return writer.destroyFlowDetails(revisions);
  }

  /** One conditional DELETE; on a fenced view, after the fence check in the same transaction. */
  @Override
  public boolean destroyLogBookIfEmpty(String bookUuid) {
    return writer.destroyLogBookIfEmpty(bookUuid);
  }
}
