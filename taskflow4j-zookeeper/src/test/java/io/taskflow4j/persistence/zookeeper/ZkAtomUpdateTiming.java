package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.util.Map;
import org.apache.curator.test.TestingServer;

/**
 * A quick measurement (not a test): the time of one atom update ({@code updateAtomDetails} of a
 * read-back atom, i.e. one version-checked {@code setData}) against an embedded server, and of a
 * save of a logbook with one flow of 20 atoms (one transaction). Arguments: [updates] (default
 * 5000).
 */
public final class ZkAtomUpdateTiming {
  private ZkAtomUpdateTiming() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    try (TestingServer server = ZkTesting.startServer();
        Backend b = Backends.open("zookeeper://" + server.getConnectString() + "/timing");
        Connection c = b.getConnection()) {
      TaskDetail td = TaskDetail.create("t");
      LogBook saved =
          c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
      AtomDetail ad = saved.flows().get(0).atoms().get(0);
      for (int i = 0; i < 500; i++) { // warm-up
        ad = c.updateAtomDetails(ad.withMeta(Map.of("i", i)));
      }
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        ad = c.updateAtomDetails(ad.put(AtomState.SUCCESS, i));
      }
      double perUpdateUs = (System.nanoTime() - start) / 1000.0 / n;
      int saves = 200;
      long s2 = System.nanoTime();
      for (int i = 0; i < saves; i++) {
        FlowDetail fd = FlowDetail.create("f" + i);
        for (int a = 0; a < 20; a++) {
          fd = fd.withAtom(TaskDetail.create("a" + a).put(AtomState.SUCCESS, a));
        }
        c.saveLogBook(LogBook.create("b" + i).withFlow(fd));
      }
      double perSaveUs = (System.nanoTime() - s2) / 1000.0 / saves;
      System.out.printf(
          "atom update (updateAtomDetails, checked setData): %.1f us/op over %d ops%n"
              + "save of a logbook with 1 flow of 20 atoms (one multi): %.1f us/op over %d%n",
          perUpdateUs, n, perSaveUs, saves);
    }
  }
}
