package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several writers on one store directory: two backend objects in this JVM (each with many threads)
 * and another JVM. Nothing is lost, nothing is torn, and stale checked writes conflict.
 */
class DirBackendConcurrencyTest {

  @TempDir Path tmp;

  private Backend open(String durability) {
    return Backends.open(
        Map.of(
            "connection",
            "dir",
            "path",
            tmp.resolve("store").toString(),
            "durability",
            durability));
  }

  @Test
  @Timeout(180)
  void twoBackendsWithManyThreadsKeepEveryUpdateOfDifferentAtoms() throws Exception {
    int threads = 12;
    int rounds = 20;
    List<AtomDetail> initial = Fixtures.tasks("t", threads);
    FlowDetail fd = FlowDetail.create("f").withAtoms(initial);
    try (Backend a = open("process");
        Backend b = open("process");
        Connection ca = a.getConnection();
        Connection cb = b.getConnection()) {
      LogBook saved = ca.saveLogBook(LogBook.create("shared").withFlow(fd));
      List<AtomDetail> mine = saved.flows().get(0).atoms();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<List<String>>> futures = new ArrayList<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      ExecutorService readerPool = Executors.newSingleThreadExecutor();
      try (Backend readerBackend = open("process");
          Connection reader = readerBackend.getConnection()) {
        // A reader on a third backend, lock-free, while the writers run: never an error, never
        // an atom missing or torn, and the flow only grows.
        Future<Integer> reads =
            readerPool.submit(
                () -> {
                  int n = 0;
                  int last = 0;
                  while (writing.get()) {
                    FlowDetail now = reader.getLogBook(saved.uuid()).flows().get(0);
                    assertThat(now.size()).isGreaterThanOrEqualTo(last);
                    assertThat(Fixtures.uuids(now.atoms()).subList(0, threads))
                        .isEqualTo(Fixtures.uuids(initial));
                    last = now.size();
                    n++;
                  }
                  return n;
                });
        for (int t = 0; t < threads; t++) {
          Connection c = t % 2 == 0 ? ca : cb;
          AtomDetail own = mine.get(t);
          futures.add(
              pool.submit(
                  () -> {
                    start.await();
                    List<String> added = new ArrayList<>();
                    AtomDetail cur = own;
                    for (int r = 0; r < rounds; r++) {
                      // Checked writes: no other writer touches this atom, so none may conflict.
                      cur = c.updateAtomDetails(cur.put(AtomState.SUCCESS, r));
                      if (r % 5 == 0) {
                        TaskDetail extra = TaskDetail.create(own.name() + "-extra-" + r);
                        // Revision 0: an unconditional upsert of the flow, racing the others.
                        c.updateFlowDetails(fd.withAtoms(List.of(extra)));
                        added.add(extra.uuid());
                      }
                    }
                    return added;
                  }));
        }
        List<String> added = new ArrayList<>();
        for (Future<List<String>> f : futures) {
          added.addAll(f.get(150, TimeUnit.SECONDS));
        }
        writing.set(false);
        assertThat(reads.get(30, TimeUnit.SECONDS)).isPositive();
        try (Backend fresh = open("process");
            Connection c = fresh.getConnection()) {
          FlowDetail back = c.getFlowDetails(fd.uuid());
          assertThat(back.atoms()).hasSize(threads + added.size());
          assertThat(Fixtures.uuids(back.atoms())).containsAll(added);
          for (AtomDetail ad : initial) {
            AtomDetail stored = back.find(ad.uuid()).orElseThrow();
            assertThat(((TaskDetail) stored).results()).isEqualTo(rounds - 1);
            assertThat(stored.revision()).isEqualTo(rounds + 1L);
          }
          // The original atoms keep their places in front of the ones added later.
          assertThat(Fixtures.uuids(back.atoms()).subList(0, threads))
              .isEqualTo(Fixtures.uuids(initial));
        }
      } finally {
        writing.set(false);
        pool.shutdownNow();
        readerPool.shutdownNow();
      }
    }
  }

