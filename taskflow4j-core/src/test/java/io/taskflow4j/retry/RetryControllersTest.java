package io.taskflow4j.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.EngineEnv;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.storage.RetryHistory;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ports of TaskFlow's {@code test_retries.py} (event sequences, task calls, histories and final
 * states) for the built-in retry controllers, on the serial and parallel engines over the memory
 * and dir backends.
 */
class RetryControllersTest {
  private static final String WOOT = "Failure: java.lang.RuntimeException: Woot!";

  @TempDir Path dir;

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  /** What one run observed. */
  record Outcome(List<String> events, Engine engine, Throwable thrown) {}

  private Outcome run(EngineEnv env, Object flow, Map<String, ?> store) {
    return run(env, flow, store, b -> {});
  }

  private Outcome run(
      EngineEnv env,
      Object flow,
      Map<String, ?> store,
      Consumer<io.taskflow4j.engine.Engines.Builder> config) {
    var b = env.load((io.taskflow4j.FlowElement) flow);
    if (!store.isEmpty()) {
      b.store(store);
    }
    config.accept(b);
    Engine engine = b.build();
    Throwable thrown = null;
    try (CaptureListener capture = new CaptureListener(engine)) {
      try {
        engine.run();
      } catch (RuntimeException e) {
        thrown = e;
      }
      return new Outcome(capture.values(), engine, thrown);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void statesRetrySuccessLinearFlow(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 4).provides("x"))
            .add(t.saveOrder("task1"), t.conditional("task2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2, "x", 2));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "task2.t RUNNING",
              "task2.t FAILURE(" + WOOT + ")",
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
      assertThat(t.calls)
          .containsExactly(
              "task1",
              "task2",
              "task2 reverted(" + WOOT + ")",
              "task1 reverted(5)",
              "task1",
              "task2");
      RetryHistory h = o.engine().storage().getRetryHistory("r1");
      assertThat(h.providedValues()).containsExactly(1, 2);
      assertThat(h.get(0).failures()).containsOnlyKeys("task2");
      assertThat(h.get(1).failures()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void statesRetryRevertedLinearFlow(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 2).provides("x"))
            .add(t.saveOrder("task1"), t.conditional("task2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 4));
      assertThat(o.thrown()).hasMessage("Woot!");
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 4));
      assertThat(o.engine().flowState()).isEqualTo(FlowState.REVERTED);
      List<String> attempt =
          List.of(
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "task2.t RUNNING",
              "task2.t FAILURE(" + WOOT + ")",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)");
      List<String> expected = new java.util.ArrayList<>();
      expected.addAll(List.of("flow-1.f RUNNING", "r1.r RUNNING", "r1.r SUCCESS(1)"));
      expected.addAll(attempt);
      expected.addAll(
          List.of(
              "r1.r RETRYING",
              "task1.t PENDING",
              "task2.t PENDING",
              "r1.r RUNNING",
              "r1.r SUCCESS(2)"));
      expected.addAll(attempt);
      expected.addAll(List.of("r1.r REVERTING", "r1.r REVERTED(null)", "flow-1.f REVERTED"));
      assertThat(o.events()).containsExactlyElementsOf(expected);
      // A reverted retry forgets its history, in memory and in the store.
      assertThat(o.engine().storage().getRetryHistory("r1").isEmpty()).isTrue();
      assertThat(
              env.reload(o.engine().flowDetail().uuid())
                  .findByName("r1")
                  .orElseThrow()
                  .meta()
                  .get("attempts"))
          .isEqualTo(List.of());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void statesRetryFailureLinearFlow(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 2).provides("x"))
            .add(t.nasty("task1"), t.conditional("task2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 4));
      assertThat(o.thrown()).hasMessageContaining("Gotcha!");
      assertThat(o.engine().flowState()).isEqualTo(FlowState.FAILURE);
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 4, "x", 1));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(null)",
              "task2.t RUNNING",
              "task2.t FAILURE(" + WOOT + ")",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERT_FAILURE(Failure: java.lang.RuntimeException: Gotcha!)",
              "flow-1.f FAILURE");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void statesRetryFailureNestedFlowFails(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new AlwaysRevert("r1"))
            .add(
                t.noReturns("task1"),
                LinearFlow.of("flow-2", new Times("r2", 3).provides("x"))
                    .add(t.noReturns("task2"), t.conditional("task3")),
                t.noReturns("task4"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2, "x", 2));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(null)",
              "task1.t RUNNING",
              "task1.t SUCCESS(null)",
              "r2.r RUNNING",
              "r2.r SUCCESS(1)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "task3.t RUNNING",
              "task3.t FAILURE(" + WOOT + ")",
              "task3.t REVERTING",
              "task3.t REVERTED(null)",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "r2.r RETRYING",
              "task2.t PENDING",
              "task3.t PENDING",
              "r2.r RUNNING",
              "r2.r SUCCESS(2)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "task3.t RUNNING",
              "task3.t SUCCESS(null)",
              "task4.t RUNNING",
              "task4.t SUCCESS(null)",
              "flow-1.f SUCCESS");
      // The outer retry was never asked: only the inner one has a failure on record.
      assertThat(o.engine().storage().getRetryHistory("r1").outcomes(null)).isEmpty();
      assertThat(o.engine().storage().getRetryHistory("r2").outcomes(null))
          .extracting(Map.Entry::getKey)
          .containsExactly("task3");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void statesRetryFailureParentFlowFails(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3).provides("x1"))
            .add(
                t.noReturns("task1"),
                LinearFlow.of("flow-2", new Times("r2", 3).provides("x2"))
                    .add(t.noReturns("task2"), t.noReturns("task3")),
                t.conditional("task4").rebind(Map.of("x", "x1")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2, "x1", 2, "x2", 1));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(null)",
              "r2.r RUNNING",
              "r2.r SUCCESS(1)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "task3.t RUNNING",
              "task3.t SUCCESS(null)",
              "task4.t RUNNING",
              "task4.t FAILURE(" + WOOT + ")",
              "task4.t REVERTING",
              "task4.t REVERTED(null)",
              "task3.t REVERTING",
              "task3.t REVERTED(null)",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "r2.r REVERTING",
              "r2.r REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)",
              "r1.r RETRYING",
              "task1.t PENDING",
              "r2.r PENDING",
              "task2.t PENDING",
              "task3.t PENDING",
              "task4.t PENDING",
              "r1.r RUNNING",
              "r1.r SUCCESS(2)",
              "task1.t RUNNING",
              "task1.t SUCCESS(null)",
              "r2.r RUNNING",
              "r2.r SUCCESS(1)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "task3.t RUNNING",
              "task3.t SUCCESS(null)",
              "task4.t RUNNING",
              "task4.t SUCCESS(null)",
              "flow-1.f SUCCESS");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void nestedFlowRevertsParentRetries(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3).provides("x"))
            .add(
                t.saveOrder("task1"),
                LinearFlow.of("flow-2", new Times("r2", 0).provides("x2"))
                    .add(t.conditional("task2")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2, "x", 2, "x2", 1));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "r2.r RUNNING",
              "r2.r SUCCESS(1)",
              "task2.t RUNNING",
              "task2.t FAILURE(" + WOOT + ")",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "r2.r REVERTING",
              "r2.r REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)",
              "r1.r RETRYING",
              "task1.t PENDING",
              "r2.r PENDING",
              "task2.t PENDING",
              "r1.r RUNNING",
              "r1.r SUCCESS(2)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "r2.r RUNNING",
              "r2.r SUCCESS(1)",
              "task2.t RUNNING",
              "task2.t SUCCESS(null)",
              "flow-1.f SUCCESS");
      // The parent retry recorded the failure under the name of the retry that deferred to it.
      RetryHistory h1 = o.engine().storage().getRetryHistory("r1");
      assertThat(h1.providedValues()).containsExactly(1, 2);
      assertThat(h1.get(0).failures()).containsOnlyKeys("r2");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void revertAllRetry(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3).provides("x"))
            .add(
                t.saveOrder("task1"),
                LinearFlow.of("flow-2", new AlwaysRevertAll("r2")).add(t.conditional("task2")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).hasMessage("Woot!");
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2));
      assertThat(o.events())
          .containsExactly(
              "flow-1.f RUNNING",
              "r1.r RUNNING",
              "r1.r SUCCESS(1)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "r2.r RUNNING",
              "r2.r SUCCESS(null)",
              "task2.t RUNNING",
              "task2.t FAILURE(" + WOOT + ")",
              "task2.t REVERTING",
              "task2.t REVERTED(null)",
              "r2.r REVERTING",
              "r2.r REVERTED(null)",
              "task1.t REVERTING",
              "task1.t REVERTED(null)",
              "r1.r REVERTING",
              "r1.r REVERTED(null)",
              "flow-1.f REVERTED");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void timesWithRevertAllRevertsEverythingDespiteTheParentRetry(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3).provides("x"))
            .add(
                t.saveOrder("task1"),
                LinearFlow.of("flow-2", new Times("r2", 2, true).provides("x2"))
                    .add(t.failing("task2")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).hasMessage("Woot!");
      assertThat(o.engine().flowState()).isEqualTo(FlowState.REVERTED);
      // r2 retried once, then reverted everything: r1 never retried.
      assertThat(t.calls)
          .containsExactly(
              "task1",
              "task2",
              "task2 reverted(" + WOOT + ")",
              "task2",
              "task2 reverted(" + WOOT + ")",
              "task1 reverted(5)");
      assertThat(o.events()).doesNotContain("r1.r RETRYING").contains("r1.r REVERTED(null)");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void restartRevertedFlowWithRetry(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow = LinearFlow.of("test", new Times("r", 1).provides("x")).add(t.failing("fail"));
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow).build()) {
      assertThatThrownBy(engine::run).hasMessage("Woot!");
      assertThatThrownBy(engine::run).hasMessage("Woot!");
      assertThat(t.calls)
          .containsExactly(
              "fail", "fail reverted(" + WOOT + ")", "fail", "fail reverted(" + WOOT + ")");
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void defaultTimesRetry(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3)).add(t.saveOrder("t1"), t.failing("t2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).hasMessage("Woot!");
      List<String> once = List.of("t1", "t2", "t2 reverted(" + WOOT + ")", "t1 reverted(5)");
      List<String> expected = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        expected.addAll(once);
      }
      assertThat(t.calls).containsExactlyElementsOf(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retryTasksThatHaveNotBeenReverted(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r1", 3).provides("x"))
            .add(t.conditional("c"), t.saveOrder("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(t.calls).containsExactly("c", "c reverted(" + WOOT + ")", "c", "t1");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void unorderedFlowTaskFailsParallelTasksShouldBeReverted(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    UnorderedFlow flow =
        UnorderedFlow.of("flow-1", new Times("r", 3).provides("x"))
            .add(t.saveOrder("task1"), t.conditional("task2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 2));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("y", 2, "x", 2));
      assertThat(t.calls)
          .containsExactlyInAnyOrder(
              "task2",
              "task1",
              "task2 reverted(" + WOOT + ")",
              "task1 reverted(5)",
              "task2",
              "task1");
    }
  }

  private static List<String> revertedWith(String... xs) {
    return java.util.Arrays.stream(xs)
        .map(x -> "t1 reverted(Failure: java.lang.RuntimeException: Woot with " + x + ")")
        .toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forEachWithList(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new ForEach("r1", List.of(3, 2, 3, 5)).provides("x"))
            .add(t.failingWithOneArg("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).hasMessageStartingWith("Woot");
      assertThat(t.calls).containsExactlyElementsOf(revertedWith("3", "2", "3", "5"));
      assertThat(o.events())
          .filteredOn(e -> e.startsWith("r1.r SUCCESS"))
          .containsExactly(
              "r1.r SUCCESS(3)", "r1.r SUCCESS(2)", "r1.r SUCCESS(3)", "r1.r SUCCESS(5)");
      List<String> v = o.events();
      assertThat(v.subList(v.size() - 3, v.size()))
          .containsExactly("r1.r REVERTING", "r1.r REVERTED(null)", "flow-1.f REVERTED");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forEachWithSet(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of(
                "flow-1", new ForEach("r1", new LinkedHashSet<>(List.of(3, 2, 5))).provides("x"))
            .add(t.failingWithOneArg("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).hasMessageStartingWith("Woot");
      assertThat(t.calls).containsExactlyInAnyOrderElementsOf(revertedWith("3", "2", "5"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forEachEmptyCollection(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new ForEach("r1", List.of()).provides("x"))
            .add(t.conditional("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("y", 1));
      assertThat(o.thrown())
          .isInstanceOf(NotFoundException.class)
          .hasMessage("No elements left in collection of iterable retry controller r1");
      assertThat(t.calls).isEmpty();
      assertThat(o.engine().flowState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forEachRevertAllRevertsEverythingWhenExhausted(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new Times("r0", 5))
            .add(
                t.saveOrder("t0"),
                LinearFlow.of("flow-2", new ForEach("r1", List.of(1, 2), true).provides("x"))
                    .add(t.failingWithOneArg("t1")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).hasMessageStartingWith("Woot");
      assertThat(t.calls)
          .containsExactly(
              "t0",
              "t1 reverted(Failure: java.lang.RuntimeException: Woot with 1)",
              "t1 reverted(Failure: java.lang.RuntimeException: Woot with 2)",
              "t0 reverted(5)");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parameterizedForEachWithList(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new ParameterizedForEach("r1").provides("x"))
            .add(t.failingWithOneArg("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("values", List.of(3, 2, 5), "y", 1));
      assertThat(o.thrown()).hasMessageStartingWith("Woot");
      assertThat(t.calls).containsExactlyElementsOf(revertedWith("3", "2", "5"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parameterizedForEachWithSetAndRebind(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of(
                "flow-1",
                new ParameterizedForEach("r1").rebind(Map.of("values", "choices")).provides("x"))
            .add(t.failingWithOneArg("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o =
          run(
              env,
              flow,
              Map.of(),
              b -> b.transientStore(Map.of("choices", java.util.Set.of(3, 2, 5))));
      assertThat(o.thrown()).hasMessageStartingWith("Woot");
      assertThat(t.calls).containsExactlyInAnyOrderElementsOf(revertedWith("3", "2", "5"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parameterizedForEachEmptyCollection(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("flow-1", new ParameterizedForEach("r1").provides("x"))
            .add(t.conditional("t1"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of("values", List.of(), "y", 1));
      assertThat(o.thrown())
          .isInstanceOf(NotFoundException.class)
          .hasMessageStartingWith("No elements left");
      assertThat(t.calls).isEmpty();
    }
  }

  /** TaskFlow's FailingRetry: execute fails, revert keeps the history it was given. */
  static final class FailingRetry extends Retry {
    volatile RetryHistory history;
    private final boolean failRevert;

    FailingRetry(boolean failRevert) {
      super("testflow_retry");
      this.failRevert = failRevert;
    }

    @Override
    public Object execute(Arguments args, RetryHistory history) {
      throw new IllegalArgumentException("OMG I FAILED");
    }

    @Override
    public Object revert(
        Arguments args, RetryHistory history, Map<String, io.taskflow4j.persistence.Failure> f) {
      if (failRevert) {
        throw new IllegalArgumentException("WOOT!");
      }
      this.history = history;
      return null;
    }

    @Override
    public Decision onFailure(RetryHistory history) {
      return Decision.REVERT;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retryFails(EngineEnv.Case c) {
    FailingRetry r = new FailingRetry(false);
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, LinearFlow.of("testflow", r), Map.of());
      assertThat(o.thrown())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("OMG");
      assertThat(o.engine().storage().getRetryHistories()).hasSize(1);
      assertThat(r.history.size()).isZero();
      assertThat(r.history.outcomes(null)).isEmpty();
      assertThat(r.history.failure()).isNotNull();
      assertThat(r.history.isCausedBy(IllegalArgumentException.class, null, true)).isTrue();
      assertThat(r.history.isCausedBy(IllegalArgumentException.class, null, false)).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retryRevertFails(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, LinearFlow.of("testflow", new FailingRetry(true)), Map.of());
      assertThat(o.thrown()).hasMessageContaining("WOOT");
      assertThat(o.engine().flowState()).isEqualTo(FlowState.FAILURE);
      assertThat(o.engine().storage().getAtomState("testflow_retry"))
          .isEqualTo(AtomState.REVERT_FAILURE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void emptyFlowsWithARetryPublishItsValue(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir)) {
      for (var flow :
          List.of(
              LinearFlow.of("flow-1", new Times("r1").provides("x")),
              UnorderedFlow.of("flow-2", new Times("r2").provides("x")),
              io.taskflow4j.flow.GraphFlow.of("flow-3", new Times("r3").provides("x")))) {
        Outcome o = run(env, flow, Map.of());
        assertThat(o.thrown()).isNull();
        assertThat(o.engine().storage().fetchAll()).isEqualTo(Map.of("x", 1));
      }
    }
  }

  /** Retries after a failure of attempt {@code failUntil} or earlier; records attempts. */
  private static Task attemptTask(String name, int failUntil, List<Integer> seen) {
    return Task.of(
            name,
            Integer.class,
            attempt -> {
              seen.add(attempt);
              if (attempt <= failUntil) {
                throw new IllegalStateException("boom " + attempt);
              }
              return attempt;
            })
        .requires("attempt");
  }

  @ParameterizedTest(name = "{0} deferReverts={1}")
  @MethodSource("deferCases")
  void parentRetryWinsOverARevertingChild(EngineEnv.Case c, boolean deferReverts) {
    List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    LinearFlow flow =
        LinearFlow.of("top", new Times("r0", 3).provides("attempt"))
            .add(LinearFlow.of("inner", new AlwaysRevert("r1")).add(attemptTask("bad", 1, seen)));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of(), b -> b.deferReverts(deferReverts));
      assertThat(o.thrown()).isNull();
      assertThat(o.engine().flowState()).isEqualTo(FlowState.SUCCESS);
      assertThat(seen).containsExactly(1, 2);
      RetryHistory h0 = o.engine().storage().getRetryHistory("r0");
      assertThat(h0.providedValues()).containsExactly(1, 2);
      assertThat(h0.get(0).failures()).containsOnlyKeys("r1");
      assertThat(h0.get(0).failures().get("r1").exceptionStr()).isEqualTo("boom 1");
      assertThat(o.events()).contains("r1.r REVERTED(null)", "r0.r RETRYING");
    }
  }

  @ParameterizedTest(name = "{0} deferReverts={1}")
  @MethodSource("deferCases")
  void revertOfAChildWithoutParentRetryRevertsOnlyWithoutDeferral(
      EngineEnv.Case c, boolean deferReverts) {
    RetryTasks t = new RetryTasks();
    LinearFlow flow =
        LinearFlow.of("top")
            .add(
                t.saveOrder("pre"),
                LinearFlow.of("inner", new Times("r1", 2).provides("x")).add(t.failing("bad")));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of(), b -> b.deferReverts(deferReverts));
      assertThat(o.thrown()).hasMessage("Woot!");
      assertThat(o.engine().flowState()).isEqualTo(FlowState.REVERTED);
      var s = o.engine().storage();
      assertThat(s.getAtomState("r1")).isEqualTo(AtomState.REVERTED);
      // Deferring to "no parent retry" means revert everything; else only the scope reverts.
      assertThat(s.getAtomState("pre"))
          .isEqualTo(deferReverts ? AtomState.REVERTED : AtomState.SUCCESS);
      assertThat(t.calls.contains("pre reverted(5)")).isEqualTo(deferReverts);
    }
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> deferCases() {
    return EngineEnv.cases()
        .flatMap(
            c ->
                java.util.stream.Stream.of(
                    org.junit.jupiter.params.provider.Arguments.of(c, false),
                    org.junit.jupiter.params.provider.Arguments.of(c, true)));
  }

  /** The user-written retry of the package documentation: gives up at once on bad input. */
  static final class UntilBadInput extends Retry {
    UntilBadInput() {
      super("until-bad-input");
      provides("attempt");
    }

    @Override
    public Object execute(Arguments args, RetryHistory history) {
      return history.size() + 1;
    }

    @Override
    public Decision onFailure(RetryHistory history) {
      if (history.isCausedBy(IllegalArgumentException.class, -1, false)) {
        return Decision.REVERT;
      }
      return history.size() < 5 ? Decision.RETRY : Decision.REVERT;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void userWrittenRetryDecidesFromTheFailuresInItsHistory(EngineEnv.Case c) {
    List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    LinearFlow flow =
        LinearFlow.of("flow-1", new UntilBadInput())
            .add(
                Task.of(
                        "t",
                        Integer.class,
                        attempt -> {
                          seen.add(attempt);
                          throw attempt < 3
                              ? new IllegalStateException("transient " + attempt)
                              : new IllegalArgumentException("bad input");
                        })
                    .requires("attempt"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Outcome o = run(env, flow, Map.of());
      assertThat(o.thrown()).isInstanceOf(IllegalArgumentException.class).hasMessage("bad input");
      // Two transient failures were retried; the bad input stopped it at attempt 3, not 5.
      assertThat(seen).containsExactly(1, 2, 3);
      assertThat(o.engine().flowState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @org.junit.jupiter.api.Test
  void controllersCheckTheirConfiguration() {
    assertThatThrownBy(() -> new Times("r", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(">= 0");
    assertThatThrownBy(() -> new ForEach("r", List.of(new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retry 'r'");
    assertThatThrownBy(
            () -> new ParameterizedForEach("r").onFailure(new RetryHistory(List.of(), null)))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("onFailure(args, history)");
    assertThat(
            new ParameterizedForEach("r")
                .onFailure(
                    Arguments.of(Map.of("values", List.of(1L, 2))),
                    new RetryHistory(
                        List.of(new io.taskflow4j.persistence.RetryDetail.Attempt(1, Map.of())),
                        null)))
        .isEqualTo(Retry.Decision.RETRY);
    assertThat(
            new ForEach("r", List.of(1, 2), true)
                .onFailure(
                    new RetryHistory(
                        List.of(
                            new io.taskflow4j.persistence.RetryDetail.Attempt(1L, Map.of()),
                            new io.taskflow4j.persistence.RetryDetail.Attempt(2, Map.of())),
                        null)))
        .isEqualTo(Retry.Decision.REVERT_ALL);
    assertThat(
            new Times("r", 2)
                .onFailure(
                    new RetryHistory(
                        List.of(new io.taskflow4j.persistence.RetryDetail.Attempt(1, Map.of())),
                        null)))
        .isEqualTo(Retry.Decision.RETRY);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void restartRevertedUnorderedFlowsWithRetries(EngineEnv.Case c) {
    RetryTasks t = new RetryTasks();
    // TaskFlow's OneReturnRetry (value 1, then REVERT) is Times(0).
    UnorderedFlow flow =
        UnorderedFlow.of("test")
            .add(
                UnorderedFlow.of("flow-1", new Times("r1", 0).provides("x"))
                    .add(t.failing("fail1")),
                UnorderedFlow.of("flow-2", new Times("r2", 0).provides("x2"))
                    .add(t.failing("fail2")));
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow).build()) {
      for (int run = 1; run <= 2; run++) {
        assertThatThrownBy(engine::run).hasMessageContaining("Woot!");
        assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
        for (String a : List.of("r1", "r2", "fail1", "fail2")) {
          assertThat(engine.storage().getAtomState(a)).as(a).isEqualTo(AtomState.REVERTED);
        }
      }
      // Each retry reverts only its own branch, so each run executes and reverts both branches.
      assertThat(t.calls)
          .containsExactlyInAnyOrder(
              "fail1",
              "fail2",
              "fail1 reverted(" + WOOT + ")",
              "fail2 reverted(" + WOOT + ")",
              "fail1",
              "fail2",
              "fail1 reverted(" + WOOT + ")",
              "fail2 reverted(" + WOOT + ")");
    }
  }
}
