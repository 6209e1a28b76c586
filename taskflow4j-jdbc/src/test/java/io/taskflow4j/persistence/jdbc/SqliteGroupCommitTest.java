package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.BackendConf;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on a SQLite file, and its relaxed commits: {@code synchronous=NORMAL} for a
 * transaction of markers only (WAL mode appends without syncing), and back to {@code FULL} for
 * everything else.
 */
class SqliteGroupCommitTest extends AbstractGroupCommitTest {
  @TempDir Path dir;

  @Override
  String url() {
    return "sqlite:///" + dir.resolve("store.db");
  }

  private static int synchronous(java.sql.Connection c) throws java.sql.SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
      rs.next();
      return rs.getInt(1); // 1 = NORMAL, 2 = FULL
    }
  }

  @Test
  void aRelaxedTransactionCommitsUnsyncedAndTheNextOneIsSyncedAgain() {
    try (JdbcBackend b =
        (JdbcBackend) JdbcBackendProvider.create(BackendConf.parse(url()), JdbcCommitHook.NONE)) {
      try (var c = b.getConnection()) {
        c.upgrade();
      }
      assertThat(b.canRelaxCommits()).isTrue();
      int relaxed =
          b.run(
              "a relaxed write", JdbcBackend.Mode.WRITE, true, SqliteGroupCommitTest::synchronous);
      int synced =
          b.run("a write", JdbcBackend.Mode.WRITE, false, SqliteGroupCommitTest::synchronous);
      assertThat(relaxed).isEqualTo(1);
      assertThat(synced).isEqualTo(2);
    }
  }

  @Test
  void processDurabilityAndInMemoryStoresHaveNothingToRelax() {
    try (JdbcBackend process =
            (JdbcBackend)
                JdbcBackendProvider.create(
                    BackendConf.parse(url() + "?durability=process"), JdbcCommitHook.NONE);
        JdbcBackend memory =
            (JdbcBackend)
                JdbcBackendProvider.create(BackendConf.parse("sqlite://"), JdbcCommitHook.NONE)) {
      assertThat(process.canRelaxCommits()).isFalse();
      assertThat(memory.canRelaxCommits()).isFalse();
    }
  }

  @Test
  void itsStatisticsArePublicForSqlBackendsOnly() {
    try (io.taskflow4j.persistence.Backend b = io.taskflow4j.persistence.Backends.open(url());
        io.taskflow4j.persistence.Backend memory =
            io.taskflow4j.persistence.Backends.open("memory://");
        var c = b.getConnection()) {
      var book =
          c.saveLogBook(
              io.taskflow4j.persistence.LogBook.create("b")
                  .withFlow(
                      io.taskflow4j.persistence.FlowDetail.create("f")
                          .withAtom(io.taskflow4j.persistence.TaskDetail.create("t"))));
      var atom = book.flows().get(0).atoms().get(0);
      atom = c.updateAtomDetails(atom.withState(io.taskflow4j.persistence.AtomState.RUNNING));
      c.updateAtomDetails(atom.put(io.taskflow4j.persistence.AtomState.SUCCESS, 1));
      GroupCommitStats stats = JdbcBackendProvider.groupCommitStats(b).orElseThrow();
      assertThat(stats.groups()).isEqualTo(2);
      assertThat(stats.writes()).isEqualTo(2);
      assertThat(stats.relaxedGroups()).isEqualTo(1);
      assertThat(stats.writesPerGroup()).isEqualTo(1.0);
      assertThat(JdbcBackendProvider.groupCommitStats(memory)).isEmpty();
    }
  }

  @Test
  void aFlowDetailWriteRefusedHalfWayInAGroupLeavesNothingAndItsNeighboursCommit()
      throws Exception {
    assertAFlowDetailWriteRefusedHalfWayInAGroupLeavesNothing();
  }
}
