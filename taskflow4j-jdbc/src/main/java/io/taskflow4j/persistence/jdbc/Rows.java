package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.Timestamps;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.CorruptRecordException.Kind;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds model values to statement parameters and reads them back from rows, in the column forms
 * TaskFlow uses: JSON text (native JSON on PostgreSQL) for meta, results and failures, upper-case
 * state and intention names, {@code TASK_DETAIL}/{@code RETRY_DETAIL} type tags, naive UTC times.
 */
final class Rows {
  /** How SQLAlchemy writes a DateTime on SQLite, which TaskFlow reads back. */
  private static final DateTimeFormatter SQLITE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /**
   * The atom columns read everywhere, aliased with a {@code a_} prefix; without {@code revision} (a
   * store taskflow4j has not upgraded) every atom reads as revision 0.
   */
  static String atomColumns(boolean revision) {
    return "a.uuid AS a_uuid, a.name AS a_name, a.state AS a_state, a.intention AS a_intention,"
        + " a.version AS a_version, a.meta AS a_meta, a.failure AS a_failure,"
        + " a.results AS a_results, a.revert_results AS a_revert_results,"
        + " a.revert_failure AS a_revert_failure, a.atom_type AS a_atom_type,"
        + (revision ? " a.revision" : " 0")
        + " AS a_revision, a.parent_uuid AS a_parent_uuid";
  }

  /**
   * The flow columns read everywhere, aliased with a {@code f_} prefix; without {@code revision}
   * every flow reads as revision 0.
   */
  static String flowColumns(boolean revision) {
    return "f.uuid AS f_uuid, f.name AS f_name, f.state AS f_state, f.meta AS f_meta,"
        + (revision ? " f.revision" : " 0")
        + " AS f_revision, f.parent_uuid AS f_parent_uuid, f.created_at AS f_created_at,"
        + " f.updated_at AS f_updated_at";
  }

  /** The logbook columns, aliased with a {@code b_} prefix. */
  static final String BOOK_COLUMNS =
      "b.uuid AS b_uuid, b.name AS b_name, b.meta AS b_meta, b.created_at AS b_created_at,"
          + " b.updated_at AS b_updated_at";

  private final Dialect dialect;

  Rows(Dialect dialect) {
    this.dialect = dialect;
  }

  // ---- binding ----

  void time(PreparedStatement ps, int i, Instant t) throws SQLException {
    if (t == null) {
      ps.setNull(i, dialect == Dialect.SQLITE ? Types.VARCHAR : Types.TIMESTAMP);
    } else if (dialect == Dialect.SQLITE) {
      ps.setString(i, sqliteTime(t));
    } else {
      ps.setObject(i, LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    }
  }

  /**
   * {@code t} as SQLAlchemy writes a DateTime on SQLite ({@code 2026-01-02 03:04:05.123456}, UTC,
   * the microseconds truncated): the text of {@link #SQLITE_TIME}, built by hand for the years 1 to
   * 9999 ({@link Timestamps#sqlAlchemy}), since the formatter cost a tenth of a durable SQLite
   * write's processor time.
   */
  static String sqliteTime(Instant t) {
    String text = Timestamps.sqlAlchemy(t);
    return text != null ? text : SQLITE_TIME.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
  }

  static void json(PreparedStatement ps, int i, Object value) throws SQLException {
    if (value == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, Json.write(value));
    }
  }

