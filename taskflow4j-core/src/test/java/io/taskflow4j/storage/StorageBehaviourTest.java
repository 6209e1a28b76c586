package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What taskflow4j adds to TaskFlow's storage: counted writes, retried and refused writes, live
 * failures, scoped lookups, reloads with values intact. Run over every backend by a subclass.
 */
abstract class StorageBehaviourTest extends StorageContractTest {

  RecordingConnection rc;

  Storage counted() {
    rc = new RecordingConnection(conn);
    return new Storage(temporaryFlowDetail(), rc, options());
  }

  // ---------------------------------------------------------- write counts

  @Test
  void a_successful_task_costs_two_atom_writes() {
    Storage s = counted();
    s.ensureAtom(task("t", ResultMapping.whole("x")));
    rc.resetCounts();
    s.setAtomState("t", AtomState.RUNNING, Map.of("progress", 0.0, "started", 12));
    s.save("t", 42, AtomState.SUCCESS, Map.of("progress", 1.0));
    assertThat(rc.atomWrites.get()).isEqualTo(2);
    assertThat(rc.flowWrites.get()).isZero();
    AtomDetail stored = conn.getAtomDetails(s.getAtomUuid("t"));
    assertThat(stored.state()).isEqualTo(AtomState.SUCCESS);
    assertThat(stored.meta()).containsEntry("progress", 1.0).containsEntry("started", 12);
    assertThat(((TaskDetail) stored).results()).isEqualTo(42);
  }

  @Test
  void unchanged_values_are_not_written() {
    Storage s = counted();
    s.ensureAtom(task("t"));
    s.setAtomState("t", AtomState.RUNNING);
    s.setTaskProgress("t", 0.5, null);
    s.setFlowState(FlowState.RUNNING);
    s.updateFlowMetadata(Map.of("k", "v"));
    rc.resetCounts();
    s.setAtomState("t", AtomState.RUNNING);
    s.setAtomState("t", AtomState.RUNNING, Map.of("progress", 0.5));
    s.setAtomIntention("t", Intention.EXECUTE);
    s.setTaskProgress("t", 0.5, null);
    s.updateAtomMetadata("t", Map.of("progress", 0.5));
    s.updateAtomMetadata("t", null);
    s.setFlowState(FlowState.RUNNING);
    s.updateFlowMetadata(Map.of("k", "v"));
    s.updateFlowMetadata(null);
    assertThat(s.changeFlowState(FlowState.RUNNING)).isFalse();
    s.ensureAtom(task("t"));
    s.reset("t", AtomState.RUNNING);
    assertThat(rc.atomWrites.get()).isZero();
    assertThat(rc.flowWrites.get()).isZero();
  }

  @Test
  void ensure_atoms_writes_new_atoms_only_in_one_flow_write() {
    Storage s = counted();
    s.ensureAtom(task("old"));
    rc.resetCounts();
    List<AtomSpec> specs = new ArrayList<>();
    specs.add(task("old"));
    for (int i = 0; i < 5; i++) {
      specs.add(i % 2 == 0 ? task("t" + i) : retry("t" + i));
    }
    List<String> uuids = s.ensureAtoms(specs);
    assertThat(uuids).hasSize(6).doesNotHaveDuplicates();
    assertThat(uuids.get(0)).isEqualTo(s.getAtomUuid("old"));
    assertThat(rc.flowWrites.get()).isEqualTo(1);
    assertThat(rc.atomWrites.get()).isZero();
    FlowDetail written = rc.flowWritten.get(0);
    assertThat(written.atoms())
        .extracting(AtomDetail::name)
        .containsExactly("t0", "t1", "t2", "t3", "t4");
    assertThat(conn.getFlowDetails(s.flowUuid()).size()).isEqualTo(6);
    rc.resetCounts();
    s.ensureAtoms(specs);
    assertThat(rc.flowWrites.get()).isZero();
  }

  @Test
  void first_persistent_injection_is_one_write_then_one_atom_write_each() {
    Storage s = counted();
    rc.resetCounts();
    s.inject(Map.of("a", 1), false);
    assertThat(rc.flowWrites.get()).isEqualTo(1);
    assertThat(rc.atomWrites.get()).isZero();
    s.inject(Map.of("b", 2), false);
    s.inject(Map.of("b", 2), false);
    s.inject(Map.of("c", 3), true);
    assertThat(rc.flowWrites.get()).isEqualTo(1);
    assertThat(rc.atomWrites.get()).isEqualTo(1);
  }

