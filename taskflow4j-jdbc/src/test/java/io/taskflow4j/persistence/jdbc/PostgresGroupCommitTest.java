package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.BackendConf;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
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

  /** Sessions of the test database idle inside a transaction. */
  private int idleInTransaction() throws java.sql.SQLException {
    return TestDatabases.idleInTransaction(db).size();
  }

  /**
   * A group of atom updates only is one statement batch in auto-commit mode, one implicit
   * transaction committed in its round trip: at its commit point no session sits in a transaction.
   * A group that carries a fenced write is a transaction, open there. (A flow written with its
   * atoms joins no group: {@link #aFlowWrittenWithItsAtomsCommitsAloneWhileAGroupIsHeld}.)
   */
  @Test
  void aGroupOfAtomUpdatesHoldsNoTransactionOpenButAFencedWriteMakesItOne() throws Exception {
    try (JdbcBackend b = backend();
        io.taskflow4j.persistence.Connection c = b.getConnection()) {
      List<io.taskflow4j.persistence.AtomDetail> atoms = saveAtoms(c, 5);
      c.advanceFence(new io.taskflow4j.persistence.Fence("job-1", 1));
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      atCommit =
          what -> {
            if (what.contains("writes in one transaction")) {
              seen.add(idleInTransaction() + " at " + what);
            }
          };
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(io.taskflow4j.persistence.AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(io.taskflow4j.persistence.AtomState.SUCCESS, 1)),
                  Write.of(atoms.get(2).put(io.taskflow4j.persistence.AtomState.SUCCESS, 2))));
      assertThat(out).allMatch(o -> o instanceof io.taskflow4j.persistence.AtomDetail);
      assertThat(seen).hasSize(1).allMatch(s -> s.startsWith("0 at "));

      // A fenced write in the group: a transaction, whose fence read holds its lock until commit.
      seen.clear();
      out =
          groupBehind(
              b,
              c.getAtomDetails(atoms.get(1).uuid())
                  .withState(io.taskflow4j.persistence.AtomState.REVERTING),
              List.of(
                  new Write(
                      c.getAtomDetails(atoms.get(2).uuid())
                          .withState(io.taskflow4j.persistence.AtomState.REVERTING),
                      new io.taskflow4j.persistence.Fence("job-1", 1)),
                  Write.of(atoms.get(3).withState(io.taskflow4j.persistence.AtomState.RUNNING))));
      assertThat(out).allMatch(o -> o instanceof io.taskflow4j.persistence.AtomDetail);
      assertThat(seen).hasSize(1).allMatch(s -> s.startsWith("1 at "));

      atCommit = what -> {};
    }
  }

  /**
   * A flow written with its atoms (several statements) joins no group on PostgreSQL: while a
   * group's commit is held, it commits in a transaction of its own, and a stale one is refused
   * alone, leaving nothing.
   */
  @Test
  void aFlowWrittenWithItsAtomsCommitsAloneWhileAGroupIsHeld() throws Exception {
    try (JdbcBackend b = backend();
        io.taskflow4j.persistence.Connection c = b.getConnection()) {
      List<io.taskflow4j.persistence.AtomDetail> atoms = saveAtoms(c, 3);
      io.taskflow4j.persistence.FlowDetail flow =
          c.getFlowDetails(c.getLogBooks().get(0).flows().get(0).uuid());
      c.updateAtomDetails(atoms.get(2).withState(io.taskflow4j.persistence.AtomState.RUNNING));
      long[] before = b.groupCommit().counts();
      Object[] written =
          whileAGroupIsHeld(
              b,
              atoms.get(0).withState(io.taskflow4j.persistence.AtomState.RUNNING),
              () -> {
                io.taskflow4j.persistence.FlowDetail running =
                    c.updateFlowDetails(
                        flow.withoutAtoms()
                            .withState(io.taskflow4j.persistence.FlowState.RUNNING)
                            .withAtom(
                                atoms.get(1).put(io.taskflow4j.persistence.AtomState.SUCCESS, 1)));
                Object stale;
                try {
                  stale =
                      c.updateFlowDetails(
                          running
                              .withoutAtoms()
                              .withState(io.taskflow4j.persistence.FlowState.SUCCESS)
                              .withAtom(
                                  atoms
                                      .get(2)
                                      .put(io.taskflow4j.persistence.AtomState.SUCCESS, 2)));
                } catch (io.taskflow4j.persistence.ConflictException e) {
                  stale = e;
                }
                assertThat(b.groupCommit().waiting()).as("writes waiting for a group").isZero();
                return new Object[] {running, stale};
              });
      assertThat(b.groupCommit().counts()[1] - before[1])
          .as("writes carried by groups")
          .isEqualTo(1);
      assertThat(((io.taskflow4j.persistence.FlowDetail) written[0]).state())
          .isEqualTo(io.taskflow4j.persistence.FlowState.RUNNING);
      assertThat(written[1]).isInstanceOf(io.taskflow4j.persistence.ConflictException.class);
      io.taskflow4j.persistence.FlowDetail stored = c.getFlowDetails(flow.uuid(), true);
      assertThat(stored.state()).isEqualTo(io.taskflow4j.persistence.FlowState.RUNNING);
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
      assertThat(c.getAtomDetails(atoms.get(0).uuid()).state())
          .isEqualTo(io.taskflow4j.persistence.AtomState.RUNNING);
    }
  }
}
