package io.taskflow4j.persistence.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Connection kills on PostgreSQL ({@code pg_terminate_backend}). */
class PostgresConnectionKillTest extends AbstractConnectionKillTest {
  private static String db;

  @BeforeAll
  static void createDatabase() throws Exception {
    TestDatabases.requirePostgres();
    db = TestDatabases.createPostgres();
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    TestDatabases.dropPostgres(db);
  }

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
}
