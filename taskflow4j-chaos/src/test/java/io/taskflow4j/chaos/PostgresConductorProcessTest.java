package io.taskflow4j.chaos;

import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AbstractConductorProcessTest} on PostgreSQL: the SQL jobboard and the fenced SQL logbooks
 * in one fresh database for the class, a board of its own per run. Without PostgreSQL the tests
 * skip, and fail in CI ({@code CI=true}).
 */
@Timeout(300)
class PostgresConductorProcessTest extends AbstractConductorProcessTest {
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
  protected String newStore() {
    return TestDatabases.postgresUrl(db) + "?board=" + boardName("b");
  }

  @Override
  protected String label() {
    return "postgresql";
  }

  @Override
  protected int fewJobs() {
    return 200;
  }

  @Override
  protected int manyJobs() {
    return 1000;
  }

  /** Single-row autocommit inserts per second from one client: the commit limit of the moment. */
  @Override
  protected String baseline() throws Exception {
    int n = 200;
    try (Connection c = TestDatabases.postgres(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE commit_probe (n int)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO commit_probe VALUES (?)")) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ps.setInt(1, i);
          ps.executeUpdate();
        }
        long micros = (System.nanoTime() - t0) / 1000;
        return String.format(
            "(PostgreSQL alone: %.0f commits/s from one client)", n * 1e6 / micros);
      } finally {
        st.execute("DROP TABLE commit_probe");
      }
    }
  }
}
