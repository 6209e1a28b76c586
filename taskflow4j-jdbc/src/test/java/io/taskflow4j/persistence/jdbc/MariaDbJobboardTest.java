package io.taskflow4j.persistence.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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
}