  @Test
  @Timeout(120)
  void twoBackendsWritingOneAtomFromOneRevisionGetExactlyOneConflictPerRound() throws Exception {
    TaskDetail td = TaskDetail.create("contended");
    try (Backend a = open("process");
        Backend b = open("process");
        Connection ca = a.getConnection();
        Connection cb = b.getConnection()) {
      ca.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        for (int round = 0; round < 25; round++) {
          AtomDetail base = ca.getAtomDetails(td.uuid());
          CyclicBarrier go = new CyclicBarrier(2);
          AtomicInteger conflicts = new AtomicInteger();
          List<Future<AtomDetail>> results = new ArrayList<>();
          for (Connection c : List.of(ca, cb)) {
            String who = c == ca ? "a" : "b";
            results.add(
                pool.submit(
                    () -> {
                      go.await();
                      try {
                        return c.updateAtomDetails(base.put(AtomState.SUCCESS, who));
                      } catch (ConflictException e) {
                        assertThat(e).hasMessageContaining(td.uuid());
                        conflicts.incrementAndGet();
                        return null;
                      }
                    }));
          }
          List<AtomDetail> winners = new ArrayList<>();
          for (Future<AtomDetail> f : results) {
            AtomDetail w = f.get(30, TimeUnit.SECONDS);
            if (w != null) {
              winners.add(w);
            }
          }
          assertThat(conflicts.get()).as("round " + round).isEqualTo(1);
          assertThat(winners).hasSize(1);
          AtomDetail stored = cb.getAtomDetails(td.uuid());
          assertThat(stored.revision()).isEqualTo(base.revision() + 1);
          assertThat(((TaskDetail) stored).results())
              .isEqualTo(((TaskDetail) winners.get(0)).results());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Increments a counter kept in an atom's result, retrying on conflicts; returns the retries. */
  static int increment(Connection c, String atomUuid, int times) {
    int retries = 0;
    for (int i = 0; i < times; i++) {
      while (true) {
        AtomDetail cur = c.getAtomDetails(atomUuid);
        Object v = ((TaskDetail) cur).results();
        int n = v == null ? 0 : ((Number) v).intValue();
        try {
          c.updateAtomDetails(cur.put(AtomState.SUCCESS, n + 1));
          break;
        } catch (ConflictException e) {
          retries++;
        }
      }
    }
    return retries;
  }

  /** The writer run in another JVM by the test below. */
  public static final class ChildWriter {
    private ChildWriter() {}

    /** Arguments: store path, counter atom uuid, flow uuid, increments. */
    public static void main(String[] args) {
      try (Backend b =
              Backends.fetch(
                  Map.of("connection", "dir", "path", args[0], "durability", "process"));
          Connection c = b.getConnection()) {
        int times = Integer.parseInt(args[3]);
        // Revision 0: unconditional upserts, racing the parent's.
        FlowDetail fd = c.getFlowDetails(args[2], true).withRevision(0);
        for (int i = 0; i < times; i++) {
          c.updateFlowDetails(fd.withAtoms(List.of(TaskDetail.create("child-" + i))));
        }
        int retries = increment(c, args[1], times);
        System.out.println("child done, retries=" + retries);
      }
    }
  }

  @Test
  @Timeout(180)
  void anotherJvmWritingTheSameStoreLosesNoIncrementAndNoAtom() throws Exception {
    int times = 150;
    TaskDetail counter = TaskDetail.create("counter");
    FlowDetail fd = FlowDetail.create("f").withAtom(counter);
    try (Backend a = open("process");
        Connection c = a.getConnection()) {
      c.saveLogBook(LogBook.create("b").withFlow(fd));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Path log = tmp.resolve("child.log");
      Process child =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  ChildWriter.class.getName(),
                  tmp.resolve("store").toString(),
                  counter.uuid(),
                  fd.uuid(),
                  String.valueOf(times))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try {
        for (int i = 0; i < times; i++) {
          c.updateFlowDetails(fd.withAtoms(List.of(TaskDetail.create("parent-" + i))));
        }
        increment(c, counter.uuid(), times);
        assertThat(child.waitFor(150, TimeUnit.SECONDS)).isTrue();
      } finally {
        child.destroyForcibly();
      }
      String out = Files.readString(log);
      assertThat(child.exitValue()).as(out).isZero();
      assertThat(out).contains("child done");

      AtomDetail back = c.getAtomDetails(counter.uuid());
      assertThat(((TaskDetail) back).results()).isEqualTo(2 * times);
      assertThat(back.revision()).isEqualTo(1 + 2L * times);
      List<AtomDetail> atoms = c.getAtomsForFlow(fd.uuid());
      assertThat(atoms).hasSize(1 + 2 * times);
      assertThat(atoms.stream().filter(x -> x.name().startsWith("child-"))).hasSize(times);
      assertThat(atoms.stream().filter(x -> x.name().startsWith("parent-"))).hasSize(times);
    }
  }
}
