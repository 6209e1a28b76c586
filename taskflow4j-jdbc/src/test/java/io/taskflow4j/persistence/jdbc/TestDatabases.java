package io.taskflow4j.persistence.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL and MariaDB servers the tests use, and fresh databases on them ({@code
 * tf4j_<random>}, dropped after). Outside CI a missing server skips the tests with a message; in CI
 * ({@code CI=true}) it fails them.
 */
public final class TestDatabases {
  public static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  public static final String PG_HOST = env("TF4J_TEST_PG_HOST", "127.0.0.1:5432");
  public static final String PG_USER = env("TF4J_TEST_PG_USER", "postgres");
  public static final String PG_ADMIN_DB = env("TF4J_TEST_PG_DB", "test");
  public static final String MARIADB_HOST = env("TF4J_TEST_MARIADB_HOST", "127.0.0.1:3306");
  public static final String MARIADB_USER = env("TF4J_TEST_MARIADB_USER", "root");
  public static final String MARIADB_ADMIN_DB = env("TF4J_TEST_MARIADB_DB", "test");

  private TestDatabases() {}

  private static String env(String key, String dflt) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? dflt : v;
  }

  public static String newName() {
    return "tf4j_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /** A plain JDBC connection to a PostgreSQL database (the admin one by default). */
  public static Connection postgres(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", PG_USER);
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection("jdbc:postgresql://" + PG_HOST + "/" + db, p);
  }

  /** A plain JDBC connection to a MariaDB database. */
  public static Connection mariadb(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", MARIADB_USER);
    p.setProperty("sslMode", "disable");
    p.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection("jdbc:mariadb://" + MARIADB_HOST + "/" + db, p);
  }

  /**
   * The last statements of the sessions of PostgreSQL database {@code db} that sit idle inside a
   * transaction (looked at from the server's maintenance database).
   */
  public static java.util.List<String> idleInTransaction(String db) throws SQLException {
    try (Connection admin = postgres(PG_ADMIN_DB);
        java.sql.PreparedStatement ps =
            admin.prepareStatement(
                "SELECT query FROM pg_stat_activity"
                    + " WHERE datname = ? AND state = 'idle in transaction'")) {
      ps.setString(1, db);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        java.util.List<String> out = new java.util.ArrayList<>();
        while (rs.next()) {
          out.add(rs.getString(1));
        }
        return out;
      }
    }
  }

  /** Skips (or, in CI, fails) unless PostgreSQL answers. */
  public static void requirePostgres() {
    require("PostgreSQL at " + PG_HOST, () -> postgres(PG_ADMIN_DB).close());
  }

  /** Skips (or, in CI, fails) unless MariaDB answers. */
  public static void requireMariaDb() {
    require("MariaDB at " + MARIADB_HOST, () -> mariadb(MARIADB_ADMIN_DB).close());
  }

  private interface Probe {
    void run() throws SQLException;
  }

  private static void require(String what, Probe probe) {
    try {
      probe.run();
    } catch (SQLException e) {
      String msg = what + " is not reachable (" + e.getMessage() + ")";
      if (CI) {
        fail(msg + "; CI needs it for the SQL backend tests");
      }
      // Outside CI a developer may lack a server: skip, saying so; CI fails above instead.
      Assumptions.abort(msg + "; skipping (set CI=true to make this a failure)");
    }
  }

  public static String createPostgres() throws SQLException {
    String name = newName();
    try (Connection c = postgres(PG_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  public static void dropPostgres(String name) throws SQLException {
    if (name == null) {
      return;
    }
    try (Connection c = postgres(PG_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  public static String createMariaDb() throws SQLException {
    String name = newName();
    try (Connection c = mariadb(MARIADB_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
    }
    return name;
  }

  public static void dropMariaDb(String name) throws SQLException {
    if (name == null) {
      return;
    }
    try (Connection c = mariadb(MARIADB_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name);
    }
  }

  public static String postgresUrl(String db) {
    return postgresUrl(db, null);
  }

  /** A connection string for a PostgreSQL database; {@code password} may be null. */
  public static String postgresUrl(String db, String password) {
    return "postgresql://"
        + PG_USER
        + (password == null ? "" : ":" + password)
        + "@"
        + PG_HOST
        + "/"
        + db;
  }

  /**
   * Turns autovacuum (and with it automatic analysis) off for {@code tables}, so that their plans
   * are made without statistics, as on a store never analysed.
   */
  public static void withoutAutovacuum(java.sql.Statement st, String... tables)
      throws SQLException {
    for (String t : tables) {
      st.execute("ALTER TABLE " + t + " SET (autovacuum_enabled = false)");
    }
  }

  /**
   * {@code sql} with its {@code ?} parameters numbered {@code $1, $2, ...}, as PREPARE takes them.
   */
  static String numberedParameters(String sql) {
    StringBuilder numbered = new StringBuilder();
    int n = 0;
    for (char ch : sql.toCharArray()) {
      if (ch == '?') {
        numbered.append('$').append(++n);
      } else {
        numbered.append(ch);
      }
    }
    return numbered.toString();
  }

  public static String mariadbUrl(String db) {
    return "mariadb://" + MARIADB_USER + "@" + MARIADB_HOST + "/" + db + "?sslMode=disable";
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
