package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.MissingDependenciesException;
import io.taskflow4j.Task;
import io.taskflow4j.flow.GraphFlow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.WrappedFailureException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Engine semantics on every engine kind and backend. */
class EngineBehaviourTest {
  @TempDir Path dir;

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  /**
   * The environment of one test, its store under {@code dir}. A subclass running these tests over
   * another backend overrides it (and hides {@code cases()} with its own cells).
   */
  protected EngineEnv newEnv(EngineEnv.Case c, Path dir) {
    return new EngineEnv(c, dir);
  }

  /** A value type that must survive a trip through the store as JSON. */
  public record Point(int x, int y) {}

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void linearFlowRunsInOrderAndPublishesResults(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  Task.of("inc", Integer.class, x -> x + 1).requires("x").provides("y"),
                  Task.of("double", Integer.class, y -> y * 2).requires("y").provides("z"),
                  Task.of("sum", Integer.class, Integer.class, (x, z) -> x + z)
                      .requires("x", "z")
                      .provides("total"));
      try (Engine engine = env.load(flow).store(Map.of("x", 3)).build();
          CaptureListener capture = new CaptureListener(engine)) {
        engine.run();
        assertThat(capture.values())
            .containsExactly(
                "f.f RUNNING",
                "inc.t RUNNING",
                "inc.t SUCCESS(4)",
                "double.t RUNNING",
                "double.t SUCCESS(8)",
                "sum.t RUNNING",
                "sum.t SUCCESS(11)",
                "f.f SUCCESS");
        assertThat(engine.storage().fetchAll())
            .containsEntry("x", 3)
            .containsEntry("y", 4)
            .containsEntry("z", 8)
            .containsEntry("total", 11);
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failureRevertsCompletedTasksInReverseDependencyOrder(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      Map<String, Object> seenResults = new ConcurrentHashMap<>();
      Map<String, Map<String, Failure>> seenFailures = new ConcurrentHashMap<>();
      List<String> reverts = new CopyOnWriteArrayList<>();
      LinearFlow flow = LinearFlow.of("f");
      for (String name : List.of("a", "b", "c")) {
        flow.add(
            Task.of(name, () -> name.toUpperCase())
                .onRevert(
                    (args, result, failures) -> {
                      reverts.add(name);
                      seenResults.put(name, result);
                      seenFailures.put(name, failures);
                      return "undone-" + name;
                    }));
      }
      flow.add(
          UnorderedFlow.of("u")
              .add(
                  Task.of("ok", () -> 1),
                  Task.of(
                      "bad",
                      () -> {
                        throw new IllegalStateException("bad input");
                      })));
      try (Engine engine = env.load(flow).build()) {
        assertThatThrownBy(engine::run)
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("bad input");
        assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
        assertThat(reverts).containsExactly("c", "b", "a");
        assertThat(seenResults).containsEntry("a", "A").containsEntry("c", "C");
        assertThat(seenFailures.get("a")).containsOnlyKeys("bad");
        assertThat(seenFailures.get("a").get("bad").exceptionStr()).isEqualTo("bad input");
        FlowDetail fd = engine.flowDetail();
        assertThat(fd.findByName("a").orElseThrow().state()).isEqualTo(AtomState.REVERTED);
        assertThat(fd.findByName("a").orElseThrow().revertResults()).isEqualTo("undone-a");
        assertThat(fd.findByName("bad").orElseThrow().state()).isEqualTo(AtomState.REVERTED);
        assertThat(engine.storage().fetchAll()).isEmpty();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failedRevertEndsTheFlowInFailure(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  Task.of("a", () -> 1)
                      .onRevert(
                          (args, result, failures) -> {
                            throw new IllegalArgumentException("cannot undo a");
                          }),
                  env.failing("b", "boom"));
      try (Engine engine = env.load(flow).build();
          CaptureListener capture = new CaptureListener(engine)) {
        assertThatThrownBy(engine::run)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("cannot undo a");
        assertThat(engine.flowState()).isEqualTo(FlowState.FAILURE);
        assertThat(capture.values())
            .containsExactly(
                "f.f RUNNING",
                "a.t RUNNING",
                "a.t SUCCESS(1)",
                "b.t RUNNING",
                "b.t FAILURE(Failure: java.lang.RuntimeException: boom)",
                "b.t REVERTING",
                "b.t REVERTED(null)",
                "a.t REVERTING",
                "a.t REVERT_FAILURE(Failure: java.lang.IllegalArgumentException: cannot undo a)",
                "f.f FAILURE");
        assertThat(engine.storage().getRevertFailures()).containsOnlyKeys("a");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void neverResolveLeavesFailuresUnreverted(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.failing("b", "boom"));
      try (Engine engine = env.load(flow).neverResolve(true).build()) {
        assertThatThrownBy(engine::run).isInstanceOf(RuntimeException.class).hasMessage("boom");
        assertThat(engine.flowState()).isEqualTo(FlowState.FAILURE);
        assertThat(env.calls).containsExactly("execute a", "execute b");
        assertThat(engine.storage().getAtomState("a")).isEqualTo(AtomState.SUCCESS);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void nestedFlowsKeepTheirOrdering(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow =
          LinearFlow.of("outer")
              .add(
                  env.task("first"),
                  UnorderedFlow.of("middle")
                      .add(
                          env.task("m1"),
                          LinearFlow.of("inner").add(env.task("i1"), env.task("i2")),
                          env.task("m2")),
                  env.task("last"));
      try (Engine engine = env.load(flow).build()) {
        engine.run();
      }
      List<String> calls = new ArrayList<>(env.calls);
      assertThat(calls)
          .containsExactlyInAnyOrder(
              "execute first",
              "execute m1",
              "execute i1",
              "execute i2",
              "execute m2",
              "execute last");
      assertThat(calls.get(0)).isEqualTo("execute first");
      assertThat(calls.get(5)).isEqualTo("execute last");
      assertThat(calls.indexOf("execute i1")).isLessThan(calls.indexOf("execute i2"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void graphFlowOrdersByProvidesAndRequires(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      List<String> order = new CopyOnWriteArrayList<>();
      Task report =
          Task.of(
                  "report",
                  String.class,
                  Integer.class,
                  (name, total) -> {
                    order.add("report");
                    return name + "=" + total;
                  })
              .requires("name", "total")
              .provides("line");
      Task sum =
          Task.of(
                  "sum",
                  Integer.class,
                  Integer.class,
                  (a, b) -> {
                    order.add("sum");
                    return a + b;
                  })
              .requires("a", "b")
              .provides("total");
      Task a =
          Task.of(
                  "make-a",
                  () -> {
                    order.add("make-a");
                    return 2;
                  })
              .provides("a");
      Task b =
          Task.of(
                  "make-b",
                  () -> {
                    order.add("make-b");
                    return 5;
                  })
              .provides("b");
      Task name = Task.of("name", () -> "sum").provides("name");
      Task after =
          Task.of(
              "after",
              () -> {
                order.add("after");
                return null;
              });
      GraphFlow g = GraphFlow.of("g").add(report, sum, after, a, b, name).link(report, after);
      try (Engine engine = env.load(g).build()) {
        engine.run();
        assertThat(engine.storage().fetch("line")).isEqualTo("sum=7");
      }
      assertThat(order.indexOf("make-a")).isLessThan(order.indexOf("sum"));
      assertThat(order.indexOf("make-b")).isLessThan(order.indexOf("sum"));
      assertThat(order.indexOf("sum")).isLessThan(order.indexOf("report"));
      assertThat(order.indexOf("report")).isLessThan(order.indexOf("after"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void argumentsArriveAsDeclaredTypesAfterAReload(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      List<Object> received = new CopyOnWriteArrayList<>();
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  Task.of("make", () -> new Point(3, 4)).provides("p"),
                  Task.of("pair", () -> List.of(10L, "ten")).providesByIndex("n", "word"),
                  Task.of("dict", () -> Map.of("k", 1.5)).providesByKey("k"),
                  new Task("use") {
                    {
                      requires("p", Point.class);
                      requires("n", Long.class);
                      requires("word", String.class);
                      requires("k", Double.class);
                      optional("absent", String.class);
                      rebind(Map.of("n", "n"));
                      provides("out");
                    }

                    @Override
                    public Object execute(io.taskflow4j.Arguments args) {
                      Point p = args.get("p");
                      Long n = args.get("n");
                      received.add(p);
                      received.add(n);
                      received.add(args.get("word", String.class));
                      received.add(args.get("k"));
                      received.add(args.has("absent"));
                      return p.x() * p.y() + n;
                    }
                  });
      String fdUuid;
      try (Engine engine = env.load(flow).build()) {
        // Stop after the producers, so the consumer runs in a new engine over the reloaded detail.
        engine
            .atomNotifier()
            .register(
                AtomState.SUCCESS,
                e -> {
                  if (e.atomName().equals("dict")) {
                    engine.suspend();
                  }
                });
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
        fdUuid = engine.flowDetail().uuid();
      }
      try (Engine engine = env.load(flow).flowDetail(env.reload(fdUuid)).build()) {
        engine.run();
        assertThat(engine.storage().fetch("out")).isEqualTo(22);
      }
      assertThat(received).containsExactly(new Point(3, 4), 10L, "ten", 1.5, false);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachTaskCostsTwoAtomWritesThatRecordWhoRanItAndWhen(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir);
        CountingConnection conn = new CountingConnection(env.backend.getConnection())) {
      LinearFlow flow = LinearFlow.of("f");
      for (int i = 0; i < 5; i++) {
        flow.add(env.task("t" + i));
      }
      Engines.Builder b = Engines.load(flow).connection(conn);
      if (c.parallel()) {
        b.parallel(3);
      }
      String fdUuid;
      try (Engine engine = b.build()) {
        engine.run();
        fdUuid = engine.flowDetail().uuid();
      }
      // A serial run's first marker is carried by its first write: a new atom, made RUNNING.
      assertThat(conn.atomWrites.get()).isEqualTo(c.parallel() ? 10 : 9);
      // The new atoms with the flow's RUNNING state in one write, then the flow's SUCCESS.
      assertThat(conn.flowWrites.get()).isEqualTo(2);
      // A serial run on a store that writes atoms together commits each result with the next
      // marker, and the last one with the flow's state: one atom write per task, not two.
      boolean together = conn.updatesAtomsTogether() && !c.parallel();
      assertThat(conn.atomCommits.get()).isEqualTo(together ? 4 : c.parallel() ? 10 : 9);
      AtomDetail t0 = env.reload(fdUuid).findByName("t0").orElseThrow();
      assertThat(t0.meta())
          .containsEntry("progress", 1.0)
          .containsEntry("attempt", 1)
          .containsKeys("started_at", "ended_at", "duration", "host", "pid", "user");
      assertThat(((Number) t0.meta().get("duration")).doubleValue()).isGreaterThanOrEqualTo(0.0);
      assertThat(t0.meta().get("pid")).isEqualTo((int) ProcessHandle.current().pid());

      // Resuming a finished flow writes no atom at all.
      conn.atomWrites.set(0);
      conn.flowWrites.set(0);
      Engines.Builder again = Engines.load(flow).connection(conn).flowDetail(env.reload(fdUuid));
      if (c.parallel()) {
        again.parallel(3);
      }
      try (Engine engine = again.build()) {
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      }
      assertThat(conn.atomWrites.get()).isZero();
      assertThat(conn.flowWrites.get()).isEqualTo(2);
      assertThat(env.calls).hasSize(5);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void suspendingAfterATaskStopsAndARerunContinues(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.task("b"), env.task("c"));
      try (Engine engine = env.load(flow).build();
          CaptureListener capture = new CaptureListener(engine, false)) {
        Notifier.Registration r =
            engine
                .atomNotifier()
                .register(
                    AtomState.SUCCESS,
                    e -> {
                      if (e.atomName().equals("b")) {
                        engine.suspend();
                      }
                    });
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
        assertThat(capture.values())
            .containsExactly("a.t RUNNING", "a.t SUCCESS(a)", "b.t RUNNING", "b.t SUCCESS(b)");
        r.close();
        capture.clear();
        engine.run();
        assertThat(capture.values()).containsExactly("c.t RUNNING", "c.t SUCCESS(c)");
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      }
      assertThat(env.calls).containsExactly("execute a", "execute b", "execute c");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void suspendingTheLastTaskStillSucceeds(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      try (Engine engine = env.load(LinearFlow.of("f").add(env.task("a"))).build();
          CaptureListener capture = new CaptureListener(engine, false)) {
        engine.atomNotifier().register(AtomState.RUNNING, e -> engine.suspend());
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
        capture.clear();
        engine.run();
        assertThat(capture.values()).isEmpty();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void suspendedRevertIsFinishedByTheSameOrANewEngine(EngineEnv.Case c) {
    for (boolean newEngine : new boolean[] {false, true}) {
      try (EngineEnv env = newEnv(c, dir.resolve("new-" + newEngine))) {
        LinearFlow flow =
            LinearFlow.of("f").add(env.task("a"), env.task("b"), env.failing("c", "Woot"));
        Engine engine = env.load(flow).build();
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
        assertThat(env.calls)
            .containsExactly("execute a", "execute b", "execute c", "revert c", "revert b");
        Engine second =
            newEngine
                ? env.load(flow).flowDetail(env.reload(engine.flowDetail().uuid())).build()
                : engine;
        if (newEngine) {
          // Reloaded from the store: the failure has no live exception any more.
          assertThatThrownBy(second::run)
              .isInstanceOf(WrappedFailureException.class)
              .hasMessageContaining("Woot");
        } else {
          assertThatThrownBy(second::run)
              .isExactlyInstanceOf(RuntimeException.class)
              .hasMessage("Woot");
        }
        assertThat(second.flowState()).isEqualTo(FlowState.REVERTED);
        assertThat(env.calls.subList(5, env.calls.size())).containsExactly("revert a");
        second.close();
        engine.close();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void runIterReportsEachStepAndCanSuspend(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.task("b"));
      try (Engine engine = env.load(flow).build()) {
        List<EngineState> states = new ArrayList<>();
        Engine.EngineRun it = engine.runIter();
        while (it.hasNext()) {
          EngineState s = it.next();
          states.add(s);
          if (s == EngineState.WAITING && states.size() < 5) {
            engine.suspend();
          }
        }
        assertThat(states)
            .containsExactly(
                EngineState.RESUMING,
                EngineState.SCHEDULING,
                EngineState.WAITING,
                EngineState.ANALYZING,
                EngineState.SUSPENDED);
        assertThat(env.calls).containsExactly("execute a");
        states.clear();
        engine.runIter().forEachRemaining(states::add);
        assertThat(states)
            .containsExactly(
                EngineState.RESUMING,
                EngineState.SCHEDULING,
                EngineState.WAITING,
                EngineState.ANALYZING,
                EngineState.SUCCESS);
        assertThat(env.calls).containsExactly("execute a", "execute b");
        // After a reset, everything runs again: one scheduling round per task.
        engine.reset();
        states.clear();
        engine.runIter().forEachRemaining(states::add);
        assertThat(states)
            .containsExactly(
                EngineState.RESUMING,
                EngineState.SCHEDULING,
                EngineState.WAITING,
                EngineState.ANALYZING,
                EngineState.SCHEDULING,
                EngineState.WAITING,
                EngineState.ANALYZING,
                EngineState.SUCCESS);
        assertThat(env.calls).containsExactly("execute a", "execute b", "execute a", "execute b");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void resetRunsAFinishedOrFailedFlowAgain(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow = LinearFlow.of("f").add(env.task("a"), env.task("b"));
      try (Engine engine = env.load(flow).build()) {
        engine.run();
        engine.run();
        assertThat(env.calls).containsExactly("execute a", "execute b");
        engine.reset();
        assertThat(engine.flowState()).isEqualTo(FlowState.PENDING);
        engine.run();
        assertThat(env.calls).hasSize(4);
      }
      env.calls.clear();
      LinearFlow failing = LinearFlow.of("g").add(env.task("x"), env.failing("y", "boom"));
      try (Engine engine = env.load(failing).build()) {
        assertThatThrownBy(engine::run).hasMessage("boom");
        engine.reset();
        assertThatThrownBy(engine::run).hasMessage("boom");
        assertThat(env.calls)
            .containsExactly(
                "execute x",
                "execute y",
                "revert y",
                "revert x",
                "execute x",
                "execute y",
                "revert y",
                "revert x");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void persistentStoreSurvivesAReloadButTransientDoesNot(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  env.task("a"),
                  Task.of("b", Integer.class, Integer.class, Integer::sum)
                      .requires("kept", "dropped")
                      .provides("sum"));
      String fdUuid;
      try (Engine engine =
          env.load(flow).store(Map.of("kept", 1)).transientStore(Map.of("dropped", 2)).build()) {
        engine.atomNotifier().register(AtomState.SUCCESS, e -> engine.suspend());
        engine.run();
        fdUuid = engine.flowDetail().uuid();
      }
      try (Engine engine = env.load(flow).flowDetail(env.reload(fdUuid)).build()) {
        assertThatThrownBy(engine::run)
            .isInstanceOf(MissingDependenciesException.class)
            .hasMessageContaining("'b' requires [dropped]");
      }
      try (Engine engine =
          env.load(flow)
              .flowDetail(env.reload(fdUuid))
              .transientStore(Map.of("dropped", 2))
              .build()) {
        engine.run();
        assertThat(engine.storage().fetch("sum")).isEqualTo(3);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void perAtomInjectionAndRebinding(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  Task.of("one", () -> 1).provides("first"),
                  Task.of("two", () -> 2).provides("second"),
                  Task.of("sub", Integer.class, Integer.class, (a, b) -> a - b)
                      .requires("a", "b")
                      .rebind("second", "first")
                      .provides("diff"),
                  Task.of("scale", Integer.class, Integer.class, (v, factor) -> v * factor)
                      .requires("v", "factor")
                      .rebind(Map.of("v", "diff"))
                      .inject(Map.of("factor", 10))
                      .provides("scaled"));
      try (Engine engine = env.load(flow).build()) {
        engine.run();
        assertThat(engine.storage().fetch("diff")).isEqualTo(1);
        assertThat(engine.storage().fetch("scaled")).isEqualTo(10);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void persistentAtomInjectionAndProgressAreRecorded(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      Task t =
          Task.of(
                  "t",
                  args -> {
                    args.updateProgress(0.5, Map.of("step", "half"));
                    return args.get("factor", Integer.class) * 2;
                  })
              .requires("factor")
              .inject(Map.of("factor", 21))
              .provides("out");
      String fdUuid;
      try (Engine engine = env.load(LinearFlow.of("f").add(t)).injectTransient(false).build()) {
        engine.run();
        assertThat(engine.storage().fetch("out")).isEqualTo(42);
        fdUuid = engine.flowDetail().uuid();
      }
      AtomDetail d = env.reload(fdUuid).findByName("t").orElseThrow();
      assertThat(d.meta().get("injected")).isEqualTo(Map.of("factor", 21));
      assertThat(d.meta().get("progress")).isEqualTo(1.0);
      assertThat(d.meta().get("progress_details"))
          .isEqualTo(Map.of("at_progress", 0.5, "details", Map.of("step", "half")));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void seededSuccessFeedsItsResultAndOnlyTheRestRuns(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      // TaskFlow's test_sequential_flow_two_tasks_with_resumption.
      FlowDetail fd =
          env.seed(
              "f",
              FlowState.PENDING,
              List.of(
                  io.taskflow4j.persistence.TaskDetail.of(
                          "task1", java.util.UUID.randomUUID().toString())
                      .put(AtomState.SUCCESS, 17)));
      LinearFlow flow =
          LinearFlow.of("f")
              .add(
                  Task.of(
                          "task1",
                          () -> {
                            env.calls.add("task1");
                            return 1;
                          })
                      .provides("x1"),
                  Task.of(
                          "task2",
                          () -> {
                            env.calls.add("task2");
                            return 5;
                          })
                      .provides("x2"));
      try (Engine engine = env.load(flow).flowDetail(fd).build()) {
        engine.run();
        assertThat(engine.storage().fetchAll()).isEqualTo(Map.of("x1", 17, "x2", 5));
      }
      assertThat(env.calls).containsExactly("task2");
    }
  }

  @org.junit.jupiter.api.Test
  void anEngineRunsInOneThreadAtATime() throws Exception {
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Engine engine =
        Engines.load(
                Task.of(
                    "block",
                    () -> {
                      started.countDown();
                      return release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    }))
            .build();
    Thread runner = new Thread(engine::run);
    runner.start();
    assertThat(started.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(engine::run)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already running");
    release.countDown();
    runner.join(30_000);
    assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void severalFailuresAreRaisedTogether(EngineEnv.Case c) {
    try (EngineEnv env = newEnv(c, dir)) {
      UnorderedFlow flow =
          UnorderedFlow.of("u").add(env.failing("x", "first"), env.failing("y", "second"));
      try (Engine engine = env.load(flow).build()) {
        assertThatThrownBy(engine::run)
            .isInstanceOf(WrappedFailureException.class)
            .satisfies(
                e ->
                    assertThat(((WrappedFailureException) e).failures())
                        .extracting(Failure::exceptionStr)
                        .containsExactlyInAnyOrder("first", "second"));
        assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void parallelEngineUsesTheGivenExecutorAndLeavesItRunning() throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(
            3, r -> new Thread(r, "user-pool-" + System.nanoTime()));
    try {
      List<String> threads = new CopyOnWriteArrayList<>();
      UnorderedFlow flow = UnorderedFlow.of("u");
      for (int i = 0; i < 20; i++) {
        flow.add(Task.of("t" + i, () -> threads.add(Thread.currentThread().getName())));
      }
      Engines.load(flow).executor(pool).build().run();
      assertThat(threads).hasSize(20).allMatch(n -> n.startsWith("user-pool-"));
      assertThat(pool.isShutdown()).isFalse();
    } finally {
      pool.shutdownNow();
    }
  }

  @org.junit.jupiter.api.Test
  void ownPoolIsShutDownAfterTheRun() throws Exception {
    UnorderedFlow flow = UnorderedFlow.of("pool-check");
    for (int i = 0; i < 20; i++) {
      flow.add(Task.of("t" + i, () -> Thread.currentThread().getName()).provides("n" + i));
    }
    Map<String, Object> out = Engines.load(flow).parallel(4).run();
    assertThat(out.values()).allMatch(n -> ((String) n).startsWith("taskflow4j-pool-check-"));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("taskflow4j-pool-check-"))
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("taskflow4j-pool-check-"));
  }
}
