package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.UpgradeResult;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.spi.WriteRules.Kind;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * serialized) and rolls back with a {@link FencedException} unless the stored token is its own. The
 * lock holds until commit, so a takeover ({@link #advanceFence}, or a claim, which raises the row
 * in its own transaction) waits for a write already checked, and every write checked after it sees
 * the new token. A writer paused inside its transaction has its session ended by the server (see
 * {@link JdbcSettings#DEFAULT_TRANSACTION_IDLE_TIMEOUT}), so that wait is bounded.
 */
final class JdbcConnection implements Connection {
  /** Bound parameters per IN list, well under every database's limit. */
  private static final int IN_CHUNK = 500;

  /**
   * Rows bound before a batch is sent. Binding serializes each row's JSON on the client while the
   * transaction sits idle on the server, and a whole large flow's worth (100,000 atoms) took over a
   * second: longer than {@code transaction_idle_timeout}, which takes such a gap for a paused
   * client and ends the session.
   */
  private static final int BATCH_ROWS = 500;

  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;
  private final Fence fence; // null when not fenced
  private volatile boolean closed;
  private volatile StoreLimits limits;

  JdbcConnection(JdbcBackend backend) {
    this(backend, null);
  }

  private JdbcConnection(JdbcBackend backend, Fence fence) {
    this.backend = backend;
    this.dialect = backend.dialect();
    this.rows = new Rows(dialect);
    this.fence = fence;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  private void ensureOpen() {
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

  private static Long readFence(java.sql.Connection c, String key, String lock)
      throws SQLException {
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
    return new JdbcConnection(backend, f);
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
  private <T> T write(String what, JdbcBackend.Work<T> work) {
    try {
      return backend.run(what, true, work);
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
   * On a fenced connection, the first step of every write transaction: reads the fence row with a
   * shared lock held until commit, and refuses the write unless the stored token is this one's.
   * Held across the transaction's round trips, that lock would let a paused owner stop a takeover
   * for as long as it sleeps; the server ends such a session after {@code transaction_idle_timeout}
   * (see {@link ConnectionSource#initSql}), which releases it.
   */
  private void checkFence(java.sql.Connection c, String what) throws SQLException {
    if (fence == null) {
      return;
    }
    Long stored = readFence(c, fence.key(), dialect.forShare());
    if (stored == null || stored != fence.token()) {
      throw FencedException.stale(fence, stored, what);
    }
  }

  // ---------------------------------------------------------------- writes

  @Override
  public LogBook saveLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    ensureOpen();
    return write(
        "saving logbook '" + book.uuid() + "'",
        c -> {
          checkFence(c, "logbook '" + book.uuid() + "'");
          Map<String, Stored> storedFlows = stored(c, "flowdetails", flowUuids(book));
          Map<String, Stored> storedAtoms = stored(c, "atomdetails", atomUuids(book));
          // Check everything before writing anything: a conflict leaves the store as it was.
          WriteRules.checkBook(book, storedFlows::get, storedAtoms::get);
          Instant now = Instant.now();
          upsertBook(c, book);
          // An existing book keeps its creation time; the returned book says which it is.
          Instant created = storedCreatedAt(c, book.uuid());
          List<FlowDetail> newFlows = new ArrayList<>();
          for (FlowDetail fd : book.flows()) {
            if (!storedFlows.containsKey(fd.uuid())) {
              newFlows.add(fd);
            }
          }
          insertFlows(c, book.uuid(), newFlows, now);
          for (FlowDetail fd : book.flows()) {
            Stored sf = storedFlows.get(fd.uuid());
            if (sf != null) {
              updateFlowRow(c, fd, sf.revision(), now);
            }
          }
          List<FlowDetail> written = new ArrayList<>(book.size());
          for (FlowDetail fd : book.flows()) {
            long rev = WriteRules.nextRevision(storedFlows.get(fd.uuid()));
            written.add(writeAtoms(c, fd, storedAtoms, now).withRevision(rev));
          }
          return WriteRules.savedBook(book, created, written);
        });
  }

  /**
   * One transaction: deletes the stored book's rows (atoms, flows, book), then inserts {@code
   * book}'s. A flow or atom detail of another book, a value the columns refuse, a lost connection:
   * the transaction rolls back and the stored book is as it was.
   */
  @Override
  public LogBook replaceLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    ensureOpen();
    checkStorable(book);
    return backend.run(
        "replacing logbook '" + book.uuid() + "'",
        true,
        c -> {
          checkFence(c, "the replacement of logbook '" + book.uuid() + "'");
          deleteBookRows(c, book.uuid());
          // What is left with these uuids belongs to other books: refuse (rolled back).
          Map<String, Stored> otherFlows = stored(c, "flowdetails", flowUuids(book));
          if (!otherFlows.isEmpty()) {
            Map.Entry<String, Stored> e = otherFlows.entrySet().iterator().next();
            throw WriteRules.ownedElsewhere(
                Kind.FLOW, e.getKey(), e.getValue().owner(), book.uuid());
          }
          Map<String, Stored> otherAtoms = stored(c, "atomdetails", atomUuids(book));
          if (!otherAtoms.isEmpty()) {
            Map.Entry<String, Stored> e = otherAtoms.entrySet().iterator().next();
            throw WriteRules.alreadyBelongs(
                Kind.ATOM,
                e.getKey(),
                WriteRules.named(Kind.FLOW, e.getValue().owner())
                    + " of "
                    + WriteRules.another(Kind.LOGBOOK),
                WriteRules.named(Kind.LOGBOOK, book.uuid()));
          }
          Instant now = Instant.now();
          upsertBook(c, book);
          insertFlows(c, book.uuid(), book.flows(), now);
          List<FlowDetail> written = new ArrayList<>(book.size());
          for (FlowDetail fd : book.flows()) {
            written.add(writeAtoms(c, fd, Map.of(), now).withRevision(1));
          }
          return WriteRules.savedBook(book, null, written);
        });
  }

  private static List<String> flowUuids(LogBook book) {
    List<String> out = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      out.add(fd.uuid());
    }
    return out;
  }

  private static List<String> atomUuids(LogBook book) {
    List<String> out = new ArrayList<>();
    for (FlowDetail fd : book.flows()) {
      for (AtomDetail ad : fd.atoms()) {
        out.add(ad.uuid());
      }
    }
    return out;
  }

  /** Inserts the book's own row, or updates it (keeping its creation time). */
  private void upsertBook(java.sql.Connection c, LogBook book) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(dialect.upsertLogBook())) {
      rows.time(ps, 1, book.createdAt());
      rows.time(ps, 2, book.updatedAt());
      Rows.json(ps, 3, book.meta());
      ps.setString(4, book.name());
      ps.setString(5, book.uuid());
      ps.executeUpdate();
    }
  }

  /** The creation time the store holds for a book, {@code null} when it holds none. */
  private Instant storedCreatedAt(java.sql.Connection c, String bookUuid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT created_at AS b_created_at FROM logbooks WHERE uuid = ?")) {
      ps.setString(1, bookUuid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rows.time(rs, "b_created_at") : null;
      }
    }
  }

  /** Deletes a book's atoms, flows and row (children first: see {@link #destroyLogBook}). */
  private static void deleteBookRows(java.sql.Connection c, String bookUuid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM atomdetails WHERE parent_uuid IN"
                + " (SELECT uuid FROM flowdetails WHERE parent_uuid = ?)")) {
      ps.setString(1, bookUuid);
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM flowdetails WHERE parent_uuid = ?")) {
      ps.setString(1, bookUuid);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM logbooks WHERE uuid = ?")) {
      ps.setString(1, bookUuid);
      ps.executeUpdate();
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

  @Override
  public FlowDetail updateFlowDetails(FlowDetail fd) {
    Objects.requireNonNull(fd, "flowDetail");
    ensureOpen();
    return write(
        "updating flow detail '" + fd.uuid() + "'",
        c -> {
          checkFence(c, "flow detail '" + fd.uuid() + "'");
          Instant now = Instant.now();
          long rev =
              updateChecked(
                  c,
                  "UPDATE flowdetails SET updated_at = ?, meta = "
                      + dialect.json()
                      + ", name = ?, state = ?",
                  "flowdetails",
                  fd.uuid(),
                  fd.revision(),
                  null,
                  ps -> {
                    rows.time(ps, 1, now);
                    Rows.json(ps, 2, fd.meta());
                    ps.setString(3, fd.name());
                    ps.setString(4, fd.state().name());
                    return 5;
                  },
                  Kind.FLOW,
                  "; save it through its logbook first");
          List<String> atomUuids = new ArrayList<>(fd.size());
          for (AtomDetail ad : fd.atoms()) {
            atomUuids.add(ad.uuid());
          }
          Map<String, Stored> storedAtoms = stored(c, "atomdetails", atomUuids);
          WriteRules.checkAtoms(fd, storedAtoms::get);
          return writeAtoms(c, fd, storedAtoms, now).withRevision(rev);
        });
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail ad) {
    Objects.requireNonNull(ad, "atomDetail");
    ensureOpen();
    return write(
        "updating atom detail '" + ad.uuid() + "'",
        c -> {
          if (relaxedCommit(ad)) {
            try (Statement st = c.createStatement()) {
              st.execute("SET LOCAL synchronous_commit TO off");
            }
          }
          checkFence(c, "atom detail '" + ad.uuid() + "'");
          Instant now = Instant.now();
          long rev =
              updateChecked(
                  c,
                  "UPDATE atomdetails SET updated_at = ?, " + rows.atomDataAssignments(),
                  "atomdetails",
                  ad.uuid(),
                  ad.revision(),
                  ad.typeName(),
                  ps -> {
                    rows.time(ps, 1, now);
                    return Rows.atomData(ps, 2, ad);
                  },
                  Kind.ATOM,
                  "; save it through its flow detail first");
          return ad.withRevision(rev);
        });
  }

  /**
   * Whether this atom write may commit without waiting for the disk although the store is durable
   * ({@code durability=power}): a RUNNING or REVERTING marker on PostgreSQL. Resumption treats such
   * a marker exactly as the state it replaced (the atom runs again either way), so losing it to a
   * power cut loses nothing, and PostgreSQL's log is sequential: the next synchronous commit (the
   * atom's result) makes it durable too. Every result, failure and flow state still waits for the
   * disk. This saves one disk sync per task.
   */
  private boolean relaxedCommit(AtomDetail ad) {
    return dialect == Dialect.POSTGRESQL
        && !backend.settings().processDurability()
        && (ad.state() == AtomState.RUNNING || ad.state() == AtomState.REVERTING);
  }

  /** Binds the leading parameters of an UPDATE and returns the next parameter index. */
  @FunctionalInterface
  private interface Binder {
    int bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * One {@code UPDATE} that bumps the revision, conditional on the given revision when positive
   * (and on the type tag for atoms). Returns the new revision. When no row matched, one {@code
   * SELECT} tells the cases apart: no such row, another type, or a stale revision.
   */
  private long updateChecked(
      java.sql.Connection c,
      String head,
      String table,
      String uuid,
      long revision,
      String type,
      Binder binder,
      Kind kind,
      String notFoundHint)
      throws SQLException {
    boolean checked = revision > 0;
    boolean returning = dialect.updateReturning();
    StringBuilder sql = new StringBuilder(head);
    if (dialect == Dialect.MYSQL && !checked) {
      // No UPDATE ... RETURNING: LAST_INSERT_ID(expr) hands the new value back on this session.
      sql.append(", revision = LAST_INSERT_ID(revision + 1)");
    } else {
      sql.append(", revision = revision + 1");
    }
    sql.append(" WHERE uuid = ?");
    if (type != null) {
      sql.append(" AND atom_type = ").append(dialect.atomType());
    }
    if (checked) {
      sql.append(" AND revision = ?");
    }
    if (returning) {
      sql.append(" RETURNING revision");
    }
    Long newRevision = null;
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = binder.bind(ps);
      ps.setString(i++, uuid);
      if (type != null) {
        ps.setString(i++, type);
      }
      if (checked) {
        ps.setLong(i, revision);
      }
      if (returning) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            newRevision = rs.getLong(1);
          }
        }
      } else if (ps.executeUpdate() > 0) {
        newRevision = checked ? revision + 1 : lastInsertId(c);
      }
    }
    if (newRevision != null) {
      return newRevision;
    }
    // Nothing matched: find out why (only on this rare path).
    String sel =
        "SELECT revision"
            + (type != null ? ", atom_type" : "")
            + " FROM "
            + table
            + " WHERE uuid = ?";
    try (PreparedStatement ps = c.prepareStatement(sel)) {
      ps.setString(1, uuid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new NotFoundException(kind.label() + " '" + uuid + "' not found" + notFoundHint);
        }
        if (type != null) {
          WriteRules.checkType(uuid, rs.getString(2), type);
        }
        throw WriteRules.conflict(kind, uuid, revision, rs.getLong(1));
      }
    }
  }

  private static long lastInsertId(java.sql.Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT LAST_INSERT_ID()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The stored parent/revision/type of the rows with these uuids, locked until commit (one writer
   * at a time on SQLite), so the revisions written next are exactly stored + 1.
   */
  private Map<String, Stored> stored(java.sql.Connection c, String table, List<String> uuids)
      throws SQLException {
    Map<String, Stored> out = new HashMap<>();
    boolean atoms = table.equals("atomdetails");
    for (int from = 0; from < uuids.size(); from += IN_CHUNK) {
      List<String> chunk = uuids.subList(from, Math.min(uuids.size(), from + IN_CHUNK));
      StringBuilder sql =
          new StringBuilder("SELECT uuid, parent_uuid, revision")
              .append(atoms ? ", atom_type" : "")
              .append(" FROM ")
              .append(table)
              .append(" WHERE uuid IN (");
      for (int i = 0; i < chunk.size(); i++) {
        sql.append(i == 0 ? "?" : ", ?");
      }
      sql.append(')').append(dialect.forUpdate());
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < chunk.size(); i++) {
          ps.setString(i + 1, chunk.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), new Stored(rs.getString(2), rs.getLong(3), type(rs, atoms)));
          }
        }
      }
    }
    return out;
  }

  /** An atom row's type: a row TaskFlow wrote before it had the column is a task detail. */
  private static String type(ResultSet rs, boolean atoms) throws SQLException {
    if (!atoms) {
      return null;
    }
    String type = rs.getString(4);
    return type == null ? AtomDetail.TASK_DETAIL : type;
  }

  private void insertFlows(
      java.sql.Connection c, String bookUuid, List<FlowDetail> fds, Instant now)
      throws SQLException {
    if (fds.isEmpty()) {
      return;
    }
    String sql =
        "INSERT INTO flowdetails (created_at, updated_at, parent_uuid, meta, name, state, uuid,"
            + " revision) VALUES (?, ?, ?, "
            + dialect.json()
            + ", ?, ?, ?, 1)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (FlowDetail fd : fds) {
        rows.time(ps, 1, now);
        rows.time(ps, 2, null);
        ps.setString(3, bookUuid);
        Rows.json(ps, 4, fd.meta());
        ps.setString(5, fd.name());
        ps.setString(6, fd.state().name());
        ps.setString(7, fd.uuid());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void updateFlowRow(java.sql.Connection c, FlowDetail fd, long storedRevision, Instant now)
      throws SQLException {
    String sql =
        "UPDATE flowdetails SET updated_at = ?, meta = "
            + dialect.json()
            + ", name = ?, state = ?, revision = ? WHERE uuid = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      rows.time(ps, 1, now);
      Rows.json(ps, 2, fd.meta());
      ps.setString(3, fd.name());
      ps.setString(4, fd.state().name());
      ps.setLong(5, storedRevision + 1);
      ps.setString(6, fd.uuid());
      ps.executeUpdate();
    }
  }

  /**
   * Inserts the flow's new atoms and updates its existing ones in batches of {@link #BATCH_ROWS}
   * (rows already locked and checked); returns the flow carrying its atoms with their new
   * revisions.
   */
  private FlowDetail writeAtoms(
      java.sql.Connection c, FlowDetail fd, Map<String, Stored> storedAtoms, Instant now)
      throws SQLException {
    List<AtomDetail> atoms = fd.atoms();
    if (atoms.isEmpty()) {
      return fd;
    }
    List<AtomDetail> written = new ArrayList<>(atoms.size());
    String j = dialect.json();
    String insert =
        "INSERT INTO atomdetails (created_at, updated_at, parent_uuid, meta, name, version, state,"
            + " failure, results, revert_results, revert_failure, intention, uuid, atom_type,"
            + " revision) VALUES (?, ?, ?, "
            + j
            + ", ?, ?, ?, "
            + j
            + ", "
            + j
            + ", "
            + j
            + ", "
            + j
            + ", "
            + dialect.intention()
            + ", ?, "
            + dialect.atomType()
            + ", 1)";
    int inserts = 0;
    try (PreparedStatement ps = c.prepareStatement(insert)) {
      for (AtomDetail ad : atoms) {
        if (storedAtoms.containsKey(ad.uuid())) {
          continue;
        }
        rows.time(ps, 1, now);
        rows.time(ps, 2, null);
        ps.setString(3, fd.uuid());
        int i = Rows.atomData(ps, 4, ad);
        ps.setString(i++, ad.uuid());
        ps.setString(i, ad.typeName());
        ps.addBatch();
        if (++inserts == BATCH_ROWS) {
          ps.executeBatch();
          inserts = 0;
        }
      }
      if (inserts > 0) {
        ps.executeBatch();
      }
    }
    String update =
        "UPDATE atomdetails SET updated_at = ?, "
            + rows.atomDataAssignments()
            + ", revision = ? WHERE uuid = ?";
    PreparedStatement up = null;
    int updates = 0;
    try {
      for (AtomDetail ad : atoms) {
        Stored sa = storedAtoms.get(ad.uuid());
        if (sa == null) {
          written.add(ad.withRevision(1));
          continue;
        }
        if (up == null) {
          up = c.prepareStatement(update);
        }
        rows.time(up, 1, now);
        int i = Rows.atomData(up, 2, ad);
        up.setLong(i++, sa.revision() + 1);
        up.setString(i, ad.uuid());
        up.addBatch();
        written.add(ad.withRevision(sa.revision() + 1));
        if (++updates == BATCH_ROWS) {
          up.executeBatch();
          updates = 0;
        }
      }
      if (updates > 0) {
        up.executeBatch();
      }
    } finally {
      if (up != null) {
        up.close();
      }
    }
    return fd.withAtoms(written);
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    ensureOpen();
    write(
        "destroying logbook '" + bookUuid + "'",
        c -> {
          checkFence(c, "the destruction of logbook '" + bookUuid + "'");
          // Cascade explicitly: a TaskFlow-made table may lack the foreign keys, and TaskFlow's
          // SQLite backend never turned them on.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM atomdetails WHERE parent_uuid IN"
                      + " (SELECT uuid FROM flowdetails WHERE parent_uuid = ?)")) {
            ps.setString(1, bookUuid);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM flowdetails WHERE parent_uuid = ?")) {
            ps.setString(1, bookUuid);
            ps.executeUpdate();
          }
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM logbooks WHERE uuid = ?")) {
            ps.setString(1, bookUuid);
            if (ps.executeUpdate() == 0) {
              throw new NotFoundException("Logbook '" + bookUuid + "' not found");
            }
          }
          return null;
        });
  }

  // ---------------------------------------------------------------- reads

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    ensureOpen();
    String what = "logbook '" + bookUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          List<LogBook> books = readBooks(c, layout, bookUuid, lazy);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0);
        });
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    ensureOpen();
    StoreLayout layout = backend.readableLayout("the logbooks");
    return backend.run("reading the logbooks", false, c -> readBooks(c, layout, null, lazy));
  }

  /** Books read by one query of {@link #forEachLogBook} (with their flows and atoms). */
  static final int SCAN_PAGE = 100;

  /**
   * Reads the books a page of {@value #SCAN_PAGE} at a time, each page in at most three queries
   * (books, their atoms, their flows) on a connection handed back before the page's books are
   * handed over: so it holds one page of books with their details at once, and a consumer may
   * write. Pages follow the insertion order by keyset (SQLite's rowid, else the {@code seq} column:
   * {@code WHERE key > last ORDER BY key LIMIT n}); on a store without {@code seq} (not upgraded,
   * read as found), whose order is {@code created_at, uuid}, the uuids are listed first (one per
   * book) and read a page at a time. Rows that cannot be parsed are reported per book.
   */
  @Override
  public void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(books, "books");
    Objects.requireNonNull(damaged, "damaged");
    ensureOpen();
    StoreLayout layout = backend.readableLayout("the logbooks");
    if (dialect == Dialect.SQLITE || layout.seq()) {
      long after = Long.MIN_VALUE;
      while (true) {
        long from = after;
        Page page =
            backend.run("reading the logbooks", false, c -> readPage(c, layout, from, null, lazy));
        page.handOver(books, damaged);
        if (page.rows() < SCAN_PAGE) {
          return;
        }
        after = page.lastKey();
      }
    }
    List<String> uuids =
        backend.run(
            "listing the logbooks",
            false,
            c -> {
              List<String> out = new ArrayList<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT b.uuid FROM logbooks b ORDER BY " + order(layout, "b"));
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
              }
              return out;
            });
    for (int i = 0; i < uuids.size(); i += SCAN_PAGE) {
      List<String> chunk = uuids.subList(i, Math.min(uuids.size(), i + SCAN_PAGE));
      backend
          .run("reading the logbooks", false, c -> readPage(c, layout, 0, chunk, lazy))
          .handOver(books, damaged);
    }
  }

  /** One page of the scan: its books in order, or the damaged records of each. */
  private record Page(
      List<String> order,
      Map<String, LogBook> books,
      Map<String, List<CorruptRecordException>> damage,
      int rows,
      long lastKey) {

    void handOver(Consumer<? super LogBook> out, Consumer<? super CorruptRecordException> damaged) {
      for (String uuid : order) {
        List<CorruptRecordException> found = damage.get(uuid);
        if (found != null) {
          found.forEach(damaged);
        } else {
          out.accept(books.get(uuid));
        }
      }
    }
  }

  /**
   * Reads one page of books: those with a key above {@code after} (at most {@value #SCAN_PAGE}), or
   * those of {@code uuids} when given; unless lazy, with their flows and atoms (two queries over
   * the page's book uuids). A row that does not parse is kept as damage of its book.
   */
  private Page readPage(
      java.sql.Connection c, StoreLayout layout, long after, List<String> uuids, boolean lazy)
      throws SQLException {
    List<String> order = new ArrayList<>();
    Map<String, LogBook> books = new HashMap<>();
    Map<String, List<CorruptRecordException>> damage = new HashMap<>();
    String key = "b." + dialect.order();
    String sql =
        uuids == null
            ? "SELECT "
                + Rows.BOOK_COLUMNS
                + ", "
                + key
                + " AS b_key FROM logbooks b WHERE "
                + key
                + " > ? ORDER BY "
                + key
                + " LIMIT ?"
            : "SELECT "
                + Rows.BOOK_COLUMNS
                + ", 0 AS b_key FROM logbooks b WHERE b.uuid IN ("
                + placeholders(uuids.size())
                + ") ORDER BY "
                + order(layout, "b");
    int count = 0;
    long lastKey = after;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (uuids == null) {
        ps.setLong(1, after);
        ps.setInt(2, SCAN_PAGE);
      } else {
        for (int i = 0; i < uuids.size(); i++) {
          ps.setString(i + 1, uuids.get(i));
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          count++;
          lastKey = rs.getLong("b_key");
          String uuid = rs.getString("b_uuid");
          order.add(uuid);
          try {
            books.put(uuid, rows.book(rs, List.of()));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(uuid, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    if (lazy || order.isEmpty()) {
      return new Page(order, books, damage, count, lastKey);
    }
    String in = " WHERE f.parent_uuid IN (" + placeholders(order.size()) + ")";
    Map<String, List<AtomDetail>> atomsByFlow = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.atomColumns(layout.atomRevision())
                + ", f.parent_uuid AS af_book"
                + " FROM atomdetails a JOIN flowdetails f ON a.parent_uuid = f.uuid"
                + in
                + " ORDER BY "
                + order(layout, "a"))) {
      bind(ps, order);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String book = rs.getString("af_book");
          try {
            atomsByFlow
                .computeIfAbsent(rs.getString("a_parent_uuid"), k -> new ArrayList<>())
                .add(Rows.atom(rs, book));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(book, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    Map<String, List<FlowDetail>> flowsByBook = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.flowColumns(layout.flowRevision())
                + " FROM flowdetails f"
                + in
                + " ORDER BY "
                + order(layout, "f"))) {
      bind(ps, order);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String book = rs.getString("f_parent_uuid");
          try {
            flowsByBook
                .computeIfAbsent(book, k -> new ArrayList<>())
                .add(Rows.flow(rs, atomsByFlow.getOrDefault(rs.getString("f_uuid"), List.of())));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(book, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    for (Map.Entry<String, LogBook> e : books.entrySet()) {
      e.setValue(e.getValue().withFlows(flowsByBook.getOrDefault(e.getKey(), List.of())));
    }
    return new Page(order, books, damage, count, lastKey);
  }

  private static String placeholders(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "?" : ", ?");
    }
    return sb.toString();
  }

  private static void bind(PreparedStatement ps, List<String> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      ps.setString(i + 1, values.get(i));
    }
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    ensureOpen();
    String what = "the flow details of logbook '" + bookUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          List<LogBook> books = readBooks(c, layout, bookUuid, false);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0).flows();
        });
  }

  /**
   * Reads one logbook ({@code bookUuid} given) or all, in three queries at most: books, their
   * flows, their flows' atoms, each in insertion order.
   */
  private List<LogBook> readBooks(
      java.sql.Connection c, StoreLayout layout, String bookUuid, boolean lazy)
      throws SQLException {
    String where = bookUuid == null ? "" : " WHERE b.uuid = ?";
    List<String> bookOrder = new ArrayList<>();
    Map<String, LogBook> lazyBooks = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.BOOK_COLUMNS
                + " FROM logbooks b"
                + where
                + " ORDER BY "
                + order(layout, "b"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          LogBook b = rows.book(rs, List.of());
          lazyBooks.put(b.uuid(), b);
          bookOrder.add(b.uuid());
        }
      }
    }
    if (lazy || lazyBooks.isEmpty()) {
      return new ArrayList<>(lazyBooks.values());
    }
    String flowWhere = bookUuid == null ? "" : " WHERE f.parent_uuid = ?";
    Map<String, List<AtomDetail>> atomsByFlow = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.atomColumns(layout.atomRevision())
                + ", f.parent_uuid AS af_book"
                + " FROM atomdetails a JOIN flowdetails f ON a.parent_uuid = f.uuid"
                + flowWhere
                + " ORDER BY "
                + order(layout, "a"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          atomsByFlow
              .computeIfAbsent(rs.getString("a_parent_uuid"), k -> new ArrayList<>())
              .add(Rows.atom(rs, rs.getString("af_book")));
        }
      }
    }
    Map<String, List<FlowDetail>> flowsByBook = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.flowColumns(layout.flowRevision())
                + " FROM flowdetails f"
                + flowWhere
                + " ORDER BY "
                + order(layout, "f"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String fu = rs.getString("f_uuid");
          flowsByBook
              .computeIfAbsent(rs.getString("f_parent_uuid"), k -> new ArrayList<>())
              .add(Rows.flow(rs, atomsByFlow.getOrDefault(fu, List.of())));
        }
      }
    }
    List<LogBook> out = new ArrayList<>(bookOrder.size());
    for (String bu : bookOrder) {
      out.add(lazyBooks.get(bu).withFlows(flowsByBook.getOrDefault(bu, List.of())));
    }
    return out;
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    ensureOpen();
    String what = "flow detail '" + flowUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          FlowDetail fd = readFlow(c, layout, flowUuid, lazy);
          if (fd == null) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          return fd;
        });
  }

  /** A flow detail and (unless lazy) its atoms, in one query; {@code null} when absent. */
  private FlowDetail readFlow(
      java.sql.Connection c, StoreLayout layout, String flowUuid, boolean lazy)
      throws SQLException {
    String flowColumns = Rows.flowColumns(layout.flowRevision());
    String sql =
        lazy
            ? "SELECT " + flowColumns + " FROM flowdetails f WHERE f.uuid = ?"
            : "SELECT "
                + flowColumns
                + ", "
                + Rows.atomColumns(layout.atomRevision())
                + " FROM flowdetails f LEFT JOIN atomdetails a ON a.parent_uuid = f.uuid"
                + " WHERE f.uuid = ? ORDER BY "
                + order(layout, "a");
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, flowUuid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        List<AtomDetail> atoms = new ArrayList<>();
        FlowDetail head = Rows.flow(rs, List.of());
        String book = rs.getString("f_parent_uuid");
        if (!lazy) {
          do {
            if (rs.getString("a_uuid") != null) {
              atoms.add(Rows.atom(rs, book));
            }
          } while (rs.next());
        }
        return atoms.isEmpty() ? head : head.withAtoms(atoms);
      }
    }
  }

  /**
   * The ORDER BY of rows of {@code alias}'s table in insertion order: SQLite's rowid, else the
   * {@code seq} column, or on a store without it (not upgraded) creation time then uuid, the order
   * the upgrade numbers existing rows in.
   */
  private String order(StoreLayout layout, String alias) {
    if (dialect == Dialect.SQLITE || layout.seq()) {
      return alias + "." + dialect.order();
    }
    return alias + ".created_at, " + alias + ".uuid";
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    Objects.requireNonNull(atomUuid, "atomUuid");
    ensureOpen();
    String what = "atom detail '" + atomUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + Rows.atomColumns(layout.atomRevision())
                      + ", f.parent_uuid AS af_book FROM atomdetails a"
                      + " LEFT JOIN flowdetails f ON f.uuid = a.parent_uuid WHERE a.uuid = ?")) {
            ps.setString(1, atomUuid);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
              }
              return Rows.atom(rs, rs.getString("af_book"));
            }
          }
        });
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return getFlowDetails(flowUuid, false).atoms();
  }

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
}
