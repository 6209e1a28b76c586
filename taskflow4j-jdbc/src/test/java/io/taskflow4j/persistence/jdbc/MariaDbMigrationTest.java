package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.UpgradeRequiredException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Migrations on MariaDB, each test in a new database. */
class MariaDbMigrationTest extends AbstractMigrationTest {
  @MariaDbDatabase private FreshDatabases databases;

  @Override
  protected String newStore() throws SQLException {
    return databases.url(databases.create());
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return databases.connect(databases.last());
  }

  @Override
  protected boolean transactionalDdl() {
    return false;
  }

  /** A transaction that read atomdetails holds its metadata lock, which ALTER TABLE waits for. */
  @Override
  protected java.sql.Connection holdAtomDetails() throws SQLException {
    java.sql.Connection c = rawConnection();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT uuid FROM atomdetails LIMIT 1")) {
      rs.next();
    }
    return c;
  }

  @Override
  protected boolean upgradeWaitsOnAtomDetails(java.sql.Connection probe) throws SQLException {
    try (PreparedStatement ps =
        probe.prepareStatement(
            "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE()"
                + " AND state LIKE 'Waiting for table metadata lock%'"
                + " AND info LIKE '%atomdetails%'")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    }
  }

  @Override
  protected int otherSessions(java.sql.Connection probe) throws SQLException {
    try (Statement st = probe.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE()"
                    + " AND id <> CONNECTION_ID()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** TaskFlow's schema as its alembic chain leaves MySQL at head, and rows in its form. */
  @Override
  protected List<String> taskflowSchemaAndRows() {
    List<String> all =
        new ArrayList<>(
            List.of(
                "CREATE TABLE logbooks (created_at DATETIME, updated_at DATETIME, meta TEXT,"
                    + " name VARCHAR(255), uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid),"
                    + " UNIQUE INDEX logbook_uuid_idx (uuid)) ENGINE=InnoDB CHARSET=utf8",
                "CREATE TABLE flowdetails (created_at DATETIME, updated_at DATETIME,"
                    + " parent_uuid VARCHAR(64), meta LONGTEXT, state VARCHAR(255), name VARCHAR(255),"
                    + " uuid VARCHAR(64) NOT NULL, PRIMARY KEY (uuid),"
                    + " UNIQUE INDEX flowdetails_uuid_idx (uuid), CONSTRAINT flowdetails_ibfk_1 FOREIGN"
                    + " KEY (parent_uuid) REFERENCES logbooks (uuid) ON DELETE CASCADE)"
                    + " ENGINE=InnoDB CHARSET=utf8",
                "CREATE TABLE atomdetails (created_at DATETIME, updated_at DATETIME,"
                    + " parent_uuid VARCHAR(64), meta TEXT, name VARCHAR(255), results LONGTEXT,"
                    + " version VARCHAR(64), state VARCHAR(255), uuid VARCHAR(64) NOT NULL,"
                    + " failure LONGTEXT, atom_type ENUM('TASK_DETAIL','RETRY_DETAIL'),"
                    + " intention ENUM('EXECUTE','IGNORE','REVERT','RETRY') DEFAULT 'EXECUTE',"
                    + " revert_results TEXT, revert_failure LONGTEXT, PRIMARY KEY (uuid),"
                    + " UNIQUE INDEX taskdetails_uuid_idx (uuid), CONSTRAINT taskdetails_ibfk_1 FOREIGN"
                    + " KEY (parent_uuid) REFERENCES flowdetails (uuid) ON DELETE CASCADE)"
                    + " ENGINE=InnoDB CHARSET=utf8",
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
                    + " PRIMARY KEY (version_num))",
                "INSERT INTO alembic_version VALUES ('00af93df9d77')"));
    // TaskFlow's MySQL times have whole seconds; one second apart keeps the order knowable.
    all.addAll(
        taskflowRows(
            "2026-11-28 15:51:15",
            "2026-11-28 15:51:16",
            "2026-11-28 15:51:17",
            "2026-11-28 15:51:18",
            "2026-11-28 15:51:19"));
    return all;
  }

  /**
   * A store at version 2 made by the MySQL migrations as first written (before every step could run
   * again over its own partial work): their checksums differ from today's scripts, and the upgrade
   * realigns them instead of failing Flyway's validation.
   */
  @Test
  void aStoreMadeByTheFirstMySqlMigrationsIsUpgraded() throws Exception {
    String store = newStore();
    try (Connection c = open(store).getConnection()) {
      c.upgrade();
      c.saveLogBook(LogBook.create("kept").withFlow(FlowDetail.create("f")));
    }
    String h = SchemaMigrator.HISTORY_TABLE;
    exec(
        List.of(
            "UPDATE " + h + " SET checksum = -350289476 WHERE version = '1'",
            "UPDATE " + h + " SET checksum = 919663525 WHERE version = '2'",
            "DELETE FROM " + h + " WHERE version IN ('3', '4', '5')",
            "DROP TABLE taskflow4j_fences, taskflow4j_jobs, taskflow4j_jobs_trash,"
                + " taskflow4j_conductors"));
    try (Connection c = open(store).getConnection()) {
      assertThatThrownBy(c::validate)
          .isInstanceOf(UpgradeRequiredException.class)
          .hasMessageContaining("schema version 2");
    }
    try (Backend b = Backends.open(store);
        Connection c = b.getConnection()) {
      c.validate();
      assertThat(c.getLogBooks()).extracting(LogBook::name).containsExactly("kept");
    }
    assertThat(history()).containsExactly("1:true", "2:true", "3:true", "4:true", "5:true");
  }
}
