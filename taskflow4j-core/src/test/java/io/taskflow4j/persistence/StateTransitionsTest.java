package io.taskflow4j.persistence;

import static io.taskflow4j.persistence.AtomState.FAILURE;
import static io.taskflow4j.persistence.AtomState.IGNORE;
import static io.taskflow4j.persistence.AtomState.PENDING;
import static io.taskflow4j.persistence.AtomState.RETRYING;
import static io.taskflow4j.persistence.AtomState.REVERTED;
import static io.taskflow4j.persistence.AtomState.REVERTING;
import static io.taskflow4j.persistence.AtomState.REVERT_FAILURE;
import static io.taskflow4j.persistence.AtomState.RUNNING;
import static io.taskflow4j.persistence.AtomState.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TaskFlow's {@code test_states.py} / {@code test_check_transition.py}: the flow, task, retry and
 * job transition tables, checked exhaustively over every pair of states.
 */
class StateTransitionsTest {

  /** A transition written as {@code "FROM>TO"}, as the tables below list them. */
  private static Set<String> pairs(String... p) {
    return Set.of(p);
  }

  // TaskFlow's _ALLOWED_FLOW_TRANSITIONS, written out independently of the implementation.
  private static final Set<String> FLOW_ALLOWED =
      pairs(
          "PENDING>RUNNING",
          "RUNNING>SUCCESS",
          "RUNNING>FAILURE",
          "RUNNING>REVERTED",
          "RUNNING>SUSPENDING",
          "RUNNING>RESUMING",
          "SUCCESS>RUNNING",
          "FAILURE>RUNNING",
          "REVERTED>PENDING",
          "SUCCESS>PENDING",
          "SUSPENDING>SUSPENDED",
          "SUSPENDING>SUCCESS",
          "SUSPENDING>FAILURE",
          "SUSPENDING>REVERTED",
          "SUSPENDING>RESUMING",
          "SUSPENDED>RUNNING",
          "RESUMING>SUSPENDED");

  private static final Set<String> FLOW_IGNORED = flowIgnored();

  private static Set<String> flowIgnored() {
    Set<String> s = new java.util.HashSet<>();
    for (String a : List.of("PENDING", "FAILURE", "SUCCESS", "SUSPENDED", "REVERTED")) {
      for (String b : List.of("SUSPENDING", "SUSPENDED", "RESUMING")) {
        if (!a.equals(b)) {
          s.add(a + ">" + b);
        }
      }
    }
    return s;
  }

  private static final Set<String> TASK_ALLOWED =
      pairs(
          "PENDING>RUNNING",
          "PENDING>IGNORE",
          "RUNNING>SUCCESS",
          "RUNNING>FAILURE",
          "FAILURE>REVERTING",
          "SUCCESS>REVERTING",
          "REVERTING>REVERTED",
          "REVERTING>REVERT_FAILURE",
          "REVERTED>PENDING",
          "IGNORE>PENDING");

  private static final Set<String> RETRY_ALLOWED = retryAllowed();

  private static Set<String> retryAllowed() {
    Set<String> s = new java.util.HashSet<>(TASK_ALLOWED);
    s.add("SUCCESS>RETRYING");
    s.add("RETRYING>RUNNING");
    return s;
  }

  private static final Set<String> JOB_ALLOWED =
      pairs("UNCLAIMED>CLAIMED", "CLAIMED>UNCLAIMED", "CLAIMED>COMPLETE", "CLAIMED>TRASHED");

  static Stream<Arguments> flowPairs() {
    List<Arguments> out = new ArrayList<>();
    for (FlowState a : FlowState.values()) {
      for (FlowState b : FlowState.values()) {
        out.add(Arguments.of(a, b));
      }
    }
    return out.stream();
  }

  static Stream<Arguments> atomPairs() {
    List<Arguments> out = new ArrayList<>();
    for (AtomState a : AtomState.values()) {
      for (AtomState b : AtomState.values()) {
        out.add(Arguments.of(a, b));
      }
    }
    return out.stream();
  }

