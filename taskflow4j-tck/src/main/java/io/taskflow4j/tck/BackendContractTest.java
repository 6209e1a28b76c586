package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.CREATED;
import static io.taskflow4j.tck.Fixtures.assertConflict;
import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.failure;
import static io.taskflow4j.tck.Fixtures.failureWithCauses;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.RetryDetail.Attempt;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.WrappedFailureException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backend conformance kit: what every persistence backend must do. A backend is done when this
 * kit is green on it.
 *
 * <p><b>How a backend author uses it.</b> Put {@code taskflow4j-tck} on the test class path, write
 * one test class that extends this class and implement {@link #newBackend()} so that it returns a
 * backend over a <em>new, empty</em> store (a temporary directory, a fresh database or schema, a
 * unique ZooKeeper path...). Override {@link #disposeStore()} to remove the store after each test,
 * and {@link #damage} to spoil a stored record the way a torn write would (the cases of damaged
 * records need it). Every contract case, including those in the {@link Nested} groups, then runs
 * against that backend:
 *
 * <pre>{@code
 * class DirBackendTest extends BackendContractTest {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected Backend newBackend() {
 *     return Backends.fetch("dir://" + dir);
 *   }
 *
 *   @Test
 *   void readsOfMissingObjectsCreateNoFiles() { ... } // backend-specific cases go here
 * }
 * }</pre>
 *
 * <p>Before each case the kit opens {@link #backend}, takes one {@link #conn connection} and calls
 * {@code upgrade()}; after it, it closes both and calls {@link #disposeStore()}. There is
 * deliberately no switch to skip a case: each one is behaviour that users of {@link Connection}
 * rely on (the one exception: the cases of damaged records need {@link #damage}, which a backend
 * that keeps no bytes cannot provide). A subclass adds cases; it does not remove them (the cases
 * are package-private or live in inner classes: they are not extension points).
 *
 * <p>The cases use random uuids, times with microseconds, non-ASCII text and values of up to
 * 1&nbsp;MiB; they start threads (up to 8) and open extra connections of {@link #backend}. The
 * javadoc of {@link Connection} is the contract they check.
 *
 * <p>The cases are grouped: TaskFlow's own persistence tests ({@code TaskFlowCases}), the
 * acceptance cases for TaskFlow's bugs ({@code TaskFlowBugs}), logbooks, flow and atom details,
 * revisions and atomicity, concurrency, JSON values, failures, the tolerant scan and damaged
 * records, the lifecycle of connections and backends, and error reporting. Every error case asserts
 * the exception type and that its message names the uuid concerned.
 */
public abstract class BackendContractTest {

  /** The backend under test, fresh and empty for each test. */
  protected Backend backend;

  /** A connection of {@link #backend}, upgraded. */
  protected Connection conn;

  /**
   * Makes a new backend over an empty store, for one test. It is closed after the test.
   *
   * @throws Exception when the store cannot be made (the test then fails)
   */
  protected abstract Backend newBackend() throws Exception;

  /** Called after the backend is closed, to remove what the test left (optional). */
  protected void disposeStore() throws Exception {}

  /**
   * Makes the stored record of this kind and uuid unreadable, through the store's own means
   * (truncate the file, write garbage into the JSON column, set the znode's data to garbage),
   * bypassing the backend: what a torn write of another program, a disk error or a hand edit
   * leaves. The cases of damaged records ({@link LogBookScanCases}) use it.
   *
   * <p>The default aborts those cases, saying why: override it for every backend that stores bytes.
   * Only a backend that keeps no bytes (the memory backend keeps model objects) leaves it.
   *
   * @param kind the kind of record
   * @param uuid the record's uuid
   * @throws Exception when the record cannot be damaged (the case then fails)
   */
  protected void damage(CorruptRecordException.Kind kind, String uuid) throws Exception {
    org.junit.jupiter.api.Assumptions.abort(
        getClass().getSimpleName()
            + " does not override damage(kind, uuid), so the cases of damaged records cannot"
            + " damage a record and are skipped");
  }

  @BeforeEach
  void openBackend() throws Exception {
    backend = newBackend();
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void closeBackend() throws Exception {
    try {
      if (conn != null) {
        conn.close();
      }
    } finally {
      try {
        if (backend != null) {
          backend.close();
        }
      } finally {
        disposeStore();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers (instance methods: they use the backend under test)
  // ---------------------------------------------------------------------------------------------

  /** Saves a book holding one flow holding these atoms; returns the book as written. */
  private LogBook saveOneFlow(AtomDetail... atoms) {
    return conn.saveLogBook(book("book", flow("flow", atoms)));
  }

  /** Runs {@code body} with a second connection of the backend, closing it afterwards. */
  private <T> T withOtherConnection(Function<Connection, T> body) {
    try (Connection other = backend.getConnection()) {
      return body.apply(other);
    }
  }

  /** Runs every callable on its own thread, all released at once; returns their results. */
  private static <T> List<T> runConcurrently(List<Callable<T>> jobs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(jobs.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> job : jobs) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return job.call();
                }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(2, TimeUnit.MINUTES));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Replacing a logbook in one step, and the checks before any write: see {@link ReplaceCases}. */
  @Nested
  @DisplayName("Replacing a logbook, and the store's limits")
  class Replace extends ReplaceCases {
    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Engines over this backend after something went wrong: see {@link EngineRunCases}. */
  @Nested
  @DisplayName("Engine runs that stop, resume and race")
  class EngineRuns extends EngineRunCases {
    @Override
    protected Backend backend() {
      return backend;
    }
  }

  /** The tolerant scan and damaged records: see {@link LogBookScanCases}. */
  @Nested
  @DisplayName("Scanning the logbooks, and damaged records")
  class LogBookScan extends LogBookScanCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected void damage(CorruptRecordException.Kind kind, String uuid) throws Exception {
      BackendContractTest.this.damage(kind, uuid);
    }
  }

  // =============================================================================================
  // TaskFlow's PersistenceTestMixin (tests/unit/persistence/base.py), case by case
  // =============================================================================================

  /**
   * TaskFlow's own backend tests ({@code PersistenceTestMixin}), ported one by one. As in the
   * originals, each step uses a fresh connection and writes the caller's own objects again (so
   * their revision is 0: TaskFlow's unconditional writes).
   */
  @Nested
  @DisplayName("TaskFlow persistence cases")
  class TaskFlowCases {

    /** Runs one step of a case on a fresh connection, as TaskFlow's tests do. */
    private <T> T step(Function<Connection, T> body) {
      return withOtherConnection(body);
    }

    private void stepRun(Consumer<Connection> body) {
      withOtherConnection(
          c -> {
            body.accept(c);
            return null;
          });
    }

    /** TaskFlow: test_task_detail_update_not_existing. */
    @Test
    void atomAddedToASavedFlowIsStoredByUpdateFlowDetails() {
      TaskDetail td = task("detail-1");
      FlowDetail fd = flow("test", td);
      LogBook lb = book("lb", fd);
      stepRun(c -> c.saveLogBook(lb));

      // Same name on purpose: atoms are told apart by uuid only.
      TaskDetail td2 = task("detail-1");
      FlowDetail fdWithBoth = fd.withAtom(td2);
      stepRun(c -> c.updateFlowDetails(fdWithBoth));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      FlowDetail fd2 = lb2.find(fd.uuid()).orElseThrow();
      assertThat(fd2.find(td.uuid())).isPresent();
      assertThat(fd2.find(td2.uuid())).isPresent();
      assertThat(fd2.size()).isEqualTo(2);
    }

    /** TaskFlow: test_flow_detail_update_not_existing. */
    @Test
    void flowAddedToASavedBookIsStoredBySavingTheBookAgain() {
      FlowDetail fd = flow("test");
      LogBook lb = book("lb", fd);
      stepRun(c -> c.saveLogBook(lb));

      FlowDetail fd2 = flow("test-2");
      LogBook lbWithBoth = lb.withFlow(fd2);
      stepRun(c -> c.saveLogBook(lbWithBoth));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      assertThat(lb2.find(fd.uuid())).isPresent();
      assertThat(lb2.find(fd2.uuid())).isPresent();
    }

    /** TaskFlow: test_logbook_save_retrieve_many (newer TaskFlow versions). */
    @Test
    void tenSavedBooksAreExactlyWhatGetLogBooksReturns() {
      List<LogBook> books = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        LogBook lb =
            LogBook.of(uuid(), "book-" + i, CREATED.plusSeconds(i), null, Map.of(), List.of());
        assertNotFound(() -> conn.getLogBook(lb.uuid()), lb.uuid());
        books.add(lb);
      }
      for (LogBook lb : books) {
        stepRun(c -> c.saveLogBook(lb));
      }
      List<LogBook> all = step(Connection::getLogBooks);
      assertThat(uuids(all)).containsExactlyElementsOf(uuids(books));
      for (LogBook lb : books) {
        assertThat(conn.getLogBook(lb.uuid())).isEqualTo(lb);
      }
    }

    /** TaskFlow: test_logbook_save_retrieve. */
    @Test
    void bookNameMetaAndTimesSurviveARoundTrip() {
      LogBook lb = LogBook.create("lb-1").withMeta(Map.of("1", 2));
      stepRun(
          c -> {
            assertNotFound(() -> c.getLogBook(lb.uuid()), lb.uuid());
            c.saveLogBook(lb);
          });

      LogBook reloaded = step(c -> c.getLogBook(lb.uuid()));
      assertThat(reloaded.name()).isEqualTo("lb-1");
      assertThat(reloaded.size()).isZero();
      assertThat(reloaded.meta()).isEqualTo(Map.of("1", 2));
      assertThat(reloaded.updatedAt()).isNull();
      assertThat(reloaded.createdAt()).isNotNull().isEqualTo(lb.createdAt());
    }

    /** TaskFlow: test_flow_detail_save. */
    @Test
    void flowUpdateBeforeItsBookIsSavedIsNotFoundAndWorksAfter() {
      FlowDetail fd = flow("test");
      LogBook lb = book("lb", fd);

      stepRun(
          c -> {
            assertNotFound(() -> c.getLogBook(lb.uuid()), lb.uuid());
            assertNotFound(() -> c.updateFlowDetails(fd), fd.uuid());
          });

      FlowDetail written =
          step(
              c -> {
                c.saveLogBook(lb);
                return c.updateFlowDetails(fd);
              });
      assertThat(unrevised(written)).isEqualTo(fd);
      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(written);
    }

    /** TaskFlow: test_flow_detail_meta_update. */
    @Test
    void flowMetaChangeIsStoredByUpdateFlowDetails() {
      FlowDetail fd = flow("test").withMeta(Map.of("test", 42));
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
          });

      stepRun(c -> c.updateFlowDetails(fd.withMeta(Map.of("test", 43))));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      assertThat(lb2.find(fd.uuid()).orElseThrow().meta()).isEqualTo(Map.of("test", 43));
    }

    /** TaskFlow: test_flow_detail_lazy_fetch. */
    @Test
    void lazyFlowFetchLeavesOutItsAtoms() {
      TaskDetail td = task("detail-1").withVersion("4.2");
      FlowDetail fd = flow("test", td);
      stepRun(c -> c.saveLogBook(book("lb", fd)));

      FlowDetail fd2 = step(c -> c.getFlowDetails(fd.uuid(), true));
      assertThat(fd2.size()).isZero();
      assertThat(fd2.name()).isEqualTo("test");
      assertThat(step(c -> c.getFlowDetails(fd.uuid(), false)).size()).isEqualTo(1);
    }

    /** TaskFlow: test_task_detail_save. */
    @Test
    void atomWritesBeforeTheBookIsSavedAreNotFoundAndWorkAfter() {
      TaskDetail td = task("detail-1");
      FlowDetail fd = flow("test", td);
      LogBook lb = book("lb", fd);

      stepRun(
          c -> {
            assertNotFound(() -> c.updateFlowDetails(fd), fd.uuid());
            assertNotFound(() -> c.updateAtomDetails(td), td.uuid());
          });

      AtomDetail written =
          step(
              c -> {
                c.saveLogBook(lb);
                c.updateFlowDetails(fd);
                return c.updateAtomDetails(td);
              });
      assertThat(unrevised(written)).isEqualTo(td);
      assertThat(conn.getAtomDetails(td.uuid())).isEqualTo(written);
    }

    /** TaskFlow: test_task_detail_meta_update. */
    @Test
    void atomMetaChangeIsStoredAndTheTypeIsKept() {
      TaskDetail td = task("detail-1").withMeta(Map.of("test", 42));
      FlowDetail fd = flow("test", td);
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
            c.updateAtomDetails(td);
          });

      stepRun(c -> c.updateAtomDetails(td.withMeta(Map.of("test", 43))));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
      assertThat(td2.meta()).isEqualTo(Map.of("test", 43));
      assertThat(td2).isInstanceOf(TaskDetail.class);
    }

    /** TaskFlow: test_task_detail_with_failure. */
    @Test
    void taskFailureSurvivesARoundTrip() {
      Failure fail = failure("Woot!");
      TaskDetail td = task("detail-1").withFailure(fail);
      FlowDetail fd = flow("test", td);
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
            c.updateAtomDetails(td);
          });

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
      assertThat(td2.failure().exceptionStr()).isEqualTo("Woot!");
      assertThat(td2.failure().check(RuntimeException.class)).isEqualTo(RuntimeException.class);
      assertThat(td2.failure().tracebackStr()).isNotEmpty().isEqualTo(fail.tracebackStr());
      assertThat(td2).isInstanceOf(TaskDetail.class);
    }

    /** TaskFlow: test_logbook_merge_flow_detail. */
    @Test
    void savingANewBookObjectWithTheSameUuidMergesItsFlows() {
      FlowDetail fd = flow("test");
      LogBook lb = book("lb", fd);
      stepRun(c -> c.saveLogBook(lb));

      FlowDetail fd2 = flow("test2");
      LogBook lb2 = LogBook.of(lb.uuid(), lb.name(), null, null, Map.of(), List.of(fd2));
      stepRun(c -> c.saveLogBook(lb2));

      LogBook lb3 = step(c -> c.getLogBook(lb.uuid()));
      assertThat(lb3.size()).isEqualTo(2);
      assertThat(uuids(lb3.flows())).containsExactly(fd.uuid(), fd2.uuid());
    }

    /** TaskFlow: test_logbook_add_flow_detail. */
    @Test
    void bookWithOneFlowReloadsWithThatFlow() {
      FlowDetail fd = flow("test");
      LogBook lb = book("lb", fd);
      stepRun(c -> c.saveLogBook(lb));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      assertThat(lb2.size()).isEqualTo(1);
      assertThat(lb2.find(fd.uuid()).orElseThrow().name()).isEqualTo("test");
    }

    /** TaskFlow: test_logbook_lazy_fetch. */
    @Test
    void lazyBookFetchLeavesOutItsFlows() {
      LogBook lb = book("lb", flow("test"));
      stepRun(c -> c.saveLogBook(lb));

      assertThat(step(c -> c.getLogBook(lb.uuid(), true)).size()).isZero();
      assertThat(step(c -> c.getLogBook(lb.uuid(), false)).size()).isEqualTo(1);
    }

    /** TaskFlow: test_logbook_add_task_detail. */
    @Test
    void atomNameVersionAndIntentionSurviveARoundTrip() {
      TaskDetail td = task("detail-1").withVersion("4.2");
      FlowDetail fd = flow("test", td);
      LogBook lb = book("lb", fd);
      stepRun(c -> c.saveLogBook(lb));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      assertThat(lb2.size()).isEqualTo(1);
      assertThat(lb2.flows().get(0).size()).isEqualTo(1);
      AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
      assertThat(td2.name()).isEqualTo("detail-1");
      assertThat(td2.version()).isEqualTo("4.2");
      assertThat(td2.intention()).isEqualTo(Intention.EXECUTE);
    }

    /** TaskFlow: test_logbook_delete. */
    @Test
    void destroyingAnUnknownOrAlreadyDestroyedBookIsNotFound() {
      LogBook lb = book("lb");
      stepRun(c -> assertNotFound(() -> c.destroyLogBook(lb.uuid()), lb.uuid()));
      stepRun(c -> c.saveLogBook(lb));
      LogBook saved = step(c -> c.getLogBook(lb.uuid()));
      assertThat(saved).isEqualTo(lb);

      stepRun(
          c -> {
            c.destroyLogBook(lb.uuid());
            assertNotFound(() -> c.destroyLogBook(lb.uuid()), lb.uuid());
          });
      assertNotFound(() -> conn.getLogBook(lb.uuid()), lb.uuid());
    }

    /** TaskFlow: test_task_detail_retry_type_. */
    @Test
    void retryDetailReloadsAsARetryDetailWithItsIntention() {
      RetryDetail rd = RetryDetail.create("detail-1").withIntention(Intention.REVERT);
      FlowDetail fd = flow("test", rd);
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
            c.updateAtomDetails(rd);
          });

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
      assertThat(rd2.intention()).isEqualTo(Intention.REVERT);
      assertThat(rd2).isInstanceOf(RetryDetail.class);
    }

    /** TaskFlow: test_retry_detail_save_with_task_failure. */
    @Test
    void retryHistoryFailureSurvivesARoundTrip() {
      Failure fail = Failure.of(new RuntimeException("fail"));
      RetryDetail rd =
          RetryDetail.create("retry-1")
              .withHistory(List.of(new Attempt(42, Map.of("some-task", fail))));
      FlowDetail fd = flow("test", rd);
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
            c.updateAtomDetails(rd);
          });

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
      assertThat(rd2).isInstanceOf(RetryDetail.class);
      Failure fail2 = ((RetryDetail) rd2).history().get(0).failures().get("some-task");
      assertThat(fail2).isNotNull();
      assertThat(fail.matches(fail2)).isTrue();
    }

    /** TaskFlow: test_retry_detail_save_intention. */
    @Test
    void retryIntentionChangeIsStoredByUpdateAtomDetails() {
      RetryDetail rd = RetryDetail.create("retry-1");
      FlowDetail fd = flow("test", rd);
      LogBook lb = book("lb", fd);
      stepRun(
          c -> {
            c.saveLogBook(lb);
            c.updateFlowDetails(fd);
            c.updateAtomDetails(rd);
          });

      stepRun(c -> c.updateAtomDetails(rd.withIntention(Intention.REVERT)));

      LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
      AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
      assertThat(rd2.intention()).isEqualTo(Intention.REVERT);
      assertThat(rd2).isInstanceOf(RetryDetail.class);
    }

    /** TaskFlow's RetryDetail defaults: an empty history, not a missing one. */
    @Test
    void retryWithoutAttemptsReloadsWithAnEmptyHistory() {
      RetryDetail rd = RetryDetail.create("retry-1");
      saveOneFlow(rd);

      RetryDetail reloaded = (RetryDetail) step(c -> c.getAtomDetails(rd.uuid()));
      assertThat(reloaded.history()).isEmpty();
      assertThat(reloaded.state()).isEqualTo(AtomState.PENDING);
      assertThat(reloaded.intention()).isEqualTo(Intention.EXECUTE);
      assertThatThrownBy(reloaded::lastResults).isInstanceOf(NotFoundException.class);
    }
  }

  // =============================================================================================
  // Acceptance cases for TaskFlow's persistence bugs (spec §9.4)
  // =============================================================================================

  /** Behaviours where TaskFlow is wrong; every backend must get them right. */
  @Nested
  @DisplayName("TaskFlow bugs not reproduced")
  class TaskFlowBugs {

    /** TaskFlow replaces the value of an attempt that has failures by a failure dict. */
    @Test
    void retryHistoryValuesSurviveWhenTheirAttemptsHaveFailures() {
      Failure f1 = failure("first");
      Failure f2 = failure("second");
      Map<String, Failure> two = new LinkedHashMap<>();
      two.put("task-b", f2);
      two.put("task-a", f1);
      RetryDetail rd =
          RetryDetail.create("retry-1")
              .withHistory(
                  List.of(
                      new Attempt(42, Map.of("task-a", f1)),
                      new Attempt(Map.of("value", List.of(1, "two")), two),
                      new Attempt("last", Map.of())));
      saveOneFlow(rd);

      RetryDetail reloaded = (RetryDetail) conn.getAtomDetails(rd.uuid());
      assertThat(reloaded.history()).hasSize(3);
      assertThat(reloaded.history().get(0).value()).isEqualTo(42);
      assertThat(reloaded.history().get(1).value()).isEqualTo(Map.of("value", List.of(1, "two")));
      assertThat(reloaded.history().get(2).value()).isEqualTo("last");
      assertThat(reloaded.history().get(1).failures().keySet()).containsExactly("task-b", "task-a");
      assertThat(reloaded.history().get(1).failures().get("task-a").matches(f1)).isTrue();
      assertThat(reloaded.lastResults()).isEqualTo("last");
    }

    /** TaskFlow's merge drops a retry's revert result on every update. */
    @Test
    void retryRevertResultsWrittenByUpdateAtomDetailsReadBack() {
      RetryDetail rd = RetryDetail.create("retry-1").put(AtomState.SUCCESS, 1);
      LogBook saved = saveOneFlow(rd);

      AtomDetail stored = saved.flows().get(0).atoms().get(0);
      AtomDetail written =
          conn.updateAtomDetails(stored.put(AtomState.REVERTED, Map.of("undone", true)));

      assertThat(written.revertResults()).isEqualTo(Map.of("undone", true));
      AtomDetail reloaded = conn.getAtomDetails(rd.uuid());
      assertThat(reloaded.revertResults()).isEqualTo(Map.of("undone", true));
      assertThat(reloaded.state()).isEqualTo(AtomState.REVERTED);
      assertThat(((RetryDetail) reloaded).history()).hasSize(1);
    }

    /** TaskFlow's sqlite backend orphans the children of a destroyed book. */
    @Test
    void destroyingABookLeavesNoOrphanFlowsOrAtoms() {
      TaskDetail td = task("detail-1");
      RetryDetail rd = RetryDetail.create("retry-1");
      FlowDetail fd = flow("flow-1", td, rd);
      LogBook lb = book("book-1", fd);
      LogBook keep = book("book-2", flow("flow-2", task("detail-3")));
      conn.saveLogBook(lb);
      conn.saveLogBook(keep);

      conn.destroyLogBook(lb.uuid());

      assertNotFound(() -> conn.getFlowDetails(fd.uuid()), fd.uuid());
      assertNotFound(() -> conn.getFlowDetails(fd.uuid(), true), fd.uuid());
      assertNotFound(() -> conn.getAtomsForFlow(fd.uuid()), fd.uuid());
      assertNotFound(() -> conn.getAtomDetails(td.uuid()), td.uuid());
      assertNotFound(() -> conn.getAtomDetails(rd.uuid()), rd.uuid());
      assertNotFound(() -> conn.getFlowsForBook(lb.uuid()), lb.uuid());
      assertNotFound(() -> conn.updateAtomDetails(td), td.uuid());
      assertThat(uuids(conn.getLogBooks())).containsExactly(keep.uuid());
      assertThat(unrevised(conn.getLogBook(keep.uuid()))).isEqualTo(keep);
    }

    /** TaskFlow's dir backend leaves a phantom book behind a failed read. */
    @Test
    void readingAnUnknownBookDoesNotChangeTheListOfBooks() {
      LogBook lb = saveOneFlow(task("detail-1"));
      List<LogBook> before = conn.getLogBooks();
      String unknown = uuid();

      assertNotFound(() -> conn.getLogBook(unknown), unknown);
      assertNotFound(() -> conn.getLogBook(unknown, true), unknown);
      assertNotFound(() -> conn.getFlowsForBook(unknown), unknown);

      assertThat(conn.getLogBooks()).isEqualTo(before);
      assertThat(uuids(conn.getLogBooks(true))).containsExactly(lb.uuid());
      assertNotFound(() -> conn.destroyLogBook(unknown), unknown);
    }
  }

  // =============================================================================================
  // Logbooks
  // =============================================================================================

  /** Saving, merging, listing and destroying logbooks. */
  @Nested
  @DisplayName("Logbooks")
  class LogBooks {

    @Test
    void savedBookReadsBackEqualToWhatWasSaved() {
      TaskDetail td = task("t").put(AtomState.SUCCESS, Map.of("k", List.of(1, 2)));
      FlowDetail fd = flow("f", td, RetryDetail.create("r")).withState(FlowState.SUCCESS);
      LogBook lb = book("b", fd).withMeta(Map.of("owner", "tests", "n", 3));
      conn.saveLogBook(lb);

      assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
      LogBook viaOther = withOtherConnection(c -> c.getLogBook(lb.uuid()));
      assertThat(unrevised(viaOther)).isEqualTo(lb);
    }

    @Test
    void saveLogBookReturnsTheBookAsWrittenWithRevisions() {
      LogBook lb = book("b", flow("f1", task("t1"), task("t2")), flow("f2"));

      LogBook written = conn.saveLogBook(lb);

      assertThat(unrevised(written)).isEqualTo(lb);
      for (FlowDetail fd : written.flows()) {
        assertThat(fd.revision()).as("revision of %s", fd).isPositive();
        for (AtomDetail ad : fd.atoms()) {
          assertThat(ad.revision()).as("revision of %s", ad.name()).isPositive();
        }
      }
      assertThat(conn.getLogBook(lb.uuid())).isEqualTo(written);
    }

    @Test
    void resavingABookKeepsItsCreationTimeAndReplacesNameAndMeta() {
      LogBook lb = book("old name").withMeta(Map.of("v", 1));
      conn.saveLogBook(lb);

      Instant later = Instant.parse("2024-05-06T07:08:09.654321Z");
      LogBook again = LogBook.of(lb.uuid(), "new name", later, later, Map.of("v", 2), List.of());
      LogBook written = conn.saveLogBook(again);

      LogBook reloaded = conn.getLogBook(lb.uuid());
      assertThat(reloaded.createdAt()).isEqualTo(CREATED);
      assertThat(reloaded.name()).isEqualTo("new name");
      assertThat(reloaded.meta()).isEqualTo(Map.of("v", 2));
      assertThat(reloaded.updatedAt()).isEqualTo(later);
      assertThat(written.createdAt()).as("the book as written").isEqualTo(CREATED);
    }

    @Test
    void updatedAtRoundTripsBothNullAndSet() {
      LogBook never = book("never updated");
      Instant when = Instant.parse("2023-03-04T05:06:07.000001Z");
      LogBook updated = book("updated").withUpdatedAt(when);
      conn.saveLogBook(never);
      conn.saveLogBook(updated);

      assertThat(conn.getLogBook(never.uuid()).updatedAt()).isNull();
      assertThat(conn.getLogBook(updated.uuid()).updatedAt()).isEqualTo(when);
      assertThat(conn.getLogBook(updated.uuid()).createdAt()).isEqualTo(CREATED);
    }

    @Test
    void resavingABookWithoutSomeFlowsKeepsThoseFlows() {
      FlowDetail f1 = flow("f1", task("t1"));
      FlowDetail f2 = flow("f2");
      LogBook lb = book("b", f1, f2);
      conn.saveLogBook(lb);

      conn.saveLogBook(lb.withFlows(List.of(f2.withState(FlowState.RUNNING))));

      LogBook reloaded = conn.getLogBook(lb.uuid());
      assertThat(uuids(reloaded.flows())).containsExactly(f1.uuid(), f2.uuid());
      assertThat(reloaded.find(f1.uuid()).orElseThrow().size()).isEqualTo(1);
      assertThat(reloaded.find(f2.uuid()).orElseThrow().state()).isEqualTo(FlowState.RUNNING);
    }

    @Test
    void booksKeepTheInsertionOrderOfTwelveFlows() {
      List<FlowDetail> flows = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        // Names and uuids out of any sorted order, so only insertion order explains the result.
        flows.add(FlowDetail.of("flow-" + ((i * 7) % 12), uuid()));
      }
      LogBook lb = LogBook.of(uuid(), "ordered", CREATED, null, Map.of(), flows);
      conn.saveLogBook(lb.withFlows(flows.subList(0, 5)));
      conn.saveLogBook(lb);
      FlowDetail late = FlowDetail.of("flow-00-late", uuid());
      conn.saveLogBook(lb.withFlows(List.of(late)));

      List<String> expected = new ArrayList<>(uuids(flows));
      expected.add(late.uuid());
      assertThat(uuids(conn.getLogBook(lb.uuid()).flows())).containsExactlyElementsOf(expected);
      assertThat(uuids(conn.getFlowsForBook(lb.uuid()))).containsExactlyElementsOf(expected);
      assertThat(uuids(conn.getLogBooks().get(0).flows())).containsExactlyElementsOf(expected);
      assertThat(uuids(withOtherConnection(c -> c.getFlowsForBook(lb.uuid()))))
          .containsExactlyElementsOf(expected);
    }

    @Test
    void getLogBooksLazyLeavesOutFlowsAndFullLoadsEverything() {
      LogBook b1 = book("b1", flow("f1", task("t1")));
      LogBook b2 = LogBook.of(uuid(), "b2", CREATED.plusSeconds(1), null, Map.of(), List.of());
      conn.saveLogBook(b1);
      conn.saveLogBook(b2);

      List<LogBook> lazy = conn.getLogBooks(true);
      assertThat(uuids(lazy)).containsExactly(b1.uuid(), b2.uuid());
      assertThat(lazy).allSatisfy(b -> assertThat(b.size()).isZero());
      assertThat(lazy.get(0)).isEqualTo(b1.withoutFlows());

      List<LogBook> full = conn.getLogBooks(false);
      assertThat(full.stream().map(Fixtures::unrevised).toList()).containsExactly(b1, b2);
      assertThat(conn.getLogBooks().stream().map(Fixtures::unrevised).toList())
          .containsExactly(b1, b2);
    }

    @Test
    void getFlowsForBookReturnsFullyLoadedFlows() {
      FlowDetail f1 = flow("f1", task("t1"), task("t2"));
      FlowDetail f2 = flow("f2", RetryDetail.create("r1"));
      LogBook lb = book("b", f1, f2);
      conn.saveLogBook(lb);

      List<FlowDetail> flows = conn.getFlowsForBook(lb.uuid());
      assertThat(flows.stream().map(Fixtures::unrevised).toList()).containsExactly(f1, f2);
      assertThat(conn.getFlowsForBook(conn.saveLogBook(book("empty")).uuid())).isEmpty();
    }

    @Test
    void destroyingOneBookLeavesTheOthersIntact() {
      LogBook b1 = book("b1", flow("f1", task("t1")));
      LogBook b2 = book("b2", flow("f2", task("t2")));
      LogBook b3 = book("b3", flow("f3", task("t3")));
      conn.saveLogBook(b1);
      conn.saveLogBook(b2);
      conn.saveLogBook(b3);

      conn.destroyLogBook(b2.uuid());

      // Same creation time: the order between them is not part of the contract.
      assertThat(uuids(conn.getLogBooks())).containsExactlyInAnyOrder(b1.uuid(), b3.uuid());
      assertThat(unrevised(conn.getLogBook(b1.uuid()))).isEqualTo(b1);
      assertThat(unrevised(conn.getLogBook(b3.uuid()))).isEqualTo(b3);
    }

    @Test
    void aDestroyedBookCanBeSavedAgainFromScratch() {
      FlowDetail fd = flow("f", task("t"));
      LogBook lb = book("b", fd);
      conn.saveLogBook(lb);
      conn.destroyLogBook(lb.uuid());

      LogBook written = conn.saveLogBook(lb);

      assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
      assertThat(conn.getLogBook(lb.uuid())).isEqualTo(written);
    }
  }

  // =============================================================================================
  // Flow and atom details
  // =============================================================================================

  /** Writing and reading flow and atom details. */
  @Nested
  @DisplayName("Flow and atom details")
  class Details {

    @Test
    void flowsKeepTheInsertionOrderOfSixtyAtoms() {
      List<AtomDetail> atoms = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        String name = "atom-" + ((i * 37) % 60);
        atoms.add(i % 5 == 0 ? RetryDetail.of(name, uuid()) : TaskDetail.of(name, uuid()));
      }
      FlowDetail fd = flow("many").withAtoms(atoms);
      LogBook lb = book("b", fd.withAtoms(atoms.subList(0, 20)));
      conn.saveLogBook(lb);
      conn.updateFlowDetails(fd.withAtoms(atoms.subList(20, 60)));
      // Rewriting an atom must not move it.
      conn.updateAtomDetails(atoms.get(3).withState(AtomState.RUNNING));

      List<String> expected = uuids(atoms);
      assertThat(uuids(conn.getFlowDetails(fd.uuid()).atoms())).containsExactlyElementsOf(expected);
      assertThat(uuids(conn.getAtomsForFlow(fd.uuid()))).containsExactlyElementsOf(expected);
      assertThat(uuids(conn.getLogBook(lb.uuid()).flows().get(0).atoms()))
          .containsExactlyElementsOf(expected);
      assertThat(uuids(withOtherConnection(c -> c.getAtomsForFlow(fd.uuid()))))
          .containsExactlyElementsOf(expected);
    }

    @Test
    void updateFlowDetailsUpsertsCarriedAtomsAndNeverDeletesOthers() {
      TaskDetail a = task("a");
      TaskDetail b = task("b");
      LogBook saved = saveOneFlow(a, b);
      FlowDetail fd = saved.flows().get(0);

      TaskDetail c = task("c");
      AtomDetail bRunning = fd.find(b.uuid()).orElseThrow().withState(AtomState.RUNNING);
      FlowDetail written = conn.updateFlowDetails(fd.withAtoms(List.of(bRunning, c)));
      assertThat(uuids(written.atoms())).containsExactly(b.uuid(), c.uuid());

      conn.updateFlowDetails(written.withoutAtoms().withState(FlowState.RUNNING));

      FlowDetail reloaded = conn.getFlowDetails(fd.uuid());
      assertThat(uuids(reloaded.atoms())).containsExactly(a.uuid(), b.uuid(), c.uuid());
      assertThat(reloaded.find(b.uuid()).orElseThrow().state()).isEqualTo(AtomState.RUNNING);
      assertThat(reloaded.find(a.uuid()).orElseThrow().state()).isEqualTo(AtomState.PENDING);
      assertThat(reloaded.state()).isEqualTo(FlowState.RUNNING);
      assertThat(conn.getAtomDetails(c.uuid()).name()).isEqualTo("c");
    }

    @Test
    void updateFlowDetailsReturnsTheFlowAsWrittenWithItsAtoms() {
      TaskDetail a = task("a");
      LogBook saved = saveOneFlow(a);
      FlowDetail fd = saved.flows().get(0);

      FlowDetail changed =
          fd.withState(FlowState.SUCCESS)
              .withMeta(Map.of("m", "v"))
              .withAtom(fd.atoms().get(0).withState(AtomState.SUCCESS))
              .withAtom(task("new"));
      FlowDetail written = conn.updateFlowDetails(changed);

      assertThat(unrevised(written)).isEqualTo(unrevised(changed));
      assertThat(written.revision()).isGreaterThan(fd.revision());
      assertThat(written.atoms()).allSatisfy(ad -> assertThat(ad.revision()).isPositive());
      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(written);
    }

    @Test
    void updateAtomDetailsChangesOnlyThatAtom() {
      TaskDetail a = task("a");
      TaskDetail b = task("b");
      FlowDetail fd = flow("f", a, b).withMeta(Map.of("x", 1));
      LogBook saved = conn.saveLogBook(book("book", fd));
      FlowDetail before = conn.getFlowDetails(fd.uuid());

      AtomDetail stored = saved.flows().get(0).find(a.uuid()).orElseThrow();
      AtomDetail written = conn.updateAtomDetails(stored.put(AtomState.SUCCESS, "done"));

      FlowDetail after = conn.getFlowDetails(fd.uuid());
      assertThat(after.withAtoms(List.of())).isEqualTo(before.withAtoms(List.of()));
      assertThat(after.find(b.uuid())).isEqualTo(before.find(b.uuid()));
      assertThat(after.find(a.uuid())).contains(written);
      assertThat(written.lastResults()).isEqualTo("done");
    }

    @Test
    void everyAtomStateRoundTripsForTasksAndRetries() {
      TaskDetail td = task("t");
      RetryDetail rd = RetryDetail.create("r");
      LogBook saved = saveOneFlow(td, rd);
      AtomDetail t = saved.flows().get(0).atoms().get(0);
      AtomDetail r = saved.flows().get(0).atoms().get(1);

      for (AtomState s : AtomState.values()) {
        t = conn.updateAtomDetails(t.withState(s));
        r = conn.updateAtomDetails(r.withState(s));
        assertThat(conn.getAtomDetails(td.uuid()).state()).as("task state").isEqualTo(s);
        assertThat(conn.getAtomDetails(rd.uuid()).state()).as("retry state").isEqualTo(s);
      }
    }

    @Test
    void everyIntentionRoundTripsForTasksAndRetries() {
      TaskDetail td = task("t");
      RetryDetail rd = RetryDetail.create("r");
      LogBook saved = saveOneFlow(td, rd);
      AtomDetail t = saved.flows().get(0).atoms().get(0);
      AtomDetail r = saved.flows().get(0).atoms().get(1);

      for (Intention i : Intention.values()) {
        t = conn.updateAtomDetails(t.withIntention(i));
        r = conn.updateAtomDetails(r.withIntention(i));
        assertThat(conn.getAtomDetails(td.uuid()).intention()).as("task").isEqualTo(i);
        assertThat(conn.getAtomDetails(rd.uuid()).intention()).as("retry").isEqualTo(i);
      }
    }

    @Test
    void everyFlowStateRoundTrips() {
      LogBook saved = saveOneFlow(task("t"));
      FlowDetail fd = saved.flows().get(0);

      for (FlowState s : FlowState.values()) {
        fd = conn.updateFlowDetails(fd.withState(s));
        assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(s);
        assertThat(conn.getFlowDetails(fd.uuid(), true).state()).isEqualTo(s);
      }
    }

    @Test
    void atomVersionAndMetaRoundTrip() {
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put(AtomDetail.META_PROGRESS, 0.5);
      meta.put(
          AtomDetail.META_PROGRESS_DETAILS,
          Map.of("at_progress", 0.5, "details", Map.of("step", 3)));
      meta.put(AtomDetail.META_INJECTED, Map.of("x", List.of(1, 2)));
      meta.put("nothing", null);
      TaskDetail versioned = task("v").withVersion("1.0").withMeta(meta);
      TaskDetail unversioned = task("u");
      RetryDetail retry = RetryDetail.create("r").withVersion("2.3.4").withMeta(meta);
      saveOneFlow(versioned, unversioned, retry);

      assertThat(conn.getAtomDetails(versioned.uuid()).version()).isEqualTo("1.0");
      assertThat(conn.getAtomDetails(versioned.uuid()).meta()).isEqualTo(meta);
      assertThat(new ArrayList<>(conn.getAtomDetails(versioned.uuid()).meta().keySet()))
          .containsExactlyElementsOf(meta.keySet());
      assertThat(conn.getAtomDetails(unversioned.uuid()).version()).isNull();
      assertThat(conn.getAtomDetails(unversioned.uuid()).meta()).isEmpty();
      assertThat(conn.getAtomDetails(retry.uuid()).version()).isEqualTo("2.3.4");
      assertThat(conn.getAtomDetails(retry.uuid()).meta()).isEqualTo(meta);
    }

    @Test
    void taskResultsRevertResultsAndRevertFailureRoundTrip() {
      Failure revertFailure = failure("revert went wrong");
      TaskDetail reverted =
          task("reverted")
              .put(AtomState.FAILURE, failure("boom"))
              .put(AtomState.REVERTED, List.of("undo", 1));
      TaskDetail revertFailed = task("revert-failed").put(AtomState.REVERT_FAILURE, revertFailure);
      TaskDetail succeeded = task("ok").put(AtomState.SUCCESS, Map.of("answer", 42));
      TaskDetail nullResult = task("null").put(AtomState.SUCCESS, null);
      saveOneFlow(reverted, revertFailed, succeeded, nullResult);

      for (TaskDetail td : List.of(reverted, revertFailed, succeeded, nullResult)) {
        assertThat(unrevised(conn.getAtomDetails(td.uuid()))).as(td.name()).isEqualTo(td);
      }
      TaskDetail back = (TaskDetail) conn.getAtomDetails(reverted.uuid());
      assertThat(back.revertResults()).isEqualTo(List.of("undo", 1));
      assertThat(back.failure().exceptionStr()).isEqualTo("boom");
      assertThat(conn.getAtomDetails(revertFailed.uuid()).revertFailure().matches(revertFailure))
          .isTrue();
      assertThat(((TaskDetail) conn.getAtomDetails(nullResult.uuid())).results()).isNull();
    }

    @Test
    void unicodeNamesAndMetaRoundTrip() {
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("ключ", "значение");
      meta.put("鍵", "値 🚀");
      meta.put("emoji 😀", List.of("ä", "ß", "\t\"quoted\"\\", "𝄞"));
      TaskDetail td = task("tâche ✓ 任务 🚀").withMeta(meta).put(AtomState.SUCCESS, "résultat 😀");
      FlowDetail fd = flow("flüß 流れ", td).withMeta(meta);
      LogBook lb = book("Ünïcødé 書 🚀").withMeta(meta).withFlow(fd);
      conn.saveLogBook(lb);

      LogBook reloaded = withOtherConnection(c -> c.getLogBook(lb.uuid()));
      assertThat(unrevised(reloaded)).isEqualTo(lb);
      assertThat(reloaded.name()).isEqualTo("Ünïcødé 書 🚀");
      assertThat(reloaded.meta()).isEqualTo(meta);
      FlowDetail rfd = reloaded.flows().get(0);
      assertThat(rfd.name()).isEqualTo("flüß 流れ");
      assertThat(rfd.atoms().get(0).name()).isEqualTo("tâche ✓ 任务 🚀");
      assertThat(rfd.atoms().get(0).lastResults()).isEqualTo("résultat 😀");
    }

    @Test
    void oneMegabyteValuesRoundTrip() {
      String big = Fixtures.oneMegabyte();
      Map<String, Object> bigMeta = new LinkedHashMap<>();
      for (int i = 0; i < 10_000; i++) {
        bigMeta.put("key-" + i, "value-" + i);
      }
      List<Integer> bigList = new ArrayList<>();
      for (int i = 0; i < 100_000; i++) {
        bigList.add(i);
      }
      TaskDetail td = task("big").put(AtomState.SUCCESS, big).withMeta(bigMeta);
      RetryDetail rd = RetryDetail.create("big-retry").put(AtomState.SUCCESS, bigList);
      FlowDetail fd = flow("f", td, rd).withMeta(Map.of("big", big));
      LogBook lb = book("b", fd);
      conn.saveLogBook(lb);

      assertThat(((TaskDetail) conn.getAtomDetails(td.uuid())).results()).isEqualTo(big);
      assertThat(conn.getAtomDetails(td.uuid()).meta()).isEqualTo(bigMeta);
      assertThat(conn.getAtomDetails(rd.uuid()).lastResults()).isEqualTo(bigList);
      assertThat(conn.getFlowDetails(fd.uuid()).meta().get("big")).isEqualTo(big);

      AtomDetail updated =
          conn.updateAtomDetails(
              conn.getAtomDetails(td.uuid()).put(AtomState.SUCCESS, big + "tail"));
      assertThat(conn.getAtomDetails(td.uuid())).isEqualTo(updated);
    }

    @Test
    void lazyFlowFetchStillCarriesTheFlowsOwnFields() {
      FlowDetail fd =
          flow("f", task("t")).withState(FlowState.SUSPENDED).withMeta(Map.of("k", "v"));
      conn.saveLogBook(book("b", fd));

      FlowDetail lazy = conn.getFlowDetails(fd.uuid(), true);
      assertThat(unrevised(lazy)).isEqualTo(fd.withoutAtoms());
      assertThat(conn.getAtomsForFlow(fd.uuid())).hasSize(1);
    }

    @Test
    void atomsOfAFlowWithoutAtomsIsAnEmptyList() {
      FlowDetail fd = flow("empty");
      conn.saveLogBook(book("b", fd));

      assertThat(conn.getAtomsForFlow(fd.uuid())).isEmpty();
      assertThat(conn.getFlowDetails(fd.uuid()).atoms()).isEmpty();
    }
  }

  // =============================================================================================
  // Revisions, conflicts and atomicity
  // =============================================================================================

  /** Optimistic concurrency: checked writes, conflicts, and all-or-nothing writes. */
  @Nested
  @DisplayName("Revisions and conflicts")
  class Revisions {

    @Test
    void returnedValuesCarryIncreasingRevisionsAndCanBeWrittenAgainWithoutARead() {
      LogBook saved = saveOneFlow(task("t"));
      FlowDetail fd = saved.flows().get(0);
      AtomDetail ad = fd.atoms().get(0);
      assertThat(ad.revision()).isPositive();
      assertThat(fd.revision()).isPositive();

      for (int i = 1; i <= 5; i++) {
        AtomDetail next = conn.updateAtomDetails(ad.withMetaEntries(Map.of("i", i)));
        assertThat(next.revision()).isGreaterThan(ad.revision());
        ad = next;
        // Without its atoms: the ones it carries are at their first revision by now.
        FlowDetail nextFd =
            conn.updateFlowDetails(fd.withoutAtoms().withMetaEntries(Map.of("i", i)));
        assertThat(nextFd.revision()).isGreaterThan(fd.revision());
        fd = nextFd;
      }

      assertThat(conn.getAtomDetails(ad.uuid())).isEqualTo(ad);
      assertThat(conn.getAtomDetails(ad.uuid()).meta()).isEqualTo(Map.of("i", 5));
      assertThat(conn.getFlowDetails(fd.uuid(), true).revision()).isEqualTo(fd.revision());
      assertThat(conn.getFlowDetails(fd.uuid(), true).meta()).isEqualTo(Map.of("i", 5));
    }

    @Test
    void savingTheReturnedBookAgainWorksAndTheOlderCopyConflicts() {
      LogBook first = conn.saveLogBook(book("b", flow("f", task("t"))));
      LogBook second = conn.saveLogBook(first.withMeta(Map.of("round", 2)));
      LogBook third = conn.saveLogBook(second.withMeta(Map.of("round", 3)));

      FlowDetail fd1 = first.flows().get(0);
      FlowDetail fd3 = third.flows().get(0);
      assertThat(fd3.revision()).isGreaterThan(fd1.revision());
      assertThat(fd3.atoms().get(0).revision()).isGreaterThan(fd1.atoms().get(0).revision());

      assertThatThrownBy(() -> conn.saveLogBook(first.withMeta(Map.of("round", 4))))
          .isInstanceOf(ConflictException.class)
          .message()
          .containsAnyOf(fd1.uuid(), fd1.atoms().get(0).uuid());
      assertThat(conn.getLogBook(first.uuid()).meta()).isEqualTo(Map.of("round", 3));
      assertThat(conn.getLogBook(first.uuid())).isEqualTo(third);
    }

    @Test
    void twoWritersOfOneAtomFromTheSameRevisionGetExactlyOneConflict() {
      LogBook saved = saveOneFlow(task("t"));
      String atomUuid = saved.flows().get(0).atoms().get(0).uuid();
      AtomDetail readByA = conn.getAtomDetails(atomUuid);
      AtomDetail readByB = withOtherConnection(c -> c.getAtomDetails(atomUuid));
      assertThat(readByB.revision()).isEqualTo(readByA.revision());

      AtomDetail writtenByA = conn.updateAtomDetails(readByA.put(AtomState.SUCCESS, "A"));
      assertConflict(
          () -> withOtherConnection(c -> c.updateAtomDetails(readByB.put(AtomState.SUCCESS, "B"))),
          atomUuid);

      assertThat(conn.getAtomDetails(atomUuid)).isEqualTo(writtenByA);
      assertThat(conn.getAtomDetails(atomUuid).lastResults()).isEqualTo("A");

      // Nothing is lost: B reloads and writes again.
      AtomDetail reloadedByB = withOtherConnection(c -> c.getAtomDetails(atomUuid));
      AtomDetail writtenByB =
          withOtherConnection(
              c -> c.updateAtomDetails(reloadedByB.withMetaEntries(Map.of("by", "B"))));
      AtomDetail stored = conn.getAtomDetails(atomUuid);
      assertThat(stored).isEqualTo(writtenByB);
      assertThat(stored.lastResults()).isEqualTo("A");
      assertThat(stored.meta()).isEqualTo(Map.of("by", "B"));
    }

    @Test
    @Timeout(120)
    void racingWritersOfOneAtomGetExactlyOneConflictPerRound() throws Exception {
      LogBook saved = saveOneFlow(task("t"));
      String atomUuid = saved.flows().get(0).atoms().get(0).uuid();
      try (Connection other = backend.getConnection()) {
        for (int round = 0; round < 20; round++) {
          AtomDetail base = conn.getAtomDetails(atomUuid);
          CyclicBarrier together = new CyclicBarrier(2);
          List<Callable<AtomDetail>> writers = new ArrayList<>();
          for (Connection c : List.of(conn, other)) {
            String label = (c == conn ? "A" : "B") + round;
            writers.add(
                () -> {
                  together.await(30, TimeUnit.SECONDS);
                  try {
                    return c.updateAtomDetails(base.withMeta(Map.of("writer", label)));
                  } catch (ConflictException e) {
                    assertThat(e).hasMessageContaining(atomUuid);
                    return null;
                  }
                });
          }
          List<AtomDetail> results = runConcurrently(writers);
          List<AtomDetail> winners = results.stream().filter(r -> r != null).toList();
          assertThat(winners).as("round %s: writes accepted", round).hasSize(1);
          assertThat(conn.getAtomDetails(atomUuid)).isEqualTo(winners.get(0));
        }
      }
    }

    @Test
    void twoWritersOfOneFlowFromTheSameRevisionGetExactlyOneConflict() {
      LogBook saved = saveOneFlow(task("t"));
      String flowUuid = saved.flows().get(0).uuid();
      FlowDetail readByA = conn.getFlowDetails(flowUuid, true);
      FlowDetail readByB = withOtherConnection(c -> c.getFlowDetails(flowUuid, true));

      FlowDetail writtenByA = conn.updateFlowDetails(readByA.withState(FlowState.RUNNING));
      assertConflict(
          () -> withOtherConnection(c -> c.updateFlowDetails(readByB.withState(FlowState.FAILURE))),
          flowUuid);

      FlowDetail stored = conn.getFlowDetails(flowUuid, true);
      assertThat(stored.state()).isEqualTo(FlowState.RUNNING);
      assertThat(stored.revision()).isEqualTo(writtenByA.revision());
    }

    @Test
    void staleFlowUpdateConflictsAndStoresNothingOfThatCall() {
      TaskDetail a1 = task("a1");
      TaskDetail a2 = task("a2");
      LogBook saved = saveOneFlow(a1, a2);
      FlowDetail fd = saved.flows().get(0);
      // Another writer moves the flow on.
      conn.updateFlowDetails(fd.withoutAtoms().withState(FlowState.RUNNING));
      FlowDetail before = conn.getFlowDetails(fd.uuid());

      TaskDetail a3 = task("a3");
      FlowDetail stale =
          fd.withState(FlowState.FAILURE)
              .withMeta(Map.of("stale", true))
              .withAtom(fd.find(a1.uuid()).orElseThrow().put(AtomState.SUCCESS, "x"))
              .withAtom(a3);
      assertConflict(() -> conn.updateFlowDetails(stale), fd.uuid());

      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(before);
      assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(FlowState.RUNNING);
      assertThat(conn.getAtomDetails(a1.uuid()).state()).isEqualTo(AtomState.PENDING);
      assertNotFound(() -> conn.getAtomDetails(a3.uuid()), a3.uuid());
    }

    @Test
    void staleAtomInsideAFlowUpdateConflictsAndStoresNothingOfThatCall() {
      TaskDetail a1 = task("a1");
      TaskDetail a2 = task("a2");
      LogBook saved = saveOneFlow(a1, a2);
      FlowDetail fd = saved.flows().get(0);
      AtomDetail staleA2 = fd.find(a2.uuid()).orElseThrow();
      conn.updateAtomDetails(staleA2.withState(AtomState.RUNNING));
      FlowDetail before = conn.getFlowDetails(fd.uuid());

      TaskDetail a3 = task("a3");
      TaskDetail a0 = task("a0-new");
      FlowDetail call =
          fd.withState(FlowState.SUCCESS)
              .withMeta(Map.of("changed", true))
              .withAtom(a0)
              .withAtom(fd.find(a1.uuid()).orElseThrow().put(AtomState.SUCCESS, 1))
              .withAtom(staleA2.put(AtomState.SUCCESS, 2))
              .withAtom(a3);
      assertConflict(() -> conn.updateFlowDetails(call), a2.uuid());

      assertThat(conn.getFlowDetails(fd.uuid())).isEqualTo(before);
      assertThat(conn.getAtomDetails(a1.uuid()).state()).isEqualTo(AtomState.PENDING);
      assertThat(conn.getAtomDetails(a2.uuid()).state()).isEqualTo(AtomState.RUNNING);
      assertNotFound(() -> conn.getAtomDetails(a3.uuid()), a3.uuid());
      assertNotFound(() -> conn.getAtomDetails(a0.uuid()), a0.uuid());
    }

    @Test
    void staleSaveLogBookConflictsAndStoresNothingOfThatCall() {
      TaskDetail a1 = task("a1");
      LogBook saved = conn.saveLogBook(book("original", flow("f1", a1)));
      FlowDetail fd = saved.flows().get(0);
      conn.updateAtomDetails(fd.atoms().get(0).withState(AtomState.RUNNING));
      LogBook before = conn.getLogBook(saved.uuid());

      FlowDetail newFlow = flow("f2", task("a2"));
      LogBook call =
          LogBook.of(
              saved.uuid(),
              "renamed",
              saved.createdAt(),
              Instant.now(),
              Map.of("changed", true),
              List.of(newFlow, fd.withState(FlowState.SUCCESS)));
      assertConflict(() -> conn.saveLogBook(call), a1.uuid());

      assertThat(conn.getLogBook(saved.uuid())).isEqualTo(before);
      assertThat(conn.getLogBook(saved.uuid()).name()).isEqualTo("original");
      assertNotFound(() -> conn.getFlowDetails(newFlow.uuid()), newFlow.uuid());
    }

    @Test
    void revisionZeroWritesAreUnconditional() {
      TaskDetail t = task("t");
      FlowDetail f = flow("f", t);
      LogBook lb = book("b", f);
      LogBook saved = conn.saveLogBook(lb);
      conn.updateAtomDetails(saved.flows().get(0).atoms().get(0).withState(AtomState.RUNNING));
      conn.updateFlowDetails(saved.flows().get(0).withoutAtoms().withState(FlowState.RUNNING));

      // Values never read back (revision 0) overwrite whatever is stored.
      AtomDetail atomWritten = conn.updateAtomDetails(t.put(AtomState.SUCCESS, "blind"));
      assertThat(atomWritten.revision()).isPositive();
      assertThat(conn.getAtomDetails(t.uuid()).lastResults()).isEqualTo("blind");

      FlowDetail flowWritten =
          conn.updateFlowDetails(f.withoutAtoms().withState(FlowState.SUCCESS));
      assertThat(flowWritten.revision()).isPositive();
      assertThat(conn.getFlowDetails(f.uuid()).state()).isEqualTo(FlowState.SUCCESS);

      conn.saveLogBook(lb.withMeta(Map.of("blind", true)));
      LogBook reloaded = conn.getLogBook(lb.uuid());
      assertThat(reloaded.meta()).isEqualTo(Map.of("blind", true));
      assertThat(reloaded.flows().get(0).state()).isEqualTo(FlowState.PENDING);
      assertThat(reloaded.flows().get(0).atoms().get(0).state()).isEqualTo(AtomState.PENDING);
    }

    @Test
    void aNewAtomCarriedByAFlowUpdateIsInsertedWithARevision() {
      LogBook saved = saveOneFlow(task("t"));
      FlowDetail fd = saved.flows().get(0);
      TaskDetail fresh = task("fresh");

      FlowDetail written = conn.updateFlowDetails(fd.withAtom(fresh));

      AtomDetail insert = written.find(fresh.uuid()).orElseThrow();
      assertThat(insert.revision()).isPositive();
      assertThat(conn.getAtomDetails(fresh.uuid())).isEqualTo(insert);
      // The value returned by the insert is good for a checked write at once.
      AtomDetail next = conn.updateAtomDetails(insert.withState(AtomState.RUNNING));
      assertThat(next.revision()).isGreaterThan(insert.revision());
    }
  }

  // =============================================================================================
  // Concurrency
  // =============================================================================================

  /** Many threads on one backend, through one connection and through several. */
  @Nested
  @DisplayName("Concurrency")
  class Concurrency {

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
        Connection c = t % 2 == 0 ? conn : backend.getConnection();
        if (c != conn) {
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

        List<AtomDetail> stored = conn.getAtomsForFlow(fd.uuid());
        assertThat(stored).hasSize(threads * perThread + 1);
        for (List<AtomDetail> mine : written) {
          for (AtomDetail ad : mine) {
            AtomDetail back = conn.getAtomDetails(ad.uuid());
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
              try (Connection c = backend.getConnection()) {
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

      List<LogBook> stored = conn.getLogBooks();
      assertThat(stored).hasSize(threads * perThread);
      for (List<LogBook> mine : saved) {
        for (LogBook lb : mine) {
          assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
        }
      }
    }
  }

  // =============================================================================================
  // JSON values
  // =============================================================================================

  /**
   * Values are stored as JSON, and read back the same on every backend: what a durable backend
   * returns after a reload ({@code Json.read(Json.write(value))}) is also what the model holds and
   * what every other backend returns.
   */
  @Nested
  @DisplayName("JSON values")
  class JsonValues {

    /**
     * Stores {@code value} as a task result, a revert result, a meta value and a retry attempt
     * value; asserts each reads back (through another connection) as {@code expected}, which is
     * also the value's JSON form and the model's normalised form.
     */
    private void assertStoredAs(Object value, Object expected) {
      assertThat(Json.read(Json.write(value))).as("JSON form of %s", value).isEqualTo(expected);
      TaskDetail td =
          task("json")
              .put(AtomState.SUCCESS, value)
              .withRevertResults(value)
              .withMeta(Collections.singletonMap("value", value));
      RetryDetail rd = RetryDetail.create("json-retry").put(AtomState.SUCCESS, value);
      FlowDetail fd = flow("f", td, rd).withMeta(Collections.singletonMap("value", value));
      assertThat(td.results()).as("model's normalised form of %s", value).isEqualTo(expected);
      saveOneFlowIn(fd);

      TaskDetail backTd = (TaskDetail) withOtherConnection(c -> c.getAtomDetails(td.uuid()));
      RetryDetail backRd = (RetryDetail) withOtherConnection(c -> c.getAtomDetails(rd.uuid()));
      FlowDetail backFd = withOtherConnection(c -> c.getFlowDetails(fd.uuid(), true));
      assertThat(backTd.results()).as("results").isEqualTo(expected);
      assertThat(backTd.revertResults()).as("revert results").isEqualTo(expected);
      assertThat(backTd.meta().get("value")).as("atom meta").isEqualTo(expected);
      assertThat(backRd.lastResults()).as("retry attempt value").isEqualTo(expected);
      assertThat(backFd.meta().get("value")).as("flow meta").isEqualTo(expected);
    }

    private void saveOneFlowIn(FlowDetail fd) {
      conn.saveLogBook(book("json", fd));
    }

    @Test
    void listsSetsAndArraysReadBackAsLists() {
      assertStoredAs(List.of(1, 2), List.of(1, 2));
      assertStoredAs(new LinkedHashSet<>(List.of(3, 1, 2)), List.of(3, 1, 2));
      assertStoredAs(new int[] {1, 2}, List.of(1, 2));
      assertStoredAs(new String[] {"a", "b"}, List.of("a", "b"));
      assertStoredAs(List.of(List.of(1), List.of()), List.of(List.of(1), List.of()));
      assertStoredAs(List.of(), List.of());
    }

    @Test
    void integerMapKeysBecomeStrings() {
      Map<Object, Object> m = new LinkedHashMap<>();
      m.put(2, "b");
      m.put(1, "a");
      m.put(3L, List.of(Map.of(4, "d")));
      Map<String, Object> expected = new LinkedHashMap<>();
      expected.put("2", "b");
      expected.put("1", "a");
      expected.put("3", List.of(Map.of("4", "d")));
      assertStoredAs(m, expected);
    }

    @Test
    void nestedMapsKeepStructureOrderAndNulls() {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("z", null);
      inner.put("a", List.of(1, Map.of("deep", true)));
      Map<String, Object> outer = new LinkedHashMap<>();
      outer.put("zeta", inner);
      outer.put("alpha", Map.of());
      outer.put("mid", "x");
      assertStoredAs(outer, outer);
      assertStoredAs(
          Map.of("record", new Fixtures.Point(3, "p")),
          Map.of("record", Map.of("x", 3, "label", "p")));
    }

    @Test
    void unicodeStringsRoundTrip() {
      String s = "héllo wörld ✓ 日本語 🚀 𝄞 \t\n\r\"\\/ \u00a0\u2028";
      assertStoredAs(s, s);
      assertStoredAs(Map.of("ключ 🚀", s), Map.of("ключ 🚀", s));
      assertStoredAs("", "");
    }

    @Test
    void integersOfEverySizeReadBackInTheirSmallestForm() {
      assertStoredAs(5, 5);
      assertStoredAs(5L, 5);
      assertStoredAs((short) 3, 3);
      assertStoredAs((byte) -4, -4);
      assertStoredAs(BigInteger.valueOf(7), 7);
      assertStoredAs(Integer.MIN_VALUE, Integer.MIN_VALUE);
      assertStoredAs(2_147_483_648L, 2_147_483_648L);
      assertStoredAs(Long.MAX_VALUE, Long.MAX_VALUE);
      assertStoredAs(Long.MIN_VALUE, Long.MIN_VALUE);
      assertStoredAs(BigInteger.valueOf(Long.MAX_VALUE), Long.MAX_VALUE);
      BigInteger huge = BigInteger.TWO.pow(100).negate();
      assertStoredAs(huge, huge);
      assertStoredAs(List.of(1L, 2_147_483_648L, huge), List.of(1, 2_147_483_648L, huge));
    }

    @Test
    void doublesRoundTripExactly() {
      assertStoredAs(1.5, 1.5);
      assertStoredAs(2.0, 2.0);
      assertStoredAs(-0.25, -0.25);
      assertStoredAs(0.1 + 0.2, 0.1 + 0.2);
      assertStoredAs(1e300, 1e300);
      assertStoredAs(Double.MIN_VALUE, Double.MIN_VALUE);
      assertStoredAs(1.5f, 1.5);
      assertStoredAs(new BigDecimal("2.75"), 2.75);
      assertStoredAs(Map.of("progress", 1.0), Map.of("progress", 1.0));
    }

    @Test
    void booleansAndNullRoundTrip() {
      assertStoredAs(true, true);
      assertStoredAs(false, false);
      assertStoredAs(null, null);
      List<Object> mixed = Arrays.asList(true, null, false, 0, "", 0.0);
      assertStoredAs(mixed, mixed);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("t", true);
      m.put("n", null);
      assertStoredAs(m, m);
    }

    @Test
    void timesEnumsAndBytesReadBackAsStrings() {
      assertStoredAs(LocalDateTime.of(2020, 1, 2, 3, 4, 5), "2020-01-02T03:04:05");
      assertStoredAs(Instant.parse("2020-01-02T03:04:05Z"), "2020-01-02T03:04:05Z");
      assertStoredAs(AtomState.SUCCESS, "SUCCESS");
      assertStoredAs(new byte[] {'a', 'b'}, "YWI=");
    }

    @Test
    void aValueThatIsNotJsonFailsTypedAndNothingIsStored() {
      LogBook saved = saveOneFlow(task("kept").put(AtomState.SUCCESS, "original"));
      AtomDetail kept = saved.flows().get(0).atoms().get(0);
      Map<String, Object> cyclic = new HashMap<>();
      cyclic.put("self", cyclic);
      List<Supplier<Object>> badValues =
          List.of(
              Fixtures.Loop::new,
              () -> cyclic,
              () -> Double.NaN,
              () -> Double.POSITIVE_INFINITY,
              () -> List.of(1, Float.NEGATIVE_INFINITY),
              () -> Collections.singletonMap(null, 1));

      for (Supplier<Object> bad : badValues) {
        // A new book carrying the bad value: nothing of it may be stored.
        TaskDetail good = task("good");
        FlowDetail fd = flow("f", good);
        LogBook lb = book("bad", fd);
        Throwable onSave =
            catchThrowable(
                () ->
                    conn.saveLogBook(
                        lb.withFlow(fd.withAtom(task("bad").put(AtomState.SUCCESS, bad.get())))));
        assertThat(onSave)
            .as("saving %s", bad.get().getClass())
            .isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
        assertNotFound(() -> conn.getLogBook(lb.uuid()), lb.uuid());
        assertNotFound(() -> conn.getFlowDetails(fd.uuid()), fd.uuid());
        assertNotFound(() -> conn.getAtomDetails(good.uuid()), good.uuid());

        // An update of a stored atom with the bad value: the stored atom is unchanged.
        Throwable onUpdate =
            catchThrowable(() -> conn.updateAtomDetails(kept.put(AtomState.SUCCESS, bad.get())));
        assertThat(onUpdate)
            .isInstanceOfAny(IllegalArgumentException.class, StorageException.class);
        assertThat(conn.getAtomDetails(kept.uuid())).isEqualTo(kept);
      }
      assertThat(uuids(conn.getLogBooks())).containsExactly(saved.uuid());
    }
  }

  // =============================================================================================
  // Failures
  // =============================================================================================

  /** Failures are stored as text and come back as equivalent failures. */
  @Nested
  @DisplayName("Failures")
  class Failures {

    @Test
    void failuresWithCausesRoundTripEverywhereTheyAreKept() {
      Failure f = failureWithCauses();
      Failure plain = failure("plain");
      TaskDetail td = task("t").put(AtomState.FAILURE, f).put(AtomState.REVERT_FAILURE, plain);
      RetryDetail rd =
          RetryDetail.create("r")
              .put(AtomState.SUCCESS, 1)
              .withAttemptFailure("t", f)
              .put(AtomState.FAILURE, f);
      saveOneFlow(td, rd);

      TaskDetail backTd = (TaskDetail) withOtherConnection(c -> c.getAtomDetails(td.uuid()));
      RetryDetail backRd = (RetryDetail) withOtherConnection(c -> c.getAtomDetails(rd.uuid()));
      for (Failure back :
          List.of(backTd.failure(), backRd.failure(), backRd.lastFailures().get("t"))) {
        assertThat(back.matches(f)).isTrue();
        assertThat(back.excTypeNames()).isEqualTo(f.excTypeNames());
        assertThat(back.excTypeNames())
            .startsWith("java.lang.IllegalStateException")
            .endsWith("java.lang.Throwable");
        assertThat(back.exceptionStr()).isEqualTo("could not save 'résumé' 日本");
        assertThat(back.tracebackStr()).isNotEmpty().isEqualTo(f.tracebackStr());
        assertThat(back.excArgs()).isEqualTo(f.excArgs());
        assertThat(back.check(IllegalStateException.class)).isEqualTo(IllegalStateException.class);
        assertThat(back.check("IllegalStateException")).isEqualTo("IllegalStateException");
        assertThat(back.check(IllegalArgumentException.class)).isNull();
        assertThat(back.causes()).hasSize(1);
        Failure cause = back.causes().get(0);
        assertThat(cause.typeName()).isEqualTo("java.io.IOException");
        assertThat(cause.exceptionStr()).isEqualTo("disk full: pläne ✓");
        assertThat(cause.causes()).hasSize(1);
        assertThat(cause.causes().get(0).check(ArithmeticException.class)).isNotNull();
        assertThat(cause.causes().get(0).tracebackStr())
            .isEqualTo(f.causes().get(0).causes().get(0).tracebackStr());
      }
      assertThat(backTd.revertFailure().matches(plain)).isTrue();
    }

    @Test
    void aReloadedFailureReraisesAsWrappedFailureExceptionWithTypeNamesAndMessage() {
      Failure f = failureWithCauses();
      TaskDetail td = task("t").put(AtomState.FAILURE, f);
      saveOneFlow(td);

      Failure back = conn.getAtomDetails(td.uuid()).failure();
      assertThat(back.exception()).as("a reloaded failure has no live exception").isEmpty();
      Throwable thrown = catchThrowable(back::reraise);
      assertThat(thrown)
          .isInstanceOf(WrappedFailureException.class)
          .hasMessageContaining("java.lang.IllegalStateException")
          .hasMessageContaining("could not save 'résumé' 日本");
      WrappedFailureException wrapped = (WrappedFailureException) thrown;
      assertThat(wrapped.failures()).hasSize(1);
      assertThat(wrapped.failures().get(0).excTypeNames()).isEqualTo(f.excTypeNames());
      assertThat(wrapped.check(IllegalStateException.class)).isNotNull();
      assertThat(wrapped.check(IllegalArgumentException.class)).isNull();
    }

    @Test
    void failuresBuiltFromPartsRoundTrip() {
      // The shape TaskFlow itself writes: Python type names, arguments of any JSON type.
      Failure python =
          Failure.of(
              List.of("RuntimeError", "Exception"),
              "bad 1",
              "  File \"executor.py\", line 52, in _execute_task\n",
              List.of("bad 1", 2, Map.of("k", List.of(true))),
              List.of(Failure.of(List.of("ValueError", "Exception"), "", "", null, null)));
      TaskDetail td = task("t").put(AtomState.FAILURE, python);
      saveOneFlow(td);

      Failure back = conn.getAtomDetails(td.uuid()).failure();
      assertThat(back.matches(python)).isTrue();
      assertThat(back.check("RuntimeError")).isEqualTo("RuntimeError");
      assertThat(back.excArgs()).isEqualTo(List.of("bad 1", 2, Map.of("k", List.of(true))));
      assertThat(back.causes().get(0).exceptionStr()).isEmpty();
      assertThat(back.causes().get(0).tracebackStr()).isEmpty();
    }
  }

  // =============================================================================================
  // Lifecycle: upgrade, validate, clearAll, connections, close
  // =============================================================================================

  /** Preparing, checking, emptying and closing a store. */
  @Nested
  @DisplayName("Lifecycle")
  class Lifecycle {

    @Test
    void clearAllEmptiesEverythingAndTheBackendKeepsWorkingAfterUpgrade() {
      LogBook b1 = book("b1", flow("f1", task("t1")));
      LogBook b2 = book("b2", flow("f2", RetryDetail.create("r2")));
      conn.saveLogBook(b1);
      conn.saveLogBook(b2);

      conn.clearAll();

      assertThat(conn.getLogBooks()).isEmpty();
      assertThat(conn.getLogBooks(true)).isEmpty();
      for (LogBook lb : List.of(b1, b2)) {
        assertNotFound(() -> conn.getLogBook(lb.uuid()), lb.uuid());
        FlowDetail fd = lb.flows().get(0);
        assertNotFound(() -> conn.getFlowDetails(fd.uuid()), fd.uuid());
        AtomDetail ad = fd.atoms().get(0);
        assertNotFound(() -> conn.getAtomDetails(ad.uuid()), ad.uuid());
      }

      conn.upgrade();
      conn.saveLogBook(b1);
      LogBook b3 = book("b3", flow("f3", task("t3")));
      conn.saveLogBook(b3);
      assertThat(uuids(conn.getLogBooks())).containsExactlyInAnyOrder(b1.uuid(), b3.uuid());
      assertThat(unrevised(conn.getLogBook(b1.uuid()))).isEqualTo(b1);
      conn.validate();
    }

    @Test
    void upgradeIsIdempotentAndKeepsTheData() {
      LogBook lb = book("b", flow("f", task("t")));
      conn.saveLogBook(lb);

      conn.upgrade();
      conn.upgrade();
      withOtherConnection(
          c -> {
            c.upgrade();
            return null;
          });

      assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
      conn.validate();
    }

    @Test
    void validatePassesOnAHealthyStore() {
      conn.validate();
      conn.saveLogBook(book("b", flow("f", task("t"))));
      conn.validate();
      withOtherConnection(
          c -> {
            c.validate();
            return null;
          });
      assertThat(conn.getLogBooks()).hasSize(1);
    }

    @Test
    void connectionsOfOneBackendShareTheStore() {
      LogBook lb = book("b", flow("f", task("t")));
      try (Connection writer = backend.getConnection()) {
        assertThat(writer.backend()).isSameAs(backend);
        writer.saveLogBook(lb);
      }
      assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
      try (Connection reader = backend.getConnection()) {
        assertThat(unrevised(reader.getLogBook(lb.uuid()))).isEqualTo(lb);
      }
      assertThat(conn.backend()).isSameAs(backend);
    }

    @Test
    void connectionsOfAClosedBackendFailWithAStorageException() {
      LogBook lb = saveOneFlow(task("t"));
      Connection second = backend.getConnection();
      backend.close();

      for (Connection c : List.of(conn, second)) {
        assertThatThrownBy(() -> c.getLogBook(lb.uuid())).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> c.saveLogBook(book("late"))).isInstanceOf(StorageException.class);
      }
      second.close();
      conn.close();
      conn = null;
      backend = null;
    }

    @Test
    void closingAConnectionThenTheBackendWorks() {
      LogBook lb = book("b", flow("f", task("t")));
      Connection second = backend.getConnection();
      second.saveLogBook(lb);
      second.close();
      // Closing one connection leaves the backend and its other connections working.
      assertThat(unrevised(conn.getLogBook(lb.uuid()))).isEqualTo(lb);
      try (Connection third = backend.getConnection()) {
        assertThat(uuids(third.getLogBooks())).containsExactly(lb.uuid());
      }

      conn.close();
      backend.close();
      conn = null;
      backend = null;
    }
  }

  // =============================================================================================
  // Errors
  // =============================================================================================

  /** Every missing object is a {@link NotFoundException} naming it. */
  @Nested
  @DisplayName("Errors")
  class Errors {

    @Test
    void readingAnUnknownBookIsNotFoundNamingIt() {
      String u = uuid();
      assertNotFound(() -> conn.getLogBook(u), u);
      assertNotFound(() -> conn.getLogBook(u, true), u);
      assertThat(conn.getLogBooks()).isEmpty();
    }

    @Test
    void flowsOfAnUnknownBookIsNotFoundNamingIt() {
      String u = uuid();
      assertNotFound(() -> conn.getFlowsForBook(u), u);
    }

    @Test
    void readingAnUnknownFlowIsNotFoundNamingIt() {
      saveOneFlow(task("t"));
      String u = uuid();
      assertNotFound(() -> conn.getFlowDetails(u), u);
      assertNotFound(() -> conn.getFlowDetails(u, true), u);
    }

    @Test
    void atomsOfAnUnknownFlowIsNotFoundNamingIt() {
      saveOneFlow(task("t"));
      String u = uuid();
      assertNotFound(() -> conn.getAtomsForFlow(u), u);
    }

    @Test
    void readingAnUnknownAtomIsNotFoundNamingIt() {
      saveOneFlow(task("t"));
      String u = uuid();
      assertNotFound(() -> conn.getAtomDetails(u), u);
    }

    @Test
    void updatingANeverSavedFlowIsNotFoundNamingItAndStoresNothing() {
      TaskDetail td = task("t");
      FlowDetail fd = flow("f", td).withRevision(3);
      assertNotFound(() -> conn.updateFlowDetails(fd), fd.uuid());
      assertNotFound(() -> conn.updateFlowDetails(fd.withRevision(0)), fd.uuid());
      assertNotFound(() -> conn.getFlowDetails(fd.uuid()), fd.uuid());
      assertNotFound(() -> conn.getAtomDetails(td.uuid()), td.uuid());
    }

    @Test
    void updatingANeverSavedAtomIsNotFoundNamingItAndStoresNothing() {
      saveOneFlow(task("t"));
      TaskDetail td = task("never saved");
      RetryDetail rd = RetryDetail.create("never saved either");
      assertNotFound(() -> conn.updateAtomDetails(td), td.uuid());
      assertNotFound(() -> conn.updateAtomDetails(td.withRevision(7)), td.uuid());
      assertNotFound(() -> conn.updateAtomDetails(rd), rd.uuid());
      assertNotFound(() -> conn.getAtomDetails(td.uuid()), td.uuid());
    }

    @Test
    void destroyingAnUnknownBookIsNotFoundNamingItAndChangesNothing() {
      LogBook lb = saveOneFlow(task("t"));
      String u = uuid();
      assertNotFound(() -> conn.destroyLogBook(u), u);
      assertThat(uuids(conn.getLogBooks())).containsExactly(lb.uuid());
    }
  }

  // =============================================================================================
  // Fencing: a stale owner's writes are refused, atomically with the write
  // =============================================================================================

  /**
   * {@link Connection#advanceFence}, {@link Connection#fenced} and {@link Connection#fenceToken}:
   * what a conductor relies on so that an owner that lost its job cannot change the logbook.
   */
  @Nested
  @DisplayName("Fencing")
  class Fencing {
    private final String job = uuid();

    private AtomDetail storedAtom(LogBook lb) {
      return conn.getAtomDetails(lb.flows().get(0).atoms().get(0).uuid());
    }

    @Test
    @DisplayName("a fenced connection writes while its token is the store's")
    void writesWithCurrentToken() {
      LogBook lb = saveOneFlow(task("a"));
      conn.advanceFence(new Fence(job, 1));
      Connection fenced = conn.fenced(new Fence(job, 1));
      AtomDetail a = storedAtom(lb);
      AtomDetail written = fenced.updateAtomDetails(a.withState(AtomState.RUNNING));
      assertThat(storedAtom(lb).state()).isEqualTo(AtomState.RUNNING);
      assertThat(storedAtom(lb).revision()).isEqualTo(written.revision());
      assertThat(conn.fenceToken(job)).hasValue(1);
      assertThat(conn.fenceToken(uuid())).isEmpty();
    }

    @Test
    @DisplayName("after a higher token is registered, every kind of write is refused")
    void staleTokenRefusesEveryWrite() {
      LogBook lb = saveOneFlow(task("a"));
      conn.advanceFence(new Fence(job, 3));
      Connection stale = conn.fenced(new Fence(job, 3));
      stale.updateAtomDetails(storedAtom(lb).withState(AtomState.RUNNING));
      withOtherConnection(
          other -> {
            other.advanceFence(new Fence(job, 4));
            return null;
          });
      FlowDetail fd = conn.getFlowDetails(lb.flows().get(0).uuid());
      AtomDetail before = storedAtom(lb);
      assertFenced(() -> stale.updateAtomDetails(before.withState(AtomState.SUCCESS)));
      assertFenced(() -> stale.updateFlowDetails(fd.withState(FlowState.SUCCESS)));
      assertFenced(() -> stale.saveLogBook(lb.withMeta(Map.of("zombie", true))));
      assertFenced(() -> stale.saveLogBook(book("another")));
      assertFenced(
          () -> {
            stale.destroyLogBook(lb.uuid());
            return null;
          });
      assertFenced(
          () -> {
            stale.clearAll();
            return null;
          });
      // nothing of it landed
      assertThat(storedAtom(lb)).isEqualTo(before);
      assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(fd.state());
      assertThat(conn.getLogBook(lb.uuid()).meta()).doesNotContainKey("zombie");
      assertThat(conn.getLogBooks()).hasSize(1);
      // reads still work through the stale view
      assertThat(stale.getAtomDetails(before.uuid())).isEqualTo(before);
      // and the new owner writes
      Connection owner = conn.fenced(new Fence(job, 4));
      owner.updateAtomDetails(before.withState(AtomState.SUCCESS));
      assertThat(storedAtom(lb).state()).isEqualTo(AtomState.SUCCESS);
    }

    @Test
    @DisplayName("a token never registered is refused; a lower one cannot be registered")
    void unregisteredAndLowerTokens() {
      LogBook lb = saveOneFlow(task("a"));
      AtomDetail a = storedAtom(lb);
      assertFenced(
          () -> conn.fenced(new Fence(job, 1)).updateAtomDetails(a.withState(AtomState.RUNNING)));
      conn.advanceFence(new Fence(job, 5));
      conn.advanceFence(new Fence(job, 5)); // idempotent
      assertFenced(
          () -> {
            conn.advanceFence(new Fence(job, 4));
            return null;
          });
      assertThat(conn.fenceToken(job)).hasValue(5);
      assertFenced(
          () -> conn.fenced(new Fence(job, 6)).updateAtomDetails(a.withState(AtomState.RUNNING)));
      assertThat(storedAtom(lb)).isEqualTo(a);
    }

    @Test
    @DisplayName("fences of different jobs are independent")
    void independentKeys() {
      LogBook lb = saveOneFlow(task("a"));
      String other = uuid();
      conn.advanceFence(new Fence(job, 2));
      conn.advanceFence(new Fence(other, 7));
      conn.advanceFence(new Fence(other, 8));
      AtomDetail a = storedAtom(lb);
      conn.fenced(new Fence(job, 2)).updateAtomDetails(a.withState(AtomState.RUNNING));
      assertThat(conn.fenceToken(job)).hasValue(2);
      assertThat(conn.fenceToken(other)).hasValue(8);
    }

    @Test
    @DisplayName("revisions are still checked under a fence")
    void revisionsStillChecked() {
      LogBook lb = saveOneFlow(task("a"));
      conn.advanceFence(new Fence(job, 1));
      Connection fenced = conn.fenced(new Fence(job, 1));
      AtomDetail a = storedAtom(lb);
      fenced.updateAtomDetails(a.withState(AtomState.RUNNING));
      assertConflict(() -> fenced.updateAtomDetails(a.withState(AtomState.FAILURE)), a.uuid());
    }

    @Test
    @Timeout(120)
    @DisplayName("no write of the old token lands once the advance has returned")
    void advanceIsAtomicWithWrites() throws Exception {
      LogBook lb = saveOneFlow(task("a"));
      conn.advanceFence(new Fence(job, 1));
      String atomUuid = storedAtom(lb).uuid();
      java.util.concurrent.atomic.AtomicLong lastLanded =
          new java.util.concurrent.atomic.AtomicLong(-1);
      java.util.concurrent.atomic.AtomicBoolean advanced =
          new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong landedAfter =
          new java.util.concurrent.atomic.AtomicLong();
      CountDownLatch someWritten = new CountDownLatch(20);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<?> writer =
            pool.submit(
                () -> {
                  try (Connection c = backend.getConnection()) {
                    Connection zombie = c.fenced(new Fence(job, 1));
                    for (long i = 0; ; i++) {
                      AtomDetail cur = c.getAtomDetails(atomUuid);
                      try {
                        zombie.updateAtomDetails(cur.withMeta(Map.of("i", i)));
                      } catch (io.taskflow4j.persistence.FencedException e) {
                        return null;
                      }
                      if (advanced.get()) {
                        landedAfter.incrementAndGet();
                      }
                      lastLanded.set(i);
                      someWritten.countDown();
                    }
                  }
                });
        assertThat(someWritten.await(60, TimeUnit.SECONDS)).isTrue();
        withOtherConnection(
            other -> {
              other.advanceFence(new Fence(job, 2));
              return null;
            });
        advanced.set(true);
        writer.get(60, TimeUnit.SECONDS);
        Object stored = conn.getAtomDetails(atomUuid).meta().get("i");
        assertThat(((Number) stored).longValue()).isEqualTo(lastLanded.get());
        // a write may have been in flight while the advance ran; once it returned, none started
        assertThat(landedAfter.get()).isLessThanOrEqualTo(1);
      } finally {
        pool.shutdownNow();
      }
    }

    private void assertFenced(Supplier<?> write) {
      assertThatThrownBy(write::get)
          .isInstanceOf(io.taskflow4j.persistence.FencedException.class)
          .hasMessageContaining(job);
    }
  }
}
