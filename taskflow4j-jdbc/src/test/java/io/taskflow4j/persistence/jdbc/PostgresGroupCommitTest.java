package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.BackendConf;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Group commit on PostgreSQL (a fresh database per test), and its relaxed commits. */
class PostgresGroupCommitTest extends AbstractGroupCommitTest {
  @PostgresDatabase String db;

  @Override
  String url() {
    return TestDatabases.postgresUrl(db);
  }

  private static String synchronousCommit(java.sql.Connection c) throws java.sql.SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void aRelaxedTransactionCommitsWithoutWaitingForTheWalAndOnlyItself() {
    try (JdbcBackend b =
        (JdbcBackend) JdbcBackendProvider.create(BackendConf.parse(url()), JdbcCommitHook.NONE)) {
      try (var c = b.getConnection()) {
        c.upgrade();
      }
      assertThat(b.canRelaxCommits()).isTrue();
      // The commit mode is read at commit: a relaxed transaction's work finds it still to set (a
      // marker's UPDATE sets it in its RETURNING list), and what is left sets it before the commit.
      assertThat(
              b.<String>run(
                  "a relaxed write",
                  JdbcBackend.Mode.WRITE,
                  true,
                  c -> {
                    assertThat(JdbcBackend.relaxPending()).isTrue();
                    JdbcBackend.relaxIfPending(c); // what the backend does before the commit
                    assertThat(JdbcBackend.relaxPending()).isFalse();
                    return synchronousCommit(c);
                  }))
          .isEqualTo("off");
      assertThat(
              b.<String>run(
                  "a write",
                  JdbcBackend.Mode.WRITE,
                  false,
                  c -> {
                    assertThat(JdbcBackend.relaxPending()).isFalse();
                    return synchronousCommit(c);
                  }))
          .isEqualTo("on");
      // a relaxed write whose work leaves the setting to the backend: that commit only
      b.run("a relaxed write", JdbcBackend.Mode.WRITE, true, c -> null);
      assertThat(
              b.run(
                  "a write",
                  JdbcBackend.Mode.WRITE,
                  false,
                  PostgresGroupCommitTest::synchronousCommit))
          .isEqualTo("on");
      assertThat(JdbcBackend.relaxPending()).isFalse();
    }
  }
}
