package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.jdbc.AbstractSqlJobboardTest.PausingHook;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server terminates the pool's connections between writes: the next write must succeed after a
 * retry, and nothing may be lost or written twice.
 */
abstract class AbstractConnectionKillTest {

  /** The connection string of the test database. */
  protected abstract String connection();

  /** Terminates every server connection the backend holds; returns how many. */
  protected abstract int killPoolConnections() throws SQLException;

  /** A plain JDBC connection to the test database, as another client would have. */
  protected abstract java.sql.Connection rawConnection() throws SQLException;

  /**
   * Whether the server says why it ended a session idle in its transaction (PostgreSQL's SQLState
   * 25P03), so that a commit sent after it is known not to have run; MariaDB just closes the
   * socket.
   */
  protected abstract boolean saysWhyItEndedAnIdleSession();

  /**
   * A write paused right before its commit for longer than {@code transaction_idle_timeout} (its
   * process stopped there): the server ends its session, which rolls it back and frees the rows it
   * locked, so another client gets them without waiting for the pause to end. When the write
   * resumes, it is stored exactly once (PostgreSQL: retried, since the commit is known not to have
   * run) or reported as maybe not stored (MariaDB), and nothing of it is stored then; never half.
   */
  @Test
  void aWritePausedBeforeItsCommitLosesItsSessionAndItsLocksButIsNeverHalfStored()
      throws Exception {
    String url =
        connection()
            + (connection().contains("?") ? "&" : "?")
            + "transaction_idle_timeout=0.5&retry_backoff=0.05";
    PausingHook hook = new PausingHook(Duration.ofSeconds(30));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    TaskDetail task = TaskDetail.create("t");
    LogBook book = LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(task));
    try (Backend backend = JdbcBackendProvider.create(BackendConf.parse(url), hook);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      conn.saveLogBook(book);
      AtomDetail stored = conn.getAtomDetails(task.uuid());
      assertThat(stored.revision()).isEqualTo(1);
      // A flow write with the atom: a transaction on every SQL store (a lone atom write is one
      // statement on PostgreSQL, committed as the server runs it: nothing to pause inside).
      FlowDetail flow = conn.getFlowDetails(book.flows().get(0).uuid(), true);
      hook.arm("flow detail '" + flow.uuid() + "'");
      Future<AtomDetail> paused =
          pool.submit(
              () ->
                  conn.updateFlowDetails(flow.withAtom(stored.put(AtomState.SUCCESS, 42)))
                      .atoms()
                      .get(0));
      assertThat(hook.entered.await(10, TimeUnit.SECONDS)).isTrue();

      Future<Long> other =
          pool.submit(
              () -> {
                try (java.sql.Connection c = rawConnection()) {
                  c.setAutoCommit(false);
                  try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT revision FROM atomdetails WHERE uuid = ? FOR UPDATE")) {
                    ps.setString(1, task.uuid());
                    try (ResultSet rs = ps.executeQuery()) {
                      rs.next();
                      long revision = rs.getLong(1);
                      c.commit();
                      return revision;
                    }
                  }
                }
              });
      // The pause lasts until resumed below; the session ends after 0.5 s (MariaDB: 1 s).
      assertThat(other.get(3, TimeUnit.SECONDS))
          .as("another client locks the row while the write is still paused: nothing of it stored")
          .isEqualTo(1);

      hook.resume.countDown();
      if (saysWhyItEndedAnIdleSession()) {
        assertThat(paused.get(30, TimeUnit.SECONDS).revision()).isEqualTo(2);
        AtomDetail after = conn.getAtomDetails(task.uuid());
        assertThat(after.revision()).isEqualTo(2);
        assertThat(after.lastResults()).isEqualTo(42);
      } else {
        assertThatThrownBy(() -> paused.get(30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("may or may not be stored");
        assertThat(conn.getAtomDetails(task.uuid())).isEqualTo(stored);
      }
    } finally {
      hook.resume.countDown();
      pool.shutdownNow();
      // The other test of the class counts the logbooks.
      try (Backend cleaner = Backends.fetch(connection());
          Connection c = cleaner.getConnection()) {
        c.destroyLogBook(book.uuid());
      }
    }
  }

  @Test
  void writesAfterTheServerKilledThePoolsConnectionsSucceedWithNothingLostOrDuplicated()
      throws Exception {
    String url =
        connection()
            + (connection().contains("?") ? "&" : "?")
            + "max_pool_size=3&retry_backoff=0.05";
    try (Backend backend = Backends.fetch(url);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      List<TaskDetail> tasks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        tasks.add(TaskDetail.create("t" + i));
      }
      FlowDetail fd = FlowDetail.create("flow").withAtoms(tasks);
      LogBook saved = conn.saveLogBook(LogBook.create("book").withFlow(fd));
      List<AtomDetail> atoms = new ArrayList<>(saved.flows().get(0).atoms());

      int killed = 0;
      List<LogBook> extraBooks = new ArrayList<>();
      for (int i = 0; i < atoms.size(); i++) {
        killed += killPoolConnections();
        // A checked write: a duplicate application would bump the revision twice and the
        // returned revision would no longer match the stored one.
        AtomDetail updated =
            conn.updateAtomDetails(atoms.get(i).put(AtomState.SUCCESS, Map.of("i", i)));
        assertThat(updated.revision()).isEqualTo(2);
        atoms.set(i, updated);
        if (i % 5 == 0) {
          killed += killPoolConnections();
          extraBooks.add(
              conn.saveLogBook(
                  LogBook.create("extra" + i)
                      .withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("x")))));
        }
      }
      assertThat(killed).as("server connections terminated").isGreaterThanOrEqualTo(atoms.size());

      killPoolConnections();
      FlowDetail reloaded = conn.getFlowDetails(fd.uuid());
      assertThat(reloaded.atoms()).hasSize(20);
      for (int i = 0; i < 20; i++) {
        AtomDetail a = reloaded.atoms().get(i);
        assertThat(a.uuid()).isEqualTo(tasks.get(i).uuid());
        assertThat(a.revision()).isEqualTo(2);
        assertThat(((TaskDetail) a).results()).isEqualTo(Map.of("i", i));
      }
      assertThat(conn.getLogBooks(true)).hasSize(1 + extraBooks.size());
      // A further checked write from the returned values still lines up: nothing was doubled.
      assertThat(conn.updateAtomDetails(atoms.get(0).withState(AtomState.REVERTING)).revision())
          .isEqualTo(3);
    }
  }
}
