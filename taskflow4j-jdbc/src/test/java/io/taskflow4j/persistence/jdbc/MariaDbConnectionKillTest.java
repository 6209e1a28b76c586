package io.taskflow4j.persistence.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Connection kills on MariaDB ({@code KILL CONNECTION}). */
class MariaDbConnectionKillTest extends AbstractConnectionKillTest {
  @MariaDbDatabase private static String db;

  @Override
  protected String connection() {
    return TestDatabases.mariadbUrl(db);
  }

  @Override
  protected int killPoolConnections() throws SQLException {
    try (java.sql.Connection admin = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB)) {
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement ps =
          admin.prepareStatement(
              "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()")) {
        ps.setString(1, db);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
        }
      }
      int killed = 0;
      for (long id : ids) {
        try (Statement st = admin.createStatement()) {
          st.execute("KILL CONNECTION " + id);
          killed++;
        } catch (SQLException gone) {
          // It ended by itself meanwhile.
        }
      }
      return killed;
    }
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return TestDatabases.mariadb(db);
  }

  @Override
  protected boolean saysWhyItEndedAnIdleSession() {
    return false;
  }
}
