package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.WriteOutcomeUnknownException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a write done alone that is one statement (an atom update, several atoms' updates
 * together, a flow update with at most a few atoms, a job's claim or completion) runs in
 * auto-commit mode: the server commits it in the round trip that runs it, no transaction is held
 * open, and a refusal still stores nothing of it.
 */
class PostgresOneStatementWriteTest {
  @PostgresDatabase private String db;

  private String url(String params) {
    return TestDatabases.postgresUrl(db) + (params.isEmpty() ? "" : "?" + params);
  }

  /** Sessions of the test database idle inside a transaction. */
  private int idleInTransaction() throws java.sql.SQLException {
    return TestDatabases.idleInTransaction(db).size();
  }

  /** Records, at each write's commit point, whether another session sat inside a transaction. */
  private final class Observer implements JdbcCommitHook {
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void beforeCommit(String what) throws SQLException {
      seen.add(what + " -> " + idleInTransaction());
    }

    @Override
    public void afterCommit(String what) {}
  }

  private static LogBook bookOf(int atoms) {
    FlowDetail fd = FlowDetail.create("f");
    for (int i = 0; i < atoms; i++) {
      fd = fd.withAtom(TaskDetail.create("t" + i));
    }
    return LogBook.create("b").withFlow(fd);
  }

  @Test
  void loneWritesHoldNoTransactionOpenWhileAFlowWriteWithAtomsDoes() throws Exception {
    Observer hook = new Observer();
    try (Backend backend = JdbcBackendProvider.create(BackendConf.parse(url("")), hook);
        io.taskflow4j.persistence.Connection conn = backend.getConnection()) {
      conn.upgrade();
      FlowDetail fd = conn.saveLogBook(bookOf(3)).flows().get(0);
      List<AtomDetail> atoms = fd.atoms();

      hook.seen.clear();
      AtomDetail a = conn.updateAtomDetails(atoms.get(0).withState(AtomState.RUNNING));
      List<AtomDetail> two =
          conn.updateAtomDetails(
              List.of(a.put(AtomState.SUCCESS, 1), atoms.get(1).withState(AtomState.RUNNING)));
      FlowDetail flow = conn.updateFlowDetails(fd.withoutAtoms().withState(FlowState.RUNNING));
      assertThat(hook.seen)
          .as("at the commit point of each lone one-statement write")
          .hasSize(3)
          .allMatch(s -> s.endsWith("-> 0"));
      assertThat(a.revision()).isEqualTo(2);
      assertThat(two).extracting(AtomDetail::revision).containsExactly(3L, 2L);

      // A flow write carrying a few atoms, updated and new, is one statement too.
      hook.seen.clear();
      TaskDetail added = TaskDetail.create("added").withState(AtomState.RUNNING);
      flow =
          conn.updateFlowDetails(
              flow.withAtom(conn.getAtomDetails(atoms.get(2).uuid()).withState(AtomState.RUNNING))
                  .withAtom(added)
                  .withState(FlowState.SUCCESS));
      assertThat(hook.seen).hasSize(1).allMatch(s -> s.endsWith("-> 0"));
      assertThat(flow.atoms()).extracting(AtomDetail::revision).containsExactly(2L, 1L);

      FlowDetail stored = conn.getFlowDetails(fd.uuid());
      assertThat(stored.state()).isEqualTo(FlowState.SUCCESS);
      assertThat(stored.revision()).isEqualTo(flow.revision());
      assertThat(stored.atoms())
          .extracting(AtomDetail::state)
          .containsExactly(
              AtomState.SUCCESS, AtomState.RUNNING, AtomState.RUNNING, AtomState.RUNNING);
      assertThat(stored.find(added.uuid()).orElseThrow().revision()).isEqualTo(1);

      // Many atoms are a transaction: at its commit point the writer's session is inside it.
      hook.seen.clear();
      FlowDetail many = flow.withoutAtoms();
      for (int i = 0; i < 17; i++) {
        many = many.withAtom(TaskDetail.create("m" + i));
      }
      conn.updateFlowDetails(many);
      assertThat(hook.seen).hasSize(1).allMatch(s -> s.endsWith("-> 1"));
      assertThat(conn.getFlowDetails(fd.uuid()).atoms()).hasSize(4 + 17);
    }
  }

  /**
   * A flow written with a few atoms in one statement stores all of it or nothing, and a write that
   * statement cannot do (an atom without a revision that is already stored, one of another flow, a
   * row without a type) is done as a transaction, as before, with the same outcome or refusal.
   */
  @Test
  void aFlowWithAFewAtomsInOneStatementIsAllOrNone() throws Exception {
    try (Backend backend = Backends.open(url(""));
        io.taskflow4j.persistence.Connection conn = backend.getConnection()) {
      conn.upgrade();
      FlowDetail fd = conn.saveLogBook(bookOf(2)).flows().get(0);
      AtomDetail a = fd.atoms().get(0);
      AtomDetail b = fd.atoms().get(1);
      AtomDetail movedA = conn.updateAtomDetails(a.withState(AtomState.RUNNING)); // revision 2

      // A stale atom: neither the flow's row nor the new atom is stored.
      TaskDetail fresh = TaskDetail.create("fresh");
      assertThatThrownBy(
              () ->
                  conn.updateFlowDetails(
                      fd.withoutAtoms()
                          .withAtom(fresh)
                          .withAtom(a.put(AtomState.SUCCESS, "stale"))
                          .withState(FlowState.RUNNING)))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining(a.uuid());
      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(fd.withAtom(movedA));

      // A stale flow: no atom is written.
      FlowDetail running = conn.updateFlowDetails(fd.withoutAtoms().withState(FlowState.RUNNING));
      assertThatThrownBy(
              () ->
                  conn.updateFlowDetails(
                      fd.withoutAtoms().withAtom(fresh).withAtom(b.put(AtomState.SUCCESS, "b"))))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining(fd.uuid());
      assertThat(conn.getAtomDetails(b.uuid())).isEqualTo(b);
      assertThat(conn.getFlowDetails(fd.uuid()).atoms()).hasSize(2);

      // An atom of another flow: refused as before, nothing stored.
      FlowDetail other = conn.saveLogBook(bookOf(1)).flows().get(0);
      AtomDetail foreign = other.atoms().get(0);
      assertThatThrownBy(
              () ->
                  conn.updateFlowDetails(
                      running.withAtom(fresh).withAtom(foreign.withState(AtomState.RUNNING))))
          .isInstanceOf(io.taskflow4j.persistence.DuplicateException.class)
          .hasMessageContaining(foreign.uuid());
      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(running.withAtoms(List.of(movedA, b)));
      assertThat(conn.getAtomDetails(foreign.uuid())).isEqualTo(foreign);

      // An atom without a revision that is already stored, and one whose row has no type (as
      // TaskFlow wrote them before the column): both written, by the transaction.
      try (java.sql.Connection raw = TestDatabases.postgres(db);
          PreparedStatement ps =
              raw.prepareStatement("UPDATE atomdetails SET atom_type = NULL WHERE uuid = ?")) {
        ps.setString(1, b.uuid());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      FlowDetail done =
          conn.updateFlowDetails(
              running
                  .withAtom(movedA.put(AtomState.SUCCESS, "a").withRevision(0))
                  .withAtom(b.put(AtomState.SUCCESS, "b"))
                  .withAtom(fresh)
                  .withState(FlowState.SUCCESS));
      assertThat(done.revision()).isEqualTo(running.revision() + 1);
      assertThat(done.atoms()).extracting(AtomDetail::revision).containsExactly(3L, 2L, 1L);
      FlowDetail stored = conn.getFlowDetails(fd.uuid());
      assertThat(stored.state()).isEqualTo(FlowState.SUCCESS);
      assertThat(stored.atoms())
          .extracting(ad -> ((TaskDetail) ad).results())
          .containsExactly("a", "b", null);

      // Fenced: a stale fence refuses the write, and nothing of it is stored.
      String job = "job-" + db;
      conn.advanceFence(new Fence(job, 1));
      io.taskflow4j.persistence.Connection fenced = conn.fenced(new Fence(job, 1));
      FlowDetail again =
          fenced.updateFlowDetails(
              stored
                  .withoutAtoms()
                  .withAtom(TaskDetail.create("fenced"))
                  .withState(FlowState.RUNNING));
      conn.advanceFence(new Fence(job, 2)); // a peer took the job over
      TaskDetail late = TaskDetail.create("late");
      assertThatThrownBy(
              () ->
                  fenced.updateFlowDetails(
                      again.withoutAtoms().withAtom(late).withState(FlowState.SUCCESS)))
          .isInstanceOf(FencedException.class);
      FlowDetail after = conn.getFlowDetails(fd.uuid());
      assertThat(after.state()).isEqualTo(FlowState.RUNNING);
      assertThat(after.find(late.uuid())).isEmpty();
    }
  }

  @Test
  void aBoardClaimsAndCompletesJobsInOneStatementEach() throws Exception {
    Observer hook = new Observer();
    BackendConf conf = BackendConf.parse(url(""));
    try (SqlJobboard board =
        SqlJobboard.open(conf, (JdbcBackend) JdbcBackendProvider.create(conf, hook))) {
      io.taskflow4j.jobs.OwnerId me = io.taskflow4j.jobs.OwnerId.generate("c");
      board.post(io.taskflow4j.jobs.JobSpec.of("j1", null, "f1"));
      board.post(io.taskflow4j.jobs.JobSpec.of("j2", null, "f2"));
      hook.seen.clear();
      io.taskflow4j.jobs.Claim first = board.claimNext(me).orElseThrow();
      io.taskflow4j.jobs.Claim second = board.claimNext(me, 2).get(0);
      assertThat(hook.seen)
          .as("at the commit points of the two claims")
          .hasSize(2)
          .allMatch(s -> s.endsWith("-> 0"));

      hook.seen.clear();
      first.complete();
      assertThat(board.completeAll(List.of(second))).isEmpty();
      assertThat(hook.seen)
          .as("at the commit points of the two completions")
          .hasSize(2)
          .allMatch(s -> s.endsWith("-> 0"));
      assertThat(board.jobs()).isEmpty();
    }
  }

  @Test
  void severalAtomsInOneStatementAreAllOrNone() throws Exception {
    try (Backend backend = Backends.open(url(""));
        io.taskflow4j.persistence.Connection conn = backend.getConnection()) {
      conn.upgrade();
      FlowDetail fd = conn.saveLogBook(bookOf(3)).flows().get(0);
      AtomDetail a = fd.atoms().get(0);
      AtomDetail b = fd.atoms().get(1);
      AtomDetail moved = conn.updateAtomDetails(a.withState(AtomState.RUNNING)); // revision 2

      // b first, then a stale a: b's update must not be stored either.
      assertThatThrownBy(
              () ->
                  conn.updateAtomDetails(
                      List.of(b.put(AtomState.SUCCESS, "b"), a.put(AtomState.SUCCESS, "a"))))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining(a.uuid());
      assertThat(conn.getAtomDetails(b.uuid())).isEqualTo(b);
      assertThat(conn.getAtomDetails(a.uuid())).isEqualTo(moved);

      TaskDetail neverSaved = TaskDetail.create("ghost").withRevision(1);
      assertThatThrownBy(
              () ->
                  conn.updateAtomDetails(
                      List.of(b.put(AtomState.SUCCESS, "b"), neverSaved.put(AtomState.SUCCESS, 0))))
          .isInstanceOf(NotFoundException.class)
          .hasMessageContaining(neverSaved.uuid());
      assertThat(conn.getAtomDetails(b.uuid())).isEqualTo(b);

      String job = "job-" + db;
      conn.advanceFence(new Fence(job, 1));
      io.taskflow4j.persistence.Connection fenced = conn.fenced(new Fence(job, 1));
      List<AtomDetail> written =
          fenced.updateAtomDetails(
              List.of(b.withState(AtomState.RUNNING), moved.put(AtomState.SUCCESS, "a")));
      assertThat(written).extracting(AtomDetail::revision).containsExactly(2L, 3L);
      conn.advanceFence(new Fence(job, 2)); // a peer took the job over
      AtomDetail c = fd.atoms().get(2);
      assertThatThrownBy(
              () ->
                  fenced.updateAtomDetails(
                      List.of(
                          c.withState(AtomState.RUNNING),
                          written.get(0).put(AtomState.SUCCESS, 0))))
          .isInstanceOf(FencedException.class);
      assertThat(conn.getAtomDetails(c.uuid())).isEqualTo(c);
      assertThat(conn.getAtomDetails(b.uuid())).isEqualTo(written.get(0));
    }
  }

  /**
   * The writer's connection is lost (its socket times out) while its statement waits for a row that
   * another client holds. The server still runs that statement once the row is free, so the write
   * may be stored after its writer gave up: it is reported as maybe stored, never done twice. When
   * the server ends that statement instead, the write is found not stored and done again.
   */
  @Test
  void aStatementWhoseConnectionIsLostIsNeverStoredTwice() throws Exception {
    for (boolean serverEndsTheStatement : new boolean[] {false, true}) {
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try (Backend backend =
              Backends.open(url("socketTimeout=2&retry_backoff=0.05&max_retries=8"));
          io.taskflow4j.persistence.Connection conn = backend.getConnection();
          java.sql.Connection other = TestDatabases.postgres(db)) {
        conn.upgrade();
        AtomDetail a = conn.saveLogBook(bookOf(1)).flows().get(0).atoms().get(0);
        other.setAutoCommit(false);
        try (PreparedStatement ps =
            other.prepareStatement("SELECT revision FROM atomdetails WHERE uuid = ? FOR UPDATE")) {
          ps.setString(1, a.uuid());
          ps.executeQuery().close();
        }
        Future<AtomDetail> write =
            pool.submit(() -> conn.updateAtomDetails(a.put(AtomState.SUCCESS, 42)));
        int waiting = waitForBlockedUpdate();
        Thread.sleep(2_500); // past the writer's socket timeout: its connection is gone
        if (serverEndsTheStatement) {
          try (java.sql.Connection admin = TestDatabases.postgres(db);
              PreparedStatement ps = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
            ps.setInt(1, waiting);
            ps.executeQuery().close();
          }
        }
        other.commit(); // the row is free

        if (serverEndsTheStatement) {
          assertThat(write.get(30, TimeUnit.SECONDS).revision()).isEqualTo(2);
        } else {
          assertThatThrownBy(() -> write.get(30, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class)
              .cause()
              .isInstanceOf(WriteOutcomeUnknownException.class)
              .hasMessageContaining("may or may not be stored");
        }
        AtomDetail stored = conn.getAtomDetails(a.uuid());
        assertThat(stored.revision()).as("stored once").isEqualTo(2);
        assertThat(((TaskDetail) stored).results()).isEqualTo(42);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** The server process of the statement that waits for a locked row of {@code atomdetails}. */
  private int waitForBlockedUpdate() throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (java.sql.Connection c = TestDatabases.postgres(db);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE datname = ? AND wait_event_type = 'Lock'"
                    + " AND query LIKE 'UPDATE atomdetails%'")) {
      ps.setString(1, db);
      while (System.nanoTime() < end) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return rs.getInt(1);
          }
        }
        Thread.sleep(20);
      }
    }
    throw new AssertionError("the write never waited for the locked row");
  }
}
