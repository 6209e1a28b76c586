package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.WrappedFailureException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The resumption table of the spec (§9.4): flow {@code f = linear(a, b, c)}, each task returning
 * its name; the states below are written into a stored flow detail, which is reloaded and run by a
 * new engine. Checked: the task calls, the exact events, the final state and what is raised.
 */
class ResumptionTest {
  @TempDir Path dir;

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  /**
   * The environment of one test. A subclass running these rows over another backend overrides it
   * (and hides {@code cases()} with its own cells).
   */
  protected EngineEnv newEnv(EngineEnv.Case c) {
    return new EngineEnv(c, dir);
  }

  private static TaskDetail detail(String name, AtomState state) {
    TaskDetail d = TaskDetail.of(name, UUID.randomUUID().toString());
    return switch (state) {
      case SUCCESS -> d.put(AtomState.SUCCESS, name);
      case FAILURE ->
          d.put(AtomState.FAILURE, Failure.of(new RuntimeException("boom")).withoutException());
      default -> d.withState(state);
    };
  }

  private static TaskDetail detail(String name, AtomState state, Intention intention) {
    return detail(name, state).withIntention(intention);
  }

  /** What one resumed run did. */
  private record Outcome(List<String> events, Throwable raised, FlowState finalState) {}

  private Outcome resume(EngineEnv env, FlowState flowState, List<AtomDetail> atoms) {
    FlowDetail fd = env.seed("f", flowState, atoms);
    LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.task("b"), env.task("c"));
    try (Engine engine = env.load(flow).flowDetail(fd).build();
        CaptureListener capture = new CaptureListener(engine)) {
      Throwable raised = null;
      try {
        engine.run();
      } catch (RuntimeException e) {
        raised = e;
      }
      return new Outcome(capture.values(), raised, env.reload(fd.uuid()).state());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void runningTaskIsExecutedAgainWithoutItsRunningEvent(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.RUNNING,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.RUNNING),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("execute b", "execute c");
      assertThat(o.events())
          .containsExactly(
              "f.f RESUMING",
              "f.f SUSPENDED",
              "f.f RUNNING",
              "b.t SUCCESS(b)",
              "c.t RUNNING",
              "c.t SUCCESS(c)",
              "f.f SUCCESS");
      assertThat(o.raised()).isNull();
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void pendingTasksRunAfterRecordedSuccess(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.RUNNING,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.PENDING),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("execute b", "execute c");
      assertThat(o.events())
          .containsExactly(
              "f.f RESUMING",
              "f.f SUSPENDED",
              "f.f RUNNING",
              "b.t RUNNING",
              "b.t SUCCESS(b)",
              "c.t RUNNING",
              "c.t SUCCESS(c)",
              "f.f SUCCESS");
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void allSucceededRunsNothing(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.SUCCESS,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.SUCCESS),
                  detail("c", AtomState.SUCCESS)));
      assertThat(env.calls).isEmpty();
      assertThat(o.events()).containsExactly("f.f RUNNING", "f.f SUCCESS");
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void recordedFailureIsResolvedByReverting(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.RUNNING,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.FAILURE),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("revert b", "revert a");
      assertThat(o.events())
          .containsExactly(
              "f.f RESUMING",
              "f.f SUSPENDED",
              "f.f RUNNING",
              "b.t REVERTING",
              "b.t REVERTED(null)",
              "a.t REVERTING",
              "a.t REVERTED(null)",
              "f.f REVERTED");
      assertWrappedBoom(o.raised());
      assertThat(o.finalState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void revertedFlowIsResetAndRunAgain(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.REVERTED,
              List.of(
                  detail("a", AtomState.REVERTED),
                  detail("b", AtomState.REVERTED),
                  detail("c", AtomState.REVERTED)));
      assertThat(env.calls).containsExactly("execute a", "execute b", "execute c");
      assertThat(o.events())
          .containsExactly(
              "a.t PENDING",
              "b.t PENDING",
              "c.t PENDING",
              "f.f PENDING",
              "f.f RUNNING",
              "a.t RUNNING",
              "a.t SUCCESS(a)",
              "b.t RUNNING",
              "b.t SUCCESS(b)",
              "c.t RUNNING",
              "c.t SUCCESS(c)",
              "f.f SUCCESS");
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void revertingTaskIsRevertedAgainWithoutItsRevertingEvent(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.RUNNING,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.REVERTING, Intention.REVERT),
                  detail("c", AtomState.FAILURE)));
      List<String> expected =
          List.of(
              "f.f RESUMING",
              "f.f SUSPENDED",
              "f.f RUNNING",
              "c.t REVERTING",
              "c.t REVERTED(null)",
              "b.t REVERTED(null)",
              "a.t REVERTING",
              "a.t REVERTED(null)",
              "f.f REVERTED");
      if (c.parallel()) {
        // b (left reverting) and c (ready to revert) are both scheduled at once: their events may
        // interleave, but each keeps its order and a comes after both.
        assertThat(o.events()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(o.events().subList(0, 3)).isEqualTo(expected.subList(0, 3));
        assertThat(o.events().subList(6, 9)).isEqualTo(expected.subList(6, 9));
        assertThat(o.events().indexOf("c.t REVERTING"))
            .isLessThan(o.events().indexOf("c.t REVERTED(null)"));
        assertThat(o.events().subList(3, 6))
            .containsExactlyInAnyOrder("c.t REVERTING", "c.t REVERTED(null)", "b.t REVERTED(null)");
        assertThat(env.calls).containsExactlyInAnyOrder("revert c", "revert b", "revert a");
        assertThat(env.calls.get(2)).isEqualTo("revert a");
      } else {
        assertThat(o.events()).containsExactlyElementsOf(expected);
        assertThat(env.calls).containsExactly("revert c", "revert b", "revert a");
      }
      assertWrappedBoom(o.raised());
      assertThat(o.finalState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void revertingTaskStillMeantToExecuteIsExecuted(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.RUNNING,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.REVERTING, Intention.EXECUTE),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("execute b", "execute c");
      assertThat(o.events())
          .containsExactly(
              "f.f RESUMING",
              "f.f SUSPENDED",
              "f.f RUNNING",
              "b.t RUNNING",
              "b.t SUCCESS(b)",
              "c.t RUNNING",
              "c.t SUCCESS(c)",
              "f.f SUCCESS");
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void suspendedFlowContinuesWithPendingTasks(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.SUSPENDED,
              List.of(
                  detail("a", AtomState.SUCCESS),
                  detail("b", AtomState.SUCCESS),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("execute c");
      assertThat(o.events())
          .containsExactly("f.f RUNNING", "c.t RUNNING", "c.t SUCCESS(c)", "f.f SUCCESS");
      assertThat(o.finalState()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failedFlowIsRevertedOnResume(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      Outcome o =
          resume(
              env,
              FlowState.FAILURE,
              List.of(
                  detail("a", AtomState.FAILURE),
                  detail("b", AtomState.PENDING),
                  detail("c", AtomState.PENDING)));
      assertThat(env.calls).containsExactly("revert a");
      assertThat(o.events())
          .containsExactly("f.f RUNNING", "a.t REVERTING", "a.t REVERTED(null)", "f.f REVERTED");
      assertWrappedBoom(o.raised());
      assertThat(o.finalState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void addedAtomsGetDetailsAndRemovedAtomsAreIgnored(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      FlowDetail fd =
          env.seed(
              "f",
              FlowState.SUSPENDED,
              List.of(detail("a", AtomState.SUCCESS), detail("gone", AtomState.SUCCESS)));
      LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.task("new"));
      try (Engine engine = env.load(flow).flowDetail(fd).build()) {
        engine.run();
      }
      assertThat(env.calls).containsExactly("execute new");
      FlowDetail after = env.reload(fd.uuid());
      assertThat(after.findByName("new").orElseThrow().state()).isEqualTo(AtomState.SUCCESS);
      assertThat(after.findByName("gone").orElseThrow().state()).isEqualTo(AtomState.SUCCESS);
      assertThat(after.state()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failureOfARemovedTaskIsStillRaisedAndRevertsTheRest(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c)) {
      // TaskFlow's test_suspend_and_revert_even_if_task_is_gone.
      LinearFlow first =
          LinearFlow.of("f").add(env.task("a"), env.task("b"), env.failing("c", "Woot"));
      String fdUuid;
      try (Engine engine = env.load(first).build()) {
        engine
            .atomNotifier()
            .register(
                AtomState.REVERTED,
                e -> {
                  if (e.atomName().equals("b")) {
                    engine.suspend();
                  }
                });
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
        fdUuid = engine.flowDetail().uuid();
      }
      env.calls.clear();
      LinearFlow second = LinearFlow.of("f").add(env.task("a"), env.task("b"));
      try (Engine engine = env.load(second).flowDetail(env.reload(fdUuid)).build();
          CaptureListener capture = new CaptureListener(engine, false)) {
        assertThatThrownBy(engine::run)
            .isInstanceOf(WrappedFailureException.class)
            .hasMessageContaining("Woot");
        assertThat(capture.values()).containsExactly("a.t REVERTING", "a.t REVERTED(null)");
      }
      assertThat(env.calls).containsExactly("revert a");
      assertThat(env.reload(fdUuid).state()).isEqualTo(FlowState.REVERTED);
    }
  }

  private static void assertWrappedBoom(Throwable raised) {
    assertThat(raised).isInstanceOf(WrappedFailureException.class);
    WrappedFailureException w = (WrappedFailureException) raised;
    assertThat(w.failures()).hasSize(1);
    assertThat(w.failures().get(0).typeName()).isEqualTo("java.lang.RuntimeException");
    assertThat(w.failures().get(0).exceptionStr()).isEqualTo("boom");
    assertThat(w.check(RuntimeException.class)).isNotNull();
  }

  @SuppressWarnings("unused")
  private static List<String> copy(List<String> l) {
    return new ArrayList<>(l);
  }
}
