package io.taskflow4j.persistence.jdbc;

/** The conformance kit and the SQL cases on an in-memory SQLite database (new per backend). */
class SqliteMemoryBackendTest extends AbstractSqlBackendTest {
  @Override
  protected String connection() {
    return "sqlite://";
  }
}
