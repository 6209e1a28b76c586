package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * On a durable PostgreSQL store a RUNNING marker commits without waiting for the disk (resumption
 * treats it as the state it replaced); every result does wait. Counted with the server's WAL sync
 * statistics ({@code pg_stat_wal}, PostgreSQL 14+).
 */
class PostgresRelaxedCommitTest {
  private static final int WRITES = 60;
  @PostgresDatabase private static String db;

  private static long walSyncs() throws Exception {
    try (Connection c = TestDatabases.postgres(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT wal_sync FROM pg_stat_wal")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * WAL syncs counted by the server after the backend that wrote is closed: a server process
   * reports its statistics when it exits (otherwise up to 10 s later), so the pool is closed and
   * the count read until it settles.
   */
  private static long settledWalSyncs() throws Exception {
    long last = walSyncs();
    for (int stable = 0; stable < 3; ) {
      Thread.sleep(150);
      long now = walSyncs();
      stable = now == last ? stable + 1 : 0;
      last = now;
    }
    return last;
  }

  /** Writes {@code WRITES} atom updates of the given kind; returns the WAL syncs they caused. */
  private static long syncsOf(boolean running) throws Exception {
    long before = settledWalSyncs();
    try (Backend b = Backends.open(TestDatabases.postgresUrl(db));
        io.taskflow4j.persistence.Connection conn = b.getConnection()) {
      TaskDetail td = TaskDetail.create("t");
      LogBook book =
          conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail atom = book.flows().get(0).atoms().get(0);
      for (int i = 0; i < WRITES; i++) {
        atom =
            conn.updateAtomDetails(
                running
                    ? atom.withState(AtomState.RUNNING).withMeta(java.util.Map.of("i", i))
                    : atom.put(AtomState.SUCCESS, i));
      }
      assertThat(conn.getAtomDetails(atom.uuid()).state())
          .isEqualTo(running ? AtomState.RUNNING : AtomState.SUCCESS);
    }
    return settledWalSyncs() - before;
  }

  @Test
  void runningMarkersDoNotWaitForTheDiskButResultsDo() throws Exception {
    long running = syncsOf(true);
    long results = syncsOf(false);
    // the WAL writer syncs in the background every 200 ms: a few syncs, not one per write; the
    // logbook save at the start of each run is one synchronous commit. The count is the server's,
    // so on a loaded machine (a slower run: more 200 ms ticks; other clients' commits) it grows
    // with time: bounded at half the writes, and well below what the synced results cost.
    assertThat(results).isGreaterThanOrEqualTo(WRITES);
    assertThat(running).isLessThan(WRITES / 2).isLessThan(results / 2);
  }
}
