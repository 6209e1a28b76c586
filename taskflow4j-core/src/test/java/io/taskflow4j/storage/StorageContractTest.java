package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TaskFlow's {@code test_storage.py} cases (spec §9.2), ported one by one, run over every backend
 * by a subclass. Helpers mirror TaskFlow's: a temporary flow detail saved through a logbook, and a
 * "reload" that builds a new Storage from what the backend holds.
 */
abstract class StorageContractTest {
  static final int THREAD_COUNT = 20;

  Backend backend;
  Connection conn;
  final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  /** A fresh, empty backend. */
  abstract Backend newBackend();

  @BeforeEach
  void openBackend() {
    backend = newBackend();
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void closeBackend() {
    if (conn != null) {
      conn.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  StorageOptions options() {
    return StorageOptions.builder().sleeper(sleeps::add).build();
  }

  /** Saves {@code fd} through a new logbook and returns it as stored. */
  FlowDetail saved(FlowDetail fd) {
    LogBook book = conn.saveLogBook(LogBook.create("test").withFlow(fd));
    return book.find(fd.uuid()).orElseThrow();
  }

  FlowDetail temporaryFlowDetail() {
    return saved(FlowDetail.create("test"));
  }

  Storage storage() {
    return storage(temporaryFlowDetail());
  }

  Storage storage(FlowDetail fd) {
    return new Storage(fd, conn, options());
  }

  /** A new Storage over what the backend holds for {@code s}'s flow detail. */
  Storage reload(Storage s) {
    return new Storage(conn.getFlowDetails(s.flowUuid()), conn, options());
  }

  /** As {@link #reload(Storage)}, then ensures {@code specs} (which registers their mappings). */
  Storage reload(Storage s, List<AtomSpec> specs) {
    Storage r = reload(s);
    r.ensureAtoms(specs);
    return r;
  }

  static AtomSpec task(String name) {
    return AtomSpec.task(name);
  }

  static AtomSpec task(String name, ResultMapping provides) {
    return AtomSpec.task(name, provides);
  }

  static AtomSpec retry(String name) {
    return AtomSpec.retry(name);
  }

  static Failure woot() {
    return Failure.of(new RuntimeException("Woot!"));
  }

  static boolean isUuidLike(String s) {
    try {
      return UUID.fromString(s).toString().equalsIgnoreCase(s);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ------------------------------------------------------ test_storage.py

  @Test
  void non_saving_storage() {
    Storage s = new Storage(FlowDetail.create("test"), null, null);
    s.ensureAtom(task("my_task"));
    assertThat(isUuidLike(s.getAtomUuid("my_task"))).isTrue();
    assertThat(s.getAtomState("my_task")).isEqualTo(AtomState.PENDING);
    s.save("my_task", 5);
    assertThat(s.getExecuteResult("my_task")).isEqualTo(5);
  }

  @Test
  void flow_name_uuid_and_meta() {
    FlowDetail fd = saved(FlowDetail.of("test-fd", "aaaa").withMeta(Map.of("a", 1)));
    Storage s = storage(fd);
    assertThat(s.flowName()).isEqualTo("test-fd");
    assertThat(s.flowUuid()).isEqualTo("aaaa");
    assertThat(s.flowMeta()).isEqualTo(Map.of("a", 1));
  }

  @Test
  void ensure_task() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.PENDING);
    assertThat(s.getAtomIntention("my task")).isEqualTo(Intention.EXECUTE);
    assertThat(s.atomDetail("my task")).isInstanceOf(TaskDetail.class);
  }

  @Test
  void get_tasks_states() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.ensureAtom(task("my task2"));
    s.save("my task", "foo");
    assertThat(s.getAtomsStates(List.of("my task", "my task2")))
        .containsExactly(
            Map.entry("my task", new StateAndIntention(AtomState.SUCCESS, Intention.EXECUTE)),
            Map.entry("my task2", new StateAndIntention(AtomState.PENDING, Intention.EXECUTE)));
    s.setAtomIntention("my task2", Intention.REVERT);
    assertThat(s.getAtomsStatesInOrder(List.of("my task2", "my task", "my task2")))
        .containsExactly(
            StateAndIntention.of(AtomState.PENDING, Intention.REVERT),
            StateAndIntention.of(AtomState.SUCCESS, Intention.EXECUTE),
            new StateAndIntention(AtomState.PENDING, Intention.REVERT));
    assertThatThrownBy(() -> s.getAtomsStatesInOrder(List.of("my task", "absent")))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void ensure_task_flow_detail() {
    Storage s = storage();
    s.ensureAtom(task("my task").withVersion("3.11"));
    String uuid = s.getAtomUuid("my task");
    AtomDetail inSnapshot = s.flowDetail().find(uuid).orElseThrow();
    AtomDetail inStore = conn.getAtomDetails(uuid);
    for (AtomDetail td : List.of(inSnapshot, inStore)) {
      assertThat(td.name()).isEqualTo("my task");
      assertThat(td.version()).isEqualTo("3.11");
      assertThat(td.state()).isEqualTo(AtomState.PENDING);
    }
    assertThat(conn.getFlowDetails(s.flowUuid()).size()).isEqualTo(1);
  }

  @Test
  void get_without_save() {
    FlowDetail fd = saved(FlowDetail.create("test").withAtom(TaskDetail.of("my_task", "42")));
    Storage s = storage(fd);
    assertThat(s.getAtomUuid("my_task")).isEqualTo("42");
  }

  @Test
  void ensure_existing_task() {
    FlowDetail fd = saved(FlowDetail.create("test").withAtom(TaskDetail.of("my_task", "42")));
    Storage s = storage(fd);
    RecordingConnection rc = new RecordingConnection(conn);
    Storage counted = new Storage(fd, rc, options());
    assertThat(counted.ensureAtom(task("my_task"))).isEqualTo("42");
    assertThat(rc.flowWrites.get()).isZero();
    s.ensureAtom(task("my_task"));
    assertThat(s.getAtomUuid("my_task")).isEqualTo("42");
  }

  @Test
  void save_and_get() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", 5);
    assertThat(s.getExecuteResult("my task")).isEqualTo(5);
    assertThat(s.fetchAll()).isEmpty();
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.SUCCESS);
    assertThat(reload(s).getExecuteResult("my task")).isEqualTo(5);
  }

  @Test
  void save_and_get_cached_failure() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", failure, AtomState.FAILURE);
    assertThat(s.getExecuteResult("my task")).isSameAs(failure);
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.FAILURE);
    assertThat(s.hasFailures()).isTrue();
    assertThat(s.getExecuteFailures()).containsExactly(Map.entry("my task", failure));
    assertThat(s.getExecuteFailures().get("my task")).isSameAs(failure);
    assertThat(s.getExecuteFailures().get("my task").exception()).isPresent();
  }

  @Test
  void save_and_get_non_cached_failure() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", failure, AtomState.FAILURE);
    assertThat(s.getExecuteResult("my task")).isEqualTo(failure);
    // A new Storage has no cache: it sees the persisted copy, which still matches.
    Object reloaded = reload(s).getExecuteResult("my task");
    assertThat(reloaded).isInstanceOf(Failure.class);
    assertThat(failure.matches((Failure) reloaded)).isTrue();
    assertThat(((Failure) reloaded).exception()).isEmpty();
  }

  @Test
  void get_failure_from_reverted_task() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", failure, AtomState.FAILURE);
    s.setAtomState("my task", AtomState.REVERTING);
    assertThat(s.getExecuteResult("my task")).isSameAs(failure);
    s.setAtomState("my task", AtomState.REVERTED);
    assertThat(s.getExecuteResult("my task")).isSameAs(failure);
  }

  @Test
  void get_failure_after_reload() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", failure, AtomState.FAILURE);
    Storage s2 = reload(s);
    assertThat(s2.hasFailures()).isTrue();
    assertThat(s2.getExecuteFailures()).hasSize(1);
    assertThat(failure.matches((Failure) s2.getExecuteResult("my task"))).isTrue();
    assertThat(s2.getAtomState("my task")).isEqualTo(AtomState.FAILURE);
  }

  @Test
  void get_non_existing_var() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    assertThatThrownBy(() -> s.getExecuteResult("my task"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Result for atom 'my task' execution is not known");
  }

  @Test
  void reset() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", 5);
    s.reset("my task", AtomState.PENDING);
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.PENDING);
    assertThatThrownBy(() -> s.getExecuteResult("my task")).isInstanceOf(NotFoundException.class);
    assertThat(reload(s).getAtomState("my task")).isEqualTo(AtomState.PENDING);
  }

  @Test
  void reset_unknown_task() {
    // TaskFlow's case resets a task that never ran: a no-op that writes nothing.
    FlowDetail fd = temporaryFlowDetail();
    RecordingConnection rc = new RecordingConnection(conn);
    Storage s = new Storage(fd, rc, options());
    s.ensureAtom(task("my task"));
    rc.resetCounts();
    s.reset("my task", AtomState.PENDING);
    assertThat(rc.atomWrites.get()).isZero();
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.PENDING);
    assertThatThrownBy(() -> s.reset("unknown", AtomState.PENDING))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void fetch_by_name() {
    Storage s = storage();
    String name = "my result";
    s.ensureAtom(task("my task", ResultMapping.whole(name)));
    s.save("my task", 5);
    assertThat(s.fetch(name)).isEqualTo(5);
    assertThat(s.fetchAll()).isEqualTo(Map.of(name, 5));
  }

  @Test
  void fetch_unknown_name() {
    Storage s = storage();
    assertThatThrownBy(() -> s.fetch("xxx"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Name 'xxx' is not mapped");
  }

  @Test
  void flow_metadata_update() {
    Storage s = storage();
    s.updateFlowMetadata(Map.of("test_data", true));
    assertThat(s.flowMeta()).containsEntry("test_data", true);
    assertThat(s.flowDetail().meta()).containsEntry("test_data", true);
    assertThat(conn.getFlowDetails(s.flowUuid()).meta()).containsEntry("test_data", true);
  }

  @Test
  void task_metadata_update_with_none() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.updateAtomMetadata("my task", null);
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.0);
    s.setTaskProgress("my task", 0.5, null);
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.5);
    s.updateAtomMetadata("my task", null);
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.5);
    s.updateAtomMetadata("my task", Map.of());
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.5);
  }

  @Test
  void default_task_progress() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.0);
    assertThat(s.getTaskProgressDetails("my task")).isNull();
  }

  @Test
  void task_progress() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setTaskProgress("my task", 0.5, Map.of("test_data", 11));
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.5);
    assertThat(s.getTaskProgressDetails("my task"))
        .isEqualTo(Map.of("at_progress", 0.5, "details", Map.of("test_data", 11)));
    s.setTaskProgress("my task", 0.7, Map.of("test_data", 17));
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.7);
    assertThat(s.getTaskProgressDetails("my task"))
        .isEqualTo(Map.of("at_progress", 0.7, "details", Map.of("test_data", 17)));
    s.setTaskProgress("my task", 0.99, null);
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.99);
    assertThat(s.getTaskProgressDetails("my task"))
        .isEqualTo(Map.of("at_progress", 0.7, "details", Map.of("test_data", 17)));
    Storage s2 = reload(s);
    assertThat(s2.getTaskProgress("my task")).isEqualTo(0.99);
    assertThat(s2.getTaskProgressDetails("my task"))
        .isEqualTo(Map.of("at_progress", 0.7, "details", Map.of("test_data", 17)));
  }

  @Test
  void task_progress_erase() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setTaskProgress("my task", 0.8, Map.of("x", 1));
    s.setTaskProgress("my task", 0.8, Map.of());
    assertThat(s.getTaskProgress("my task")).isEqualTo(0.8);
    assertThat(s.getTaskProgressDetails("my task")).isNull();
  }

  @Test
  void fetch_result_not_ready() {
    Storage s = storage();
    String name = "my result";
    s.ensureAtom(task("my task", ResultMapping.whole(name)));
    assertThatThrownBy(() -> s.getExecuteResult(name))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unknown atom name");
    assertThatThrownBy(() -> s.fetch(name))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unable to find result 'my result'");
    assertThat(s.fetchAll()).isEmpty();
  }

  @Test
  void save_multiple_results() {
    Storage s = storage();
    s.ensureAtom(task("my task", ResultMapping.byIndex(List.of("foo", "bar"))));
    s.save("my task", List.of("spam", "eggs"));
    assertThat(s.fetchAll()).isEqualTo(Map.of("foo", "spam", "bar", "eggs"));
  }

  @Test
  void mapping_none() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", 5);
    assertThat(s.fetchAll()).isEmpty();
  }

  @Test
  void inject() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThat(s.fetch("spam")).isEqualTo("eggs");
    assertThat(s.fetchAll()).isEqualTo(Map.of("foo", "bar", "spam", "eggs"));
  }

  @Test
  void inject_twice() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar"), false);
    assertThat(s.fetchAll()).isEqualTo(Map.of("foo", "bar"));
    s.inject(Map.of("spam", "eggs"), false);
    assertThat(s.fetchAll()).isEqualTo(Map.of("foo", "bar", "spam", "eggs"));
  }

  @Test
  void inject_resumed() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThat(s.fetchAll()).isEqualTo(Map.of("foo", "bar", "spam", "eggs"));
    Storage s2 = reload(s);
    assertThat(s2.fetchAll()).isEqualTo(Map.of("foo", "bar", "spam", "eggs"));
    AtomDetail injector = conn.getAtomDetails(s2.getAtomUuid(Storage.INJECTOR_NAME));
    assertThat(injector.state()).isEqualTo(AtomState.SUCCESS);
    assertThat(((TaskDetail) injector).results()).isEqualTo(Map.of("foo", "bar", "spam", "eggs"));
  }

  @Test
  void many_thread_ensure_same_task() throws Exception {
    Storage s = storage();
    runConcurrently(THREAD_COUNT, i -> s.ensureAtom(task("my task")));
    assertThat(s.flowDetail().size()).isEqualTo(1);
    assertThat(conn.getFlowDetails(s.flowUuid()).size()).isEqualTo(1);
  }

  @Test
  void many_thread_inject() throws Exception {
    Storage s = storage();
    runConcurrently(
        THREAD_COUNT, i -> s.inject(Map.of(String.valueOf(i), String.valueOf(i)), false));
    assertThat(s.fetchAll()).hasSize(THREAD_COUNT);
    assertThat(s.flowDetail().size()).isEqualTo(1);
    assertThat(conn.getFlowDetails(s.flowUuid()).size()).isEqualTo(1);
    assertThat(reload(s).fetchAll()).hasSize(THREAD_COUNT);
  }

  @Test
  void fetch_mapped_args() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThat(s.fetchMappedArgs(Map.of("viking", "spam"), null, null, null))
        .isEqualTo(Map.of("viking", "eggs"));
  }

  @Test
  void fetch_not_found_args() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThatThrownBy(() -> s.fetchMappedArgs(Map.of("viking", "helmet"), null, null, null))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Name 'helmet' is not mapped as a produced output by any providers");
  }

  @Test
  void fetch_optional_args_found() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThat(s.fetchMappedArgs(Map.of("foo", "foo"), null, null, Set.of("foo")))
        .isEqualTo(Map.of("foo", "bar"));
  }

  @Test
  void fetch_optional_args_not_found() {
    Storage s = storage();
    s.inject(Map.of("foo", "bar", "spam", "eggs"), false);
    assertThat(
            s.fetchMappedArgs(Map.of("viking", "spam", "boat", "boat"), null, null, Set.of("boat")))
        .isEqualTo(Map.of("viking", "eggs"));
  }

  @Test
  void set_and_get_task_state() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setAtomState("my task", AtomState.RUNNING);
    assertThat(s.getAtomState("my task")).isEqualTo(AtomState.RUNNING);
    assertThat(reload(s).getAtomState("my task")).isEqualTo(AtomState.RUNNING);
  }

  @Test
  void get_state_of_unknown_task() {
    Storage s = storage();
    assertThatThrownBy(() -> s.getAtomState("my task"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unknown");
  }

  @Test
  void task_by_name() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    assertThat(isUuidLike(s.getAtomUuid("my task"))).isTrue();
  }

  @Test
  void transient_storage_fetch_all() {
    Storage s = storage();
    s.inject(Map.of("a", "b"), true);
    s.inject(Map.of("b", "c"), false);
    assertThat(s.fetchAll()).isEqualTo(Map.of("a", "b", "b", "c"));
  }

  @Test
  void transient_storage_fetch_mapped() {
    Storage s = storage();
    s.inject(Map.of("a", "b"), true);
    s.inject(Map.of("b", "c"), false);
    assertThat(s.fetchMappedArgs(Map.of("y", "a", "z", "b"), null, null, null))
        .isEqualTo(Map.of("y", "b", "z", "c"));
  }

  @Test
  void transient_storage_restore() {
    Storage s = storage();
    s.inject(Map.of("a", "b"), true);
    s.inject(Map.of("b", "c"), false);
    assertThat(reload(s).fetchAll()).isEqualTo(Map.of("b", "c"));
  }

  @Test
  void unknown_task_by_name() {
    Storage s = storage();
    assertThatThrownBy(() -> s.getAtomUuid("42"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Unknown atom name '42'");
  }

  @Test
  void initial_flow_state() {
    assertThat(storage().getFlowState()).isEqualTo(FlowState.PENDING);
  }

  @Test
  void get_flow_state() {
    FlowDetail fd = temporaryFlowDetail();
    fd = conn.updateFlowDetails(fd.withState(FlowState.FAILURE));
    assertThat(storage(fd).getFlowState()).isEqualTo(FlowState.FAILURE);
  }

  @Test
  void set_and_get_flow_state() {
    Storage s = storage();
    s.setFlowState(FlowState.SUCCESS);
    assertThat(s.getFlowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(conn.getFlowDetails(s.flowUuid()).state()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void result_is_checked() {
    Storage s = storage();
    s.ensureAtom(task("my task", ResultMapping.byKey(Set.of("result"))));
    s.save("my task", Map.of());
    assertThatThrownBy(() -> s.fetch("result"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unable to find result");
  }

  @Test
  void empty_result_is_checked() {
    Storage s = storage();
    s.ensureAtom(task("my task", ResultMapping.byIndex(List.of("a"))));
    s.save("my task", List.of());
    assertThatThrownBy(() -> s.fetch("a"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unable to find result");
  }

  @Test
  void short_result_is_checked() {
    Storage s = storage();
    s.ensureAtom(task("my task", ResultMapping.byIndex(List.of("a", "b"))));
    s.save("my task", List.of("result"));
    assertThat(s.fetch("a")).isEqualTo("result");
    assertThatThrownBy(() -> s.fetch("b"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Unable to find result");
  }

  @Test
  void ensure_retry() {
    Storage s = storage();
    s.ensureAtom(retry("my retry"));
    RetryHistory history = s.getRetryHistory("my retry");
    assertThat(history.attempts()).isEmpty();
    assertThat(history.size()).isZero();
    assertThat(s.atomDetail("my retry")).isInstanceOf(RetryDetail.class);
  }

  @Test
  void ensure_retry_and_task_with_same_name() {
    Storage s = storage();
    s.ensureAtom(task("my retry"));
    assertThatThrownBy(() -> s.ensureAtom(retry("my retry")))
        .isInstanceOf(DuplicateException.class)
        .hasMessage("Atom detail 'my retry' already exists in flow detail 'test'");
  }

  @Test
  void save_retry_results() {
    Storage s = storage();
    s.ensureAtom(retry("my retry"));
    s.save("my retry", "a");
    s.save("my retry", "b");
    RetryHistory history = s.getRetryHistory("my retry");
    assertThat(history.attempts())
        .containsExactly(
            new RetryDetail.Attempt("a", Map.of()), new RetryDetail.Attempt("b", Map.of()));
    assertThat(history.providedValues()).containsExactly("a", "b");
  }

  @Test
  void save_retry_results_with_mapping() {
    // TaskFlow maps provides=['x'] by index and relies on 'b'[0] == 'b'; Java strings are not
    // lists, so the retry here provides its whole value as 'x'.
    Storage s = storage();
    s.ensureAtom(AtomSpec.retry("my retry", ResultMapping.whole("x")));
    s.save("my retry", "a");
    s.save("my retry", "b");
    RetryHistory history = s.getRetryHistory("my retry");
    assertThat(history.providedValues()).containsExactly("a", "b");
    assertThat(s.fetchAll()).isEqualTo(Map.of("x", "b"));
    assertThat(s.fetch("x")).isEqualTo("b");
  }

  @Test
  void cleanup_retry_history() {
    Storage s = storage();
    s.ensureAtom(AtomSpec.retry("my retry", ResultMapping.whole("x")));
    s.save("my retry", "a");
    s.save("my retry", "b");
    s.cleanupRetryHistory("my retry", AtomState.REVERTED);
    RetryHistory history = s.getRetryHistory("my retry");
    assertThat(history.attempts()).isEmpty();
    assertThat(history.size()).isZero();
    assertThat(s.fetchAll()).isEmpty();
    assertThat(s.getAtomState("my retry")).isEqualTo(AtomState.REVERTED);
    assertThat(reload(s).getRetryHistory("my retry").size()).isZero();
  }

  @Test
  void cached_retry_failure() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(AtomSpec.retry("my retry", ResultMapping.whole("x")));
    s.save("my retry", "a");
    s.save("my retry", failure, AtomState.FAILURE);
    RetryHistory history = s.getRetryHistory("my retry");
    assertThat(history.attempts()).containsExactly(new RetryDetail.Attempt("a", Map.of()));
    assertThat(history.causedBy(RuntimeException.class, null, true)).isSameAs(failure);
    assertThat(history.causedBy(RuntimeException.class, null, false)).isNull();
    assertThat(history.failure()).isSameAs(failure);
    assertThat(history.size()).isEqualTo(1);
    assertThat(s.hasFailures()).isTrue();
    assertThat(s.getExecuteFailures()).containsExactly(Map.entry("my retry", failure));
  }

  @Test
  void logbook_get_unknown_atom_type() {
    assertThatThrownBy(
            () -> TaskFlowFormat.atomFromMap("some_detail", Map.of("uuid", "1", "name", "a"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Unknown atom");
  }

  @Test
  void save_task_intention() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setAtomIntention("my task", Intention.REVERT);
    assertThat(s.getAtomIntention("my task")).isEqualTo(Intention.REVERT);
    assertThat(reload(s).getAtomIntention("my task")).isEqualTo(Intention.REVERT);
  }

  @Test
  void save_retry_intention() {
    Storage s = storage();
    s.ensureAtom(retry("my retry"));
    s.setAtomIntention("my retry", Intention.RETRY);
    assertThat(s.getAtomIntention("my retry")).isEqualTo(Intention.RETRY);
    assertThat(reload(s).getAtomIntention("my retry")).isEqualTo(Intention.RETRY);
  }

  @Test
  void inject_persistent_missing() {
    Storage s = storage();
    s.ensureAtom(task("my retry"));
    Map<String, String> rebind = Map.of("x", "x");
    assertThat(s.fetchUnsatisfiedArgs("my retry", rebind, null, null)).containsExactly("x");
    s.injectAtomArgs("my retry", Map.of("x", 2), false);
    assertThat(s.fetchUnsatisfiedArgs("my retry", rebind, null, null)).isEmpty();
    assertThat(s.fetchMappedArgs(rebind, "my retry", null, null)).containsEntry("x", 2);
    assertThat(reload(s).fetchMappedArgs(rebind, "my retry", null, null)).containsEntry("x", 2);
  }

  @Test
  void inject_persistent_and_transient_missing() {
    Storage s = storage();
    s.ensureAtom(task("my retry"));
    Map<String, String> rebind = Map.of("x", "x");
    assertThat(s.fetchUnsatisfiedArgs("my retry", rebind, null, null)).containsExactly("x");
    s.injectAtomArgs("my retry", Map.of("x", 2), false);
    s.injectAtomArgs("my retry", Map.of("x", 3), true);
    assertThat(s.fetchUnsatisfiedArgs("my retry", rebind, null, null)).isEmpty();
    assertThat(s.fetchMappedArgs(rebind, "my retry", null, null)).containsEntry("x", 3);
    // The transient value is gone after a reload; the persistent one is back.
    assertThat(reload(s).fetchMappedArgs(rebind, "my retry", null, null)).containsEntry("x", 2);
  }

  @Test
  void save_fetch() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.save("my task", 2);
    assertThat(s.getExecuteResult("my task")).isEqualTo(2);
    assertThatThrownBy(() -> s.getRevertResult("my task"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Result for atom 'my task' revert is not known");
  }

  @Test
  void save_fetch_revert() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setAtomIntention("my task", Intention.REVERT);
    s.save("my task", 2, AtomState.REVERTED);
    assertThatThrownBy(() -> s.getExecuteResult("my task")).isInstanceOf(NotFoundException.class);
    assertThat(s.getRevertResult("my task")).isEqualTo(2);
  }

  @Test
  void save_fail_fetch_revert() {
    Storage s = storage();
    s.ensureAtom(task("my task"));
    s.setAtomIntention("my task", Intention.REVERT);
    Failure failure = woot();
    s.save("my task", failure, AtomState.REVERT_FAILURE);
    assertThat(s.getRevertResult("my task")).isSameAs(failure);
    assertThat(s.getRevertFailures()).containsExactly(Map.entry("my task", failure));
    assertThat(s.getExecuteFailures()).isEmpty();
    assertThat(failure.matches((Failure) reload(s).getRevertResult("my task"))).isTrue();
  }

  // ------------------------------------------------------------ helpers

  @FunctionalInterface
  interface IndexedAction {
    void run(int i) throws Exception;
  }

  /** Runs {@code action(i)} for i in [0, n) on n threads released at once; rethrows failures. */
  static void runConcurrently(int n, IndexedAction action) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int idx = i;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  action.run(idx);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------ a final state over a changed flow

  /**
   * Another writer changed only the flow detail's own fields: a final state still follows from the
   * atoms, which are as this storage left them, so it is written over the stored record.
   */
  @Test
  void aFinalStateIsRecordedOverAFlowWhoseOwnFieldsAnotherWriterChanged() {
    Storage s = storage();
    s.ensureAtoms(List.of(task("a")));
    s.setFlowState(FlowState.RUNNING);
    s.save("a", 5);
    FlowDetail theirs = conn.getFlowDetails(s.flowUuid(), true);
    conn.updateFlowDetails(theirs.withState(FlowState.SUSPENDED));
    assertThatThrownBy(() -> s.setFlowState(FlowState.SUCCESS))
        .isInstanceOf(io.taskflow4j.persistence.ConflictException.class);

    assertThat(s.finishOverChangedFlow(FlowState.SUCCESS)).isTrue();
    assertThat(s.getFlowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(conn.getFlowDetails(s.flowUuid()).state()).isEqualTo(FlowState.SUCCESS);
  }

  /** When another writer changed an atom, the final state is not this storage's to record. */
  @Test
  void noFinalStateIsRecordedOverAFlowWhoseAtomAnotherWriterChanged() {
    Storage s = storage();
    s.ensureAtoms(List.of(task("a")));
    s.setFlowState(FlowState.RUNNING);
    s.save("a", 5);
    FlowDetail theirs = conn.getFlowDetails(s.flowUuid());
    conn.updateFlowDetails(theirs.withoutAtoms().withState(FlowState.SUSPENDED));
    conn.updateAtomDetails(theirs.atoms().get(0).withState(AtomState.RUNNING));

    assertThat(s.finishOverChangedFlow(FlowState.SUCCESS)).isFalse();
    FlowDetail stored = conn.getFlowDetails(s.flowUuid());
    assertThat(stored.state()).isEqualTo(FlowState.SUSPENDED);
    assertThat(stored.atoms().get(0).state()).isEqualTo(AtomState.RUNNING);
    assertThatThrownBy(() -> s.finishOverChangedFlow(FlowState.SUSPENDED))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
