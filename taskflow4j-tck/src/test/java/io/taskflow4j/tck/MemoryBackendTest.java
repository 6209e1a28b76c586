package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The conformance kit on {@code memory://}, plus what only the memory backend promises. */
class MemoryBackendTest extends BackendContractTest {

  @Override
  protected Backend newBackend() {
    return Backends.fetch("memory://");
  }

  @Override
  protected void damage(CorruptRecordException.Kind kind, String uuid) {
    Assumptions.abort(
        "the memory backend keeps model objects, not bytes: no record of it can be damaged");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "memory:", "memory://"})
  void everySpellingOfTheMemorySchemeFetchesAWorkingMemoryBackend(String connection) {
    try (Backend b = Backends.fetch(connection)) {
      assertWorkingMemoryBackend(b);
      assertThat(b.conf().connection()).isEqualTo(connection);
    }
  }

  @Test
  void aConfigurationMapWithAMemoryConnectionFetchesAMemoryBackend() {
    try (Backend b = Backends.fetch(Map.of("connection", "memory:"))) {
      assertWorkingMemoryBackend(b);
    }
    try (Backend b = Backends.open(Map.of("connection", "memory://"))) {
      assertWorkingMemoryBackend(b);
    }
  }

  private static void assertWorkingMemoryBackend(Backend b) {
    assertThat(b).isInstanceOf(MemoryBackend.class);
    assertThat(b.conf().backendName()).isEqualTo("memory");
    try (Connection c = b.getConnection()) {
      c.upgrade();
      LogBook lb = LogBook.create("probe");
      c.saveLogBook(lb);
      assertThat(c.getLogBook(lb.uuid()).name()).isEqualTo("probe");
    }
  }

  @Test
  void twoMemoryBackendsDoNotShareData() {
    LogBook lb = LogBook.create("only here");
    conn.saveLogBook(lb);
    try (Backend other = Backends.fetch("memory://");
        Connection c = other.getConnection()) {
      assertThat(c.getLogBooks()).isEmpty();
      assertThatThrownBy(() -> c.getLogBook(lb.uuid()))
          .isInstanceOf(NotFoundException.class)
          .hasMessageContaining(lb.uuid());
    }
  }

  @Test
  void aClosedMemoryBackendRefusesNewConnectionsWithAStorageException() {
    Backend b = Backends.fetch("memory://");
    b.close();
    assertThatThrownBy(b::getConnection)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aReadBackValueCannotBeChangedByItsReader() {
    TaskDetail td = TaskDetail.create("t").put(AtomState.SUCCESS, List.of(1, 2));
    conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(td)));

    @SuppressWarnings("unchecked")
    List<Object> results = (List<Object>) ((TaskDetail) conn.getAtomDetails(td.uuid())).results();
    assertThatThrownBy(() -> results.add(3)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(((TaskDetail) conn.getAtomDetails(td.uuid())).results()).isEqualTo(List.of(1, 2));
  }

  /**
   * One backend shared by many threads, each mixing writes and reads through the shared connection
   * and through its own: no lost write, no torn read, no exception.
   */
  @Test
  @Timeout(120)
  void oneBackendSharedByManyThreadsAndConnectionsStaysConsistent() throws Exception {
    int threads = 16;
    int rounds = 40;
    FlowDetail shared = FlowDetail.create("shared");
    LogBook sharedBook = LogBook.create("shared").withFlow(shared);
    conn.saveLogBook(sharedBook);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<String>>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  List<String> mine = new ArrayList<>();
                  Connection c = thread % 2 == 0 ? conn : backend.getConnection();
                  try {
                    for (int i = 0; i < rounds; i++) {
                      TaskDetail td = TaskDetail.create("t" + thread + "-" + i);
                      AtomDetail in =
                          c.updateFlowDetails(shared.withAtom(td)).find(td.uuid()).orElseThrow();
                      c.updateAtomDetails(in.put(AtomState.SUCCESS, i));
                      LogBook own = LogBook.create("own-" + thread + "-" + i);
                      c.saveLogBook(own);
                      mine.add(td.uuid());
                      // Reads while others write see this thread's own writes, whole.
                      LogBook sharedNow =
                          c.getLogBooks().stream()
                              .filter(lb -> lb.uuid().equals(sharedBook.uuid()))
                              .findFirst()
                              .orElseThrow();
                      FlowDetail flowNow = sharedNow.flows().get(0);
                      for (String mineUuid : mine) {
                        assertThat(flowNow.find(mineUuid)).isPresent();
                      }
                      assertThat(flowNow.find(td.uuid()).orElseThrow().state())
                          .isEqualTo(AtomState.SUCCESS);
                      if (i % 10 == 0) {
                        c.destroyLogBook(own.uuid());
                      }
                    }
                  } finally {
                    if (c != conn) {
                      c.close();
                    }
                  }
                  return mine;
                }));
      }
      start.countDown();
      List<String> all = new ArrayList<>();
      for (Future<List<String>> f : futures) {
        all.addAll(f.get(2, TimeUnit.MINUTES));
      }

      assertThat(conn.getAtomsForFlow(shared.uuid())).hasSize(threads * rounds);
      for (String uuid : all) {
        assertThat(conn.getAtomDetails(uuid).state()).isEqualTo(AtomState.SUCCESS);
      }
      // One shared book, plus each thread's books minus the destroyed every tenth one.
      assertThat(conn.getLogBooks()).hasSize(1 + threads * (rounds - rounds / 10));
    } finally {
      pool.shutdownNow();
    }
  }
}
