package io.taskflow4j.persistence.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * Where JDBC connections come from. PostgreSQL and MySQL: one HikariCP pool for reads and writes. A
 * SQLite file: a pool of readers plus a pool of exactly one writer connection kept open (SQLite
 * allows one writer at a time; in WAL mode readers never block it), so writers queue in the JVM
 * instead of failing with SQLITE_BUSY. SQLite in memory: one shared connection, used by one thread
 * at a time (the database lives exactly as long as that connection).
 */
abstract class ConnectionSource implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();

  /** A connection for reading ({@code write == false}) or writing; the caller closes it. */
  abstract Connection get(boolean write) throws SQLException;

  /**
   * Called after a transient failure: pooled connections idle since before it are likely dead too
   * (a server restart or a mass kill ends all of them), so they are replaced rather than each
   * costing a retry.
   */
  void evictIdle() {}

  @Override
  public abstract void close();

  static ConnectionSource open(JdbcSettings s) {
    if (s.dialect() == Dialect.SQLITE && s.memory()) {
      return new Single(s);
    }
    return new Pooled(s);
  }

  /**
   * Makes raw connections for a pool (or for the first contact), with the settings' URL, driver,
   * properties and credentials.
   */
  private static DataSource connector(JdbcSettings s, boolean writer) {
    return new DriverDataSource(
        s.jdbcUrl(),
        s.dialect().driverClass(),
        driverProperties(s, writer),
        s.user(),
        s.password());
  }

  private static HikariDataSource pool(
      JdbcSettings s, DataSource connector, String role, int size) {
    HikariConfig c = new HikariConfig();
    c.setPoolName(
        "taskflow4j-"
            + s.dialect().name().toLowerCase()
            + "-"
            + role
            + "-"
            + POOLS.incrementAndGet());
    c.setDataSource(connector);
    c.setMaximumPoolSize(size);
    // The SQLite writer pool has size 1: its one connection stays open between writes.
    c.setMinimumIdle(Math.min(2, size));
    c.setConnectionTimeout(s.poolTimeout().toMillis());
    c.setMaxLifetime(s.idleTimeout().toMillis());
    c.setIdleTimeout(Math.min(s.idleTimeout().toMillis() / 2, TimeUnit.MINUTES.toMillis(10)));
    c.setAutoCommit(true);
    if (s.isolation() != null) {
      c.setTransactionIsolation(s.isolation());
    }
    // Made after the first contact succeeded; if the store goes down later, uses retry and report.
    c.setInitializationFailTimeout(-1);
    String init = initSql(s);
    if (init != null) {
      c.setConnectionInitSql(init);
    }
    return new HikariDataSource(c);
  }

  /**
   * The one statement that sets up each new server connection, or {@code null}: its session
   * settings, all values validated by {@link JdbcSettings}.
   *
   * <p>PostgreSQL: {@code idle_in_transaction_session_timeout} (see {@link
   * JdbcSettings#DEFAULT_TRANSACTION_IDLE_TIMEOUT}), and {@code synchronous_commit=off} for {@code
   * durability=process}: commits return before the WAL reaches disk, so a server crash may lose the
   * last writes, a process crash of ours loses nothing acknowledged.
   *
   * <p>MariaDB/MySQL: the {@code sql_mode}, and MariaDB's {@code idle_transaction_timeout} (10.3
   * and later, whole seconds, rounded up) in a comment only MariaDB executes: MySQL has no such
   * setting, and would refuse the statement.
   */
  static String initSql(JdbcSettings s) {
    long idleMillis = s.transactionIdleTimeout().toMillis();
    return switch (s.dialect()) {
      case POSTGRESQL -> {
        List<String> sets = new ArrayList<>();
        if (idleMillis > 0) {
          sets.add(pgIdleTimeout(idleMillis));
        }
        if (s.processDurability()) {
          sets.add("set_config('synchronous_commit', 'off', false)");
        }
        yield sets.isEmpty() ? null : "SELECT " + String.join(", ", sets);
      }
      case MYSQL -> {
        if (idleMillis == 0 && s.mysqlSqlMode().isEmpty()) {
          yield null;
        }
        String mode =
            s.mysqlSqlMode().isEmpty() ? "@@SESSION.sql_mode" : "'" + s.mysqlSqlMode() + "'";
        yield "SET SESSION sql_mode = "
            + mode
            + (idleMillis == 0 ? "" : mariaDbIdleTimeout(idleMillis));
      }
      // SQLite has no server: a paused writer keeps the file's write lock until it resumes.
      case SQLITE -> null;
    };
  }

  /**
   * The statement setting this session's idle-in-transaction timeout to {@code millis} (0: none),
   * or {@code null} when the backend sets none at all ({@code transaction_idle_timeout=0}, SQLite).
   * Schema migrations lift it: Flyway waits for a concurrent migration's lock inside its own
   * transaction, polling, and must not be ended for it.
   */
  static String idleTimeoutSql(JdbcSettings s, long millis) {
    if (s.transactionIdleTimeout().isZero()) {
      return null;
    }
    return switch (s.dialect()) {
      case POSTGRESQL -> "SELECT " + pgIdleTimeout(millis);
      case MYSQL -> "SET SESSION sql_mode = @@SESSION.sql_mode" + mariaDbIdleTimeout(millis);
      case SQLITE -> null;
    };
  }

  private static String pgIdleTimeout(long millis) {
    return "set_config('idle_in_transaction_session_timeout', '" + millis + "', false)";
  }

  private static String mariaDbIdleTimeout(long millis) {
    long seconds = millis == 0 ? 0 : Math.max(1, (millis + 999) / 1000);
    return " /*M!100300 , SESSION idle_transaction_timeout = " + seconds + " */";
  }

  private static Properties driverProperties(JdbcSettings s, boolean writer) {
    Properties p = new Properties();
    if (s.dialect() == Dialect.SQLITE) {
      p.setProperty("foreign_keys", "true");
      p.setProperty("busy_timeout", String.valueOf(s.poolTimeout().toMillis()));
      p.setProperty("synchronous", s.processDurability() ? "NORMAL" : "FULL");
      // No journal_mode here: opening a connection to read must not switch the journal mode of
      // a file TaskFlow made. upgrade() puts the file in WAL mode, which the file keeps.
      if (writer) {
        // Take the write lock at BEGIN, so a writer never fails half-way on a lock upgrade.
        p.setProperty("transaction_mode", "IMMEDIATE");
      }
      if (s.file() != null) {
        // Never make the file: a mistyped path must not become an empty store (upgrade() makes
        // it, owner-only, before connecting).
        p.setProperty("open_mode", SqliteFiles.OPEN_EXISTING);
      }
    }
    // Opening a connection waits no longer than waiting for one from the pool (a host that
    // drops packets would otherwise hold the first contact for the driver's own default).
    long timeoutMillis = s.poolTimeout().toMillis();
    if (s.dialect() == Dialect.POSTGRESQL) {
      p.setProperty("ApplicationName", "taskflow4j");
      p.setProperty("connectTimeout", String.valueOf(Math.max(1, (timeoutMillis + 999) / 1000)));
    }
    if (s.dialect() == Dialect.MYSQL) {
      p.setProperty("connectTimeout", String.valueOf(timeoutMillis));
    }
    p.putAll(s.driverProperties());
    return p;
  }

  /** Makes SQLite writer connections that run transactions and keep statements cheaply. */
  private static DataSource sqliteWriter(DataSource connector) {
    return (DataSource)
        Proxy.newProxyInstance(
            ConnectionSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object out;
              try {
                out = method.invoke(connector, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              return method.getName().equals("getConnection")
                  ? SqliteWriterConnection.wrap((Connection) out)
                  : out;
            });
  }

  /**
   * Pools for reads and writes (the same pool unless SQLite), started after a first contact made
   * directly through the driver. A pool cannot tell a store that is not there (a missing database,
   * a wrong password, a file that is no database) from one that is slow: it retries in the
   * background while the caller waits the whole pool timeout, once per retry of the caller. The
   * first contact reports such an error at once, with the driver's own code.
   */
  static final class Pooled extends ConnectionSource {
    private final JdbcSettings settings;
    private final DataSource readerConnector;
    private final DataSource writerConnector;
    private final Object startLock = new Object();
    private volatile HikariDataSource readers; // null until started
    private volatile HikariDataSource writers; // null until started
    private boolean closed; // guarded by startLock

    Pooled(JdbcSettings settings) {
      this.settings = settings;
      DataSource writer = connector(settings, true);
      this.writerConnector = settings.dialect() == Dialect.SQLITE ? sqliteWriter(writer) : writer;
      this.readerConnector =
          settings.dialect() == Dialect.SQLITE ? connector(settings, false) : writerConnector;
    }

    @Override
    Connection get(boolean write) throws SQLException {
      HikariDataSource pool = write ? writers : readers;
      if (pool == null) {
        start();
        pool = write ? writers : readers;
      }
      return pool.getConnection();
    }

    private void start() throws SQLException {
      synchronized (startLock) {
        if (closed) {
          throw new SQLException("the backend is closed", "08003");
        }
        if (readers != null) {
          return;
        }
        firstContact();
        HikariDataSource w;
        HikariDataSource r;
        try {
          if (settings.dialect() == Dialect.SQLITE) {
            w = pool(settings, writerConnector, "writer", 1);
            try {
              r = pool(settings, readerConnector, "reader", settings.maxPoolSize());
            } catch (RuntimeException e) {
              w.close();
              throw e;
            }
          } else {
            w = pool(settings, writerConnector, "pool", settings.maxPoolSize());
            r = w;
          }
        } catch (RuntimeException e) {
          throw new SQLException("could not start the connection pool: " + e.getMessage(), e);
        }
        writers = w;
        readers = r;
      }
    }

    /**
     * Connects once, directly: a SQLite file must exist (only {@code upgrade()} makes one) and be a
     * database; a server must accept the credentials and have the database.
     */
    private void firstContact() throws SQLException {
      java.nio.file.Path file = settings.file();
      if (file != null && !Files.exists(file)) {
        throw SqliteFiles.missing(file);
      }
      try (Connection c = readerConnector.getConnection()) {
        if (settings.dialect() == Dialect.SQLITE) {
          // Reads the file's header: a file that is no database says so here.
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
            rs.next();
          }
        }
      }
    }

    @Override
    void evictIdle() {
      HikariDataSource r = readers;
      HikariDataSource w = writers;
      if (r != null) {
        evict(r);
      }
      if (w != null && w != r) {
        evict(w);
      }
    }

    private static void evict(HikariDataSource ds) {
      var pool = ds.getHikariPoolMXBean();
      if (pool != null) {
        pool.softEvictConnections();
      }
    }

    /** Test hook: the pool of writers, or {@code null} before the first connection. */
    HikariDataSource writers() {
      return writers;
    }

    @Override
    public void close() {
      HikariDataSource r;
      HikariDataSource w;
      synchronized (startLock) {
        closed = true;
        r = readers;
        w = writers;
      }
      try {
        if (r != null) {
          r.close();
        }
      } finally {
        if (w != null && w != r) {
          w.close();
        }
      }
    }
  }

  /** One shared connection (SQLite in memory), lent to one caller at a time. */
  static final class Single extends ConnectionSource {
    private final JdbcSettings settings;
    private final ReentrantLock lock = new ReentrantLock(true);
    private Connection connection; // guarded by lock
    private boolean closed; // guarded by lock

    Single(JdbcSettings settings) {
      this.settings = settings;
    }

    @Override
    Connection get(boolean write) throws SQLException {
      boolean locked;
      try {
        locked = lock.tryLock(settings.poolTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLTransientConnectionException("interrupted while waiting for the connection");
      }
      if (!locked) {
        throw new SQLTransientConnectionException(
            "the in-memory database's connection was busy for " + settings.poolTimeout());
      }
      try {
        if (closed) {
          throw new SQLException("the backend is closed", "08003");
        }
        if (connection == null) {
          Properties p = driverProperties(settings, true);
          p.remove("transaction_mode");
          connection = DriverManager.getConnection(settings.jdbcUrl(), p);
        }
        return lend(connection);
      } catch (SQLException | RuntimeException e) {
        lock.unlock();
        throw e;
      }
    }

    /** The shared connection, whose close() resets it and hands it back instead of closing it. */
    private Connection lend(Connection c) {
      boolean[] returned = {false};
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().equals("close") && method.getParameterCount() == 0) {
                  if (!returned[0]) {
                    returned[0] = true;
                    try {
                      if (!c.getAutoCommit()) {
                        c.rollback();
                        c.setAutoCommit(true);
                      }
                    } finally {
                      lock.unlock();
                    }
                  }
                  return null;
                }
                if (method.getName().equals("isClosed") && method.getParameterCount() == 0) {
                  return returned[0] || c.isClosed();
                }
                if (returned[0]) {
                  throw new SQLException("connection already handed back", "08003");
                }
                try {
                  return method.invoke(c, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public void close() {
      lock.lock();
      try {
        closed = true;
        if (connection != null) {
          try {
            connection.close();
          } catch (SQLException ignored) {
            // The in-memory database is gone either way.
          }
          connection = null;
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
