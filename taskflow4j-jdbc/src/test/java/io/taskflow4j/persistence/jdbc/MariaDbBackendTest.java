package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The conformance kit and the SQL cases on MariaDB, in a database made for this class. */
class MariaDbBackendTest extends AbstractSqlBackendTest {
  @MariaDbDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.mariadbUrl(db);
  }

  @Test
  void sessionsRunInStrictSqlModeSoOversizedValuesFailInsteadOfBeingTruncated() throws Exception {
    try (Connection c = raw();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@SESSION.sql_mode")) {
      rs.next();
      assertThat(rs.getString(1)).contains("STRICT_TRANS_TABLES").contains("STRICT_ALL_TABLES");
    }
  }
}
