package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.StoreLimits.Field;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * The {@link StoreLimits} of a SQL store, read from the store itself: the declared size of each
 * column (a store TaskFlow made may differ from ours), what the database refuses in text, the times
 * its column type represents and, on MySQL/MariaDB, the largest statement the server takes.
 */
final class SqlLimits {
  private SqlLimits() {}

  /** Times every SQL column type and TaskFlow's readers represent, from year 1. */
  private static final Instant YEAR_1 = LocalDateTime.of(1, 1, 1, 0, 0).toInstant(ZoneOffset.UTC);

  /** The latest DATETIME(6) of MySQL/MariaDB and the latest time SQLite's text form keeps. */
  private static final Instant YEAR_9999 =
      LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000).toInstant(ZoneOffset.UTC);

  /** The latest TIMESTAMP of PostgreSQL. */
  private static final Instant PG_MAX =
      LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000).toInstant(ZoneOffset.UTC);

  /** Bytes a row's statement needs besides its values (SQL text, headers). */
  private static final long STATEMENT_OVERHEAD = 4096;

  /** Reads the limits of the store behind {@code c}. */
  static StoreLimits read(java.sql.Connection c, Dialect dialect) throws SQLException {
    String name =
        switch (dialect) {
          case POSTGRESQL -> "PostgreSQL";
          case MYSQL -> "MySQL/MariaDB";
          case SQLITE -> "SQLite";
        };
    StoreLimits.Builder b = StoreLimits.builder(name);
    switch (dialect) {
      case POSTGRESQL -> {
        b.noNul("its text columns refuse U+0000");
        b.times(YEAR_1, PG_MAX, "a TIMESTAMP column");
      }
      case MYSQL -> b.times(YEAR_1, YEAR_9999, "a DATETIME column");
      case SQLITE -> b.times(YEAR_1, YEAR_9999, "TaskFlow's text form of times");
    }
    if (dialect == Dialect.SQLITE) {
      // SQLite keeps text of any length whatever a column declares.
      return b.build();
    }
    DatabaseMetaData md = c.getMetaData();
    column(md, c, "logbooks", "uuid", Field.UUID, b);
    column(md, c, "logbooks", "name", Field.BOOK_NAME, b);
    column(md, c, "logbooks", "meta", Field.BOOK_META, b);
    column(md, c, "flowdetails", "uuid", Field.UUID, b);
    column(md, c, "flowdetails", "parent_uuid", Field.UUID, b);
    column(md, c, "flowdetails", "name", Field.FLOW_NAME, b);
    column(md, c, "flowdetails", "meta", Field.FLOW_META, b);
    column(md, c, "atomdetails", "uuid", Field.UUID, b);
    column(md, c, "atomdetails", "parent_uuid", Field.UUID, b);
    column(md, c, "atomdetails", "name", Field.ATOM_NAME, b);
    column(md, c, "atomdetails", "version", Field.ATOM_VERSION, b);
    column(md, c, "atomdetails", "meta", Field.ATOM_META, b);
    column(md, c, "atomdetails", "results", Field.ATOM_RESULTS, b);
    column(md, c, "atomdetails", "failure", Field.ATOM_FAILURE, b);
    column(md, c, "atomdetails", "revert_results", Field.ATOM_REVERT_RESULTS, b);
    column(md, c, "atomdetails", "revert_failure", Field.ATOM_REVERT_FAILURE, b);
    if (dialect == Dialect.MYSQL) {
      long packet = maxAllowedPacket(c);
      if (packet > STATEMENT_OVERHEAD) {
        String why = "the server's max_allowed_packet of " + packet + " bytes per statement";
        for (Field f : Field.values()) {
          if (!f.text()) {
            b.max(f, packet - STATEMENT_OVERHEAD, why);
          }
        }
      }
    }
    return b.build();
  }

  private static void column(
      DatabaseMetaData md,
      java.sql.Connection c,
      String table,
      String column,
      Field field,
      StoreLimits.Builder b)
      throws SQLException {
    try (ResultSet rs = md.getColumns(c.getCatalog(), c.getSchema(), table, column)) {
      while (rs.next()) {
        if (!table.equalsIgnoreCase(rs.getString("TABLE_NAME"))
            || !column.equalsIgnoreCase(rs.getString("COLUMN_NAME"))) {
          continue;
        }
        long size = rs.getLong("COLUMN_SIZE");
        String type = rs.getString("TYPE_NAME");
        if (rs.wasNull() || size <= 0 || size >= Integer.MAX_VALUE) {
          return; // unlimited for what a statement can carry (JSON, LONGTEXT)
        }
        String declared = type == null ? "" : type.toUpperCase(Locale.ROOT);
        boolean text = declared.contains("CHAR");
        if (field.text() && !text && !declared.contains("TEXT")) {
          return;
        }
        b.max(
            field,
            size,
            table
                + "."
                + column
                + " is "
                + declared
                + (text ? "(" + size + ")" : " (" + size + " bytes)"));
        return;
      }
    }
  }

  private static long maxAllowedPacket(java.sql.Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@max_allowed_packet")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}
