package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
