package io.taskflow4j.persistence.jdbc;

import static io.taskflow4j.persistence.jdbc.JdbcConnection.IN_CHUNK;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.spi.WriteRules.Kind;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The writes of a {@link JdbcConnection}: each is one transaction ({@link JdbcConnection#write})
 * that reads the stored revisions, owners and types of what it writes, checks them through {@link
 * io.taskflow4j.persistence.spi.WriteRules}, then inserts or updates the rows in batches.
 */
final class JdbcWriter {
  /**
   * Rows bound before a batch is sent. Binding serializes each row's JSON on the client while the
   * transaction sits idle on the server, and a whole large flow's worth (100,000 atoms) took over a
   * second: longer than {@code transaction_idle_timeout}, which takes such a gap for a paused
   * client and ends the session.
   */
  private static final int BATCH_ROWS = 500;

  /** The most uuids {@link #stored} reads with a list of parameters on PostgreSQL. */
  static final int FEW_UUIDS = 16;

  private final JdbcConnection conn;
  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;

  JdbcWriter(JdbcConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.dialect = conn.dialect;
    this.rows = conn.rows;
  }

  // ---------------------------------------------------------------- writes

  LogBook saveLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    conn.ensureOpen();
    return conn.write(
        "saving logbook '" + book.uuid() + "'",
        c -> {
          conn.checkFence(c, "logbook '" + book.uuid() + "'");
          Map<String, Stored> storedFlows = stored(c, "flowdetails", flowUuids(book));
          Map<String, Stored> storedAtoms = stored(c, "atomdetails", atomUuids(book));
          // Check everything before writing anything: a conflict leaves the store as it was.
          WriteRules.checkBook(book, storedFlows::get, storedAtoms::get);
          Instant now = now();
          upsertBook(c, book);
          // An existing book keeps its creation time; the returned book says which it is.
          Instant created = storedCreatedAt(c, book.uuid());
          List<FlowDetail> newFlows = new ArrayList<>();
          for (FlowDetail fd : book.flows()) {
            if (!storedFlows.containsKey(fd.uuid())) {
              newFlows.add(fd);
            }
          }
          insertFlows(c, book.uuid(), newFlows, now, false);
          for (FlowDetail fd : book.flows()) {
            Stored sf = storedFlows.get(fd.uuid());
            if (sf != null) {
              updateFlowRow(c, fd, sf.revision(), now);
            }
          }
          List<FlowDetail> written = new ArrayList<>(book.size());
          for (FlowDetail fd : book.flows()) {
            Stored sf = storedFlows.get(fd.uuid());
            long rev = WriteRules.nextRevision(sf);
            written.add(
                writeAtoms(c, fd, storedAtoms, now)
                    .withRevision(rev)
                    .withTimes(sf == null ? now : fd.createdAt(), now));
          }
          return WriteRules.savedBook(book, created, written);
        });
  }

  /**
   * One transaction: deletes the stored book's rows (atoms, flows, book), then inserts {@code
   * book}'s. A flow or atom detail of another book, a value the columns refuse, a lost connection:
   * the transaction rolls back and the stored book is as it was.
   */
  LogBook replaceLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    conn.ensureOpen();
    conn.checkStorable(book);
    return backend.run(
        "replacing logbook '" + book.uuid() + "'",
        true,
        c -> {
          conn.checkFence(c, "the replacement of logbook '" + book.uuid() + "'");
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
          Instant now = now();
          upsertBook(c, book);
          insertFlows(c, book.uuid(), book.flows(), now, true);
          List<FlowDetail> written = new ArrayList<>(book.size());
          for (FlowDetail fd : book.flows()) {
            FlowDetail w = writeAtoms(c, fd, Map.of(), now).withRevision(1);
            written.add(
                fd.updatedAt() != null
                    ? w.withTimes(createdOf(fd), fd.updatedAt())
                    : w.withTimes(now, now));
          }
          return WriteRules.savedBook(book, null, written);
        });
  }

  static List<String> flowUuids(LogBook book) {
    List<String> out = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      out.add(fd.uuid());
    }
    return out;
  }

  static List<String> atomUuids(LogBook book) {
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
  static void deleteBookRows(java.sql.Connection c, String bookUuid) throws SQLException {
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

  FlowDetail updateFlowDetails(FlowDetail fd) {
    Objects.requireNonNull(fd, "flowDetail");
    conn.ensureOpen();
    // Grouped with other writes, inside a savepoint when it carries atoms: the flow's row is
    // updated before its atoms are checked, and a refusal of an atom must take that back. Without
    // atoms the write is one conditional UPDATE (after a fence read, except on PostgreSQL), which
    // refuses before it changes anything: no savepoint, two round trips fewer in a group.
    //
    // The write of a claimed job's flow's final state on a connection that completes the job
    // ({@link JobCompletion}) deletes the job's row last, in the same transaction or statement: the
    // writes before it refuse before they change anything, and the delete cannot refuse (a row no
    // longer held is left, and the write stored without it).
    JobCompletion completing =
        conn.completion != null && conn.completion.carriedBy(fd) ? conn.completion : null;
    boolean[] completed = new boolean[1];
    JdbcBackend.Work<FlowDetail> work =
        c -> {
          completed[0] = false;
          FlowDetail out = updateFlowRows(c, fd);
          if (completing != null) {
            completed[0] = completing.delete(c);
          }
          return out;
        };
    FlowDetail written = writeFlowUpdate(fd, work, completing, completed);
    if (completing != null) {
      completing.stored(completed[0]);
    }
    return written;
  }

  /** The transaction's part of {@link #updateFlowDetails}: the flow's row, then its atoms. */
  private FlowDetail updateFlowRows(java.sql.Connection c, FlowDetail fd) throws SQLException {
    String what = "flow detail '" + fd.uuid() + "'";
    boolean fenceInUpdate = conn.fenceInUpdate();
    if (!fenceInUpdate) {
      conn.checkFence(c, what);
    }
    Instant now = now();
    long rev =
        updateChecked(
            c,
            fenceInUpdate ? what : null,
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
    return writeAtoms(c, fd, storedAtoms, now).withRevision(rev).withTimes(fd.createdAt(), now);
  }

  /**
   * Runs {@link #updateFlowDetails}'s {@code work}: in a group commit, alone, or on PostgreSQL as
   * one statement where it can ({@code completing}'s delete with it, its outcome in {@code
   * completed}).
   */
  private FlowDetail writeFlowUpdate(
      FlowDetail fd,
      JdbcBackend.Work<FlowDetail> work,
      JobCompletion completing,
      boolean[] completed) {
    String what = "updating flow detail '" + fd.uuid() + "'";
    boolean isolated = !fd.atoms().isEmpty();
    if (!conn.backend.writesInOneStatement()) {
      return conn.writeGrouped(what, false, isolated, work, null);
    }
    // On PostgreSQL, alone, in auto-commit mode: without atoms the write is that one UPDATE; with
    // a few atoms, or a job to complete, one statement that updates the flow and writes its atoms
    // (one round trip where the transaction costs four), done as a transaction when that statement
    // cannot do it.
    JdbcBackend.Work<Boolean> notStored =
        c -> revisionIs(c, "flowdetails", fd.uuid(), fd.revision());
    if (!isolated && completing == null) {
      return conn.writeGrouped(
          what, false, false, work, new JdbcBackend.OneStatement<>(work, notStored));
    }
    if (fd.size() > MAX_IN_ONE_STATEMENT) {
      return conn.writeGrouped(what, false, isolated, work, null);
    }
    try {
      return conn.writeGrouped(
          what,
          false,
          isolated,
          work,
          new JdbcBackend.OneStatement<>(
              c -> updateFlowInOneStatement(c, fd, completing, completed), notStored));
    } catch (NotInOneStatement e) {
      return conn.writeGrouped(what, false, isolated, work, null); // nothing of it was stored
    }
  }

  /**
   * {@link #updateFlowInOneStatement} could not do its write, and stored nothing of it: the write
   * is done as a transaction instead, which stores it or tells exactly why not.
   */
  private static final class NotInOneStatement extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotInOneStatement(SQLException cause) {
      super(null, cause, false, false);
    }
  }

  /**
   * A flow detail's update with its (few) atoms as one PostgreSQL statement in auto-commit mode: a
   * data-modifying {@code WITH} clause updates the flow's row (revision-checked when its revision
   * is positive, with the fence as a condition on a fenced connection), one per atom updates its
   * row (an atom with a revision: checked against that revision, its type and its flow) or inserts
   * it (an atom without one), and a {@code SELECT} divides by zero unless every clause matched its
   * row, so that nothing of the write is stored when one did not. Such a refusal (a stale fence or
   * revision, an atom of another flow or type, an unrevisioned atom already stored) throws {@link
   * NotInOneStatement}: the transaction done then finds which, as it would have at first.
   */
  private FlowDetail updateFlowInOneStatement(
      java.sql.Connection c, FlowDetail fd, JobCompletion completing, boolean[] completed)
      throws SQLException {
    boolean fenced = conn.fenceInUpdate();
    boolean checked = fd.revision() > 0;
    String j = dialect.json();
    StringBuilder sql =
        new StringBuilder("WITH f AS (UPDATE flowdetails SET updated_at = ?, meta = ")
            .append(j)
            .append(", name = ?, state = ?, revision = revision + 1 WHERE uuid = ?")
            .append(checked ? " AND revision = ?" : "")
            .append(fenced ? JdbcConnection.FENCE_CONDITION : "")
            .append(" RETURNING revision)");
    List<AtomDetail> atoms = fd.atoms();
    for (int i = 0; i < atoms.size(); i++) {
      sql.append(", a").append(i).append(" AS (");
      if (atoms.get(i).revision() > 0) {
        sql.append(checkedAtomUpdate()).append(" AND parent_uuid = ?");
      } else {
        sql.append(atomInsert()).append(" ON CONFLICT DO NOTHING");
      }
      sql.append(" RETURNING 1)");
    }
    if (completing != null) {
      // Not counted below: a job no longer held is left, and the flow's write stored without it.
      sql.append(", j AS (").append(completing.deleteSql()).append(" RETURNING 1)");
    }
    sql.append(" SELECT (SELECT revision FROM f), 1 / (CASE WHEN (SELECT count(*) FROM f)");
    for (int i = 0; i < atoms.size(); i++) {
      sql.append(" + (SELECT count(*) FROM a").append(i).append(')');
    }
    sql.append(" = ").append(atoms.size() + 1).append(" THEN 1 ELSE 0 END)");
    if (completing != null) {
      sql.append(", (SELECT count(*) FROM j)");
    }
    Instant now = now();
    long revision;
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      rows.time(ps, 1, now);
      Rows.json(ps, 2, fd.meta());
      ps.setString(3, fd.name());
      ps.setString(4, fd.state().name());
      ps.setString(5, fd.uuid());
      int k = 6;
      if (checked) {
        ps.setLong(k++, fd.revision());
      }
      if (fenced) {
        k = conn.bindFence(ps, k);
      }
      for (AtomDetail ad : atoms) {
        if (ad.revision() > 0) {
          k = bindCheckedAtomUpdate(ps, k, ad, now);
          ps.setString(k++, fd.uuid());
        } else {
          k = bindAtomInsert(ps, k, fd.uuid(), ad, now);
        }
      }
      if (completing != null) {
        completing.bind(ps, k);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        revision = rs.getLong(1);
        if (completing != null) {
          completed[0] = rs.getLong(3) == 1;
        }
      }
    } catch (SQLException e) {
      if (DIVISION_BY_ZERO.equals(e.getSQLState())) {
        throw new NotInOneStatement(e);
      }
      throw e;
    }
    List<AtomDetail> written = new ArrayList<>(atoms.size());
    for (AtomDetail ad : atoms) {
      written.add(ad.withRevision(ad.revision() > 0 ? ad.revision() + 1 : 1));
    }
    return fd.withAtoms(written).withRevision(revision).withTimes(fd.createdAt(), now);
  }

  AtomDetail updateAtomDetails(AtomDetail ad) {
    Objects.requireNonNull(ad, "atomDetail");
    conn.ensureOpen();
    // One conditional UPDATE, after a read of the fence or (PostgreSQL) with the fence as one of
    // its conditions: a refusal changes nothing, as a group commit requires of its writes.
    JdbcBackend.Work<AtomDetail> work =
        c -> {
          String what = "atom detail '" + ad.uuid() + "'";
          boolean fenceInUpdate = conn.fenceInUpdate();
          if (!fenceInUpdate) {
            conn.checkFence(c, what);
          }
          return ad.withRevision(updateAtomRow(c, ad, Instant.now(), fenceInUpdate ? what : null));
        };
    // On PostgreSQL that is the one UPDATE (the fence inside it): alone, it runs in auto-commit.
    JdbcBackend.OneStatement<AtomDetail> single =
        conn.backend.writesInOneStatement()
            ? new JdbcBackend.OneStatement<>(
                work, c -> revisionIs(c, "atomdetails", ad.uuid(), ad.revision()))
            : null;
    return conn.writeGroupedAtom(ad, isMarker(ad), work, single);
  }

  /**
   * Whether the row {@code uuid} of {@code table} still has {@code revision}, so that a
   * revision-checked write of it did not happen (it would have raised the revision). {@code false}
   * when the write was not revision-checked, as nothing then tells. PostgreSQL only (its
   * one-statement writes).
   */
  private static boolean revisionIs(java.sql.Connection c, String table, String uuid, long revision)
      throws SQLException {
    if (revision <= 0) {
      return false;
    }
    // Locking: a statement of this write still running on the server (its connection lost while
    // it waited for the row) takes the row first; this read then sees what it did.
    try (PreparedStatement ps =
        c.prepareStatement("SELECT revision FROM " + table + " WHERE uuid = ? FOR UPDATE")) {
      ps.setString(1, uuid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getLong(1) == revision;
      }
    }
  }

  /**
   * The most atom updates {@link #updateAtomsInOneStatement} puts in one statement (more are done
   * in a transaction).
   */
  private static final int MAX_IN_ONE_STATEMENT = 16;

  /**
   * Several revision-checked atom updates as one PostgreSQL statement, run in auto-commit mode: a
   * data-modifying {@code WITH} clause per row (each with the fence as a condition on a fenced
   * connection), and a {@code SELECT} that divides by zero unless every one of them matched its
   * row, so that a refusal aborts the statement and nothing of it is stored. One round trip, and
   * the server's commit in it. On a refusal, what was refused is read afterwards to explain it.
   */
  private List<AtomDetail> updateAtomsInOneStatement(
      java.sql.Connection c, List<AtomDetail> ads, String what) throws SQLException {
    boolean fenced = conn.fenceInUpdate();
    String one =
        checkedAtomUpdate() + (fenced ? JdbcConnection.FENCE_CONDITION : "") + " RETURNING 1";
    StringBuilder sql = new StringBuilder("WITH ");
    for (int i = 0; i < ads.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append('u').append(i).append(" AS (").append(one).append(')');
    }
    sql.append(" SELECT 1 / (CASE WHEN ");
    for (int i = 0; i < ads.size(); i++) {
      sql.append(i == 0 ? "" : " + ").append("(SELECT count(*) FROM u").append(i).append(')');
    }
    sql.append(" = ").append(ads.size()).append(" THEN 1 ELSE 0 END)");
    boolean relaxHere = JdbcBackend.relaxPending();
    if (relaxHere) {
      sql.append(JdbcBackend.RELAX_IN_RETURNING);
    }
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int k = 1;
      for (AtomDetail ad : ads) {
        k = bindCheckedAtomUpdate(ps, k, ad, now);
        if (fenced) {
          k = conn.bindFence(ps, k);
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (relaxHere) {
          JdbcBackend.relaxDone();
        }
      }
    } catch (SQLException e) {
      if (!DIVISION_BY_ZERO.equals(e.getSQLState())) {
        throw e;
      }
      // Refused, and nothing stored: tell why.
      if (fenced) {
        conn.checkFenceNow(c, what); // a stale fence before a stale revision
      }
      List<String> uuids = new ArrayList<>(ads.size());
      for (AtomDetail ad : ads) {
        uuids.add(ad.uuid());
      }
      Map<String, Stored> found = stored(c, "atomdetails", uuids);
      for (AtomDetail ad : ads) {
        Stored st = found.get(ad.uuid());
        if (st == null
            || st.revision() != ad.revision()
            || !Objects.equals(st.type(), ad.typeName())) {
          throw atomRefusal(c, ad);
        }
      }
      // Every row is as this write expected by now: another writer held it in between.
      throw new io.taskflow4j.persistence.ConflictException(
          "Refused updating "
              + what
              + ": another writer changed one of them while this write ran (nothing of it was"
              + " stored); reload and retry",
          e);
    }
    List<AtomDetail> out = new ArrayList<>(ads.size());
    for (AtomDetail ad : ads) {
      out.add(ad.withRevision(ad.revision() + 1));
    }
    return out;
  }

  /**
   * PostgreSQL's SQL state for a division by zero: {@link #updateAtomsInOneStatement}'s refusal.
   */
  private static final String DIVISION_BY_ZERO = "22012";

  /**
   * Several atom-detail updates in one transaction, all or none (inside a savepoint when grouped
   * with other writes): one fence read, then the revision-checked {@code UPDATE}s in one statement
   * batch (one round trip to a server) where the driver reports a count per statement. On
   * PostgreSQL, done alone, up to {@link #MAX_IN_ONE_STATEMENT} of them are one statement in
   * auto-commit mode instead ({@link #updateAtomsInOneStatement}).
   */
  List<AtomDetail> updateAtomDetails(List<AtomDetail> ads) {
    Objects.requireNonNull(ads, "atomDetails");
    if (ads.size() == 1) {
      return List.of(updateAtomDetails(ads.get(0)));
    }
    conn.ensureOpen();
    List<String> uuids = new ArrayList<>(ads.size());
    boolean markers = true;
    boolean batchable = dialect != Dialect.MYSQL;
    for (AtomDetail ad : Objects.requireNonNull(ads, "atomDetails")) {
      uuids.add(Objects.requireNonNull(ad, "atomDetail").uuid());
      markers &= isMarker(ad);
      batchable &= ad.revision() > 0;
    }
    String what = "atom details " + uuids;
    boolean batch = batchable;
    boolean distinct = new java.util.HashSet<>(uuids).size() == uuids.size();
    JdbcBackend.OneStatement<List<AtomDetail>> single = null;
    if (batch
        && conn.backend.writesInOneStatement()
        && ads.size() <= MAX_IN_ONE_STATEMENT
        && distinct) {
      single =
          new JdbcBackend.OneStatement<>(
              c -> updateAtomsInOneStatement(c, ads, what), c -> revisionsAre(c, ads));
    }
    JdbcBackend.Work<List<AtomDetail>> work =
        c -> {
          // The fence goes into every row's UPDATE of the batch (one round trip either way).
          boolean fenceInUpdate = batch && conn.fenceInUpdate();
          if (!fenceInUpdate) {
            conn.checkFence(c, what);
          }
          Instant now = Instant.now();
          List<AtomDetail> out = new ArrayList<>(ads.size());
          if (!batch) {
            for (AtomDetail ad : ads) {
              out.add(ad.withRevision(updateAtomRow(c, ad, now, null)));
            }
            return out;
          }
          String sql = checkedAtomUpdate() + (fenceInUpdate ? JdbcConnection.FENCE_CONDITION : "");
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (AtomDetail ad : ads) {
              int k = bindCheckedAtomUpdate(ps, 1, ad, now);
              if (fenceInUpdate) {
                conn.bindFence(ps, k);
              }
              ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < ads.size(); i++) {
              AtomDetail ad = ads.get(i);
              if (counts[i] == 1) {
                out.add(ad.withRevision(ad.revision() + 1));
              } else {
                if (fenceInUpdate) {
                  conn.checkFenceNow(c, what); // a stale fence before a stale revision
                }
                throw atomRefusal(c, ad);
              }
            }
          }
          return out;
        };
    if (batch && distinct) {
      // Batched with the group's other atom updates; on a partial refusal, done alone.
      return conn.writeGroupedAtoms(ads, "updating " + what, markers, work, single);
    }
    return conn.writeGrouped("updating " + what, markers, true, work, single);
  }

  /** The revision-checked {@code UPDATE} of an atom's row, as batched. */
  private String checkedAtomUpdate() {
    return "UPDATE atomdetails SET updated_at = ?, "
        + rows.atomDataAssignments()
        + ", revision = revision + 1 WHERE uuid = ? AND atom_type = ? AND revision = ?";
  }

  /**
   * Binds {@link #checkedAtomUpdate}'s parameters for {@code ad} from index {@code k}, updated
   * {@code now}; the next index.
   */
  private int bindCheckedAtomUpdate(PreparedStatement ps, int k, AtomDetail ad, Instant now)
      throws SQLException {
    rows.time(ps, k, now);
    int i = rows.atomData(ps, k + 1, ad);
    ps.setString(i++, ad.uuid());
    rows.enumeration(ps, i++, ad.typeName());
    ps.setLong(i++, ad.revision());
    return i;
  }

  /** The {@code INSERT} of a new atom's row, at revision 1. */
  private String atomInsert() {
    String j = dialect.json();
    return "INSERT INTO atomdetails (created_at, updated_at, parent_uuid, meta, name, version,"
        + " state, failure, results, revert_results, revert_failure, intention, uuid, atom_type,"
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
        + ", ?, ?, ?, 1)";
  }

  /**
   * Binds {@link #atomInsert}'s parameters for {@code ad} of flow {@code flowUuid} from index
   * {@code k}, created {@code now}; the next index.
   */
  private int bindAtomInsert(
      PreparedStatement ps, int k, String flowUuid, AtomDetail ad, Instant now)
      throws SQLException {
    rows.time(ps, k, now);
    rows.time(ps, k + 1, null);
    ps.setString(k + 2, flowUuid);
    int i = rows.atomData(ps, k + 3, ad);
    ps.setString(i++, ad.uuid());
    rows.enumeration(ps, i++, ad.typeName());
    return i;
  }

  /** The revision-checked (when positive) {@code UPDATE} of an atom's row; its new revision. */
  private long updateAtomRow(java.sql.Connection c, AtomDetail ad, Instant now, String fencedWhat)
      throws SQLException {
    return updateChecked(
        c,
        fencedWhat,
        "UPDATE atomdetails SET updated_at = ?, " + rows.atomDataAssignments(),
        "atomdetails",
        ad.uuid(),
        ad.revision(),
        ad.typeName(),
        ps -> {
          rows.time(ps, 1, now);
          return rows.atomData(ps, 2, ad);
        },
        Kind.ATOM,
        ATOM_NOT_FOUND_HINT);
  }

  /**
   * Whether this atom write is a RUNNING or REVERTING marker, which may be committed without
   * waiting for the disk although the store is durable ({@code durability=power}; see {@link
   * JdbcBackend#canRelaxCommits()}). Resumption treats such a marker exactly as the state it
   * replaced (the atom runs again either way), so losing it to a power cut loses nothing, and the
   * database's log is sequential: the next synced commit (the atom's result) makes it durable too.
   * Every result, failure and flow state still waits for the disk. This saves one disk sync per
   * task.
   */
  private static boolean isMarker(AtomDetail ad) {
    return ad.state() == AtomState.RUNNING || ad.state() == AtomState.REVERTING;
  }

  /** Binds the leading parameters of an UPDATE and returns the next parameter index. */
  @FunctionalInterface
  interface Binder {
    int bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * One {@code UPDATE} that bumps the revision, conditional on the given revision when positive
   * (and on the type tag for atoms). Returns the new revision. When no row matched, one {@code
   * SELECT} tells the cases apart: no such row, another type, or a stale revision.
   */
  private long updateChecked(
      java.sql.Connection c,
      String fencedWhat,
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
      sql.append(" AND atom_type = ?");
    }
    if (checked) {
      sql.append(" AND revision = ?");
    }
    if (fencedWhat != null) {
      sql.append(JdbcConnection.FENCE_CONDITION);
    }
    boolean relaxHere = returning && JdbcBackend.relaxPending();
    if (returning) {
      sql.append(" RETURNING revision");
      if (relaxHere) {
        sql.append(JdbcBackend.RELAX_IN_RETURNING); // one round trip fewer than a SET LOCAL
      }
    }
    Long newRevision = null;
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = binder.bind(ps);
      ps.setString(i++, uuid);
      if (type != null) {
        rows.enumeration(ps, i++, type);
      }
      if (checked) {
        ps.setLong(i++, revision);
      }
      if (fencedWhat != null) {
        conn.bindFence(ps, i);
      }
      if (returning) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            newRevision = rs.getLong(1);
            if (relaxHere) {
              JdbcBackend.relaxDone();
            }
          }
        }
      } else if (ps.executeUpdate() > 0) {
        newRevision = checked ? revision + 1 : lastInsertId(c);
      }
    }
    if (newRevision != null) {
      return newRevision;
    }
    if (fencedWhat != null) {
      conn.checkFenceNow(c, fencedWhat); // a stale fence before a stale revision
    }
    throw refusal(c, table, uuid, revision, type, kind, notFoundHint);
  }

  /**
   * Why a conditional {@code UPDATE} matched no row (only on this rare path): no such row, another
   * type, or a stale revision.
   */
  private static io.taskflow4j.persistence.TaskFlowException refusal(
      java.sql.Connection c,
      String table,
      String uuid,
      long revision,
      String type,
      Kind kind,
      String notFoundHint)
      throws SQLException {
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
          return new NotFoundException(kind.label() + " '" + uuid + "' not found" + notFoundHint);
        }
        if (type != null) {
          try {
            WriteRules.checkType(uuid, rs.getString(2), type);
          } catch (io.taskflow4j.persistence.TaskFlowException e) {
            return e;
          }
        }
        return WriteRules.conflict(kind, uuid, revision, rs.getLong(1));
      }
    }
  }

  private static final String ATOM_NOT_FOUND_HINT = "; save it through its flow detail first";

  /** {@link #refusal} of a revision-checked update of atom detail {@code ad}. */
  private static io.taskflow4j.persistence.TaskFlowException atomRefusal(
      java.sql.Connection c, AtomDetail ad) throws SQLException {
    return refusal(
        c, "atomdetails", ad.uuid(), ad.revision(), ad.typeName(), Kind.ATOM, ATOM_NOT_FOUND_HINT);
  }

  /**
   * Several atom-detail updates of one group commit ({@link GroupCommit}) in the open transaction
   * {@code c}, in one statement batch (one round trip to a server): each fence read once, then the
   * revision-checked {@code UPDATE}s together. Without fences and with every revision checked, it
   * is that batch alone, which PostgreSQL can run in auto-commit mode as one implicit transaction.
   * Returns, per write, the stored detail or the refusal ({@link
   * io.taskflow4j.persistence.TaskFlowException}), which changed nothing. Writes without a revision
   * to check are done one by one.
   */
  Object[] updateAtomsBatched(
      java.sql.Connection c, List<JdbcConnection> conns, List<AtomDetail> ads) throws SQLException {
    Object[] out = new Object[ads.size()];
    Map<String, Long> tokens = new HashMap<>();
    for (int i = 0; i < ads.size(); i++) {
      io.taskflow4j.persistence.Fence f = conns.get(i).fence;
      if (f == null) {
        continue;
      }
      if (!tokens.containsKey(f.key())) {
        tokens.put(f.key(), JdbcConnection.readFence(c, f.key(), dialect.forShare()));
      }
      Long stored = tokens.get(f.key());
      if (stored == null || stored != f.token()) {
        out[i] =
            io.taskflow4j.persistence.FencedException.stale(
                f, stored, "atom detail '" + ads.get(i).uuid() + "'");
      }
    }
    Instant now = Instant.now();
    List<Integer> batched = new ArrayList<>(ads.size());
    try (PreparedStatement ps = c.prepareStatement(checkedAtomUpdate())) {
      for (int i = 0; i < ads.size(); i++) {
        AtomDetail ad = ads.get(i);
        if (out[i] != null || ad.revision() <= 0) {
          continue;
        }
        bindCheckedAtomUpdate(ps, 1, ad, now);
        ps.addBatch();
        batched.add(i);
      }
      if (!batched.isEmpty()) {
        int[] counts = ps.executeBatch();
        for (int b = 0; b < batched.size(); b++) {
          int i = batched.get(b);
          AtomDetail ad = ads.get(i);
          if (counts[b] == 1) {
            out[i] = ad.withRevision(ad.revision() + 1);
          } else if (counts[b] == 0) {
            out[i] = atomRefusal(c, ad);
          } else {
            // A driver that cannot say (SUCCESS_NO_INFO): the group is done write by write.
            throw new SQLException("update count " + counts[b] + " for atom '" + ad.uuid() + "'");
          }
        }
      }
    }
    for (int i = 0; i < ads.size(); i++) {
      if (out[i] == null) {
        AtomDetail ad = ads.get(i);
        try {
          out[i] = ad.withRevision(updateAtomRow(c, ad, now, null)); // fences read above
        } catch (io.taskflow4j.persistence.TaskFlowException e) {
          out[i] = e;
        }
      }
    }
    return out;
  }

  /**
   * Whether every atom row of {@code ads} still has the revision its write expected: the write of
   * them did not happen ({@link #revisionIs}).
   */
  static boolean revisionsAre(java.sql.Connection c, List<AtomDetail> ads) throws SQLException {
    for (AtomDetail ad : ads) {
      if (!revisionIs(c, "atomdetails", ad.uuid(), ad.revision())) {
        return false;
      }
    }
    return true;
  }

  static long lastInsertId(java.sql.Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT LAST_INSERT_ID()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The stored parent/revision/type of the rows with these uuids, locked until commit (one writer
   * at a time on SQLite), so the revisions written next are exactly stored + 1.
   *
   * <p>On PostgreSQL the uuids are one array parameter, joined with the table: PostgreSQL tests a
   * row against a list of parameters ({@code IN (?, ?, ...)}, or {@code = ANY(?)} in a prepared
   * plan) one element after another, so a chunk of 500 new atoms' uuids, which its planner reads
   * with a scan of the table once the table holds some thousands of rows, cost 500 comparisons per
   * stored row (0.1 s per chunk at 30,000 atoms, growing with the store). Joined, the uuids are
   * probed through the index, or hashed once for the scan. A few uuids (at most {@link #FEW_UUIDS},
   * as in every write of a running flow) stay a list of parameters: PostgreSQL knows then that they
   * match a few rows and reads them through the index, where the array, taken to hold ten, is
   * joined with a scan of a table without statistics (never analysed, or analysed while small)
   * until it holds some thousands of rows.
   */
  Map<String, Stored> stored(java.sql.Connection c, String table, List<String> uuids)
      throws SQLException {
    Map<String, Stored> out = new HashMap<>();
    boolean atoms = table.equals("atomdetails");
    for (int from = 0; from < uuids.size(); from += IN_CHUNK) {
      List<String> chunk = uuids.subList(from, Math.min(uuids.size(), from + IN_CHUNK));
      try (PreparedStatement ps = c.prepareStatement(storedSql(table, chunk.size()))) {
        if (asArray(chunk.size())) {
          ps.setArray(1, c.createArrayOf("varchar", chunk.toArray()));
        } else {
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
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

  /** The statement of {@link #stored} reading {@code n} uuids of {@code table}. */
  String storedSql(String table, int n) {
    StringBuilder sql =
        new StringBuilder("SELECT t.uuid, t.parent_uuid, t.revision")
            .append(table.equals("atomdetails") ? ", t.atom_type" : "")
            .append(" FROM ")
            .append(table)
            .append(" t");
    if (asArray(n)) {
      sql.append(" JOIN unnest(CAST(? AS varchar[])) AS k(uuid) ON t.uuid = k.uuid");
    } else {
      sql.append(" WHERE t.uuid IN (");
      for (int i = 0; i < n; i++) {
        sql.append(i == 0 ? "?" : ", ?");
      }
      sql.append(')');
    }
    return sql.append(dialect == Dialect.POSTGRESQL ? " FOR UPDATE OF t" : dialect.forUpdate())
        .toString();
  }

  /** Whether {@link #stored} binds {@code n} uuids as one array. */
  private boolean asArray(int n) {
    return dialect == Dialect.POSTGRESQL && n > FEW_UUIDS;
  }

  /** An atom row's type: a row TaskFlow wrote before it had the column is a task detail. */
  static String type(ResultSet rs, boolean atoms) throws SQLException {
    if (!atoms) {
      return null;
    }
    String type = rs.getString(4);
    return type == null ? AtomDetail.TASK_DETAIL : type;
  }

  /**
   * The time of a write, as the stores keep it (microseconds: a driver would round finer digits,
   * and the time a write returns must be the one a read finds).
   */
  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  /**
   * The creation time a flow carrying times is written with (its update time when it lacks one).
   */
  private static Instant createdOf(FlowDetail fd) {
    return fd.createdAt() != null ? fd.createdAt() : fd.updatedAt();
  }

  /**
   * Inserts flow rows, created and updated {@code now}; with {@code givenTimes} (a replacement), a
   * flow that carries record times is written with them, so a copied store keeps its flows' ages.
   */
  private void insertFlows(
      java.sql.Connection c, String bookUuid, List<FlowDetail> fds, Instant now, boolean givenTimes)
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
        boolean keep = givenTimes && fd.updatedAt() != null;
        rows.time(ps, 1, keep ? createdOf(fd) : now);
        rows.time(ps, 2, keep ? fd.updatedAt() : now);
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
    int inserts = 0;
    try (PreparedStatement ps = c.prepareStatement(atomInsert())) {
      for (AtomDetail ad : atoms) {
        if (storedAtoms.containsKey(ad.uuid())) {
          continue;
        }
        bindAtomInsert(ps, 1, fd.uuid(), ad, now);
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
        int i = rows.atomData(up, 2, ad);
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

  void destroyLogBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    conn.write(
        "destroying logbook '" + bookUuid + "'",
        c -> {
          conn.checkFence(c, "the destruction of logbook '" + bookUuid + "'");
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

  /**
   * Deletes a flow row and its atom rows in one transaction, after reading the flow's revision with
   * a lock held until commit (one writer at a time on SQLite): a checked delete ({@code revision !=
   * 0}) of a flow another writer moved on meanwhile deletes nothing. Atoms are deleted explicitly,
   * like {@link #destroyLogBook}: the foreign keys may be missing or off.
   */
  void destroyFlowDetail(String flowUuid, long revision) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    conn.ensureOpen();
    conn.write(
        "destroying flow detail '" + flowUuid + "'",
        c -> {
          conn.checkFence(c, "the destruction of flow detail '" + flowUuid + "'");
          Stored stored = stored(c, "flowdetails", List.of(flowUuid)).get(flowUuid);
          if (stored == null) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          WriteRules.checkRevision(Kind.FLOW, flowUuid, revision, stored.revision());
          try (PreparedStatement ps = c.prepareStatement(DELETE_ATOMS_OF_FLOW)) {
            ps.setString(1, flowUuid);
            ps.executeUpdate();
          }
          try (PreparedStatement ps = c.prepareStatement(DELETE_FLOW)) {
            ps.setString(1, flowUuid);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** Deletes the atom rows of one flow. */
  static final String DELETE_ATOMS_OF_FLOW = "DELETE FROM atomdetails WHERE parent_uuid = ?";

  /** Deletes one flow row. */
  static final String DELETE_FLOW = "DELETE FROM flowdetails WHERE uuid = ?";

  /**
   * Deletes the flows whose stored revision is still the one given (0: any), with their atoms, in
   * one transaction: their rows are locked and read, then the matching ones deleted with the
   * statements of {@link #flowDeletes}. A flow changed or gone is left as it is.
   */
  java.util.Set<String> destroyFlowDetails(Map<String, Long> revisions) {
    Objects.requireNonNull(revisions, "revisions");
    conn.ensureOpen();
    if (revisions.isEmpty()) {
      return java.util.Set.of();
    }
    List<String> uuids = new ArrayList<>(revisions.keySet());
    return conn.write(
        "destroying " + uuids.size() + " flow detail(s)",
        c -> {
          conn.checkFence(c, "the destruction of " + uuids.size() + " flow detail(s)");
          Map<String, Stored> stored = stored(c, "flowdetails", uuids);
          List<String> doomed = new ArrayList<>(stored.size());
          for (String u : uuids) {
            Stored st = stored.get(u);
            long want = revisions.get(u) == null ? 0 : revisions.get(u);
            if (st != null && (want <= 0 || st.revision() == want)) {
              doomed.add(u);
            }
          }
          for (Delete d : flowDeletes(doomed)) {
            d.run(c);
          }
          return new java.util.LinkedHashSet<>(doomed);
        });
  }

  /**
   * A delete statement and the parameters of each of its executions: one execution is run alone,
   * several as batches of {@link #BATCH_ROWS}, each sent in one round trip.
   */
  record Delete(String sql, List<List<String>> executions) {
    void run(java.sql.Connection c) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (executions.size() == 1) {
          JdbcReader.bind(ps, executions.get(0));
          ps.executeUpdate();
          return;
        }
        int batched = 0;
        for (List<String> parameters : executions) {
          JdbcReader.bind(ps, parameters);
          ps.addBatch();
          if (++batched == BATCH_ROWS) {
            ps.executeBatch();
            batched = 0;
          }
        }
        if (batched > 0) {
          ps.executeBatch();
        }
      }
    }
  }

  /**
   * The statements deleting the rows of these flows, their atoms first (the foreign keys may be
   * missing or off, see {@link #destroyLogBook}).
   *
   * <p>On PostgreSQL one statement per flow and table ({@link #DELETE_ATOMS_OF_FLOW}, {@link
   * #DELETE_FLOW}), run as a batch. With an {@code IN} list of uuids its planner estimates the rows
   * matched from the table's statistics, and on a table never analysed (autovacuum off, a bulk
   * load) it takes each uuid to match 0.5% of the table: a prune's batch of 200 uuids seems to
   * match most of it, and every batch scanned the whole atom table (55 ms instead of 6 ms per batch
   * at 300,000 atoms, growing with the table). For one uuid the estimate stays small, and the index
   * is used whatever the statistics say. SQLite and MySQL/MariaDB (whose InnoDB keeps statistics
   * itself and probes the index for each value of a short list) take two statements per chunk of
   * {@link JdbcConnection#IN_CHUNK} uuids.
   */
  List<Delete> flowDeletes(List<String> flowUuids) {
    List<Delete> out = new ArrayList<>();
    if (flowUuids.isEmpty()) {
      return out;
    }
    if (dialect == Dialect.POSTGRESQL) {
      List<List<String>> each = flowUuids.stream().map(List::of).toList();
      out.add(new Delete(DELETE_ATOMS_OF_FLOW, each));
      out.add(new Delete(DELETE_FLOW, each));
      return out;
    }
    for (int from = 0; from < flowUuids.size(); from += IN_CHUNK) {
      List<String> chunk = flowUuids.subList(from, Math.min(flowUuids.size(), from + IN_CHUNK));
      String in = "(" + JdbcReader.placeholders(chunk.size()) + ")";
      out.add(new Delete("DELETE FROM atomdetails WHERE parent_uuid IN " + in, List.of(chunk)));
      out.add(new Delete("DELETE FROM flowdetails WHERE uuid IN " + in, List.of(chunk)));
    }
    return out;
  }

  /**
   * The database's plans of the statements that {@link #destroyFlowDetails} runs to delete these
   * flows (each with the parameters of its first execution): to see that they read an index, not
   * the whole table. Nothing is deleted.
   */
  List<List<String>> explainFlowDeletes(List<String> flowUuids) {
    conn.ensureOpen();
    return backend.run(
        "explaining a delete of flow details",
        false,
        c -> {
          List<List<String>> plans = new ArrayList<>();
          for (Delete d : flowDeletes(flowUuids)) {
            plans.add(
                SqlPlans.explain(
                    c, dialect, d.sql(), ps -> JdbcReader.bind(ps, d.executions().get(0))));
          }
          return plans;
        });
  }

  /**
   * Deletes a logbook row if no flow row names it as parent, in one statement (the check and the
   * delete cannot be split by another writer's insert). MySQL/MariaDB refuse a subquery on the
   * table being deleted from, not on another one, so the same statement serves every dialect.
   */
  boolean destroyLogBookIfEmpty(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    return conn.write(
        "destroying logbook '" + bookUuid + "' if empty",
        c -> {
          conn.checkFence(c, "the destruction of logbook '" + bookUuid + "'");
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM logbooks WHERE uuid = ? AND NOT EXISTS"
                      + " (SELECT 1 FROM flowdetails f WHERE f.parent_uuid = ?)")) {
            ps.setString(1, bookUuid);
            ps.setString(2, bookUuid);
            return ps.executeUpdate() > 0;
          }
        });
  }
}
