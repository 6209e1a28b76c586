package io.taskflow4j.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL and MariaDB servers the tests use, and fresh databases on them ({@code
 * tf4j_cli_<random>}, dropped after). Outside CI a missing server skips the test with a message; in
 * CI ({@code CI=true}) it fails it.
 */
final class Databases {
  static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  static final String PG_HOST = env("TF4J_TEST_PG_HOST", "127.0.0.1:5432");
  static final String PG_USER = env("TF4J_TEST_PG_USER", "postgres");
  static final String PG_ADMIN_DB = env("TF4J_TEST_PG_DB", "test");
  static final String MARIADB_HOST = env("TF4J_TEST_MARIADB_HOST", "127.0.0.1:3306");
  static final String MARIADB_USER = env("TF4J_TEST_MARIADB_USER", "root");
  static final String MARIADB_ADMIN_DB = env("TF4J_TEST_MARIADB_DB", "test");

  private Databases() {}

  private static String env(String key, String dflt) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? dflt : v;
  }

  static Connection postgres(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", PG_USER);
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection("jdbc:postgresql://" + PG_HOST + "/" + db, p);
  }

  static Connection mariadb(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", MARIADB_USER);
    p.setProperty("sslMode", "disable");
    p.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection("jdbc:mariadb://" + MARIADB_HOST + "/" + db, p);
  }

  static void requirePostgres() {
    require("PostgreSQL at " + PG_HOST, () -> postgres(PG_ADMIN_DB).close());
  }

  static void requireMariaDb() {
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
        fail(msg + "; CI needs it for the command's SQL tests");
      }
      Assumptions.abort(msg + "; skipping (set CI=true to make this a failure)");
    }
  }

  /** Creates a fresh PostgreSQL database and returns its name. */
  static String createPostgres() throws SQLException {
    String name = "tf4j_cli_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = postgres(PG_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  static void dropPostgres(String name) throws SQLException {
    if (name == null) {
      return;
    }
    try (Connection c = postgres(PG_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** A connection string for a PostgreSQL database; {@code password} may be null. */
  static String postgresUrl(String db, String password) {
    return "postgresql://"
        + PG_USER
        + (password == null ? "" : ":" + password)
        + "@"
        + PG_HOST
        + "/"
        + db;
  }
}
