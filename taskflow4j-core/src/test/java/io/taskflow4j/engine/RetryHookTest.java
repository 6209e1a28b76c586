package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.storage.RetryHistory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine side of retry controllers (full controllers come later): a retry's decision reverts
 * its scope and runs it again, or reverts it, with TaskFlow's event sequences.
 */
class RetryHookTest {
  @TempDir Path dir;

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  /** Retries up to {@code max} attempts, then reverts; publishes the attempt number. */
  static final class Attempts extends Retry {
    private final int max;

    Attempts(String name, int max) {
      super(name);
      this.max = max;
      provides("attempt");
    }

    @Override
    public Object execute(Arguments args, RetryHistory history) {
      return history.size() + 1;
    }

    @Override
    public Decision onFailure(RetryHistory history) {
      return history.size() < max ? Decision.RETRY : Decision.REVERT;
    }
  }

  private static LinearFlow flow(int succeedOnAttempt, int maxAttempts) {
    return LinearFlow.of("flow-1", new Attempts("r1", maxAttempts))
        .add(
            Task.of("task1", () -> 5),
            Task.of(
                    "task2",
                    Integer.class,
                    attempt -> {
                      if (attempt != succeedOnAttempt) {
                        throw new RuntimeException("Woot!");
                      }
                      return null;
                    })
                .requires("attempt"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retryDecisionRevertsTheScopeAndRunsItAgain(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow(2, 3)).build();
        CaptureListener capture = new CaptureListener(engine)) {
      engine.run();
      assertThat(capture.values())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "task2.t RUNNING",
              "task2.t FAILURE(Failure: java.lang.RuntimeException: Woot!)",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)",
              "r1.r RETRYING",
              "task1.t PENDING",
              "task2.t PENDING",
              "r1.r RUNNING",
              "r1.r SUCCESS(2)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "flow-1.f SUCCESS");
      RetryHistory history = engine.storage().getRetryHistory("r1");
      assertThat(history.providedValues()).containsExactly(1, 2);
      assertThat(history.get(0).failures()).containsOnlyKeys("task2");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void exhaustedRetryRevertsItsScopeAndItself(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow(99, 2)).build();
        CaptureListener capture = new CaptureListener(engine)) {
      assertThatThrownBy(engine::run).hasMessage("Woot!");
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
      List<String> v = capture.values();
      assertThat(v.subList(v.size() - 7, v.size()))
          .containsExactly(
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)",
              "r1.r REVERTING",
              "r1.r REVERTED(null)",
              "flow-1.f REVERTED");
      assertThat(v.stream().filter(s -> s.equals("r1.r RETRYING"))).hasSize(1);
      // A reverted retry forgets its attempts.
      assertThat(engine.storage().getRetryHistory("r1").size()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void runInterruptedWhileRetryingResetsTheScopeAndRetries(EngineEnv.Case c) {
    // TaskFlow's test_resume_flow_that_had_been_interrupted_during_retrying.
    LinearFlow flow =
        LinearFlow.of("flow-1", new Attempts("r1", 3))
            .add(Task.of("t1", () -> 5), Task.of("t2", () -> 5), Task.of("t3", () -> 5));
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow).build()) {
      engine.prepare();
      engine.storage().setAtomState("r1", io.taskflow4j.persistence.AtomState.RETRYING);
      engine.storage().setAtomState("t1", io.taskflow4j.persistence.AtomState.PENDING);
      engine.storage().setAtomState("t2", io.taskflow4j.persistence.AtomState.REVERTED);
      engine.storage().setAtomState("t3", io.taskflow4j.persistence.AtomState.REVERTED);
      try (CaptureListener capture = new CaptureListener(engine)) {
        engine.run();
        assertThat(capture.values())
            .containsExactly(
                "flow-1.f RUNNING",
                "t2.t PENDING",
                "t3.t PENDING",
                "r1.r RUNNING",
                "r1.r SUCCESS(1)",
                "t1.t RUNNING",
                "t1.t SUCCESS(5)",
                "t2.t RUNNING",
                "t2.t SUCCESS(5)",
                "t3.t RUNNING",
                "t3.t SUCCESS(5)",
                "flow-1.f SUCCESS");
      }
    }
  }

  /** Always answers the same decision. */
  static final class Always extends Retry {
    private final Decision decision;

    Always(String name, Decision decision) {
      super(name);
      this.decision = decision;
    }

    @Override
    public Object execute(Arguments args, RetryHistory history) {
      return history.size() + 1;
    }

    @Override
    public Decision onFailure(RetryHistory history) {
      return decision;
    }
  }

  @ParameterizedTest(name = "deferReverts={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void revertDecisionsOfNestedRetries(boolean deferReverts) {
    LinearFlow flow =
        LinearFlow.of("top")
            .add(
                Task.of("pre", () -> 1),
                LinearFlow.of("outer", new Always("r0", Retry.Decision.REVERT))
                    .add(
                        Task.of("mid", () -> 2),
                        LinearFlow.of("inner", new Always("r1", Retry.Decision.REVERT))
                            .add(
                                Task.of(
                                    "bad",
                                    () -> {
                                      throw new IllegalStateException("nope");
                                    }))));
    Engine engine = Engines.load(flow).deferReverts(deferReverts).build();
    assertThatThrownBy(engine::run).hasMessage("nope");
    assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
    var storage = engine.storage();
    assertThat(storage.getAtomState("bad").name()).isEqualTo("REVERTED");
    assertThat(storage.getAtomState("r1").name()).isEqualTo("REVERTED");
    if (deferReverts) {
      // Deferring all the way up ends in "revert everything".
      assertThat(storage.getAtomState("mid").name()).isEqualTo("REVERTED");
      assertThat(storage.getAtomState("pre").name()).isEqualTo("REVERTED");
    } else {
      // Without deferring, the inner retry's own REVERT wins: only its scope is reverted.
      assertThat(storage.getAtomState("mid").name()).isEqualTo("SUCCESS");
      assertThat(storage.getAtomState("pre").name()).isEqualTo("SUCCESS");
    }
  }
}
