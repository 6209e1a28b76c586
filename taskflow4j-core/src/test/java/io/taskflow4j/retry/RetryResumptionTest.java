package io.taskflow4j.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Task;
import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.EngineEnv;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.listeners.Listener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.storage.RetryHistory;
import io.taskflow4j.storage.Storage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Resuming a retry cycle at any point (TaskFlow's {@code test_resumption_on_crash_*}, the
 * interrupted-while-retrying and should-be-retried cases), with the same engine and with a new
 * engine over the flow detail reloaded from the backend; and TaskFlow's two retry bugs, which must
 * not exist here.
 */
class RetryResumptionTest {
  private static final String RETRY = "flow-1_retry";

  @TempDir Path dir;

  enum CrashPoint {
    TASK_FAILS,
    RETRY_QUERIED,
    RETRY_UPDATED,
    TASK_UPDATED,
    REVERT_SCHEDULED
  }

  static Stream<Arguments> crashCases() {
    List<Arguments> out = new ArrayList<>();
    EngineEnv.cases()
        .forEach(
            c -> {
              for (CrashPoint p : CrashPoint.values()) {
                out.add(Arguments.of(c, p, false));
                out.add(Arguments.of(c, p, true));
              }
            });
    return out.stream();
  }

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  private static UnorderedFlow crashFlow(RetryTasks t) {
    return UnorderedFlow.of("flow-1", new Times(RETRY, 3).provides("x")).add(t.saveOrder("task1"));
  }

  /** TaskFlow's _pretend_to_run_a_flow_and_crash: writes the states a run had reached. */
  private static void pretendToRunAndCrash(Storage s, CrashPoint when) {
    s.setFlowState(FlowState.RUNNING);
    s.setAtomIntention(RETRY, Intention.EXECUTE);
    s.setAtomIntention("task1", Intention.EXECUTE);
    s.save(RETRY, 1);
    Failure fail = Failure.of(new RuntimeException("foo"));
    s.save("task1", fail, AtomState.FAILURE);
    if (when == CrashPoint.TASK_FAILS) {
      return;
    }
    s.saveRetryFailure(RETRY, "task1", fail);
    if (when == CrashPoint.RETRY_QUERIED) {
      return;
    }
    s.setAtomIntention(RETRY, Intention.RETRY);
    if (when == CrashPoint.RETRY_UPDATED) {
      return;
    }
    s.setAtomIntention("task1", Intention.REVERT);
    if (when == CrashPoint.TASK_UPDATED) {
      return;
    }
    s.setAtomState("task1", AtomState.REVERTING);
  }

