package io.taskflow4j.persistence.jdbc;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Migrations on SQLite files. */
class SqliteMigrationTest extends AbstractMigrationTest {
  @TempDir static Path dir;
  private static final AtomicInteger N = new AtomicInteger();
  private Path file;

  @Override
  protected String newStore() {
    file = dir.resolve("m" + N.incrementAndGet() + ".db");
    return "sqlite:///" + file;
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file);
  }

  @Override
  protected boolean hasAlembic() {
    return false;
  }

  /** What TaskFlow's metadata.create_all() emits on SQLite, and rows as its backend writes them. */
  @Override
  protected List<String> taskflowSchemaAndRows() {
    List<String> all =
        new ArrayList<>(
            List.of(
                "CREATE TABLE logbooks (created_at DATETIME, updated_at DATETIME, meta TEXT,"
                    + " name VARCHAR(255), uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid), UNIQUE (uuid))",
                "CREATE TABLE flowdetails (created_at DATETIME, updated_at DATETIME,"
                    + " parent_uuid VARCHAR(64), meta TEXT, name VARCHAR(255), state VARCHAR(255),"
                    + " uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid), FOREIGN KEY(parent_uuid)"
                    + " REFERENCES logbooks (uuid) ON DELETE CASCADE, UNIQUE (uuid))",
                "CREATE TABLE atomdetails (created_at DATETIME, updated_at DATETIME, meta TEXT,"
                    + " parent_uuid VARCHAR(64), name VARCHAR(255), version VARCHAR(64),"
                    + " state VARCHAR(255), uuid VARCHAR(64) NOT NULL, failure TEXT, results TEXT,"
                    + " revert_results TEXT, revert_failure TEXT, atom_type VARCHAR(12),"
                    + " intention VARCHAR(7), PRIMARY KEY (uuid), FOREIGN KEY(parent_uuid)"
                    + " REFERENCES flowdetails (uuid) ON DELETE CASCADE, UNIQUE (uuid))"));
    all.addAll(
        taskflowRows(
            "2026-11-28 15:51:15.774035",
            "2026-11-28 15:51:15.780000",
            "2026-11-28 15:51:15.781000",
            "2026-11-28 15:51:15.782000",
            "2026-11-28 15:51:15.783000"));
    return all;
  }
}
