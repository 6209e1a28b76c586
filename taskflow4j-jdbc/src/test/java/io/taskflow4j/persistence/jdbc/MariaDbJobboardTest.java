package io.taskflow4j.persistence.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jobboard kit and the SQL board cases on MariaDB, in a database made for this class. */
class MariaDbJobboardTest extends AbstractSqlJobboardTest {
  private static String db;

  @BeforeAll
  static void createDatabase() throws Exception {
    TestDatabases.requireMariaDb();
    db = TestDatabases.createMariaDb();
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    TestDatabases.dropMariaDb(db);
  }

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