  // ------------------------------------------------------- failing writes

  @Test
  void a_failed_write_is_retried_with_backoff_then_succeeds() {
    Storage s = counted();
    s.ensureAtom(task("t"));
    rc.resetCounts();
    rc.failNext(2, () -> new StorageException("disk on fire"));
    s.setAtomState("t", AtomState.RUNNING);
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.RUNNING);
    assertThat(rc.attempts.get()).isEqualTo(3);
    assertThat(rc.atomWrites.get()).isEqualTo(1);
    assertThat(sleeps).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
    assertThat(conn.getAtomDetails(s.getAtomUuid("t")).state()).isEqualTo(AtomState.RUNNING);
  }

  @Test
  void exhausted_retries_raise_storage_exception_and_change_nothing() {
    Storage s = counted();
    s.ensureAtom(task("t", ResultMapping.whole("x")));
    s.save("t", 1);
    rc.resetCounts();
    rc.failNext(3, () -> new StorageException("disk on fire"));
    assertThatThrownBy(() -> s.save("t", 2, AtomState.SUCCESS, Map.of("m", 1)))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("atom detail 't'")
        .hasMessageContaining("after 3 attempts")
        .hasMessageContaining("disk on fire");
    assertThat(rc.attempts.get()).isEqualTo(3);
    assertThat(s.getExecuteResult("t")).isEqualTo(1);
    assertThat(s.fetch("x")).isEqualTo(1);
    assertThat(s.atomDetail("t").meta()).doesNotContainKey("m");
    // The next write still works: the in-memory revision was never advanced.
    s.save("t", 3);
    assertThat(s.getExecuteResult("t")).isEqualTo(3);
    assertThat(reload(s).getExecuteResult("t")).isEqualTo(3);
  }

  @Test
  void a_failed_flow_write_changes_nothing() {
    Storage s = counted();
    rc.failNext(3, () -> new StorageException("disk on fire"));
    assertThatThrownBy(() -> s.ensureAtoms(List.of(task("a"), task("b"))))
        .isInstanceOf(StorageException.class);
    assertThatThrownBy(() -> s.getAtomUuid("a")).isInstanceOf(NotFoundException.class);
    assertThat(s.flowDetail().size()).isZero();
    rc.failNext(3, () -> new StorageException("disk on fire"));
    assertThatThrownBy(() -> s.setFlowState(FlowState.RUNNING))
        .isInstanceOf(StorageException.class);
    assertThat(s.getFlowState()).isEqualTo(FlowState.PENDING);
    rc.failNext(3, () -> new StorageException("disk on fire"));
    assertThatThrownBy(() -> s.inject(Map.of("k", 1), false)).isInstanceOf(StorageException.class);
    assertThatThrownBy(() -> s.fetch("k")).isInstanceOf(NotFoundException.class);
    s.ensureAtoms(List.of(task("a"), task("b")));
    assertThat(conn.getFlowDetails(s.flowUuid()).size()).isEqualTo(2);
  }

  @Test
  void a_conflict_is_not_retried_and_changes_nothing() {
    Storage s = counted();
    s.ensureAtom(task("t"));
    rc.resetCounts();
    rc.failNext(1, () -> new ConflictException("changed by another writer"));
    assertThatThrownBy(() -> s.setAtomState("t", AtomState.RUNNING))
        .isInstanceOf(ConflictException.class);
    assertThat(rc.attempts.get()).isEqualTo(1);
    assertThat(sleeps).isEmpty();
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
  }

  @Test
  void a_write_whose_reply_was_lost_is_recognised_on_retry() {
    Storage s = counted();
    rc.loseRepliesNext(1);
    s.ensureAtoms(List.of(task("t", ResultMapping.whole("x")), retry("r")));
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    rc.loseRepliesNext(1);
    s.setAtomState("t", AtomState.RUNNING, Map.of("progress", 0.0));
    rc.loseRepliesNext(1);
    s.save("t", 5, AtomState.SUCCESS, Map.of("progress", 1.0));
    rc.loseRepliesNext(1);
    s.setFlowState(FlowState.RUNNING);
    rc.loseRepliesNext(1);
    s.inject(Map.of("k", 1), false);
    assertThat(s.fetch("x")).isEqualTo(5);
    assertThat(s.fetch("k")).isEqualTo(1);
    // Memory is in step with the store: later writes pass the revision check.
    s.setAtomState("t", AtomState.REVERTING);
    s.inject(Map.of("k2", 2), false);
    s.setFlowState(FlowState.SUCCESS);
    s.ensureAtom(task("u"));
    Storage r = reload(s, List.of(task("t", ResultMapping.whole("x"))));
    assertThat(r.getAtomState("t")).isEqualTo(AtomState.REVERTING);
    assertThat(r.fetchAll()).containsEntry("k", 1).containsEntry("k2", 2);
    assertThat(r.getFlowState()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void an_interrupt_while_waiting_to_retry_stops_with_a_storage_exception() {
    rc = new RecordingConnection(conn);
    StorageOptions interrupting =
        StorageOptions.builder()
            .sleeper(
                d -> {
                  throw new InterruptedException();
                })
            .build();
    Storage s = new Storage(temporaryFlowDetail(), rc, interrupting);
    s.ensureAtom(task("t"));
    rc.failNext(1, () -> new StorageException("disk on fire"));
    try {
      assertThatThrownBy(() -> s.setAtomState("t", AtomState.RUNNING))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("Interrupted");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(rc.attempts.get()).isEqualTo(2); // the ensure, then one failed try
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
  }

  @Test
  void a_flow_detail_the_store_does_not_hold_is_reported_not_retried() {
    rc = new RecordingConnection(conn);
    Storage s = new Storage(FlowDetail.create("never saved"), rc, options());
    assertThatThrownBy(() -> s.ensureAtom(task("t"))).isInstanceOf(NotFoundException.class);
    assertThat(rc.attempts.get()).isEqualTo(1);
    assertThatThrownBy(() -> s.getAtomUuid("t")).isInstanceOf(NotFoundException.class);
    assertThat(s.ensureAtoms(List.of())).isEmpty();
  }

  @Test
  void a_stale_revision_is_a_conflict() {
    Storage s = storage();
    s.ensureAtom(task("t"));
    Storage other = reload(s);
    other.setAtomState("t", AtomState.RUNNING);
    assertThatThrownBy(() -> s.setAtomState("t", AtomState.IGNORE))
        .isInstanceOf(ConflictException.class);
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    assertThat(conn.getAtomDetails(s.getAtomUuid("t")).state()).isEqualTo(AtomState.RUNNING);
  }

  @Test
  void a_foreign_exception_becomes_a_storage_exception() {
    Storage s = counted();
    s.ensureAtom(task("t"));
    rc.failNext(1, () -> new IllegalStateException("driver bug"));
    assertThatThrownBy(() -> s.setAtomState("t", AtomState.RUNNING))
        .isInstanceOf(StorageException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
  }

  @Test
  void a_result_that_is_not_json_is_refused_and_nothing_is_stored() {
    Storage s = counted();
    s.ensureAtom(task("t", ResultMapping.whole("x")));
    rc.resetCounts();
    Object notJson =
        new Object() {
          @SuppressWarnings("unused")
          public Object getSelf() {
            return this;
          }
        };
    assertThatThrownBy(() -> s.save("t", notJson))
        .isInstanceOf(InvalidResultException.class)
        .hasMessageContaining("atom 't'")
        .satisfies(e -> assertThat(((InvalidResultException) e).atomName()).isEqualTo("t"));
    assertThat(rc.attempts.get()).isZero();
    assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    assertThatThrownBy(() -> s.inject(Map.of("k", notJson), false))
        .isInstanceOf(InvalidResultException.class);
    s.inject(Map.of("k", notJson), true);
    assertThat(s.fetch("k")).isSameAs(notJson);
  }

  @Test
  void results_are_stored_as_json_values() {
    record Point(int x, int y) {}
    Storage s = storage();
    s.ensureAtom(task("t", ResultMapping.whole("p")));
    s.save("t", new Point(1, 2));
    assertThat(s.fetch("p")).isEqualTo(Map.of("x", 1, "y", 2));
    assertThat(reload(s, List.of(task("t", ResultMapping.whole("p")))).fetch("p"))
        .isEqualTo(Map.of("x", 1, "y", 2));
  }

  // --------------------------------------------------------- visibility

  @Test
  void fetch_all_after_revert_no_longer_shows_reverted_outputs() {
    Storage s = storage();
    s.ensureAtom(task("a", ResultMapping.whole("x")));
    s.ensureAtom(task("b", ResultMapping.whole("y")));
    s.save("a", 1);
    s.save("b", 2);
    assertThat(s.fetchAll()).isEqualTo(Map.of("x", 1, "y", 2));
    s.setAtomState("b", AtomState.REVERTING);
    assertThat(s.fetchAll()).isEqualTo(Map.of("x", 1, "y", 2));
    s.save("b", null, AtomState.REVERTED);
    assertThat(s.fetchAll()).isEqualTo(Map.of("x", 1));
    assertThatThrownBy(() -> s.fetch("y")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void a_name_injected_and_provided_fetches_all_values_injected_first() {
    Storage s = storage();
    s.ensureAtom(task("t", ResultMapping.whole("x")));
    s.save("t", 2);
    s.inject(Map.of("x", 1), false);
    assertThat(s.fetchAll()).isEqualTo(Map.of("x", List.of(1, 2)));
    assertThat(s.fetch("x")).isEqualTo(1);
  }

  @Test
  void ignored_atoms_have_a_distinct_message() {
    Storage s = storage();
    s.ensureAtom(task("t"));
    s.setAtomState("t", AtomState.IGNORE);
    assertThatThrownBy(() -> s.getExecuteResult("t"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Result for atom 't' execution is not known (as it was ignored)");
    assertThatThrownBy(() -> s.getRevertResult("t"))
        .hasMessage("Result for atom 't' revert is not known (as it was ignored)");
  }

  @Test
  void failures_survive_a_reload_and_clear_on_success() {
    Failure failure = woot();
    Storage s = storage();
    s.ensureAtom(task("t"));
    s.save("t", failure, AtomState.FAILURE);
    Storage s2 = reload(s);
    Failure reloaded = s2.getExecuteFailures().get("t");
    assertThat(reloaded.matches(failure)).isTrue();
    assertThat(reloaded.excTypeNames()).isEqualTo(failure.excTypeNames());
    assertThat(reloaded.tracebackStr()).isEqualTo(failure.tracebackStr());
    s.reset("t", AtomState.PENDING);
    assertThat(s.hasFailures()).isFalse();
    assertThat(s.getExecuteFailures()).isEmpty();
    s.save("t", failure, AtomState.FAILURE);
    s.setAtomState("t", AtomState.RUNNING);
    s.save("t", 5);
    assertThat(s.hasFailures()).isFalse();
  }

  @Test
  void failures_are_listed_in_atom_order() {
    Storage s = storage();
    s.ensureAtoms(List.of(task("a"), task("b"), task("c")));
    Failure fc = Failure.of(new IllegalStateException("c"));
    Failure fa = Failure.of(new IllegalStateException("a"));
    s.save("c", fc, AtomState.FAILURE);
    s.save("a", fa, AtomState.FAILURE);
    s.setAtomState("b", AtomState.REVERTING);
    s.save("b", Failure.of(new IllegalStateException("b")), AtomState.REVERT_FAILURE);
    assertThat(s.getExecuteFailures()).containsExactly(Map.entry("a", fa), Map.entry("c", fc));
    assertThat(s.getRevertFailures()).containsOnlyKeys("b");
    assertThat(reload(s).getExecuteFailures().keySet()).containsExactly("a", "c");
  }

  // ------------------------------------------------------------ scopes

  @Test
  void mapped_args_take_the_nearest_visible_provider() {
    Storage s = storage();
    s.ensureAtoms(
        List.of(
            task("far", ResultMapping.whole("x")),
            task("near", ResultMapping.whole("x")),
            task("hidden", ResultMapping.whole("x")),
            task("consumer")));
    s.save("far", "far");
    s.save("near", "near");
    s.save("hidden", "hidden");
    ScopeWalker walker = atom -> List.of(List.of("near"), List.of("far"));
    assertThat(s.fetchMappedArgs(Map.of("arg", "x"), "consumer", walker, null))
        .isEqualTo(Map.of("arg", "near"));
    ScopeWalker farOnly = atom -> List.of(List.of("unrelated"), List.of("far"));
    assertThat(s.fetchMappedArgs(Map.of("arg", "x"), "consumer", farOnly, null))
        .isEqualTo(Map.of("arg", "far"));
    // Without a scope every provider is visible, in order.
    assertThat(s.fetchMappedArgs(Map.of("arg", "x"), "consumer", null, null))
        .isEqualTo(Map.of("arg", "far"));
    ScopeWalker none = atom -> List.of(List.of("unrelated"));
    assertThatThrownBy(() -> s.fetchMappedArgs(Map.of("arg", "x"), "consumer", none, null))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("Mapped argument 'arg' <= 'x' was not produced");
    assertThat(s.fetchMappedArgs(Map.of("arg", "x"), "consumer", none, Set.of("arg"))).isEmpty();
    assertThat(s.fetchUnsatisfiedArgs("consumer", Map.of("arg", "x"), none, null))
        .containsExactly("arg");
    assertThat(s.fetchUnsatisfiedArgs("consumer", Map.of("arg", "x"), walker, null)).isEmpty();
  }

  @Test
  void injected_values_come_before_scoped_providers_and_atom_args_before_both() {
    Storage s = storage();
    s.ensureAtoms(List.of(task("p", ResultMapping.whole("x")), task("consumer")));
    s.save("p", "provided");
    ScopeWalker walker = atom -> List.of(List.of("p"));
    s.inject(Map.of("x", "injected"), false);
    assertThat(s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null))
        .isEqualTo(Map.of("a", "injected"));
    s.inject(Map.of("x", "transient"), true);
    assertThat(s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null).get("a"))
        .isIn("transient", "injected");
    s.injectAtomArgs("consumer", Map.of("x", "atom-persistent"), false);
    assertThat(s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null))
        .isEqualTo(Map.of("a", "atom-persistent"));
    s.injectAtomArgs("consumer", Map.of("x", "atom-transient"), true);
    assertThat(s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null))
        .isEqualTo(Map.of("a", "atom-transient"));
  }

  @Test
  void a_pending_provider_in_scope_is_an_error_and_an_ignored_one_is_skipped() {
    Storage s = storage();
    s.ensureAtoms(
        List.of(
            task("far", ResultMapping.whole("x")),
            task("near", ResultMapping.whole("x")),
            task("consumer")));
    s.save("far", "far");
    ScopeWalker walker = atom -> List.of(List.of("near"), List.of("far"));
    assertThatThrownBy(() -> s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("'near'");
    s.setAtomState("near", AtomState.IGNORE);
    assertThat(s.fetchMappedArgs(Map.of("a", "x"), "consumer", walker, null))
        .isEqualTo(Map.of("a", "far"));
  }

  @Test
  void mapped_args_of_an_unknown_atom_are_not_found() {
    Storage s = storage();
    assertThatThrownBy(() -> s.fetchMappedArgs(Map.of("a", "x"), "nope", null, null))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Unknown atom name 'nope'");
  }

  // ----------------------------------------------------------- retries

  @Test
  void retry_failures_are_recorded_in_the_latest_attempt_and_survive_a_reload() {
    Storage s = storage();
    s.ensureAtoms(List.of(AtomSpec.retry("r", ResultMapping.whole("v")), task("t")));
    assertThatThrownBy(() -> s.saveRetryFailure("r", "t", woot()))
        .isInstanceOf(StorageException.class);
    s.save("r", Map.of("attempt", 1));
    Failure f1 = Failure.of(new IllegalStateException("first"));
    s.saveRetryFailure("r", "t", f1);
    s.save("r", Map.of("attempt", 2));
    Failure f2 = Failure.of(new IllegalArgumentException("second"));
    s.saveRetryFailure("r", "t", f2);
    RetryHistory h = s.getRetryHistory("r");
    assertThat(h.size()).isEqualTo(2);
    assertThat(h.providedValues()).containsExactly(Map.of("attempt", 1), Map.of("attempt", 2));
    assertThat(h.outcomes(0)).hasSize(1);
    assertThat(h.outcomes(null)).extracting(Map.Entry::getKey).containsExactly("t", "t");
    assertThat(h.causedBy(IllegalStateException.class, 0, false)).isEqualTo(f1);
    assertThat(h.causedBy("IllegalStateException", -1, false)).isNull();
    assertThat(h.causedBy(IllegalArgumentException.class, null, false)).isEqualTo(f2);
    assertThat(h.get(-1).value()).isEqualTo(Map.of("attempt", 2));

    Storage s2 = reload(s, List.of(AtomSpec.retry("r", ResultMapping.whole("v"))));
    RetryHistory h2 = s2.getRetryHistory("r");
    assertThat(h2.providedValues()).containsExactly(Map.of("attempt", 1), Map.of("attempt", 2));
    assertThat(h2.get(0).failures().get("t").matches(f1)).isTrue();
    assertThat(h2.get(1).failures().get("t").matches(f2)).isTrue();
    assertThat(s2.getRetryHistories()).containsOnlyKeys("r");
    assertThat(s2.fetch("v")).isEqualTo(Map.of("attempt", 2));
  }

  @Test
  void retry_revert_results_survive_a_reload() {
    Storage s = storage();
    s.ensureAtom(retry("r"));
    s.save("r", "v");
    s.setAtomState("r", AtomState.REVERTING);
    s.save("r", Map.of("undone", true), AtomState.REVERTED);
    assertThat(s.getRevertResult("r")).isEqualTo(Map.of("undone", true));
    assertThat(reload(s).getRevertResult("r")).isEqualTo(Map.of("undone", true));
  }

  // --------------------------------------------------------------- flow

  @Test
  void flow_state_changes_follow_the_transition_table() {
    Storage s = storage();
    assertThat(s.changeFlowState(FlowState.RESUMING)).isFalse();
    assertThat(s.changeFlowState(FlowState.RUNNING)).isTrue();
    assertThat(s.changeFlowState(FlowState.SUCCESS)).isTrue();
    assertThatThrownBy(() -> s.changeFlowState(FlowState.REVERTING))
        .isInstanceOf(InvalidStateException.class);
    assertThat(s.getFlowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(conn.getFlowDetails(s.flowUuid()).state()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void flow_writes_keep_atoms_and_snapshot_is_complete() {
    Storage s = storage();
    s.ensureAtoms(List.of(task("a"), retry("b")));
    s.save("a", 1);
    s.setFlowState(FlowState.RUNNING);
    s.updateFlowMetadata(Map.of("k", 1));
    FlowDetail snap = s.flowDetail();
    assertThat(snap.atoms()).extracting(AtomDetail::name).containsExactly("a", "b");
    assertThat(snap.state()).isEqualTo(FlowState.RUNNING);
    FlowDetail stored = conn.getFlowDetails(s.flowUuid());
    assertThat(stored.size()).isEqualTo(2);
    assertThat(((TaskDetail) stored.findByName("a").orElseThrow()).results()).isEqualTo(1);
  }

  @Test
  void reload_sees_everything_persisted_with_values_intact() {
    Storage s = storage();
    List<AtomSpec> specs =
        List.of(
            task("t", ResultMapping.byKey(List.of("k1", "k2"))),
            task("bad"),
            AtomSpec.retry("r", ResultMapping.whole("rv")));
    s.ensureAtoms(specs);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("k1", List.of(1, 2L << 40, "s", true));
    result.put("k2", Map.of("nested", 1.5));
    s.save("t", result);
    Failure f = woot();
    s.save("bad", f, AtomState.FAILURE);
    s.save("r", 7);
    s.saveRetryFailure("r", "bad", f);
    s.inject(Map.of("store", Map.of("a", List.of(1))), false);
    s.injectAtomArgs("t", Map.of("arg", "v"), false);
    s.setTaskProgress("t", 1.0, Map.of("d", 1));
    s.setFlowState(FlowState.RUNNING);

    Storage r = reload(s, specs);
    assertThat(r.fetch("k1")).isEqualTo(List.of(1, 2L << 40, "s", true));
    assertThat(r.fetch("k2")).isEqualTo(Map.of("nested", 1.5));
    assertThat(r.fetch("store")).isEqualTo(Map.of("a", List.of(1)));
    assertThat(r.fetch("rv")).isEqualTo(7);
    assertThat(r.getExecuteFailures().get("bad").matches(f)).isTrue();
    assertThat(r.getRetryHistory("r").get(0).failures().get("bad").matches(f)).isTrue();
    assertThat(r.fetchMappedArgs(Map.of("a", "arg"), "t", null, null)).isEqualTo(Map.of("a", "v"));
    assertThat(r.getTaskProgressDetails("t"))
        .isEqualTo(Map.of("at_progress", 1.0, "details", Map.of("d", 1)));
    assertThat(r.getFlowState()).isEqualTo(FlowState.RUNNING);
    assertThat(r.fetchAll()).isEqualTo(s.fetchAll());
    // and the reloaded storage can keep writing
    r.save("t", Map.of("k1", 0, "k2", 0));
    assertThat(reload(r, specs).fetch("k1")).isEqualTo(0);
  }

  // ----------------------------------------------------------- threads

  @Test
  void many_threads_write_different_atoms() throws Exception {
    Storage s = storage();
    List<AtomSpec> specs = new ArrayList<>();
    for (int i = 0; i < THREAD_COUNT; i++) {
      specs.add(task("t" + i, ResultMapping.whole("x" + i)));
    }
    s.ensureAtoms(specs);
    runConcurrently(
        THREAD_COUNT,
        i -> {
          String n = "t" + i;
          for (int k = 0; k < 5; k++) {
            s.setAtomState(n, AtomState.RUNNING, Map.of("progress", 0.0));
            s.save(n, i * 100 + k, AtomState.SUCCESS, Map.of("progress", 1.0));
            s.setAtomState(n, AtomState.REVERTING);
            s.save(n, null, AtomState.REVERTED);
            s.setAtomState(n, AtomState.PENDING);
          }
          s.setAtomState(n, AtomState.RUNNING);
          s.save(n, i);
          s.updateFlowMetadata(Map.of("k" + i, i));
        });
    Map<String, Object> all = reload(s, specs).fetchAll();
    for (int i = 0; i < THREAD_COUNT; i++) {
      assertThat(all).containsEntry("x" + i, i);
    }
    assertThat(conn.getFlowDetails(s.flowUuid()).meta()).hasSize(THREAD_COUNT);
  }

  @Test
  void many_threads_write_one_atom_without_losing_updates() throws Exception {
    Storage s = storage();
    s.ensureAtom(task("t"));
    runConcurrently(THREAD_COUNT, i -> s.updateAtomMetadata("t", Map.of("k" + i, i)));
    assertThat(s.atomDetail("t").meta()).hasSize(THREAD_COUNT);
    assertThat(conn.getAtomDetails(s.getAtomUuid("t")).meta()).hasSize(THREAD_COUNT);
  }

  @Test
  void readers_and_structure_changes_run_together() throws Exception {
    Storage s = storage();
    s.ensureAtom(task("seed", ResultMapping.whole("seed")));
    s.save("seed", 0);
    int rounds = 30;
    runConcurrently(
        6,
        k -> {
          for (int j = 0; j < rounds; j++) {
            switch (k % 3) {
              case 0 -> {
                String n = "a" + k + "_" + j;
                s.ensureAtom(task(n, ResultMapping.whole("v" + k + "_" + j)));
                s.save(n, j);
              }
              case 1 -> s.inject(Map.of("i" + k + "_" + j, j), j % 2 == 0);
              default -> {
                assertThat(s.fetchAll()).containsEntry("seed", 0);
                assertThat(s.fetchMappedArgs(Map.of("x", "seed"), null, null, null))
                    .containsEntry("x", 0);
                s.flowDetail();
                s.getExecuteFailures();
              }
            }
          }
        });
    Map<String, Object> all = s.fetchAll();
    assertThat(all).containsEntry("v0_" + (rounds - 1), rounds - 1);
    assertThat(all).containsEntry("i1_" + (rounds - 1), rounds - 1);
    assertThat(s.flowDetail().size()).isEqualTo(1 + 2 * rounds + 1);
  }

  @Test
  void new_atom_uuids_come_from_the_options() {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    StorageOptions o =
        StorageOptions.builder().uuidSupplier(() -> "atom-" + n.incrementAndGet()).build();
    Storage s = new Storage(temporaryFlowDetail(), conn, o);
    assertThat(s.ensureAtoms(List.of(task("a"), retry("b")))).containsExactly("atom-1", "atom-2");
    assertThat(conn.getAtomDetails("atom-2")).isInstanceOf(RetryDetail.class);
    assertThat(s.hasFailures()).isFalse();
    assertThat(s.getExecuteFailures()).isEmpty();
  }

  @Test
  void retry_details_are_retry_details_after_reload() {
    Storage s = storage();
    s.ensureAtom(retry("r"));
    assertThat(reload(s).atomDetail("r")).isInstanceOf(RetryDetail.class);
  }
}
