package io.taskflow4j.persistence.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Migrations on PostgreSQL, each test in a new database. */
class PostgresMigrationTest extends AbstractMigrationTest {
  @PostgresDatabase private FreshDatabases databases;

  @Override
  protected String newStore() throws SQLException {
    return databases.url(databases.create());
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return databases.connect(databases.last());
  }

  /** ALTER TABLE waits for every other lock on the table, even ACCESS SHARE. */
  @Override
  protected java.sql.Connection holdAtomDetails() throws SQLException {
    java.sql.Connection c = rawConnection();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("LOCK TABLE atomdetails IN ACCESS SHARE MODE");
    }
    return c;
  }

  @Override
  protected boolean upgradeWaitsOnAtomDetails(java.sql.Connection probe) throws SQLException {
    try (Statement st = probe.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND wait_event_type = 'Lock' AND query ILIKE 'ALTER TABLE atomdetails%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    }
  }

  @Override
  protected int otherSessions(java.sql.Connection probe) throws SQLException {
    try (Statement st = probe.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** TaskFlow's schema as its alembic chain leaves PostgreSQL at head, and rows in its form. */
  @Override
  protected List<String> taskflowSchemaAndRows() {
    List<String> all =
        new ArrayList<>(
            List.of(
                "CREATE TYPE atom_types AS ENUM ('TASK_DETAIL', 'RETRY_DETAIL')",
                "CREATE TYPE intention_type AS ENUM ('EXECUTE', 'IGNORE', 'REVERT', 'RETRY')",
                "CREATE TABLE logbooks (created_at TIMESTAMP, updated_at TIMESTAMP, meta JSON,"
                    + " name VARCHAR(255), uuid VARCHAR(64) NOT NULL PRIMARY KEY)",
                "CREATE TABLE flowdetails (created_at TIMESTAMP, updated_at TIMESTAMP,"
                    + " parent_uuid VARCHAR(64), meta JSON, state VARCHAR(255), name VARCHAR(255),"
                    + " uuid VARCHAR(64) NOT NULL PRIMARY KEY, CONSTRAINT flowdetails_ibfk_1 FOREIGN KEY"
                    + " (parent_uuid) REFERENCES logbooks (uuid) ON DELETE CASCADE)",
                "CREATE TABLE atomdetails (created_at TIMESTAMP, updated_at TIMESTAMP,"
                    + " parent_uuid VARCHAR(64), meta JSON, name VARCHAR(255), results JSON,"
                    + " version VARCHAR(64), state VARCHAR(255), uuid VARCHAR(64) NOT NULL PRIMARY KEY,"
                    + " failure JSON, atom_type atom_types, intention intention_type DEFAULT 'EXECUTE',"
                    + " revert_results JSON, revert_failure JSON, CONSTRAINT taskdetails_ibfk_1 FOREIGN"
                    + " KEY (parent_uuid) REFERENCES flowdetails (uuid) ON DELETE CASCADE)",
                "CREATE INDEX logbook_uuid_idx ON logbooks (uuid)",
                "CREATE INDEX flowdetails_uuid_idx ON flowdetails (uuid)",
                "CREATE INDEX taskdetails_uuid_idx ON atomdetails (uuid)",
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
                    + " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
                "INSERT INTO alembic_version VALUES ('00af93df9d77')"));
    all.addAll(
        taskflowRows(
            "2026-11-28 15:51:15.774035",
            "2026-11-28 15:51:15.78",
            "2026-11-28 15:51:15.781",
            "2026-11-28 15:51:15.782",
            "2026-11-28 15:51:15.783"));
    return all;
  }
}
