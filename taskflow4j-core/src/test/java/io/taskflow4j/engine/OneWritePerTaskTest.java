package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.storage.TogetherConnection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A serial run on a store that writes two atoms together costs one write per task: a task's result
 * goes with the next task's RUNNING marker, and a new run's atoms go with its RUNNING state. So
 * does a parallel run on its own workers: each worker's result goes with its own next marker.
 * Listeners still hear of each result only once it is stored, in the usual order; every way out of
 * the run writes a held result.
 */
class OneWritePerTaskTest {
  private Backend backend;
  private Connection memory;
  private final List<String> heard = Collections.synchronizedList(new ArrayList<>());
  private final List<String> heardBeforeStored = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger calls = new AtomicInteger();

  @BeforeEach
  void open() {
    backend = Backends.open("memory://");
    memory = backend.getConnection();
  }

  @AfterEach
  void close() {
    memory.close();
    backend.close();
  }

  /** Task {@code ti}, counted in {@link #calls}, giving {@code i * 10}. */
  private Task task(int i) {
    return Task.of(
        "t" + i,
        () -> {
          calls.incrementAndGet();
          return i * 10;
        });
  }

  private LinearFlow chain(int n) {
    LinearFlow flow = LinearFlow.of("chain");
    for (int i = 0; i < n; i++) {
      flow.add(task(i));
    }
    return flow;
  }

  /** Records each atom event, and any SUCCESS heard before the store held it. */
  private void listen(Engine engine) {
    engine
        .atomNotifier()
        .registerAny(
            e -> {
              heard.add(e.atomName() + ":" + e.state());
              if (e.state() == AtomState.SUCCESS
                  && memory.getAtomDetails(e.atomUuid()).state() != AtomState.SUCCESS) {
                heardBeforeStored.add(e.atomName());
              }
            });
  }

