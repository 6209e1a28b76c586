package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link TaskDetail} and {@link RetryDetail}: TaskFlow's clearing rules (spec §1.3) and more. */
class AtomDetailTest {

  private static final Failure EXEC = Failure.of(new IllegalStateException("exec"));
  private static final Failure REVERT = Failure.of(new IllegalStateException("revert"));
  private static final Failure NEW = Failure.of(new IllegalArgumentException("new"));

  /** A task detail with every outcome slot filled, to see what each put clears. */
  private static TaskDetail full() {
    return new TaskDetail(
        "u",
        "t",
        AtomState.RUNNING,
        Intention.REVERT,
        "result",
        EXEC,
        "reverted",
        REVERT,
        Map.of("progress", 0.5),
        "1.0",
        4);
  }

  private static RetryDetail fullRetry() {
    return new RetryDetail(
        "ru",
        "r",
        AtomState.RUNNING,
        Intention.RETRY,
        List.of(new RetryDetail.Attempt(1, Map.of("t", EXEC))),
        EXEC,
        "reverted",
        REVERT,
        Map.of("k", "v"),
        "2.0",
        9);
  }

  @Nested
  class Tasks {
    @Test
    void newDetailDefaults() {
      TaskDetail td = TaskDetail.of("name", "uuid");
      assertThat(td.name()).isEqualTo("name");
      assertThat(td.uuid()).isEqualTo("uuid");
      assertThat(td.state()).isEqualTo(AtomState.PENDING);
      assertThat(td.intention()).isEqualTo(Intention.EXECUTE);
      assertThat(td.results()).isNull();
      assertThat(td.failure()).isNull();
      assertThat(td.revertResults()).isNull();
      assertThat(td.revertFailure()).isNull();
      assertThat(td.meta()).isEmpty();
      assertThat(td.version()).isNull();
      assertThat(td.revision()).isZero();
      assertThat(td.typeName()).isEqualTo("TASK_DETAIL");
      assertThat(td.lastResults()).isNull();
      assertThat(TaskDetail.create("x").uuid()).isNotEqualTo(TaskDetail.create("x").uuid());
    }

    @Test
    void nullStateAndIntentionDefault() {
      TaskDetail td = new TaskDetail("u", "n", null, null, null, null, null, null, null, null, 0);
      assertThat(td.state()).isEqualTo(AtomState.PENDING);
      assertThat(td.intention()).isEqualTo(Intention.EXECUTE);
      assertThat(td.meta()).isEmpty();
    }

