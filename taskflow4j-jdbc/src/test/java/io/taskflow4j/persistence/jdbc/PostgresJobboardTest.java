package io.taskflow4j.persistence.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The jobboard kit and the SQL board cases on PostgreSQL, in a database made for this class. */
class PostgresJobboardTest extends AbstractSqlJobboardTest {
  @PostgresDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.postgresUrl(db);
  }

  @Override
  protected Connection rawConnection() throws SQLException {
    return TestDatabases.postgres(db);
  }

  @Test
  void aPausedOwnerInsideAFencedWriteHoldsUpNoTakeover() throws Exception {
    assertAPausedOwnerInsideAFencedWriteHoldsUpNoTakeover();
  }
}
