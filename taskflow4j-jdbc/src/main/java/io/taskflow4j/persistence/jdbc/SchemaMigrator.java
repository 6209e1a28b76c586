package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.StorageException;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;

/**
 * Brings a database to the current schema with Flyway ({@code db/migration/<dialect>/V*.sql}).
 *
 * <ul>
 *   <li>An empty database (or one holding only unrelated tables) gets V1 (TaskFlow's tables at
 *       alembic head {@value #ALEMBIC_HEAD}) and V2 (taskflow4j's revision/sequence columns and
 *       parent indexes).
 *   <li>A database TaskFlow made (its tables, no Flyway history) is adopted: it must be at
 *       TaskFlow's head schema; it is baselined at V1 and V2 runs, keeping every row.
 *   <li>A database migrated by a newer taskflow4j (history beyond what this code knows), or by an
 *       unknown TaskFlow revision, is refused with {@link IncompatibleVersionException} and left
 *       untouched.
 * </ul>
 */
final class SchemaMigrator {
  /** TaskFlow's newest alembic revision, whose schema V1 reproduces. */
  static final String ALEMBIC_HEAD = "00af93df9d77";

  /** Flyway's history table (named for the project so it cannot clash with the application's). */
  static final String HISTORY_TABLE = "taskflow4j_schema_history";

  /** Columns a TaskFlow-made atomdetails table must have to be adopted. */
  private static final List<String> TASKFLOW_ATOM_COLUMNS =
      List.of(
          "uuid",
          "parent_uuid",
          "name",
          "version",
          "state",
          "meta",
          "failure",
          "results",
          "revert_results",
          "revert_failure",
          "atom_type",
          "intention");

  private final Dialect dialect;
  private final String description;
  private final UnaryOperator<String> scrub;

  /**
   * @param description what the database is, for messages (no password)
   * @param scrub removes the password from driver and Flyway texts
   */
  SchemaMigrator(Dialect dialect, String description, UnaryOperator<String> scrub) {
    this.dialect = dialect;
    this.description = description;
    this.scrub = scrub;
  }

  /** Migrates over this connection (which Flyway uses for everything, without closing it). */
  void upgrade(Connection c) throws SQLException {
    Set<String> tables = tables(c);
    boolean hasHistory = tables.contains(HISTORY_TABLE);
    boolean hasTaskFlowTables =
        tables.contains("logbooks")
            || tables.contains("flowdetails")
            || tables.contains("atomdetails");
    Flyway flyway = flyway(c, hasHistory || !hasTaskFlowTables);
    try {
      if (hasHistory) {
        refuseFuture(flyway);
      } else if (hasTaskFlowTables) {
        checkTaskFlowSchema(c, tables);
        flyway.baseline();
      }
      flyway.migrate();
    } catch (FlywayException e) {
      throw new StorageException(
          "Failed upgrading the schema of "
              + description
              + ": "
              + scrub.apply(firstLine(e.getMessage())),
          e);
    } finally {
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
  }

  /** The schema version recorded by Flyway, or {@code null} when never migrated. */
  String currentVersion(Connection c) {
    MigrationInfo current = flyway(c, false).info().current();
    return current == null ? null : current.getVersion().getVersion();
  }

  private Flyway flyway(Connection c, boolean fromEmpty) {
    return Flyway.configure(SchemaMigrator.class.getClassLoader())
        .dataSource(new BorrowedDataSource(c))
        .locations(dialect.migrations())
        .table(HISTORY_TABLE)
        // Unrelated tables in the same schema must not stop a fresh install: baseline at 0 so
        // V1 still runs. A TaskFlow database is baselined explicitly at 1 (see upgrade()).
        .baselineOnMigrate(fromEmpty)
        .baselineVersion(fromEmpty ? "0" : "1")
        .baselineDescription(fromEmpty ? "empty database" : "TaskFlow schema " + ALEMBIC_HEAD)
        .cleanDisabled(true)
        .validateOnMigrate(true)
        .loggers("slf4j")
        .load();
  }

  private void refuseFuture(Flyway flyway) {
    for (MigrationInfo i : flyway.info().all()) {
      MigrationState st = i.getState();
      if (st == MigrationState.FUTURE_SUCCESS || st == MigrationState.FUTURE_FAILED) {
        throw new IncompatibleVersionException(
            "The schema of "
                + description
                + " is at version "
                + i.getVersion()
                + " ('"
                + i.getDescription()
                + "'), newer than this taskflow4j knows; upgrade taskflow4j. Nothing was changed.");
      }
      if (st == MigrationState.FAILED) {
        throw new StorageException(
            "An earlier schema upgrade of "
                + description
                + " to version "
                + i.getVersion()
                + " failed half-way; repair the database (see "
                + HISTORY_TABLE
                + ") before using it");
      }
    }
  }

  private void checkTaskFlowSchema(Connection c, Set<String> tables) throws SQLException {
    for (String t : List.of("logbooks", "flowdetails", "atomdetails")) {
      if (!tables.contains(t)) {
        throw new IncompatibleVersionException(
            "The database "
                + description
                + " has some of TaskFlow's tables but not '"
                + t
                + "'; it cannot be adopted. Nothing was changed.");
      }
    }
    if (tables.contains("alembic_version")) {
      String rev = null;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
        if (rs.next()) {
          rev = rs.getString(1);
        }
      }
      if (rev != null && !rev.equals(ALEMBIC_HEAD)) {
        throw new IncompatibleVersionException(
            "TaskFlow's schema in "
                + description
                + " is at alembic revision "
                + rev
                + ", not "
                + ALEMBIC_HEAD
                + " which this taskflow4j shares; bring it to that revision with TaskFlow's"
                + " migrations first. Nothing was changed.");
      }
    }
    Set<String> cols = columns(c, "atomdetails");
    for (String col : TASKFLOW_ATOM_COLUMNS) {
      if (!cols.contains(col)) {
        throw new IncompatibleVersionException(
            "TaskFlow's atomdetails table in "
                + description
                + " has no '"
                + col
                + "' column: it predates the schema this taskflow4j shares; upgrade it with"
                + " TaskFlow first. Nothing was changed.");
      }
    }
  }

  private static Set<String> tables(Connection c) throws SQLException {
    Set<String> out = new HashSet<>();
    DatabaseMetaData md = c.getMetaData();
    String catalog = c.getCatalog();
    String schema = c.getSchema();
    try (ResultSet rs = md.getTables(catalog, schema, "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        out.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  private static Set<String> columns(Connection c, String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      var md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        out.add(md.getColumnName(i).toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl > 0 ? t.substring(0, nl) : t;
  }

  /** Hands Flyway the one connection we hold; Flyway's close() leaves it open. */
  private static final class BorrowedDataSource implements DataSource {
    private final Connection c;

    BorrowedDataSource(Connection c) {
      this.c = c;
    }

    @Override
    public Connection getConnection() {
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().equals("close") && method.getParameterCount() == 0) {
                  return null;
                }
                try {
                  return method.invoke(c, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public Connection getConnection(String username, String password) {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getLogger("io.taskflow4j.persistence.jdbc");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this);
    }
  }
}
