package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.spi.JobboardProvider;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/**
 * Provides the SQL jobboard, in the same database as the SQL backend's logbooks, for the schemes
 * {@code sqlite}, {@code postgresql}, {@code postgres}, {@code mysql}, {@code mariadb} and {@code
 * jdbc}. Besides the SQL backend's keys it reads {@code lease} (seconds or ISO-8601, default 10 s)
 * and {@code board} (the board's name in the database, default {@code default}): boards of other
 * names share the tables but not their jobs.
 */
public final class JdbcJobboardProvider implements JobboardProvider {

  /** Made by {@link java.util.ServiceLoader}. */
  public JdbcJobboardProvider() {}

  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of(Jobboards.LEASE, Jobboards.BOARD);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("sqlite", "postgresql", "postgres", "mysql", "mariadb", "jdbc");
  }

  @Override
  public Jobboard open(BackendConf conf) {
    return SqlJobboard.open(conf);
  }
}
