package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The databases {@link DatabaseExtension} makes exist while their scope runs and are gone after.
 */
class DatabaseExtensionTest {
  /** Every database a test below saw: {@link #allWereDropped()} checks each is gone. */
  private static final List<String> POSTGRES_SEEN = new ArrayList<>();

  private static final List<String> MARIADB_SEEN = new ArrayList<>();

  @PostgresDatabase private static String forTheClass;

  @MariaDbDatabase private String forThisTest;

  @AfterAll
  static void allWereDropped() throws SQLException {
    for (String db : POSTGRES_SEEN) {
      assertThat(postgresHas(db)).as("PostgreSQL database %s after its scope", db).isFalse();
    }
    for (String db : MARIADB_SEEN) {
      assertThat(mariadbHas(db)).as("MariaDB database %s after its scope", db).isFalse();
    }
  }

  @Test
  void aStaticFieldGetsADatabaseForTheClass() throws SQLException {
    assertThat(forTheClass).startsWith("tf4j_");
    assertThat(postgresHas(forTheClass)).isTrue();
    try (Connection c = TestDatabases.postgres(forTheClass)) {
      assertThat(c.isValid(5)).isTrue();
    }
  }

  @Test
  void anInstanceFieldGetsADatabaseForTheTest() throws SQLException {
    assertThat(mariadbHas(forThisTest)).isTrue();
    MARIADB_SEEN.add(forThisTest);
  }

  @Test
  void aParameterGetsItsOwnDatabase(@PostgresDatabase String db) throws SQLException {
    assertThat(db).isNotEqualTo(forTheClass);
    assertThat(postgresHas(db)).isTrue();
    POSTGRES_SEEN.add(db);
  }

  @Test
  void freshDatabasesMakesAsManyAsAsked(@MariaDbDatabase FreshDatabases databases)
      throws SQLException {
    String one = databases.create();
    String two = databases.create();
    assertThat(one).isNotEqualTo(two);
    assertThat(databases.last()).isEqualTo(two);
    assertThat(mariadbHas(one)).isTrue();
    assertThat(mariadbHas(two)).isTrue();
    MARIADB_SEEN.addAll(List.of(one, two));
  }

  /** A nested class's database ends with that class, before the outer class's {@code @AfterAll}. */
  @Nested
  class ANestedClass {
    @PostgresDatabase static String forTheNestedClass;

    @Test
    void outerAndNestedDatabasesBothExist() throws SQLException {
      assertThat(postgresHas(forTheClass)).isTrue();
      assertThat(postgresHas(forTheNestedClass)).isTrue();
      POSTGRES_SEEN.add(forTheNestedClass);
    }
  }

  private static boolean postgresHas(String db) throws SQLException {
    try (Connection c = TestDatabases.postgres(TestDatabases.PG_ADMIN_DB);
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean mariadbHas(String db) throws SQLException {
    try (Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
        PreparedStatement ps =
            c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
      ps.setString(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