  @ParameterizedTest(name = "{0} {1} reloaded={2}")
  @MethodSource("crashCases")
  void resumptionOnCrash(EngineEnv.Case c, CrashPoint when, boolean reloaded) {
    RetryTasks t = new RetryTasks();
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine first = env.load(crashFlow(t)).build();
      first.compile();
      first.prepare();
      pretendToRunAndCrash(first.storage(), when);
      Engine engine;
      if (reloaded) {
        // The process died: a new engine over what the backend holds.
        FlowDetail fd = env.reload(first.flowDetail().uuid());
        engine = env.load(crashFlow(t)).flowDetail(fd).build();
      } else {
        engine = first;
      }
      List<String> events;
      try (CaptureListener capture = new CaptureListener(engine)) {
        engine.run();
        events = capture.values();
      }
      List<String> expected = new ArrayList<>();
      if (when != CrashPoint.REVERT_SCHEDULED) {
        expected.add("task1.t REVERTING");
      }
      expected.addAll(
          List.of(
              "task1.t REVERTED(null)",
              RETRY + ".r RETRYING",
              "task1.t PENDING",
              RETRY + ".r RUNNING",
              RETRY + ".r SUCCESS(2)",
              "task1.t RUNNING",
              "task1.t SUCCESS(5)",
              "flow-1.f SUCCESS"));
      assertThat(events.stream().filter(e -> !e.startsWith("flow-1.f ")).toList())
          .containsExactlyElementsOf(
              expected.stream().filter(e -> !e.startsWith("flow-1.f ")).toList());
      assertThat(events).endsWith("flow-1.f SUCCESS");
      if (!reloaded) {
        // The same engine, already prepared: exactly TaskFlow's list.
        assertThat(events).containsExactlyElementsOf(expected);
      } else {
        // A new engine finds the flow RUNNING (a crashed run) and resumes it first (spec 9.4).
        List<String> resumed =
            new ArrayList<>(List.of("flow-1.f RESUMING", "flow-1.f SUSPENDED", "flow-1.f RUNNING"));
        resumed.addAll(expected);
        assertThat(events).containsExactlyElementsOf(resumed);
      }
      assertThat(t.calls)
          .containsExactly("task1 reverted(Failure: java.lang.RuntimeException: foo)", "task1");
      RetryHistory h = engine.storage().getRetryHistory(RETRY);
      assertThat(h.providedValues()).containsExactly(1, 2);
      assertThat(h.get(0).failures()).containsOnlyKeys("task1");
      assertThat(h.get(0).failures().get("task1").exceptionStr()).isEqualTo("foo");
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      // And the store agrees, history values included.
      RetryDetail stored =
          (RetryDetail) env.reload(engine.flowDetail().uuid()).findByName(RETRY).orElseThrow();
      assertThat(stored.history().get(0).value()).isEqualTo(1);
      assertThat(stored.history().get(1).value()).isEqualTo(2);
    }
  }

  private static LinearFlow threeTasks(RetryTasks t) {
    return LinearFlow.of("flow-1", new Times("r1", 3))
        .add(t.saveOrder("t1"), t.saveOrder("t2"), t.saveOrder("t3"));
  }

  static Stream<Arguments> reloadCases() {
    return EngineEnv.cases().flatMap(c -> Stream.of(Arguments.of(c, false), Arguments.of(c, true)));
  }

  private Engine resumeEngine(
      EngineEnv env, Engine first, java.util.function.Supplier<LinearFlow> flow, boolean reloaded) {
    if (!reloaded) {
      return first;
    }
    return env.load(flow.get()).flowDetail(env.reload(first.flowDetail().uuid())).build();
  }

  @ParameterizedTest(name = "{0} reloaded={1}")
  @MethodSource("reloadCases")
  void resumeFlowThatHadBeenInterruptedDuringRetrying(EngineEnv.Case c, boolean reloaded) {
    RetryTasks t = new RetryTasks();
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine first = env.load(threeTasks(t)).build();
      first.compile();
      first.prepare();
      Storage s = first.storage();
      s.setAtomState("r1", AtomState.RETRYING);
      s.setAtomState("t1", AtomState.PENDING);
      s.setAtomState("t2", AtomState.REVERTED);
      s.setAtomState("t3", AtomState.REVERTED);
      Engine engine = resumeEngine(env, first, () -> threeTasks(t), reloaded);
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
      assertThat(t.calls).containsExactly("t1", "t2", "t3");
    }
  }

  @ParameterizedTest(name = "{0} reloaded={1}")
  @MethodSource("reloadCases")
  void resumeFlowThatShouldBeRetried(EngineEnv.Case c, boolean reloaded) {
    RetryTasks t = new RetryTasks();
    java.util.function.Supplier<LinearFlow> flow =
        () -> LinearFlow.of("flow-1", new Times("r1", 3)).add(t.saveOrder("t1"), t.saveOrder("t2"));
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine first = env.load(flow.get()).build();
      first.compile();
      first.prepare();
      Storage s = first.storage();
      s.setAtomIntention("r1", Intention.RETRY);
      s.setAtomState("r1", AtomState.SUCCESS);
      s.setAtomState("t1", AtomState.REVERTED);
      s.setAtomState("t2", AtomState.REVERTED);
      Engine engine = resumeEngine(env, first, flow, reloaded);
      try (CaptureListener capture = new CaptureListener(engine)) {
        engine.run();
        assertThat(capture.values())
            .containsExactly(
                "flow-1.f RUNNING",
                "r1.r RETRYING",
                "t1.t PENDING",
                "t2.t PENDING",
                "r1.r RUNNING",
                "r1.r SUCCESS(1)",
                "t1.t RUNNING",
                "t1.t SUCCESS(5)",
                "t2.t RUNNING",
                "t2.t SUCCESS(5)",
                "flow-1.f SUCCESS");
      }
      assertThat(t.calls).containsExactly("t1", "t2");
    }
  }

  /** ForEach([1, 2, 3]) over a task that fails unless v == 3; records the values it got. */
  private static LinearFlow forEachFlow(List<Integer> seen) {
    return LinearFlow.of("flow-1", new ForEach("r1", List.of(1, 2, 3)).provides("v"))
        .add(
            Task.of(
                    "t1",
                    Integer.class,
                    v -> {
                      seen.add(v);
                      if (v != 3) {
                        throw new IllegalStateException("not " + v);
                      }
                      return v;
                    })
                .requires("v"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void resumedForEachTriesEachValueOnceAfterASuspension(EngineEnv.Case c) {
    // TaskFlow bug 1: its RetryDetail.from_dict replaced history values by failure dicts, so a
    // reloaded ForEach tried value 1 again ([1, 1, 2, 3]).
    List<Integer> seen = new CopyOnWriteArrayList<>();
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine first = env.load(forEachFlow(seen)).build();
      try (Listener suspender =
          new Listener(first) {
            @Override
            protected void onAtomEvent(AtomEvent e) {
              if (e.atomName().equals("t1") && e.state() == AtomState.REVERTED) {
                engine().suspend();
              }
            }
          }) {
        first.run();
      }
      assertThat(first.flowState()).isEqualTo(FlowState.SUSPENDED);
      assertThat(seen).containsExactly(1);
      FlowDetail fd = env.reload(first.flowDetail().uuid());
      RetryDetail r = (RetryDetail) fd.findByName("r1").orElseThrow();
      assertThat(r.history()).hasSize(1);
      assertThat(r.history().get(0).value()).isEqualTo(1);
      assertThat(r.history().get(0).failures()).containsOnlyKeys("t1");

      Engine resumed = env.load(forEachFlow(seen)).flowDetail(fd).build();
      resumed.run();
      assertThat(resumed.flowState()).isEqualTo(FlowState.SUCCESS);
      assertThat(seen).containsExactly(1, 2, 3);
      assertThat(resumed.storage().getRetryHistory("r1").providedValues()).containsExactly(1, 2, 3);
      assertThat(resumed.storage().fetch("v")).isEqualTo(3);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void resumedForEachAfterACrashAtTheFirstFailure(EngineEnv.Case c) {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine first = env.load(forEachFlow(seen)).build();
      first.compile();
      first.prepare();
      Storage s = first.storage();
      // The crashed run had tried 1, and t1 failed with it.
      s.setFlowState(FlowState.RUNNING);
      s.save("r1", 1);
      s.save("t1", Failure.of(new IllegalStateException("not 1")), AtomState.FAILURE);
      FlowDetail fd = env.reload(first.flowDetail().uuid());
      Engine resumed = env.load(forEachFlow(seen)).flowDetail(fd).build();
      resumed.run();
      assertThat(resumed.flowState()).isEqualTo(FlowState.SUCCESS);
      assertThat(seen).containsExactly(2, 3);
      assertThat(resumed.storage().getRetryHistory("r1").providedValues()).containsExactly(1, 2, 3);
    }
  }

  /** A retry whose revert returns a value. */
  static final class Undoing extends io.taskflow4j.Retry {
    Undoing() {
      super("r1");
    }

    @Override
    public Object execute(io.taskflow4j.Arguments args, RetryHistory history) {
      return history.size() + 1;
    }

    @Override
    public Object revert(
        io.taskflow4j.Arguments args, RetryHistory history, java.util.Map<String, Failure> f) {
      return java.util.Map.of("undone", history.size());
    }

    @Override
    public Decision onFailure(RetryHistory history) {
      return history.size() < 2 ? Decision.RETRY : Decision.REVERT;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retryRevertResultSurvivesUpdatesAndAReload(EngineEnv.Case c) {
    // TaskFlow bug 2: RetryDetail.merge dropped revert_results on every update.
    RetryTasks t = new RetryTasks();
    try (EngineEnv env = new EngineEnv(c, dir)) {
      Engine engine =
          env.load(LinearFlow.of("flow-1", new Undoing()).add(t.failing("bad"))).build();
      org.assertj.core.api.Assertions.assertThatThrownBy(engine::run).hasMessage("Woot!");
      assertThat(engine.storage().getRevertResult("r1")).isEqualTo(java.util.Map.of("undone", 2));
      // Later updates (here: a metadata write) keep it.
      engine.storage().updateAtomMetadata("r1", java.util.Map.of("note", "post-mortem"));
      RetryDetail stored =
          (RetryDetail) env.reload(engine.flowDetail().uuid()).findByName("r1").orElseThrow();
      assertThat(stored.state()).isEqualTo(AtomState.REVERTED);
      assertThat(stored.revertResults()).isEqualTo(java.util.Map.of("undone", 2));
      assertThat(stored.history()).isEmpty();
      assertThat(stored.meta().get("note")).isEqualTo("post-mortem");
      // A new storage over the reloaded detail sees it too.
      try (var conn = env.backend.getConnection()) {
        Storage fresh = new Storage(env.reload(engine.flowDetail().uuid()), conn);
        assertThat(fresh.getRevertResult("r1")).isEqualTo(java.util.Map.of("undone", 2));
      }
    }
  }
}
