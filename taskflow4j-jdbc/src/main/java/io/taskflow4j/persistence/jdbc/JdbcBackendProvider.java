package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.BackendProvider;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/**
 * Provides the SQL backend for the schemes {@code sqlite}, {@code postgresql}, {@code postgres},
 * {@code mysql}, {@code mariadb} and {@code jdbc}.
 *
 * <p>Configuration keys, besides the connection string: {@code max_pool_size} (default 10), {@code
 * pool_timeout} (seconds to wait for a connection, default 30), {@code idle_timeout} (seconds after
 * which a connection is replaced, default 3600, as TaskFlow's {@code pool_recycle}), {@code
 * isolation_level} (default READ COMMITTED), {@code durability} ({@code power}, the default: a
 * commit survives a power loss; {@code process}: it survives a crash of this process, SQLite {@code
 * synchronous=NORMAL}, PostgreSQL {@code synchronous_commit=off}; with {@code power}, RUNNING and
 * REVERTING markers alone are committed so on SQLite files and PostgreSQL, since a resumed run
 * treats a lost marker as the state it replaced), {@code group_commit} ({@code true}, the default:
 * atom-detail writes that arrive while another is committing share the next transaction; {@code
 * false}: one transaction each), {@code max_retries} (default 6), {@code retry_backoff} (first
 * retry delay in seconds, default 0.1), {@code transaction_idle_timeout} (seconds a session may sit
 * idle inside a transaction before the server ends it and frees its locks, default 1, 0 for never;
 * PostgreSQL and MariaDB), and for a SQLite file {@code permissions} (the mode of a file {@code
 * upgrade()} makes: {@code owner}, the default, 0600; {@code group}, 0660; {@code umask}). Other
 * query parameters of the connection string go to the JDBC driver (e.g. {@code sslMode=disable}).
 *
 * <p>Only {@code upgrade()} makes a SQLite file; every other use of a missing one fails with a
 * {@link io.taskflow4j.persistence.StorageException} naming it. Errors retrying cannot fix (wrong
 * password, missing database, a file that is no database, a full disk) fail at once, with what to
 * do chosen from the driver's error code.
 */
public final class JdbcBackendProvider implements BackendProvider {

  /** Made by {@link java.util.ServiceLoader}. */
  public JdbcBackendProvider() {}

  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return JdbcSettings.confKeys(conf);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("sqlite", "postgresql", "postgres", "mysql", "mariadb", "jdbc");
  }

  @Override
  public Backend create(BackendConf conf) {
    return new JdbcBackend(conf, JdbcCommitHook.NONE);
  }

  /**
   * Makes a SQL backend whose write transactions call {@code hook} before and after their commit
   * (for crash tests and instrumentation; see {@link JdbcCommitHook}).
   *
   * @throws io.taskflow4j.persistence.InvalidConfigurationException when the configuration is
   *     invalid
   */
  public static Backend create(BackendConf conf, JdbcCommitHook hook) {
    return new JdbcBackend(conf, java.util.Objects.requireNonNull(hook, "hook"));
  }

  /**
   * What the group commit of {@code backend} has done so far, when it is a SQL backend; empty for
   * any other backend.
   */
  public static java.util.Optional<GroupCommitStats> groupCommitStats(
      io.taskflow4j.persistence.Backend backend) {
    if (backend instanceof JdbcBackend b) {
      long[] c = b.groupCommit().counts();
      return java.util.Optional.of(new GroupCommitStats(c[0], c[1], c[2], c[3]));
    }
    return java.util.Optional.empty();
  }
}
