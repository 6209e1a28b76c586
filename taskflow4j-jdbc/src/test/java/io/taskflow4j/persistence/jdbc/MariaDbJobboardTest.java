package io.taskflow4j.persistence.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The jobboard kit and the SQL board cases on MariaDB, in a database made for this class. */
class MariaDbJobboardTest extends AbstractSqlJobboardTest {
  @MariaDbDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.mariadbUrl(db);
  }

  @Override
  protected Connection rawConnection() throws SQLException {
    return TestDatabases.mariadb(db);
  }

  @Test
  void aPausedOwnerInsideAFencedWriteHoldsUpNoTakeover() throws Exception {
    assertAPausedOwnerInsideAFencedWriteHoldsUpNoTakeover();
  }
}
