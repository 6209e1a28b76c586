package io.taskflow4j.persistence.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConnection;

/**
 * The SQLite writer connection, with transactions and statements that cost one step each instead of
 * a statement compiled for every use.
 *
 * <p>The driver compiles every statement afresh, and runs a transaction as four compiled commands:
 * {@code setAutoCommit(false)} begins, {@code commit()} commits and begins the next one at once,
 * and {@code setAutoCommit(true)} commits that empty one. A write of one record spent more time
 * there than in the write. This connection keeps the driver in auto-commit mode and runs the
 * transaction's {@code BEGIN}, {@code COMMIT}, {@code ROLLBACK} and savepoints itself as prepared
 * statements, and keeps the statements its callers prepare (up to {@value #CACHED} of them): a
 * caller's {@code close()} hands a statement back for the next use instead of finalizing it.
 *
 * <p>To its callers it behaves like any JDBC connection: {@code getAutoCommit()} answers what they
 * set, a transaction begins when auto-commit is turned off and after each commit or rollback when
 * the next statement is made, and turning auto-commit back on commits. A statement still open (used
 * twice at once) is prepared anew for the second use and closed after it.
 *
 * <p>One thread uses it at a time (the writer pool holds one connection and lends it to one
 * caller).
 */
final class SqliteWriterConnection implements InvocationHandler {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteWriterConnection.class);

  /** How many distinct statements are kept compiled. */
  static final int CACHED = 64;

  private final Connection raw;
  private final String begin;
  private final Map<String, Cached> statements =
      new LinkedHashMap<>(CACHED * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          if (size() > CACHED) {
            eldest.getValue().closeQuietly();
            return true;
          }
          return false;
        }
      };
  private PreparedStatement beginStatement;
  private PreparedStatement commitStatement;
  private PreparedStatement rollbackStatement;

  /** What the caller set; the driver itself stays in auto-commit mode. */
  private boolean autoCommit = true;

  /** Whether this connection began a transaction that has not ended yet. */
  private boolean inTransaction;

  private int savepoints;

  private SqliteWriterConnection(Connection raw) throws SQLException {
    this.raw = raw;
    String mode =
        raw instanceof SQLiteConnection s
            ? s.getConnectionConfig().getTransactionMode().name()
            : "DEFERRED";
    this.begin = "BEGIN " + mode;
  }

  /** {@code raw}, a connection of the SQLite driver in auto-commit mode, wrapped. */
  static Connection wrap(Connection raw) throws SQLException {
    if (!raw.getAutoCommit()) {
      raw.setAutoCommit(true);
    }
    return (Connection)
        Proxy.newProxyInstance(
            SqliteWriterConnection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new SqliteWriterConnection(raw));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    int arity = method.getParameterCount();
    switch (name) {
      case "prepareStatement":
        if (arity == 1) {
          return prepare((String) args[0]);
        }
        ensureTransaction();
        break;
      case "createStatement":
      case "prepareCall":
        ensureTransaction();
        break;
      case "getAutoCommit":
        return autoCommit;
      case "setAutoCommit":
        setAutoCommit((Boolean) args[0]);
        return null;
      case "commit":
        commit();
        return null;
      case "rollback":
        if (arity == 0) {
          rollback();
        } else {
          exec("ROLLBACK TO SAVEPOINT " + quoted(((Savepoint) args[0]).getSavepointName()));
        }
        return null;
      case "setSavepoint":
        return savepoint(arity == 0 ? null : (String) args[0]);
      case "releaseSavepoint":
        exec("RELEASE SAVEPOINT " + quoted(((Savepoint) args[0]).getSavepointName()));
        return null;
      case "close":
        close();
        return null;
      case "unwrap":
        if (((Class<?>) args[0]).isInstance(proxy)) {
          return proxy;
        }
        break;
      case "isWrapperFor":
        if (((Class<?>) args[0]).isInstance(proxy)) {
          return true;
        }
        break;
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "SqliteWriterConnection{" + raw + "}";
      default:
        break;
    }
    try {
      return method.invoke(raw, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    ensureTransaction();
    Cached c = statements.get(sql);
    if (c == null) {
      c = new Cached(raw.prepareStatement(sql));
      statements.put(sql, c);
    } else if (c.lent) {
      return raw.prepareStatement(sql); // used twice at once: a statement of its own
    }
    c.lent = true;
    return c.view;
  }

  private void ensureTransaction() throws SQLException {
    if (!autoCommit && !inTransaction) {
      beginStatement = run(beginStatement, begin);
      inTransaction = true;
    }
  }

  private void setAutoCommit(boolean on) throws SQLException {
    if (on == autoCommit) {
      return;
    }
    if (on) {
      if (inTransaction) {
        commitStatement = run(commitStatement, "COMMIT");
        inTransaction = false;
      }
      autoCommit = true;
    } else {
      autoCommit = false;
      ensureTransaction();
    }
  }

  private void commit() throws SQLException {
    if (autoCommit) {
      throw new SQLException("database in auto-commit mode");
    }
    if (inTransaction) {
      commitStatement = run(commitStatement, "COMMIT");
      inTransaction = false;
    }
  }

  private void rollback() throws SQLException {
    if (autoCommit) {
      throw new SQLException("database in auto-commit mode");
    }
    if (!inTransaction) {
      return;
    }
    inTransaction = false;
    savepoints = 0;
    try {
      rollbackStatement = run(rollbackStatement, "ROLLBACK");
    } catch (SQLException e) {
      // SQLite ends a transaction itself after some errors (a full disk, an I/O error); then
      // there is nothing left to roll back.
      if (raw.getAutoCommit() && !nativeTransactionOpen()) {
        return;
      }
      throw e;
    }
  }

  private Savepoint savepoint(String given) throws SQLException {
    ensureTransaction();
    int id = ++savepoints;
    String name = given != null ? given : "tf4j_sp" + id;
    exec("SAVEPOINT " + quoted(name));
    return new Savepoint() {
      @Override
      public int getSavepointId() throws SQLException {
        if (given != null) {
          throw new SQLException("a named savepoint has no id");
        }
        return id;
      }

      @Override
      public String getSavepointName() {
        return name;
      }
    };
  }

  /** Whether SQLite still has a transaction open on this connection (a failing BEGIN says so). */
  private boolean nativeTransactionOpen() {
    try (Statement st = raw.createStatement()) {
      st.execute("BEGIN");
      st.execute("COMMIT");
      return false;
    } catch (SQLException e) {
      return true;
    }
  }

  /** Runs {@code sql}, prepared once in {@code st} (prepared now when {@code null}). */
  private PreparedStatement run(PreparedStatement st, String sql) throws SQLException {
    PreparedStatement s = st != null ? st : raw.prepareStatement(sql);
    s.execute();
    return s;
  }

  private static String quoted(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private void exec(String sql) throws SQLException {
    try (Statement st = raw.createStatement()) {
      st.execute(sql);
    }
  }

  private void close() throws SQLException {
    List<Cached> open = new ArrayList<>(statements.values());
    statements.clear();
    for (Cached c : open) {
      c.closeQuietly();
    }
    for (PreparedStatement s :
        new PreparedStatement[] {beginStatement, commitStatement, rollbackStatement}) {
      if (s != null) {
        try {
          s.close();
        } catch (SQLException e) {
          LOG.debug("could not close a statement of the SQLite writer", e);
        }
      }
    }
    raw.close();
  }

  /** A kept statement and the view lent to callers, whose {@code close()} hands it back. */
  private static final class Cached implements InvocationHandler {
    final PreparedStatement statement;
    final PreparedStatement view;
    boolean lent;

    Cached(PreparedStatement statement) {
      this.statement = statement;
      this.view =
          (PreparedStatement)
              Proxy.newProxyInstance(
                  SqliteWriterConnection.class.getClassLoader(),
                  new Class<?>[] {PreparedStatement.class},
                  this);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (method.getParameterCount() == 0) {
        switch (name) {
          case "close":
            if (lent) {
              lent = false;
              statement.clearParameters();
              statement.clearBatch();
            }
            return null;
          case "isClosed":
            return !lent || statement.isClosed();
          case "hashCode":
            return System.identityHashCode(proxy);
          case "toString":
            return statement.toString();
          default:
            break;
        }
      } else if (name.equals("equals")) {
        return proxy == args[0];
      }
      if (!lent) {
        throw new SQLException("statement is closed");
      }
      Object[] a = args;
      // The calls of every write, made directly: through reflection each paid an access check.
      switch (a == null ? 0 : a.length) {
        case 0:
          switch (name) {
            case "executeUpdate":
              return statement.executeUpdate();
            case "executeQuery":
              return statement.executeQuery();
            case "execute":
              return statement.execute();
            case "addBatch":
              statement.addBatch();
              return null;
            case "executeBatch":
              return statement.executeBatch();
            default:
              break;
          }
          break;
        case 2:
          switch (name) {
            case "setString":
              statement.setString((Integer) a[0], (String) a[1]);
              return null;
            case "setLong":
              statement.setLong((Integer) a[0], (Long) a[1]);
              return null;
            case "setInt":
              statement.setInt((Integer) a[0], (Integer) a[1]);
              return null;
            case "setNull":
              statement.setNull((Integer) a[0], (Integer) a[1]);
              return null;
            default:
              break;
          }
          break;
        default:
          break;
      }
      try {
        return method.invoke(statement, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    void closeQuietly() {
      try {
        statement.close();
      } catch (SQLException e) {
        LOG.debug("could not close a statement of the SQLite writer", e);
      }
    }
  }
}
