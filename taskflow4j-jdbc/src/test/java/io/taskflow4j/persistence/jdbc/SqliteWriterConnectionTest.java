package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite writer connection ({@link SqliteWriterConnection}) keeps JDBC's transaction semantics
 * while it runs BEGIN/COMMIT itself and keeps its statements compiled.
 */
class SqliteWriterConnectionTest {
  @TempDir Path dir;
  private Connection c;
  private Connection reader;

  @BeforeEach
  void open() throws SQLException {
    String url = "jdbc:sqlite:" + dir.resolve("w.db");
    Properties p = new Properties();
    p.setProperty("transaction_mode", "IMMEDIATE");
    c = SqliteWriterConnection.wrap(DriverManager.getConnection(url, p));
    reader = DriverManager.getConnection(url);
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA journal_mode=WAL");
      st.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    }
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
    reader.close();
  }

  private void insert(int k, String v) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)")) {
      ps.setInt(1, k);
      ps.setString(2, v);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  private List<Integer> seenByAnother() throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (Statement st = reader.createStatement();
        ResultSet rs = st.executeQuery("SELECT k FROM t ORDER BY k")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  @Test
  void aTransactionIsSeenByOthersOnlyOnceCommittedAndRolledBackLeavesNothing() throws Exception {
    c.setAutoCommit(false);
    assertThat(c.getAutoCommit()).isFalse();
    insert(1, "a");
    insert(2, "b");
    assertThat(seenByAnother()).isEmpty();
    c.commit();
    assertThat(seenByAnother()).containsExactly(1, 2);

    insert(3, "c"); // a new transaction began with the statement
    c.rollback();
    assertThat(seenByAnother()).containsExactly(1, 2);

    insert(4, "d");
    c.setAutoCommit(true); // turning auto-commit on commits
    assertThat(c.getAutoCommit()).isTrue();
    assertThat(seenByAnother()).containsExactly(1, 2, 4);

    insert(5, "e"); // auto-commit: at once
    assertThat(seenByAnother()).containsExactly(1, 2, 4, 5);
    assertThatThrownBy(c::commit)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("auto-commit");
  }

  @Test
  void aSavepointTakesBackOnlyWhatCameAfterIt() throws Exception {
    c.setAutoCommit(false);
    insert(1, "kept");
    Savepoint sp = c.setSavepoint();
    insert(2, "undone");
    c.rollback(sp);
    Savepoint named = c.setSavepoint("a \"quoted\" name");
    insert(3, "kept too");
    c.releaseSavepoint(named);
    c.commit();
    c.setAutoCommit(true);
    assertThat(seenByAnother()).containsExactly(1, 3);
  }

  @Test
  void aStatementIsKeptCompiledAndOnlyLentOnceAtATime() throws Exception {
    PreparedStatement first = c.prepareStatement("SELECT v FROM t WHERE k = ?");
    Object underlying = first.unwrap(PreparedStatement.class);
    first.close();
    PreparedStatement again = c.prepareStatement("SELECT v FROM t WHERE k = ?");
    assertThat(again.unwrap(PreparedStatement.class)).isSameAs(underlying);
    assertThat(again.isClosed()).isFalse();
    // Asked for while lent: a statement of its own.
    try (PreparedStatement second = c.prepareStatement("SELECT v FROM t WHERE k = ?")) {
      assertThat(second.unwrap(PreparedStatement.class)).isNotSameAs(underlying);
    }
    again.close();
    assertThat(again.isClosed()).isTrue();
    assertThatThrownBy(() -> again.setInt(1, 1)).isInstanceOf(SQLException.class);

    // Parameters do not leak from one use into the next.
    insert(1, "one");
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)")) {
      ps.setInt(1, 2);
      assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class);
    }
    assertThat(seenByAnother()).containsExactly(1);
  }

  @Test
  void onlySoManyStatementsAreKept() throws Exception {
    List<Object> seen = new ArrayList<>();
    for (int i = 0; i < SqliteWriterConnection.CACHED + 10; i++) {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + i)) {
        seen.add(ps.unwrap(PreparedStatement.class));
      }
    }
    PreparedStatement evicted = (PreparedStatement) seen.get(0);
    assertThat(evicted.isClosed()).isTrue();
    PreparedStatement kept = (PreparedStatement) seen.get(seen.size() - 1);
    assertThat(kept.isClosed()).isFalse();
    c.close();
    assertThat(kept.isClosed()).isTrue();
    c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("w.db")); // for close()
  }

  @Test
  void anApplicationsFlywayNeverFindsTheStoresMigrations() {
    // Flyway's default location, which Spring Boot's Flyway scans in an application that
    // depends on this module: it must not hold our scripts (three of them are V1).
    Flyway flyway =
        Flyway.configure()
            .dataSource("jdbc:sqlite:" + dir.resolve("app.db"), null, null)
            .locations("classpath:db/migration")
            .load();
    assertThat(flyway.info().all()).isEmpty();
    Flyway ours =
        Flyway.configure()
            .dataSource("jdbc:sqlite:" + dir.resolve("app.db"), null, null)
            .locations(Dialect.SQLITE.migrations())
            .load();
    assertThat(ours.info().all()).isNotEmpty();
  }
}