  static Stream<Arguments> jobPairs() {
    List<Arguments> out = new ArrayList<>();
    for (JobState a : JobState.values()) {
      for (JobState b : JobState.values()) {
        out.add(Arguments.of(a, b));
      }
    }
    return out.stream();
  }

  @Nested
  class Flow {
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("io.taskflow4j.persistence.StateTransitionsTest#flowPairs")
    void checkTransitionFollowsTaskFlowsTable(FlowState from, FlowState to) {
      String key = from + ">" + to;
      if (from == to) {
        assertThat(FlowState.checkTransition(from, to)).isFalse();
        assertThat(FlowState.isAllowed(from, to)).isFalse();
      } else if (FLOW_ALLOWED.contains(key)) {
        assertThat(FlowState.checkTransition(from, to)).isTrue();
        assertThat(FlowState.isAllowed(from, to)).isTrue();
      } else if (FLOW_IGNORED.contains(key)) {
        assertThat(FlowState.checkTransition(from, to)).isFalse();
        assertThat(FlowState.isAllowed(from, to)).isFalse();
      } else {
        assertThatThrownBy(() -> FlowState.checkTransition(from, to))
            .isInstanceOf(InvalidStateException.class)
            .hasMessageContaining("'" + from + "'")
            .hasMessageContaining("'" + to + "'")
            .hasMessage("Flow transition from '" + from + "' to '" + to + "' is not allowed");
        assertThat(FlowState.isAllowed(from, to)).isFalse();
      }
    }

    @Test
    void tablesAreTheDocumentedSize() {
      // 17 allowed, 5 x 3 minus the SUSPENDED>SUSPENDED identity = 14 ignored.
      assertThat(FLOW_ALLOWED).hasSize(17);
      assertThat(FLOW_IGNORED).hasSize(14);
      long allowed =
          flowPairs()
              .filter(a -> FlowState.isAllowed((FlowState) a.get()[0], (FlowState) a.get()[1]))
              .count();
      assertThat(allowed).isEqualTo(17);
    }

    @Test
    void noRunningToPendingAndNoReverting() {
      assertThatThrownBy(() -> FlowState.checkTransition(FlowState.RUNNING, FlowState.PENDING))
          .isInstanceOf(InvalidStateException.class);
      for (FlowState s : FlowState.values()) {
        if (s != FlowState.REVERTING) {
          assertThat(FlowState.isAllowed(s, FlowState.REVERTING)).isFalse();
          assertThat(FlowState.isAllowed(FlowState.REVERTING, s)).isFalse();
        }
      }
    }

    @Test
    void finishedStates() {
      EnumSet<FlowState> finished = EnumSet.noneOf(FlowState.class);
      for (FlowState s : FlowState.values()) {
        if (s.isFinished()) {
          finished.add(s);
        }
      }
      assertThat(finished)
          .containsExactlyInAnyOrder(FlowState.SUCCESS, FlowState.FAILURE, FlowState.REVERTED);
    }

