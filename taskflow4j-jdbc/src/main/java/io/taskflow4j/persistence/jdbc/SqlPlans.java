package io.taskflow4j.persistence.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The database's plan of a statement, one line per row of {@code EXPLAIN} ({@code EXPLAIN QUERY
 * PLAN} on SQLite; on MySQL/MariaDB, whose {@code EXPLAIN} gives one row of columns per table read,
 * each row as {@code column=value} pairs): for tests that check a statement reads an index rather
 * than the whole table. Only the plan is made: the statement is not run.
 */
final class SqlPlans {
  private SqlPlans() {}

  /** Sets the parameters of a prepared statement. */
  @FunctionalInterface
  interface Parameters {
    void set(PreparedStatement ps) throws SQLException;
  }

  /** The plan of {@code sql} with the parameters {@code parameters} binds. */
  static List<String> explain(
      java.sql.Connection c, Dialect dialect, String sql, Parameters parameters)
      throws SQLException {
    String explain = dialect == Dialect.SQLITE ? "EXPLAIN QUERY PLAN " : "EXPLAIN ";
    List<String> plan = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(explain + sql)) {
      parameters.set(ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.add(
              switch (dialect) {
                case SQLITE -> rs.getString("detail");
                case POSTGRESQL -> rs.getString(1);
                case MYSQL -> columns(rs);
              });
        }
      }
    }
    return plan;
  }

  private static String columns(ResultSet rs) throws SQLException {
    StringBuilder row = new StringBuilder();
    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
      row.append(i == 1 ? "" : " ")
          .append(rs.getMetaData().getColumnLabel(i))
          .append('=')
          .append(rs.getString(i));
    }
    return row.toString();
  }
}
