package io.taskflow4j.persistence.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The jobboard kit and the SQL board cases on PostgreSQL, in a database made for this class. */
class PostgresJobboardTest extends AbstractSqlJobboardTest {
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
}
