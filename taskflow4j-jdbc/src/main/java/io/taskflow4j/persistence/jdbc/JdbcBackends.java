package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The SQL backend and jobboard on an application's own {@link DataSource} (a Spring Boot
 * application's pool, say), instead of a pool made from a connection string. The database is
 * PostgreSQL, MySQL/MariaDB or SQLite, learnt from the DataSource's connection metadata; the
 * options are the SQL backend's ({@code durability}, {@code group_commit}, {@code max_retries},
 * {@code transaction_idle_timeout}, {@code isolation_level}, …) and the board's ({@code lease},
 * {@code board}), except the pool's own ({@code max_pool_size}, {@code pool_timeout}, {@code
 * idle_timeout}) and the credentials, which belong to the DataSource.
 *
 * <pre>{@code
 * Backend backend = JdbcBackends.backend(dataSource, Map.of());
 * Jobboard board = JdbcBackends.jobboard(dataSource, Map.of("lease", "10"));
 * }</pre>
 *
 * <p>Closing the backend or the board never closes the DataSource. For SQLite, a connection string
 * ({@code sqlite:///flows.db}) serves better: its backend keeps exactly one writer connection,
 * where a DataSource's pool lets writers meet SQLite's lock.
 */
public final class JdbcBackends {
  /** Options that configure a pool or credentials, which the DataSource has already. */
  private static final Set<String> POOL_KEYS =
      Set.of(
          "max_pool_size",
          "max_overflow",
          "pool_timeout",
          "idle_timeout",
          "username",
          "password",
          "password_file",
          "password_env",
          "hostname",
          "port",
          "path");

  private JdbcBackends() {}

  /**
   * A SQL backend on {@code dataSource}; like {@code Backends.fetch}, it does not change the store
   * (call {@code upgrade()} on a connection to create or migrate its tables), but it borrows one
   * connection to learn which database it is.
   *
   * @throws StorageException when no connection can be borrowed
   * @throws InvalidConfigurationException when an option is unknown or belongs to the DataSource,
   *     or the database is none of those served
   */
  public static Backend backend(DataSource dataSource, Map<String, ?> options) {
    BackendConf conf = conf(dataSource, options);
    return new JdbcBackend(
        conf, JdbcCommitHook.NONE, s -> new DataSourceConnections(dataSource, s));
  }

  /**
   * The SQL jobboard on {@code dataSource}, its schema brought up to date first, as {@code
   * Jobboards.open} does for a connection string.
   *
   * @throws StorageException when the store cannot be reached or upgraded
   * @throws InvalidConfigurationException as {@link #backend}
   */
  public static Jobboard jobboard(DataSource dataSource, Map<String, ?> options) {
    BackendConf conf = conf(dataSource, options);
    return SqlJobboard.open(
        conf,
        new JdbcBackend(conf, JdbcCommitHook.NONE, s -> new DataSourceConnections(dataSource, s)));
  }

  private static BackendConf conf(DataSource dataSource, Map<String, ?> options) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(options, "options");
    Set<String> refused = new TreeSet<>(options.keySet());
    refused.retainAll(POOL_KEYS);
    refused.remove(BackendConf.CONNECTION);
    if (!refused.isEmpty()) {
      throw new InvalidConfigurationException(
          "Options "
              + refused
              + " configure a connection pool or its credentials; on a DataSource, set them on"
              + " the DataSource itself");
    }
    if (options.containsKey(BackendConf.CONNECTION)) {
      throw new InvalidConfigurationException(
          "A backend on a DataSource takes no 'connection': the DataSource says where the"
              + " database is");
    }
    Map<String, Object> conf = new LinkedHashMap<>(options);
    conf.put(BackendConf.CONNECTION, jdbcUrl(dataSource));
    BackendConf parsed = BackendConf.of(conf);
    JdbcSettings.confKeys(parsed).check(parsed, "SQL backends on a DataSource");
    return parsed;
  }

  /** The DataSource's JDBC URL without its parameters (they are the DataSource's business). */
  private static String jdbcUrl(DataSource dataSource) {
    String url;
    try (Connection c = dataSource.getConnection()) {
      url = c.getMetaData().getURL();
    } catch (SQLException e) {
      throw new StorageException(
          "Could not borrow a connection from the DataSource to learn its database: "
              + BackendConf.maskText(String.valueOf(e.getMessage())),
          e);
    }
    if (url == null || !url.startsWith("jdbc:")) {
      throw new InvalidConfigurationException(
          "The DataSource's driver gives no JDBC URL ("
              + BackendConf.mask(url)
              + "), so its database is unknown; SQL backends serve PostgreSQL, MySQL/MariaDB and"
              + " SQLite");
    }
    int q = url.indexOf('?');
    return q >= 0 ? url.substring(0, q) : url;
  }
}