    @Test
    void putSuccessStoresResultAndClearsTheRest() {
      TaskDetail td = full().put(AtomState.SUCCESS, 42);
      assertThat(td.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(td.results()).isEqualTo(42);
      assertThat(td.failure()).isNull();
      assertThat(td.revertResults()).isNull();
      assertThat(td.revertFailure()).isNull();
      assertKept(td);
    }

    @Test
    void putFailureStoresFailureAndClearsTheRest() {
      TaskDetail td = full().put(AtomState.FAILURE, NEW);
      assertThat(td.state()).isEqualTo(AtomState.FAILURE);
      assertThat(td.failure()).isEqualTo(NEW);
      assertThat(td.results()).isNull();
      assertThat(td.revertResults()).isNull();
      assertThat(td.revertFailure()).isNull();
      assertKept(td);
    }

    @Test
    void putRevertedKeepsExecuteOutcome() {
      TaskDetail td = full().put(AtomState.REVERTED, "undone");
      assertThat(td.state()).isEqualTo(AtomState.REVERTED);
      assertThat(td.revertResults()).isEqualTo("undone");
      assertThat(td.revertFailure()).isNull();
      assertThat(td.results()).isEqualTo("result");
      assertThat(td.failure()).isEqualTo(EXEC);
      assertKept(td);
    }

    @Test
    void putRevertFailureKeepsExecuteFailureOnly() {
      TaskDetail td = full().put(AtomState.REVERT_FAILURE, NEW);
      assertThat(td.state()).isEqualTo(AtomState.REVERT_FAILURE);
      assertThat(td.revertFailure()).isEqualTo(NEW);
      assertThat(td.revertResults()).isNull();
      assertThat(td.results()).isNull();
      assertThat(td.failure()).isEqualTo(EXEC);
      assertKept(td);
    }

    @ParameterizedTest
    @EnumSource(
        value = AtomState.class,
        names = {"PENDING", "RUNNING", "REVERTING", "RETRYING", "IGNORE"})
    void otherStatesOnlyChangeTheState(AtomState s) {
      TaskDetail td = full().put(s, "ignored");
      assertThat(td).isEqualTo(full().withState(s));
      assertThat(td.results()).isEqualTo("result");
      assertThat(td.failure()).isEqualTo(EXEC);
      assertThat(td.revertResults()).isEqualTo("reverted");
      assertThat(td.revertFailure()).isEqualTo(REVERT);
    }

    private void assertKept(TaskDetail td) {
      assertThat(td.uuid()).isEqualTo("u");
      assertThat(td.name()).isEqualTo("t");
      assertThat(td.intention()).isEqualTo(Intention.REVERT);
      assertThat(td.meta()).isEqualTo(Map.of("progress", 0.5));
      assertThat(td.version()).isEqualTo("1.0");
      assertThat(td.revision()).isEqualTo(4);
    }

    @Test
    void failureStatesNeedAFailure() {
      assertThatThrownBy(() -> full().put(AtomState.FAILURE, "boom"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("FAILURE")
          .hasMessageContaining("java.lang.String");
      assertThatThrownBy(() -> full().put(AtomState.REVERT_FAILURE, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("null");
      assertThatThrownBy(() -> full().put(null, 1)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void successWithAFailureIsRejected() {
      assertThatThrownBy(() -> full().put(AtomState.SUCCESS, NEW))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("FAILURE");
      assertThatThrownBy(() -> full().put(AtomState.REVERTED, NEW))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("REVERT_FAILURE");
    }

    @Test
    void resultsAreNormalisedAndImmutable() {
      List<Object> mutable = new ArrayList<>(List.of(1L, 2L));
      TaskDetail td = TaskDetail.of("t", "u").put(AtomState.SUCCESS, mutable);
      mutable.add(3L);
      assertThat(td.results()).isEqualTo(List.of(1, 2));
      assertThatThrownBy(() -> ((List<Object>) td.results()).add(4))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThat(td.results(List.class)).isEqualTo(List.of(1, 2));
    }

    @Test
    void metaIsUnmodifiableAndCopied() {
      Map<String, Object> meta = new HashMap<>();
      meta.put("a", 1);
      TaskDetail td = TaskDetail.of("t", "u").withMeta(meta);
      meta.put("b", 2);
      assertThat(td.meta()).isEqualTo(Map.of("a", 1));
      assertThatThrownBy(() -> td.meta().put("c", 3))
          .isInstanceOf(UnsupportedOperationException.class);
      TaskDetail merged = td.withMetaEntries(Map.of("b", 2L, "a", 10));
      assertThat(merged.meta()).isEqualTo(Map.of("a", 10, "b", 2));
      assertThat(td.withMetaEntries(Map.of())).isSameAs(td);
      assertThat(td.withMetaEntries(null)).isSameAs(td);
    }

    @Test
    void resetClearsOutcomesKeepsMetaAndVersion() {
      TaskDetail td = full().reset(AtomState.PENDING);
      assertThat(td.state()).isEqualTo(AtomState.PENDING);
      assertThat(td.intention()).isEqualTo(Intention.EXECUTE);
      assertThat(td.results()).isNull();
      assertThat(td.failure()).isNull();
      assertThat(td.revertResults()).isNull();
      assertThat(td.revertFailure()).isNull();
      assertThat(td.meta()).isEqualTo(Map.of("progress", 0.5));
      assertThat(td.version()).isEqualTo("1.0");
      assertThat(td.revision()).isEqualTo(4);
      assertThat(full().reset(AtomState.IGNORE).state()).isEqualTo(AtomState.IGNORE);
    }

    @Test
    void withersChangeOneField() {
      TaskDetail td = full();
      assertThat(td.withState(AtomState.SUCCESS).state()).isEqualTo(AtomState.SUCCESS);
      assertThat(td.withIntention(Intention.IGNORE).intention()).isEqualTo(Intention.IGNORE);
      assertThat(td.withVersion("9").version()).isEqualTo("9");
      assertThat(td.withRevision(4)).isSameAs(td);
      assertThat(td.withRevision(5).revision()).isEqualTo(5);
      assertThat(td.withResults(List.of(1)).results()).isEqualTo(List.of(1));
      assertThat(td.withFailure(null).failure()).isNull();
      assertThat(td.withRevertResults(7L).revertResults()).isEqualTo(7);
      assertThat(td.withRevertFailure(NEW).revertFailure()).isEqualTo(NEW);
      assertThat(td.withState(AtomState.SUCCESS).withState(AtomState.RUNNING)).isEqualTo(td);
      assertThat(td.withState(AtomState.SUCCESS)).isNotEqualTo(td);
    }

    @Test
    void negativeRevisionIsRejected() {
      assertThatThrownBy(() -> full().withRevision(-1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("revision");
    }

    @Test
    void unserialisableResultIsRejected() {
      assertThatThrownBy(() -> TaskDetail.of("t", "u").put(AtomState.SUCCESS, new Object()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.lang.Object");
    }
  }

  @Nested
  class Ids {
    @Test
    void nullIdsAreRejected() {
      assertThatThrownBy(() -> TaskDetail.of(null, "u"))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("name");
      assertThatThrownBy(() -> TaskDetail.of("n", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("uuid");
      assertThatThrownBy(() -> RetryDetail.of("n", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("uuid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a/b", "..", ".", "a\\b", "a\u0000b", "line\nbreak"})
    void unsafeUuidsAreRejected(String uuid) {
      assertThatThrownBy(() -> TaskDetail.of("n", uuid))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
      assertThatThrownBy(() -> RetryDetail.of("n", uuid))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
      assertThatThrownBy(() -> FlowDetail.of("n", uuid))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
      assertThatThrownBy(() -> LogBook.of(uuid, "b", null, null, Map.of(), List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("uuid");
    }

    @Test
    void emptyNameIsRejected() {
      assertThatThrownBy(() -> TaskDetail.of("", "u"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("name");
    }

    @Test
    void namesMayHoldAnyText() {
      assertThat(TaskDetail.of("a/b c ü", "42").name()).isEqualTo("a/b c ü");
      assertThat(TaskDetail.of("_TaskFlow_INJECTOR", "aaaa").uuid()).isEqualTo("aaaa");
    }
  }

  @Nested
  class Retries {
    @Test
    void newRetryDefaults() {
      RetryDetail rd = RetryDetail.of("r", "ru");
      assertThat(rd.history()).isEmpty();
      assertThat(rd.state()).isEqualTo(AtomState.PENDING);
      assertThat(rd.typeName()).isEqualTo("RETRY_DETAIL");
    }

    @Test
    void lastResultsAndFailuresOnEmptyHistory() {
      RetryDetail rd = RetryDetail.of("r", "ru");
      assertThatThrownBy(rd::lastResults)
          .isInstanceOf(NotFoundException.class)
          .hasMessage("Last results not found");
      assertThatThrownBy(rd::lastFailures)
          .isInstanceOf(NotFoundException.class)
          .hasMessage("Last failures not found");
    }

    @Test
    void successAppendsToHistoryAndClears() {
      RetryDetail rd = fullRetry().put(AtomState.SUCCESS, 2L);
      assertThat(rd.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(rd.history())
          .containsExactly(
              new RetryDetail.Attempt(1, Map.of("t", EXEC)), new RetryDetail.Attempt(2, Map.of()));
      assertThat(rd.lastResults()).isEqualTo(2);
      assertThat(rd.lastFailures()).isEmpty();
      assertThat(rd.failure()).isNull();
      assertThat(rd.revertResults()).isNull();
      assertThat(rd.revertFailure()).isNull();
      assertKept(rd);
      // the same value twice is two attempts
      assertThat(rd.put(AtomState.SUCCESS, 2).history()).hasSize(3);
    }

    @Test
    void failureKeepsHistory() {
      RetryDetail rd = fullRetry().put(AtomState.FAILURE, NEW);
      assertThat(rd.failure()).isEqualTo(NEW);
      assertThat(rd.revertResults()).isNull();
      assertThat(rd.revertFailure()).isNull();
      assertThat(rd.history()).isEqualTo(fullRetry().history());
      assertKept(rd);
    }

    @Test
    void revertFailureKeepsHistoryAndExecuteFailure() {
      RetryDetail rd = fullRetry().put(AtomState.REVERT_FAILURE, NEW);
      assertThat(rd.revertFailure()).isEqualTo(NEW);
      assertThat(rd.revertResults()).isNull();
      assertThat(rd.failure()).isEqualTo(EXEC);
      assertThat(rd.history()).isEqualTo(fullRetry().history());
      assertKept(rd);
    }

    @Test
    void revertedKeepsHistory() {
      RetryDetail rd = fullRetry().put(AtomState.REVERTED, "undone");
      assertThat(rd.revertResults()).isEqualTo("undone");
      assertThat(rd.revertFailure()).isNull();
      assertThat(rd.failure()).isEqualTo(EXEC);
      assertThat(rd.history()).isEqualTo(fullRetry().history());
      assertKept(rd);
    }

    @ParameterizedTest
    @EnumSource(
        value = AtomState.class,
        names = {"PENDING", "RUNNING", "REVERTING", "RETRYING", "IGNORE"})
    void otherStatesOnlyChangeTheState(AtomState s) {
      assertThat(fullRetry().put(s, "x")).isEqualTo(fullRetry().withState(s));
    }

    private void assertKept(RetryDetail rd) {
      assertThat(rd.uuid()).isEqualTo("ru");
      assertThat(rd.name()).isEqualTo("r");
      assertThat(rd.intention()).isEqualTo(Intention.RETRY);
      assertThat(rd.meta()).isEqualTo(Map.of("k", "v"));
      assertThat(rd.version()).isEqualTo("2.0");
      assertThat(rd.revision()).isEqualTo(9);
    }

    @Test
    void resetClearsHistory() {
      RetryDetail rd = fullRetry().reset(AtomState.PENDING);
      assertThat(rd.history()).isEmpty();
      assertThat(rd.failure()).isNull();
      assertThat(rd.revertResults()).isNull();
      assertThat(rd.revertFailure()).isNull();
      assertThat(rd.intention()).isEqualTo(Intention.EXECUTE);
      assertThat(rd.meta()).isEqualTo(Map.of("k", "v"));
      assertThat(rd.version()).isEqualTo("2.0");
    }

    @Test
    void withAttemptFailureRecordsIntoTheLatestAttempt() {
      RetryDetail rd =
          RetryDetail.of("r", "ru")
              .put(AtomState.SUCCESS, "a")
              .put(AtomState.SUCCESS, "b")
              .withAttemptFailure("t1", EXEC);
      assertThat(rd.history().get(0).failures()).isEmpty();
      assertThat(rd.lastFailures()).containsExactly(Map.entry("t1", EXEC));
      // unchanged when already recorded (same object is returned: nothing to write)
      assertThat(rd.withAttemptFailure("t1", EXEC.withoutException())).isSameAs(rd);
      RetryDetail replaced = rd.withAttemptFailure("t1", NEW).withAttemptFailure("t2", EXEC);
      assertThat(replaced.lastFailures().keySet()).containsExactly("t1", "t2");
      assertThat(replaced.lastFailures().get("t1")).isEqualTo(NEW);
      assertThat(replaced.history().get(0).value()).isEqualTo("a");
      assertThat(replaced.lastResults()).isEqualTo("b");
    }

    @Test
    void withAttemptFailureOnEmptyHistory() {
      assertThatThrownBy(() -> RetryDetail.of("r", "ru").withAttemptFailure("t", EXEC))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("'r'")
          .hasMessageContaining("no history");
    }

    @Test
    void withAttemptFailureValidates() {
      RetryDetail rd = RetryDetail.of("r", "ru").put(AtomState.SUCCESS, 1);
      assertThatThrownBy(() -> rd.withAttemptFailure("t", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("failure");
      assertThatThrownBy(() -> rd.withAttemptFailure(null, EXEC))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("atom name");
    }

    @Test
    void attemptsAreImmutableCopies() {
      Map<String, Failure> failures = new LinkedHashMap<>();
      failures.put("t", EXEC);
      List<Object> value = new ArrayList<>(List.of(1));
      RetryDetail.Attempt a = new RetryDetail.Attempt(value, failures);
      failures.put("u", NEW);
      value.add(2);
      assertThat(a.failures()).containsOnlyKeys("t");
      assertThat(a.value()).isEqualTo(List.of(1));
      assertThatThrownBy(() -> a.failures().put("x", NEW))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThat(new RetryDetail.Attempt(null, null).failures()).isEmpty();
      Map<String, Failure> withNull = new HashMap<>();
      withNull.put("t", null);
      assertThatThrownBy(() -> new RetryDetail.Attempt(1, withNull))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("'t'");
    }

    @Test
    void historyIsImmutable() {
      RetryDetail rd = RetryDetail.of("r", "ru").put(AtomState.SUCCESS, 1);
      assertThatThrownBy(() -> rd.history().clear())
          .isInstanceOf(UnsupportedOperationException.class);
      List<RetryDetail.Attempt> h = new ArrayList<>(rd.history());
      RetryDetail copy = rd.withHistory(h);
      h.clear();
      assertThat(copy.history()).hasSize(1);
    }

    @Test
    void successWithAFailureIsRejected() {
      assertThatThrownBy(() -> RetryDetail.of("r", "ru").put(AtomState.SUCCESS, NEW))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("FAILURE");
    }
  }
}
