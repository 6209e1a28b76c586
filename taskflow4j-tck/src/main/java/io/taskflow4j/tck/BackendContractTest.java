package io.taskflow4j.tck;

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
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.WrappedFailureException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

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

  /** TaskFlow's own backend tests, ported one by one: see {@link TaskFlowPersistenceCases}. */
  @Nested
  @DisplayName("TaskFlow persistence cases")
  class TaskFlowCases extends TaskFlowPersistenceCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Behaviours where TaskFlow is wrong: see {@link TaskFlowBugCases}. */
  @Nested
  @DisplayName("TaskFlow bugs not reproduced")
  class TaskFlowBugs extends TaskFlowBugCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Saving, merging, listing and destroying logbooks: see {@link LogBookCases}. */
  @Nested
  @DisplayName("Logbooks")
  class LogBooks extends LogBookCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Writing and reading flow and atom details: see {@link DetailCases}. */
  @Nested
  @DisplayName("Flow and atom details")
  class Details extends DetailCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Checked writes, conflicts and all-or-nothing writes: see {@link RevisionCases}. */
  @Nested
  @DisplayName("Revisions and conflicts")
  class Revisions extends RevisionCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Many threads on one backend: see {@link ConcurrencyCases}. */
  @Nested
  @DisplayName("Concurrency")
  class Concurrency extends ConcurrencyCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Values stored as JSON, read back the same: see {@link JsonValueCases}. */
  @Nested
  @DisplayName("JSON values")
  class JsonValues extends JsonValueCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
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

  /** Finding flows and deleting one flow: see {@link FlowQueryCases}. */
  @Nested
  @DisplayName("Finding flows, record times, deleting a flow")
  class FlowQueries extends FlowQueryCases {
    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** An engine's retention and the pruner: see {@link RetentionCases}. */
  @Nested
  @DisplayName("Retention: discarding finished runs and pruning old flows")
  class Retentions extends RetentionCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }

  /** Fencing, what a conductor relies on: see {@link FencingCases}. */
  @Nested
  @DisplayName("Fencing")
  class Fencing extends FencingCases {
    @Override
    protected Backend backend() {
      return backend;
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }
}
