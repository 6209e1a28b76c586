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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rough measurement of {@code updateAtomDetails} throughput (checked writes, the engine's
 * pattern: RUNNING, progress, SUCCESS + result, progress), single-threaded and with 4 threads on
 * different atoms. Runs only with {@code -Dtf4j.bench=true}; prints one line per store.
 */
class AtomUpdateThroughputTest {
  private static final int ATOMS = 250;
  @TempDir Path dir;

  @Test
  void measure() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("tf4j.bench"), "run with -Dtf4j.bench=true");
    List<String> stores = new ArrayList<>();
    stores.add("sqlite:///" + dir.resolve("power.db"));
    stores.add("sqlite:///" + dir.resolve("process.db") + "?durability=process");
    stores.add("sqlite://");
    String pg = null;
    String maria = null;
    try {
      TestDatabases.requirePostgres();
      pg = TestDatabases.createPostgres();
      stores.add(TestDatabases.postgresUrl(pg));
      stores.add(TestDatabases.postgresUrl(pg) + "?durability=process");
    } catch (org.opentest4j.TestAbortedException e) {
      // No server: measure the others.
    }
    try {
      TestDatabases.requireMariaDb();
      maria = TestDatabases.createMariaDb();
      stores.add(TestDatabases.mariadbUrl(maria));
    } catch (org.opentest4j.TestAbortedException e) {
      // No server: measure the others.
    }
    try {
      // A first pass warms up the JIT and the servers; the second is reported.
      for (String store : stores) {
        measure(store, false);
      }
      for (String store : stores) {
        measure(store, true);
      }
    } finally {
      TestDatabases.dropPostgres(pg);
      TestDatabases.dropMariaDb(maria);
    }
  }

  private void measure(String store, boolean report) throws Exception {
    try (Backend backend = Backends.fetch(store);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      conn.clearAll();
      List<TaskDetail> tasks = new ArrayList<>();
      for (int i = 0; i < ATOMS; i++) {
        tasks.add(TaskDetail.create("t" + i));
      }
      long t0 = System.nanoTime();
      LogBook saved =
          conn.saveLogBook(
              LogBook.create("bench").withFlow(FlowDetail.create("f").withAtoms(tasks)));
      double saveMs = (System.nanoTime() - t0) / 1e6;
      List<AtomDetail> atoms = saved.flows().get(0).atoms();

      long t1 = System.nanoTime();
      List<AtomDetail> done = runTasks(conn, atoms);
      double single = 4.0 * atoms.size() / ((System.nanoTime() - t1) / 1e9);

      ExecutorService pool = Executors.newFixedThreadPool(4);
      long t2 = System.nanoTime();
      List<Future<List<AtomDetail>>> parts = new ArrayList<>();
      int quarter = done.size() / 4;
      for (int p = 0; p < 4; p++) {
        List<AtomDetail> slice = done.subList(p * quarter, (p + 1) * quarter);
        parts.add(pool.submit(() -> runTasks(conn, slice)));
      }
      for (Future<List<AtomDetail>> f : parts) {
        f.get();
      }
      double multi = 4.0 * quarter * 4 / ((System.nanoTime() - t2) / 1e9);
      pool.shutdown();

      long t3 = System.nanoTime();
      FlowDetail loaded = conn.getFlowDetails(saved.flows().get(0).uuid());
      double loadMs = (System.nanoTime() - t3) / 1e6;
      assertThat(loaded.atoms()).hasSize(ATOMS);
      assertThat(loaded.atoms().get(0).revision()).isEqualTo(9);
      if (!report) {
        return;
      }
      System.out.printf(
          "[bench] %-40s save %d atoms %.0f ms | updateAtomDetails 1 thread %.0f/s, 4 threads %.0f/s"
              + " | load flow %.1f ms%n",
          ((JdbcBackend) backend).settings().describe().replaceAll("/tmp/.*/", "")
              + (store.contains("durability=process") ? " (process)" : ""),
          ATOMS,
          saveMs,
          single,
          multi,
          loadMs);
    }
  }

  /** Per atom the engine's four writes, each from the value the previous one returned. */
  private static List<AtomDetail> runTasks(Connection conn, List<AtomDetail> atoms) {
    List<AtomDetail> out = new ArrayList<>(atoms.size());
    for (AtomDetail a : atoms) {
      a = conn.updateAtomDetails(a.withState(AtomState.RUNNING));
      a = conn.updateAtomDetails(a.withMetaEntries(Map.of("progress", 0.0)));
      a = conn.updateAtomDetails(a.put(AtomState.SUCCESS, Map.of("value", 42)));
      a = conn.updateAtomDetails(a.withMetaEntries(Map.of("progress", 1.0)));
      out.add(a);
    }
    return out;
  }
}
