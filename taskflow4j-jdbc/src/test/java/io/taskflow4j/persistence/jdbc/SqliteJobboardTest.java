package io.taskflow4j.persistence.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The jobboard kit and the SQL board cases on a SQLite file shared by this class's tests. */
class SqliteJobboardTest extends AbstractSqlJobboardTest {
  @TempDir static Path dir;

  @Override
  protected String connection() {
    return "sqlite:///" + dir.resolve("board.db");
  }
}
