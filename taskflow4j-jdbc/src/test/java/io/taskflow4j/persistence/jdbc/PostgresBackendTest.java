package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The conformance kit and the SQL cases on PostgreSQL, in a database made for this class. */
class PostgresBackendTest extends AbstractSqlBackendTest {
  @PostgresDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.postgresUrl(db);
  }

  private static String synchronousCommit(String url) throws Exception {
    try (Backend b = Backends.fetch(url);
        Connection c = ((JdbcBackend) b).source().get(true);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void processDurabilityTurnsOffSynchronousCommitForItsSessionsOnly() throws Exception {
    assertThat(synchronousCommit(connection() + "?durability=process")).isEqualTo("off");
    assertThat(synchronousCommit(connection())).isEqualTo("on");
  }
}
