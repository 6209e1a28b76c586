package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads on one backend, through one connection and through several.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code Concurrency} group.
 */
public abstract class ConcurrencyCases extends ContractCases {

  @Test
  @Timeout(180)
  void manyThreadsWritingDifferentAtomsOfOneFlowLoseNothing() throws Exception {
    int threads = 8;
    int perThread = 25;
    LogBook saved = saveOneFlow(task("seed"));
    FlowDetail fd = saved.flows().get(0);
    List<Connection> opened = new ArrayList<>();
    List<Callable<List<AtomDetail>>> jobs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      // Half the threads share the test's connection; the others have their own.
      Connection c = t % 2 == 0 ? conn() : backend().getConnection();
      if (c != conn()) {
        opened.add(c);
      }
      int thread = t;
      jobs.add(
          () -> {
            List<AtomDetail> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
              TaskDetail td = task("t" + thread + "-" + i);
              FlowDetail carrier = fd.withoutAtoms().withRevision(0).withAtom(td);
              AtomDetail inserted = c.updateFlowDetails(carrier).find(td.uuid()).orElseThrow();
              AtomDetail running = c.updateAtomDetails(inserted.withState(AtomState.RUNNING));
              AtomDetail done =
                  c.updateAtomDetails(running.put(AtomState.SUCCESS, thread * 1000 + i));
              mine.add(done);
            }
            return mine;
          });
    }
    try {
      List<List<AtomDetail>> written = runConcurrently(jobs);

      List<AtomDetail> stored = conn().getAtomsForFlow(fd.uuid());
      assertThat(stored).hasSize(threads * perThread + 1);
      for (List<AtomDetail> mine : written) {
        for (AtomDetail ad : mine) {
          AtomDetail back = conn().getAtomDetails(ad.uuid());
          assertThat(back).isEqualTo(ad);
          assertThat(back.state()).isEqualTo(AtomState.SUCCESS);
        }
        // Each thread's atoms keep the order it inserted them in.
        List<String> order = uuids(stored);
        List<Integer> positions = mine.stream().map(ad -> order.indexOf(ad.uuid())).toList();
        assertThat(positions).isSorted();
      }
    } finally {
      for (Connection c : opened) {
        c.close();
      }
    }
  }

  @Test
  @Timeout(180)
  void manyThreadsSavingDifferentBooksLoseNothing() throws Exception {
    int threads = 8;
    int perThread = 10;
    List<Callable<List<LogBook>>> jobs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      jobs.add(
          () -> {
            List<LogBook> mine = new ArrayList<>();
            try (Connection c = backend().getConnection()) {
              for (int i = 0; i < perThread; i++) {
                LogBook lb = book("b" + thread + "-" + i, flow("f", task("a"), task("b")));
                c.saveLogBook(lb);
                // A thread reads its own write back whole while the others write.
                assertThat(unrevised(c.getLogBook(lb.uuid()))).isEqualTo(lb);
                mine.add(lb);
              }
            }
            return mine;
          });
    }
    List<List<LogBook>> saved = runConcurrently(jobs);

    List<LogBook> stored = conn().getLogBooks();
    assertThat(stored).hasSize(threads * perThread);
    for (List<LogBook> mine : saved) {
      for (LogBook lb : mine) {
        assertThat(unrevised(conn().getLogBook(lb.uuid()))).isEqualTo(lb);
      }
    }
  }
}