    @Test
    void nullStatesAreRejectedWithAMessage() {
      assertThatThrownBy(() -> FlowState.checkTransition(null, FlowState.RUNNING))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("from");
      assertThatThrownBy(() -> FlowState.checkTransition(FlowState.RUNNING, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("to");
    }
  }

  @Nested
  class Atoms {
    @ParameterizedTest(name = "task {0} -> {1}")
    @MethodSource("io.taskflow4j.persistence.StateTransitionsTest#atomPairs")
    void taskTable(AtomState from, AtomState to) {
      assertThat(AtomState.checkTaskTransition(from, to))
          .isEqualTo(TASK_ALLOWED.contains(from + ">" + to));
    }

    @ParameterizedTest(name = "retry {0} -> {1}")
    @MethodSource("io.taskflow4j.persistence.StateTransitionsTest#atomPairs")
    void retryTable(AtomState from, AtomState to) {
      assertThat(AtomState.checkRetryTransition(from, to))
          .isEqualTo(RETRY_ALLOWED.contains(from + ">" + to));
    }

    @Test
    void successToRetryingOnlyForRetries() {
      assertThat(AtomState.checkRetryTransition(SUCCESS, RETRYING)).isTrue();
      assertThat(AtomState.checkTaskTransition(SUCCESS, RETRYING)).isFalse();
      assertThat(AtomState.checkRetryTransition(RETRYING, RUNNING)).isTrue();
      assertThat(AtomState.checkTaskTransition(RETRYING, RUNNING)).isFalse();
    }

    @Test
    void sameStateIsNeverATransition() {
      for (AtomState s : AtomState.values()) {
        assertThat(AtomState.checkTaskTransition(s, s)).isFalse();
        assertThat(AtomState.checkRetryTransition(s, s)).isFalse();
      }
    }

    @Test
    void typicalLifecycles() {
      assertThat(AtomState.checkTaskTransition(PENDING, RUNNING)).isTrue();
      assertThat(AtomState.checkTaskTransition(RUNNING, FAILURE)).isTrue();
      assertThat(AtomState.checkTaskTransition(FAILURE, REVERTING)).isTrue();
      assertThat(AtomState.checkTaskTransition(REVERTING, REVERT_FAILURE)).isTrue();
      assertThat(AtomState.checkTaskTransition(REVERTING, REVERTED)).isTrue();
      assertThat(AtomState.checkTaskTransition(REVERTED, PENDING)).isTrue();
      assertThat(AtomState.checkTaskTransition(PENDING, IGNORE)).isTrue();
      assertThat(AtomState.checkTaskTransition(IGNORE, PENDING)).isTrue();
      assertThat(AtomState.checkTaskTransition(REVERT_FAILURE, PENDING)).isFalse();
      assertThat(AtomState.checkTaskTransition(SUCCESS, RUNNING)).isFalse();
    }
  }

  @Nested
  class Jobs {
    @ParameterizedTest(name = "job {0} -> {1}")
    @MethodSource("io.taskflow4j.persistence.StateTransitionsTest#jobPairs")
    void jobTable(JobState from, JobState to) {
      if (from == to) {
        assertThat(JobState.checkTransition(from, to)).isFalse();
      } else if (JOB_ALLOWED.contains(from + ">" + to)) {
        assertThat(JobState.checkTransition(from, to)).isTrue();
      } else {
        assertThatThrownBy(() -> JobState.checkTransition(from, to))
            .isInstanceOf(InvalidStateException.class)
            .hasMessage("Job transition from '" + from + "' to '" + to + "' is not allowed");
      }
    }

    @Test
    void nullStatesAreRejected() {
      assertThatThrownBy(() -> JobState.checkTransition(null, JobState.CLAIMED))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("from");
    }
  }

  @Test
  void intentionsInTaskFlowsOrder() {
    assertThat(Intention.values())
        .extracting(Enum::name)
        .containsExactly("EXECUTE", "IGNORE", "REVERT", "RETRY");
  }

  @Test
  void stateNamesAreTaskFlowsStrings() {
    assertThat(FlowState.values())
        .extracting(Enum::name)
        .containsExactlyInAnyOrder(
            "PENDING",
            "RUNNING",
            "SUCCESS",
            "FAILURE",
            "REVERTING",
            "REVERTED",
            "SUSPENDING",
            "SUSPENDED",
            "RESUMING");
    assertThat(AtomState.values())
        .extracting(Enum::name)
        .containsExactlyInAnyOrder(
            "PENDING",
            "RUNNING",
            "SUCCESS",
            "FAILURE",
            "REVERTING",
            "REVERTED",
            "REVERT_FAILURE",
            "RETRYING",
            "IGNORE");
  }
}