  private static List<String> expectedEvents(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("t" + i + ":RUNNING");
      out.add("t" + i + ":SUCCESS");
    }
    return out;
  }

  @Test
  void eachResultSharesTheNextMarkersWriteAndIsHeardAfterIt() {
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(chain(5)).connection(c).build()) {
      listen(engine);
      c.writes.clear();
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      fd = engine.flowDetail().uuid();
    }
    assertThat(c.writes)
        .containsExactly(
            // the run's new atoms with its RUNNING state and the first one's marker: one write
            List.of(
                "flow:RUNNING",
                "t0:RUNNING",
                "t1:PENDING",
                "t2:PENDING",
                "t3:PENDING",
                "t4:PENDING"),
            List.of("t0:SUCCESS", "t1:RUNNING"),
            List.of("t1:SUCCESS", "t2:RUNNING"),
            List.of("t2:SUCCESS", "t3:RUNNING"),
            List.of("t3:SUCCESS", "t4:RUNNING"),
            List.of("flow:SUCCESS", "t4:SUCCESS")); // the last result with the final state
    assertThat(heard).containsExactlyElementsOf(expectedEvents(5));
    assertThat(heardBeforeStored).isEmpty();
    FlowDetail stored = memory.getFlowDetails(fd);
    for (int i = 0; i < 5; i++) {
      AtomDetail ad = stored.findByName("t" + i).orElseThrow();
      assertThat(ad.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(ad.lastResults()).isEqualTo(i * 10);
      assertThat(ad.meta()).containsKeys("started_at", "ended_at", "duration");
    }
  }

  @Test
  void aRunThatStopsBeforeItsFirstWriteStillStoresTheAtomsItPrepared() {
    // Validation fails after prepare: the new atoms are written alone, as prepare() writes them.
    LinearFlow flow =
        LinearFlow.of("needs")
            .add(
                Task.of("a", () -> 1).provides("x"),
                Task.of("b", Object.class, v -> v).requires("nope"));
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(flow).connection(c).build()) {
      fd = engine.flowDetail().uuid();
      c.writes.clear();
      assertThatThrownBy(engine::run)
          .isInstanceOf(io.taskflow4j.MissingDependenciesException.class);
    }
    assertThat(c.writes).containsExactly(List.of("flow:PENDING", "a:PENDING", "b:PENDING"));
    assertThat(memory.getFlowDetails(fd).atoms())
        .extracting(AtomDetail::name)
        .containsExactly("a", "b");
  }

  @Test
  void aFailedFirstWriteOfARunWritesItsAtomsAloneAndTheRunCanStartAgain() {
    TogetherConnection c = new TogetherConnection(memory, true);
    c.failNextFlow = new ConflictException("the flow moved on");
    String fd;
    try (Engine engine = Engines.load(chain(2)).connection(c).build()) {
      fd = engine.flowDetail().uuid();
      c.writes.clear();
      assertThatThrownBy(engine::run).isInstanceOf(ConflictException.class);
      assertThat(c.writes)
          .containsExactly(
              List.of("flow:RUNNING", "t0:RUNNING", "t1:PENDING"), // refused
              List.of("flow:PENDING", "t0:PENDING", "t1:PENDING")); // the atoms alone
      assertThat(memory.getFlowDetails(fd).atoms()).hasSize(2);
      assertThat(calls).hasValue(0);
      engine.run(); // the same engine, its atoms prepared and stored
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(calls).hasValue(2);
    assertThat(memory.getFlowDetails(fd).state()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void preparingExplicitlyWritesTheAtomsAtOnce() {
    TogetherConnection c = new TogetherConnection(memory, true);
    try (Engine engine = Engines.load(chain(2)).connection(c).build()) {
      String fd = engine.flowDetail().uuid();
      c.writes.clear();
      engine.prepare();
      assertThat(c.writes).containsExactly(List.of("flow:PENDING", "t0:PENDING", "t1:PENDING"));
      assertThat(memory.getFlowDetails(fd).atoms()).hasSize(2);
      engine.run();
      assertThat(c.writes.get(1)).containsExactly("flow:RUNNING");
    }
  }

  @Test
  void aRunDrivenStepByStepOrOnTheCallersExecutorWritesEachResultAlone() {
    TogetherConnection c = new TogetherConnection(memory, true);
    try (Engine engine = Engines.load(chain(4)).connection(c).build();
        Engine.EngineRun steps = engine.runIter()) {
      listen(engine);
      while (steps.hasNext()) {
        steps.next();
      }
    }
    assertThat(c.jointWrites()).isZero();
    assertThat(heard).containsExactlyElementsOf(expectedEvents(4));

    c.writes.clear();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try (Engine engine = Engines.load(fanout(12)).connection(c).executor(pool).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    } finally {
      pool.shutdown();
    }
    assertThat(c.jointWrites()).isZero();
    assertThat(heardBeforeStored).isEmpty();
  }

  private io.taskflow4j.flow.UnorderedFlow fanout(int n) {
    io.taskflow4j.flow.UnorderedFlow flow = io.taskflow4j.flow.UnorderedFlow.of("fan");
    for (int i = 0; i < n; i++) {
      flow.add(task(i));
    }
    return flow;
  }

  /** The atom writes (flow-detail writes left out). */
  private static List<List<String>> atomWrites(TogetherConnection c) {
    synchronized (c.writes) {
      return c.writes.stream().filter(w -> !w.get(0).startsWith("flow:")).toList();
    }
  }

  @Test
  void aParallelRunsOwnWorkersEachWriteTheirResultWithTheirNextMarker() {
    TogetherConnection c = new TogetherConnection(memory, true);
    int n = 40;
    int workers = 4;
    String fd;
    try (Engine engine = Engines.load(fanout(n)).connection(c).parallel(workers).build()) {
      listen(engine);
      c.writes.clear();
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      fd = engine.flowDetail().uuid();
    }
    // About one write per task (two without holding): its RUNNING marker, carrying the result its
    // worker held, if any; a worker that finds no next task (at the end, or for a moment while
    // the engine is still handing the tasks out) writes its result alone.
    List<List<String>> atoms = atomWrites(c);
    assertThat(atoms.stream().filter(w -> w.get(w.size() - 1).endsWith(":RUNNING")).count())
        .isEqualTo(n);
    assertThat(atoms.size()).isBetween(n, n + n / 4);
    assertThat(c.jointWrites()).isGreaterThanOrEqualTo(n / 2);
    for (List<String> w : atoms) {
      if (w.size() == 2) {
        assertThat(w.get(0)).endsWith(":SUCCESS");
        assertThat(w.get(1)).endsWith(":RUNNING");
      }
    }
    assertThat(heardBeforeStored).isEmpty();
    assertThat(heard.stream().filter(e -> e.endsWith(":SUCCESS"))).hasSize(n);
    FlowDetail stored = memory.getFlowDetails(fd);
    for (int i = 0; i < n; i++) {
      AtomDetail ad = stored.findByName("t" + i).orElseThrow();
      assertThat(ad.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(ad.lastResults()).isEqualTo(i * 10);
    }
  }

  @Test
  void aParallelRunStartsATaskOnlyOnceWhatItFollowsIsStored() {
    TogetherConnection c = new TogetherConnection(memory, true);
    List<String> startedTooSoon = Collections.synchronizedList(new ArrayList<>());
    try (Engine engine = Engines.load(chain(8)).connection(c).parallel(3).build()) {
      listen(engine);
      engine
          .atomNotifier()
          .registerAny(
              e -> {
                int k = Integer.parseInt(e.atomName().substring(1));
                if (e.state() == AtomState.RUNNING && k > 0) {
                  AtomDetail before =
                      memory
                          .getFlowDetails(engine.flowDetail().uuid())
                          .findByName("t" + (k - 1))
                          .orElseThrow();
                  if (before.state() != AtomState.SUCCESS) {
                    startedTooSoon.add(e.atomName());
                  }
                }
              });
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(startedTooSoon).isEmpty();
    assertThat(heard).containsExactlyElementsOf(expectedEvents(8));
    assertThat(heardBeforeStored).isEmpty();
  }

  @Test
  void aParallelWorkersFailedJointWriteEndsTheRunAsACrashWouldAndNothingWaitsForIt() {
    TogetherConnection c = new TogetherConnection(memory, true);
    int n = 30;
    String fd;
    try (Engine engine = Engines.load(fanout(n)).connection(c).parallel(3).build()) {
      listen(engine);
      c.failNextList = new ConflictException("another engine moved the flow on");
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(60),
          () -> assertThatThrownBy(engine::run).isInstanceOf(ConflictException.class));
      fd = engine.flowDetail().uuid();
    }
    assertThat(heardBeforeStored).isEmpty(); // no one heard of the result that was lost
    FlowDetail stored = memory.getFlowDetails(fd);
    long done = stored.atoms().stream().filter(a -> a.state() == AtomState.SUCCESS).count();
    assertThat(done).isLessThan(n);
    assertThat(heard.stream().filter(e -> e.endsWith(":SUCCESS"))).hasSize((int) done);
    int before = calls.get();
    try (Engine engine = Engines.load(fanout(n)).connection(c).flowDetail(stored).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(calls.get() - before).isEqualTo(n - (int) done); // only what was not stored
  }

  /**
   * A listener's Error on a held result is that result's atom's to report, on whichever thread
   * wrote it (an idle worker alone, or another task's marker): the run stops with it, no worker
   * dies, and nothing waits for ever.
   */
  @Test
  void anErrorFromAListenerOfAHeldResultStopsAParallelRunWithoutAHang() {
    for (boolean fan : new boolean[] {false, true}) {
      TogetherConnection c = new TogetherConnection(memory, true);
      io.taskflow4j.FlowElement flow = fan ? fanout(20) : chain(3);
      String fd;
      try (Engine engine = Engines.load(flow).connection(c).parallel(3).build()) {
        engine.onAtomEvent(
            e -> {
              if (e.atomName().equals("t1") && e.state() == AtomState.SUCCESS) {
                throw new AssertionError("a listener's own bug");
              }
            });
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
            java.time.Duration.ofSeconds(60),
            () ->
                assertThatThrownBy(engine::run)
                    .as(fan ? "fan-out" : "chain")
                    .isInstanceOf(AssertionError.class)
                    .hasMessage("a listener's own bug"));
        fd = engine.flowDetail().uuid();
      }
      FlowDetail stored = memory.getFlowDetails(fd);
      assertThat(stored.state().isFinished()).isFalse();
      assertThat(stored.findByName("t1").orElseThrow().state()).isEqualTo(AtomState.SUCCESS);
    }
  }

  @Test
  void aParallelWorkersFailedLoneWriteOfItsResultEndsTheRunAndTheTaskRunsAgainOnResume() {
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(chain(3)).connection(c).parallel(2).build()) {
      listen(engine);
      // In a chain the worker finds no next task: it writes its result alone, and that fails.
      c.failWriteOf = "t0:SUCCESS";
      c.failWith = new ConflictException("another engine moved the flow on");
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(60),
          () -> assertThatThrownBy(engine::run).isInstanceOf(ConflictException.class));
      fd = engine.flowDetail().uuid();
    }
    FlowDetail stored = memory.getFlowDetails(fd);
    assertThat(stored.findByName("t0").get().state()).isEqualTo(AtomState.RUNNING);
    assertThat(heard).containsExactly("t0:RUNNING");
    assertThat(calls).hasValue(1);
    try (Engine engine = Engines.load(chain(3)).connection(c).flowDetail(stored).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(calls).hasValue(4);
  }

  /**
   * A serial run's start (its RUNNING state and new atoms) waits for its first task's marker and
   * goes in that write; its listeners hear of it once stored, before the task's own RUNNING event.
   */
  @Test
  void aRunsStartGoesWithItsFirstMarkerAndIsHeardOnceStoredBeforeTheTask() {
    TogetherConnection c = new TogetherConnection(memory, true);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    List<String> storedWhenHeard = new ArrayList<>();
    try (Engine engine = Engines.load(chain(2)).connection(c).build()) {
      String fd = engine.flowDetail().uuid();
      engine.onAtomEvent(e -> order.add(e.atomName() + ":" + e.state()));
      engine.onFlowEvent(
          e -> {
            order.add("flow:" + e.state());
            if (e.state() == FlowState.RUNNING) {
              FlowDetail stored = memory.getFlowDetails(fd);
              storedWhenHeard.add(stored.state() + "/" + stored.findByName("t0").get().state());
            }
          });
      c.writes.clear();
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(c.writes.get(0)).containsExactly("flow:RUNNING", "t0:RUNNING", "t1:PENDING");
    assertThat(c.writes).hasSize(3); // then t0's result with t1's marker, t1's with the SUCCESS
    assertThat(storedWhenHeard).containsExactly("RUNNING/RUNNING");
    assertThat(order)
        .containsSubsequence("flow:RUNNING", "t0:RUNNING", "t0:SUCCESS", "flow:SUCCESS")
        .containsOnlyOnce("flow:RUNNING");
  }

  /** A listener that suspends the run as it hears of its start stops it before any task runs. */
  @Test
  void aRunSuspendedAsItsStartIsHeardRunsNoTaskAndLeavesItsAtomsPending() {
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(chain(2)).connection(c).build()) {
      fd = engine.flowDetail().uuid();
      listen(engine);
      engine.onFlowEvent(
          e -> {
            if (e.state() == FlowState.RUNNING) {
              engine.suspend();
            }
          });
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
    }
    assertThat(calls).hasValue(0);
    assertThat(heard).isEmpty();
    FlowDetail stored = memory.getFlowDetails(fd);
    assertThat(stored.state()).isEqualTo(FlowState.SUSPENDED);
    assertThat(stored.atoms()).extracting(AtomDetail::state).containsOnly(AtomState.PENDING);
    try (Engine engine = Engines.load(chain(2)).connection(c).flowDetail(stored).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(calls).hasValue(2);
  }

  /**
   * When the first task to run is not one of the run's new atoms (the flow gained a task since it
   * was stored), the start is written first, alone, and the marker after it.
   */
  @Test
  void aRunWhoseFirstTaskWasStoredBeforeWritesItsStartFirst() {
    TogetherConnection c = new TogetherConnection(memory, true);
    FlowDetail stored;
    try (Engine engine = Engines.load(LinearFlow.of("chain").add(task(0))).connection(c).build()) {
      engine.prepare();
      stored = memory.getFlowDetails(engine.flowDetail().uuid());
    }
    List<String> flowHeard = new ArrayList<>();
    try (Engine engine = Engines.load(chain(2)).connection(c).flowDetail(stored).build()) {
      engine.onFlowEvent(e -> flowHeard.add(e.state().name()));
      c.writes.clear();
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(c.writes.subList(0, 2))
        .containsExactly(List.of("flow:RUNNING", "t1:PENDING"), List.of("t0:RUNNING"));
    assertThat(flowHeard).containsExactly("RUNNING", "SUCCESS");
    assertThat(calls).hasValue(2);
  }

  @Test
  void aSuspendedRunWritesTheLastResultBeforeItsState() {
    TogetherConnection c = new TogetherConnection(memory, true);
    AtomicReference<Engine> self = new AtomicReference<>();
    LinearFlow flow =
        LinearFlow.of("f")
            .add(
                Task.of(
                    "first",
                    () -> {
                      self.get().suspend();
                      return "kept";
                    }),
                Task.of("second", () -> "not run"));
    try (Engine engine = Engines.load(flow).connection(c).build()) {
      self.set(engine);
      listen(engine);
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
      AtomDetail first =
          memory.getFlowDetails(engine.flowDetail().uuid()).findByName("first").get();
      assertThat(first.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(first.lastResults()).isEqualTo("kept");
    }
    assertThat(heard).containsExactly("first:RUNNING", "first:SUCCESS");
    assertThat(heardBeforeStored).isEmpty();
  }

  @Test
  void suspendingFromTheListenerOfAResultStopsBeforeTheNextTaskStarts() {
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(chain(3)).connection(c).build()) {
      listen(engine);
      engine
          .atomNotifier()
          .registerAny(
              e -> {
                if (e.atomName().equals("t0") && e.state() == AtomState.SUCCESS) {
                  engine.suspend();
                }
              });
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
      fd = engine.flowDetail().uuid();
    }
    assertThat(calls).hasValue(1);
    assertThat(heard).containsExactly("t0:RUNNING", "t0:SUCCESS");
    AtomDetail t1 = memory.getFlowDetails(fd).findByName("t1").orElseThrow();
    assertThat(t1.state()).isEqualTo(AtomState.PENDING); // marked with t0's result, then put back
    assertThat(t1.meta()).doesNotContainKeys("started_at", "attempt");

    try (Engine engine =
        Engines.load(chain(3)).connection(c).flowDetail(memory.getFlowDetails(fd)).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      assertThat(memory.getFlowDetails(fd).findByName("t1").get().meta())
          .containsEntry("attempt", 1);
    }
    assertThat(calls).hasValue(3);
  }

  @Test
  void aFailingTaskAfterAHeldResultRevertsWithThatResultStored() {
    TogetherConnection c = new TogetherConnection(memory, true);
    List<Object> revertedWith = new ArrayList<>();
    LinearFlow flow =
        LinearFlow.of("f")
            .add(
                Task.of("ok", () -> "made")
                    .onRevert((args, result, failures) -> revertedWith.add(result)),
                Task.of(
                    "boom",
                    () -> {
                      throw new IllegalStateException("boom");
                    }));
    try (Engine engine = Engines.load(flow).connection(c).build()) {
      assertThatThrownBy(engine::run).hasMessageContaining("boom");
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
    }
    assertThat(revertedWith).containsExactly("made");
    assertThat(c.writes).contains(List.of("ok:SUCCESS", "boom:RUNNING"));
  }

  @Test
  void aFailedJointWriteStopsTheRunAsACrashWouldAndTheResumeRunsTheTaskAgain() {
    TogetherConnection c = new TogetherConnection(memory, true);
    String fd;
    try (Engine engine = Engines.load(chain(3)).connection(c).build()) {
      listen(engine);
      // A conflict is never retried (a transient error would be, and then succeed).
      c.failNextList = new ConflictException("another engine moved the flow on");
      assertThatThrownBy(engine::run).isInstanceOf(ConflictException.class);
      fd = engine.flowDetail().uuid();
    }
    FlowDetail stored = memory.getFlowDetails(fd);
    assertThat(stored.findByName("t0").get().state()).isEqualTo(AtomState.RUNNING);
    assertThat(stored.findByName("t1").get().state()).isEqualTo(AtomState.PENDING);
    assertThat(heard).containsExactly("t0:RUNNING"); // no one heard of a result never stored
    assertThat(calls).hasValue(1);

    try (Engine engine = Engines.load(chain(3)).connection(c).flowDetail(stored).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(calls).hasValue(4); // t0 again, as after a crash, then t1 and t2
  }
}
