package io.taskflow4j.persistence.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import javax.sql.DataSource;

/**
 * Connections borrowed from an application's {@link DataSource} (its pool, its credentials): reads
 * and writes alike, each handed back by closing it. The backend never closes the DataSource; its
 * owner does.
 *
 * <p>What a pool of our own sets when it makes a connection (the session statement of {@link
 * ConnectionSource#initSql}, the isolation level) is set here the first time each physical
 * connection is seen, found through {@code unwrap}, which pools such as HikariCP answer with the
 * driver's connection. A pool that hides it gets the settings on every borrow.
 */
final class DataSourceConnections extends ConnectionSource {
  private final DataSource dataSource;
  private final String initSql;
  private final Integer isolation;
  private final Map<Connection, Boolean> prepared =
      Collections.synchronizedMap(new WeakHashMap<>());

  DataSourceConnections(DataSource dataSource, JdbcSettings settings) {
    this.dataSource = dataSource;
    this.initSql = initSql(settings);
    this.isolation = isolationLevel(settings.isolation());
  }

  /** HikariCP's name of an isolation level ({@code TRANSACTION_READ_COMMITTED}) as JDBC's code. */
  private static Integer isolationLevel(String name) {
    if (name == null) {
      return null;
    }
    try {
      return Connection.class.getField(name).getInt(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("unknown isolation level " + name, e);
    }
  }

  @Override
  Connection get(boolean write) throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      Connection physical = physical(c);
      if (physical == null || !prepared.containsKey(physical)) {
        if (initSql != null) {
          try (Statement st = c.createStatement()) {
            st.execute(initSql);
          }
        }
        if (physical != null) {
          prepared.put(physical, Boolean.TRUE);
        }
      }
      if (isolation != null && c.getTransactionIsolation() != isolation) {
        c.setTransactionIsolation(isolation);
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** The driver's connection behind a pool's proxy, or {@code null} when the pool hides it. */
  private static Connection physical(Connection c) {
    try {
      Connection inner = c.unwrap(Connection.class);
      return inner == null ? null : inner;
    } catch (SQLException e) {
      return null;
    }
  }

  @Override
  public void close() {
    // The DataSource is the application's: it closes it.
  }
}
