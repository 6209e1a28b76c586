package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rows of one {@link SqlJobboard}'s jobs in one dialect: the database's clock in SQL (leases
 * are judged by it), the conditions of a claimable job and of a held claim, and the reading of rows
 * back as jobs.
 */
final class SqlJobRows {
  /** The columns of a job row, in the order {@link #readJob} reads them. */
  static final String COLUMNS =
      "uuid, name, book_name, book_uuid, details, priority, seq, created_on, owner, epoch,"
          + " failures, idempotency_key";

  /**
   * The board's condition in a statement that finds its rows by uuid, the primary key: true for the
   * rows of the bound board, but no index condition. With a plain {@code board = ?} PostgreSQL may,
   * on a jobs table without statistics (never analysed, or analysed while it was empty, as a
   * queue's table often is), judge the claim index (board, priority, seq) as good as the primary
   * key, and walk every job of the board to find one.
   */
  static final String OF_BOARD = "(board = ?) IS TRUE";

  /** SQLite's clock in milliseconds since the epoch (its lease columns hold such numbers). */
  private static final String SQLITE_NOW =
      "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

  private final Dialect dialect;
  private final Rows rows;
  private final String board;

  /** SQL of this dialect, built once. */
  final String now;

  final String claimable;
  final String heldBy;

  SqlJobRows(Dialect dialect, Rows rows, String board) {
    this.dialect = dialect;
    this.rows = rows;
    this.board = board;
    this.now =
        switch (dialect) {
          case POSTGRESQL -> "now()";
          case MYSQL -> "NOW(6)";
          case SQLITE -> SQLITE_NOW;
        };
    this.claimable = claimableBy(now);
    this.heldBy =
        "uuid = ? AND " + OF_BOARD + " AND epoch = ? AND owner = ? AND lease_until > " + now;
  }

  /** The condition of a claimable job (free, or its lease lapsed) by the clock {@code now}. */
  static String claimableBy(String now) {
    return "(owner IS NULL OR lease_until < " + now + ")";
  }

  /** The database's clock plus ({@code sign} 1) or minus (-1) a bound number of milliseconds. */
  String nowPlusMillis(int sign) {
    return plusMillis(now, sign);
  }

  /** {@code time} plus ({@code sign} 1) or minus (-1) a bound number of milliseconds. */
  String plusMillis(String time, int sign) {
    String op = sign > 0 ? " + " : " - ";
    return switch (dialect) {
      case POSTGRESQL -> time + op + "CAST(? AS BIGINT) * INTERVAL '1 millisecond'";
      case MYSQL -> time + op + "INTERVAL (? * 1000) MICROSECOND";
      case SQLITE -> "(" + time + op + "?)";
    };
  }

  /**
   * Milliseconds from the database's clock to the time in {@code column} (negative when past): the
   * lease columns are in the database's clock (and, in MySQL, its session's zone), so a time is
   * read as a distance from now and placed on this JVM's clock.
   */
  String millisFromNow(String column) {
    return switch (dialect) {
      case POSTGRESQL -> "CAST(EXTRACT(EPOCH FROM (" + column + " - now())) * 1000 AS BIGINT)";
      case MYSQL -> "(TIMESTAMPDIFF(MICROSECOND, NOW(6), " + column + ") DIV 1000)";
      case SQLITE -> "(" + column + " - " + SQLITE_NOW + ")";
    };
  }

  /** {@code now} plus the milliseconds in {@code label}, or {@code null} if it is SQL NULL. */
  static Instant fromNow(ResultSet rs, String label, Instant now) throws SQLException {
    long ms = rs.getLong(label);
    return rs.wasNull() ? null : now.truncatedTo(ChronoUnit.MILLIS).plusMillis(ms);
  }

  String firstClaimable() {
    return "SELECT uuid FROM taskflow4j_jobs WHERE board = ? AND "
        + claimable
        + " ORDER BY priority, seq LIMIT 1";
  }

  /** The first {@code ?} claimable jobs' uuids, in claiming order (a bound board, then a limit). */
  String firstClaimableLimited() {
    return "SELECT uuid FROM taskflow4j_jobs WHERE board = ? AND "
        + claimable
        + " ORDER BY priority, seq LIMIT ?";
  }

  /** {@code n} placeholders for an {@code IN} list: {@code (?, ?, …)}. */
  static String placeholders(int n) {
    return "(" + String.join(", ", java.util.Collections.nCopies(n, "?")) + ")";
  }

