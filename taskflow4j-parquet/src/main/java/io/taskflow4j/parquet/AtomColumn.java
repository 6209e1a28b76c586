package io.taskflow4j.parquet;

import io.taskflow4j.persistence.Stamp;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import org.duckdb.DuckDBAppender;

/**
 * The columns of the Parquet file, in the order and with the names of the {@code export --format
 * jsonl} keys. Each knows its DuckDB type and how to append a row's value of it.
 *
 * <p>Times are {@code TIMESTAMP WITH TIME ZONE}, which Parquet stores as microseconds since the
 * epoch marked as UTC ({@code isAdjustedToUTC=true}): Spark reads it as {@code TimestampType},
 * pandas as {@code datetime64[us, UTC]}, with no parsing and no guess about the zone.
 */
enum AtomColumn {
  BOOK_UUID(Kind.TEXT),
  BOOK_NAME(Kind.TEXT),
  FLOW_UUID(Kind.TEXT),
  FLOW_NAME(Kind.TEXT),
  FLOW_STATE(Kind.TEXT),
  ATOM_UUID(Kind.TEXT),
  ATOM_NAME(Kind.TEXT),
  ATOM_TYPE(Kind.TEXT),
  STATE(Kind.TEXT),
  INTENTION(Kind.TEXT),
  STARTED_AT(Kind.TIME),
  ENDED_AT(Kind.TIME),
  DURATION(Kind.SECONDS),
  ATTEMPT(Kind.COUNT),
  HOST(Kind.TEXT),
  EXCEPTION_TYPE(Kind.TEXT),
  EXCEPTION_MESSAGE(Kind.TEXT),
  RESULT_BYTES(Kind.SIZE),
  FLOW_CREATED_AT(Kind.TIME),
  FLOW_UPDATED_AT(Kind.TIME);

  /** The kinds of value, each with its DuckDB type. */
  enum Kind {
    TEXT("VARCHAR"),
    TIME("TIMESTAMPTZ"),
    SECONDS("DOUBLE"),
    COUNT("INTEGER"),
    SIZE("BIGINT");

    final String sqlType;

    Kind(String sqlType) {
      this.sqlType = sqlType;
    }
  }

  private static final Map<String, AtomColumn> BY_NAME = new HashMap<>();

  static {
    for (AtomColumn c : values()) {
      BY_NAME.put(c.columnName, c);
    }
  }

  /** The column's name in the file: the jsonl key. */
  final String columnName;

  final Kind kind;

  AtomColumn(Kind kind) {
    this.columnName = name().toLowerCase(java.util.Locale.ROOT);
    this.kind = kind;
  }

  /** The column named {@code name}, or null. */
  static AtomColumn named(String name) {
    return BY_NAME.get(name);
  }

  /** The table the rows are appended to before they are written out. */
  static String createTable(String table) {
    StringBuilder sql = new StringBuilder("CREATE TABLE ").append(table).append(" (");
    for (AtomColumn c : values()) {
      sql.append(c.ordinal() == 0 ? "" : ", ").append(c.columnName).append(' ');
      sql.append(c.kind.sqlType);
    }
    return sql.append(')').toString();
  }

  /**
   * Appends {@code v} as this column's value. A value of another type becomes null, as in the jsonl
   * line (a meta time that is not a time, a duration that is not a number).
   */
  void append(DuckDBAppender a, Object v) throws SQLException {
    switch (kind) {
      case TEXT -> {
        if (v == null) {
          a.appendNull();
        } else {
          a.append(v.toString());
        }
      }
      case TIME -> {
        Instant t = instant(v);
        if (t == null) {
          a.appendNull();
        } else {
          a.appendEpochMicros(ChronoUnit.MICROS.between(Instant.EPOCH, t));
        }
      }
      case SECONDS -> {
        if (v instanceof Number n) {
          a.append(n.doubleValue());
        } else {
          a.appendNull();
        }
      }
      case COUNT -> {
        if (v instanceof Number n && n.longValue() == n.intValue()) {
          a.append(n.intValue());
        } else {
          a.appendNull();
        }
      }
      case SIZE -> {
        if (v instanceof Number n) {
          a.append(n.longValue());
        } else {
          a.appendNull();
        }
      }
    }
  }

  /** An instant, a stamp or the text of a time (ISO-8601, TaskFlow's naive UTC too); else null. */
  private static Instant instant(Object v) {
    if (v == null || v instanceof Instant) {
      return (Instant) v;
    }
    if (v instanceof Stamp s) {
      return s.instant();
    }
    try {
      return TaskFlowFormat.unmarshalTime(v);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
