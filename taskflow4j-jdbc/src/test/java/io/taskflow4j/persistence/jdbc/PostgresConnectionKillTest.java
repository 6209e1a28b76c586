package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Connection kills on PostgreSQL ({@code pg_terminate_backend}). */
class PostgresConnectionKillTest extends AbstractConnectionKillTest {
  @PostgresDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.postgresUrl(db);
  }

  @Override
  protected int killPoolConnections() throws SQLException {
    try (java.sql.Connection admin = TestDatabases.postgres(TestDatabases.PG_ADMIN_DB);
        PreparedStatement ps =
            admin.prepareStatement(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = ? AND application_name = 'taskflow4j'")) {
      ps.setString(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return TestDatabases.postgres(db);
  }

  @Override
  protected boolean saysWhyItEndedAnIdleSession() {
    return true;
  }

  /**
   * Schema migrations are exempt from {@code transaction_idle_timeout}: Flyway waits for a
   * concurrent migration inside a transaction of its own, polling once a second, and ending that
   * session failed every conductor but one started at once on a new database. Here another client
   * holds Flyway's migration lock (as a concurrent migration would) for well past the timeout.
   */
  @Test
  void aMigrationWaitingForAConcurrentOneIsNotEndedAsIdle(@PostgresDatabase String fresh)
      throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (java.sql.Connection holder = TestDatabases.postgres(fresh)) {
      holder.setAutoCommit(false);
      try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        // Flyway's key: a constant plus the hash of the quoted history table's name
        ps.setLong(1, 77431708279161L + "\"public\".\"taskflow4j_schema_history\"".hashCode());
        ps.execute();
      }
      Future<?> upgrade =
          pool.submit(
              () -> {
                try (Backend b =
                        Backends.fetch(
                            TestDatabases.postgresUrl(fresh) + "?transaction_idle_timeout=0.5");
                    Connection c = b.getConnection()) {
                  c.upgrade();
                }
                return null;
              });
      TimeUnit.SECONDS.sleep(3);
      assertThat(upgrade).as("the migration waits for the lock held here").isNotDone();
      holder.commit();
      upgrade.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }
}