  static void string(PreparedStatement ps, int i, String value) throws SQLException {
    if (value == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, value);
    }
  }

  /**
   * Binds the atom's data columns from {@code first}: meta, name, version, state, failure, results,
   * revert_results, revert_failure, intention (9 parameters).
   */
  int atomData(PreparedStatement ps, int first, AtomDetail ad) throws SQLException {
    int i = first;
    json(ps, i++, ad.meta());
    ps.setString(i++, ad.name());
    string(ps, i++, ad.version());
    ps.setString(i++, ad.state().name());
    json(ps, i++, TaskFlowFormat.failureToMap(ad.failure()));
    json(ps, i++, TaskFlowFormat.resultsToJson(ad));
    json(ps, i++, ad.revertResults());
    json(ps, i++, TaskFlowFormat.failureToMap(ad.revertFailure()));
    enumeration(ps, i++, ad.intention().name());
    return i;
  }

  /**
   * Binds the value of an enum column: the intention and the atom's type tag. PostgreSQL's columns
   * are native enum types whose names differ between stores (TaskFlow's migrations name the
   * intention's {@code intention_type}, its table model {@code intentions}), so the value goes
   * untyped, as TaskFlow binds it, and the server takes the type from the column it is assigned to
   * or compared with.
   */
  void enumeration(PreparedStatement ps, int i, String value) throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      ps.setObject(i, value, Types.OTHER);
    } else {
      ps.setString(i, value);
    }
  }

  /** The SQL assignments matching {@link #atomData}. */
  String atomDataAssignments() {
    String j = dialect.json();
    return "meta = "
        + j
        + ", name = ?, version = ?, state = ?, failure = "
        + j
        + ", results = "
        + j
        + ", revert_results = "
        + j
        + ", revert_failure = "
        + j
        + ", intention = ?";
  }

  // ---- reading ----

  Instant time(ResultSet rs, String label) throws SQLException {
    if (dialect == Dialect.SQLITE) {
      String s = rs.getString(label);
      return s == null || s.isBlank() ? null : TaskFlowFormat.unmarshalTime(s);
    }
    LocalDateTime t = rs.getObject(label, LocalDateTime.class);
    return t == null ? null : t.toInstant(ZoneOffset.UTC);
  }

  static Object json(ResultSet rs, String label) throws SQLException {
    String s = rs.getString(label);
    return s == null ? null : Json.read(s);
  }

  /**
   * A logbook from its row. A row that cannot be read as one (JSON that does not parse, a time that
   * is no time) is a {@link CorruptRecordException} naming it.
   */
  LogBook book(ResultSet rs, List<FlowDetail> flows) throws SQLException {
    String uuid = rs.getString("b_uuid");
    try {
      Object meta = json(rs, "b_meta");
      Instant created;
      Instant updated;
      try {
        created = time(rs, "b_created_at");
        updated = time(rs, "b_updated_at");
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("an unreadable time: " + e.getMessage(), e);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> metaMap =
          meta instanceof Map<?, ?> mm ? (Map<String, Object>) mm : Map.of();
      String name = rs.getString("b_name");
      return LogBook.of(uuid, name == null ? "" : name, created, updated, metaMap, flows);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(Kind.LOGBOOK, uuid, uuid, "logbooks", e);
    }
  }

  /**
   * A flow detail from its row (aliased as {@link #flowColumns}), carrying {@code atoms} and the
   * row's record times (a row TaskFlow inserted has no update time: it reports its creation time).
   * A row that cannot be read as one is a {@link CorruptRecordException} naming it and its logbook.
   */
  FlowDetail flow(ResultSet rs, List<AtomDetail> atoms) throws SQLException {
    String uuid = rs.getString("f_uuid");
    try {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("uuid", uuid);
      m.put("name", rs.getString("f_name"));
      m.put("state", rs.getString("f_state"));
      m.put("meta", json(rs, "f_meta"));
      Instant created;
      Instant updated;
      try {
        created = time(rs, "f_created_at");
        updated = time(rs, "f_updated_at");
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("an unreadable time: " + e.getMessage(), e);
      }
      FlowDetail fd = TaskFlowFormat.flowDetailFromMap(m, atoms, rs.getLong("f_revision"));
      return fd.withTimes(created == null ? updated : created, updated);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(Kind.FLOW_DETAIL, uuid, rs.getString("f_parent_uuid"), "flowdetails", e);
    }
  }

  /**
   * An atom detail from its row (aliased as {@link #atomColumns}). A row that cannot be read as one
   * is a {@link CorruptRecordException} naming it and {@code bookUuid}, the logbook that holds it
   * ({@code null} when not known).
   */
  static AtomDetail atom(ResultSet rs, String bookUuid) throws SQLException {
    String uuid = rs.getString("a_uuid");
    try {
      // Read by key, never changed: an array map, not a linked hash map's node per column.
      Map<String, Object> m =
          ArrayMap.ofDistinct(
              new Object[] {
                "uuid", uuid,
                "name", rs.getString("a_name"),
                "state", rs.getString("a_state"),
                "intention", rs.getString("a_intention"),
                "version", rs.getString("a_version"),
                "meta", json(rs, "a_meta"),
                "failure", json(rs, "a_failure"),
                "results", json(rs, "a_results"),
                "revert_results", json(rs, "a_revert_results"),
                "revert_failure", json(rs, "a_revert_failure")
              });
      String type = rs.getString("a_atom_type");
      return TaskFlowFormat.atomFromMap(
          type == null ? AtomDetail.TASK_DETAIL : type, m, rs.getLong("a_revision"));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(Kind.ATOM_DETAIL, uuid, bookUuid, "atomdetails", e);
    }
  }

  private static CorruptRecordException corrupt(
      Kind kind, String uuid, String bookUuid, String table, RuntimeException e) {
    return new CorruptRecordException(
        kind, uuid, bookUuid, "table " + table, String.valueOf(e.getMessage()), e);
  }
}