  /** The jobs of this board with these uuids, in claiming order, read as claimed by their owner. */
  List<Job> claimedByUuid(java.sql.Connection c, List<String> uuids) throws SQLException {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM taskflow4j_jobs WHERE "
            + OF_BOARD
            + " AND uuid IN "
            + placeholders(uuids.size())
            + " ORDER BY priority, seq";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, board);
      for (int i = 0; i < uuids.size(); i++) {
        ps.setString(i + 2, uuids.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<Job> out = new ArrayList<>();
        while (rs.next()) {
          out.add(readJob(rs, JobState.CLAIMED, true));
        }
        return out;
      }
    }
  }

  /** Binds {@link #heldBy} from {@code index}. */
  void bindHeld(PreparedStatement ps, int index, Claim claim) throws SQLException {
    ps.setString(index, claim.job().uuid());
    ps.setString(index + 1, board);
    ps.setLong(index + 2, claim.token());
    ps.setString(index + 3, claim.owner().id());
  }

  /** The job of this board with this uuid, as listed now. */
  Optional<Job> byUuid(java.sql.Connection c, String uuid) throws SQLException {
    return first(list(c, OF_BOARD, "uuid = ?", uuid));
  }

  /** The job of this board with this idempotency key, as listed now. */
  Optional<Job> byIdempotencyKey(java.sql.Connection c, String key) throws SQLException {
    return first(list(c, "board = ?", "idempotency_key = ?", key));
  }

  /** The jobs of this board, in claiming order, as listed now. */
  List<Job> all(java.sql.Connection c) throws SQLException {
    return list(c, "board = ?", null, null);
  }

  private static Optional<Job> first(List<Job> found) {
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  /**
   * The jobs matching {@code ofBoard} (one bound board) and {@code where} (none or one bound
   * string), in claiming order.
   */
  private List<Job> list(java.sql.Connection c, String ofBoard, String where, String arg)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(listSql(ofBoard, where))) {
      ps.setString(1, board);
      if (arg != null) {
        ps.setString(2, arg);
      }
      return read(ps);
    }
  }

  /** The jobs {@code ps} (a {@link #listSql} statement, bound) selects. */
  private List<Job> read(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      List<Job> out = new ArrayList<>();
      Instant now = Instant.now();
      while (rs.next()) {
        boolean held = rs.getInt("held") == 1;
        Job j = readJob(rs, held ? JobState.CLAIMED : JobState.UNCLAIMED, held);
        out.add(held ? j.withLeaseUntil(fromNow(rs, "lease_ms", now)) : j);
      }
      return out;
    }
  }

  /** The first {@code limit} jobs of this board, in claiming order, as listed now. */
  List<Job> first(java.sql.Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(listSql(OF_BOARD, null) + " LIMIT ?")) {
      ps.setString(1, board);
      ps.setInt(2, limit);
      return read(ps);
    }
  }

  /**
   * How many jobs of this board are held and how many are not (by the database's clock, as {@link
   * #list} tells them apart), and how many are in its trash: two counting reads, no row read.
   */
  Map<JobState, Long> counts(java.sql.Connection c) throws SQLException {
    Map<JobState, Long> out = new java.util.LinkedHashMap<>();
    out.put(JobState.UNCLAIMED, 0L);
    out.put(JobState.CLAIMED, 0L);
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT CASE WHEN owner IS NOT NULL AND lease_until >= "
                + now
                + " THEN 1 ELSE 0 END AS held, COUNT(*) FROM taskflow4j_jobs WHERE "
                + OF_BOARD
                + " GROUP BY 1")) {
      ps.setString(1, board);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getInt(1) == 1 ? JobState.CLAIMED : JobState.UNCLAIMED, rs.getLong(2));
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT COUNT(*) FROM taskflow4j_jobs_trash WHERE board = ?")) {
      ps.setString(1, board);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        out.put(JobState.TRASHED, rs.getLong(1));
      }
    }
    return out;
  }

  /** The statement of {@link #list}. */
  String listSql(String ofBoard, String where) {
    return "SELECT "
        + COLUMNS
        + ", CASE WHEN owner IS NOT NULL AND lease_until >= "
        + now
        + " THEN 1 ELSE 0 END AS held, "
        + millisFromNow("lease_until")
        + " AS lease_ms FROM taskflow4j_jobs WHERE "
        + ofBoard
        + (where == null ? "" : " AND " + where)
        + " ORDER BY priority, seq";
  }

  /** The job of the current row; {@code withOwner} keeps its owner column. */
  Job readJob(ResultSet rs, JobState state, boolean withOwner) throws SQLException {
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
}
