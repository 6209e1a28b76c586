package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.util.Map;
import java.util.UUID;

/**
 * Measures what fencing costs per atom update on PostgreSQL: the same {@code updateAtomDetails}
 * through a plain and through a fenced connection, in alternating rounds, with synchronous commit
 * on (durability=power) and off (durability=process). Run with the test class path; prints
 * microseconds per update.
 */
public final class FencingOverhead {
  private static final int BATCH = 100;

  private FencingOverhead() {}

  public static void main(String[] args) throws Exception {
    int ops = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    String db = TestDatabases.createPostgres();
    try {
      for (String durability : new String[] {"power", "process"}) {
        try (Backend backend =
                Backends.fetch(TestDatabases.postgresUrl(db) + "?durability=" + durability);
            Connection conn = backend.getConnection()) {
          conn.upgrade();
          TaskDetail task = TaskDetail.create("t");
          conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(task)));
          Fence fence = new Fence(UUID.randomUUID().toString(), 1);
          conn.advanceFence(fence);
          Connection fenced = conn.fenced(fence);
          AtomDetail[] atom = {conn.getAtomDetails(task.uuid())};
          Round plain = n -> atom[0] = update(conn, atom[0], n);
          Round withFence = n -> atom[0] = update(fenced, atom[0], n);
          run(plain, 300);
          run(withFence, 300); // warm-up
          // Short alternating batches, so that load from elsewhere hits both sides alike.
          int batches = Math.max(5, ops / BATCH);
          double[] p = new double[batches];
          double[] f = new double[batches];
          for (int r = 0; r < batches; r++) {
            p[r] = run(plain, BATCH);
            f[r] = run(withFence, BATCH);
          }
          System.out.printf(
              "durability=%s, %d updates each: unfenced median %.0f us/op (min %.0f),"
                  + " fenced median %.0f us/op (min %.0f), overhead %.0f us/op (median),"
                  + " %.0f us/op (min)%n",
              durability,
              batches * BATCH,
              median(p),
              min(p),
              median(f),
              min(f),
              median(f) - median(p),
              min(f) - min(p));
        }
      }
    } finally {
      TestDatabases.dropPostgres(db);
    }
  }

  private static AtomDetail update(Connection c, AtomDetail a, int n) {
    return c.updateAtomDetails(
        a.withState(n % 2 == 0 ? AtomState.RUNNING : AtomState.SUCCESS).withMeta(Map.of("n", n)));
  }

  private interface Round {
    void op(int n);
  }

  private static double run(Round r, int ops) {
    long t0 = System.nanoTime();
    for (int i = 0; i < ops; i++) {
      r.op(i);
    }
    return (System.nanoTime() - t0) / 1000.0 / ops;
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(0);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}
