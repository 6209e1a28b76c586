package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskflowMetricsTest {
  final MeterRegistry registry = new SimpleMeterRegistry();
  private final Backend backend = new MemoryBackend();

  /** Whether atoms are timed by full Timers; a subclass runs every test with them. */
  boolean fullAtomTimers() {
    return false;
  }

  private TaskflowMetrics bind() {
    return TaskflowMetrics.builder().atomHistograms(fullAtomTimers()).bind(registry);
  }

  @AfterEach
  void close() {
    backend.close();
  }

  private void run(TaskflowMetrics metrics, Flow flow, boolean parallel) {
    Engines.Builder b = Engines.load(flow).backend(backend).logBook(LogBook.create("book"));
    if (parallel) {
      b.parallel(4);
    }
    try (Engine engine = b.build();
        Registration r = metrics.listen(engine)) {
      try {
        engine.run();
      } catch (RuntimeException expectedForFailingFlows) {
        // the flow's failure, rethrown after it was reverted
      }
    }
  }

  /** An atom's timer, read whichever kind it is (after checking it is the kind configured). */
  record AtomTimes(long count, double totalNanos, Meter meter) {}

  AtomTimes atomTimes(String name, String... tags) {
    Meter m = registry.get(name).tags(tags).meter();
    if (m instanceof Timer t) {
      assertThat(fullAtomTimers()).as("a full Timer only when asked for").isTrue();
      return new AtomTimes(t.count(), t.totalTime(TimeUnit.NANOSECONDS), m);
    }
    assertThat(fullAtomTimers()).as("a FunctionTimer by default").isFalse();
    FunctionTimer f = (FunctionTimer) m;
    return new AtomTimes((long) f.count(), f.totalTime(TimeUnit.NANOSECONDS), m);
  }

  private AtomTimes executions(String flow, String atom, String outcome) {
    return atomTimes(
        TaskflowMetrics.ATOM_EXECUTIONS, "flow", flow, "atom", atom, "outcome", outcome);
  }

  @Test
  void countsFlowsAndTimesEachAtomExecution() {
    TaskflowMetrics metrics = bind();
    run(metrics, TestFlows.linear("lin"), false);
    run(metrics, TestFlows.linear("lin"), false);

    assertThat(registry.get(TaskflowMetrics.FLOWS_STARTED).tag("flow", "lin").counter().count())
        .isEqualTo(2);
    Timer success =
        registry
            .get(TaskflowMetrics.FLOWS_FINISHED)
            .tags("flow", "lin", "state", "success")
            .timer();
    assertThat(success.count()).isEqualTo(2);
    assertThat(success.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    for (String t : new String[] {"t1", "t2", "t3"}) {
      AtomTimes e = executions("lin", t, "success");
      assertThat(e.count()).as(t).isEqualTo(2);
      assertThat(e.meter().getId().getTag("kind")).isEqualTo("task");
      assertThat(e.totalNanos()).as(t).isPositive();
    }
    assertThat(registry.find(TaskflowMetrics.ATOM_EXECUTIONS).tag("outcome", "failure").meters())
        .isNotEmpty()
        .allSatisfy(m -> assertThat(atomTimes(m.getId().getName(), tagsOf(m)).count()).isZero());
  }

  @Test
  void aFlowOfTheSameNameInAnotherOrderIsCountedByAtomName() {
    // Outcomes find their meters by the atom's position in a plan of an earlier run; a run in
    // another order, with other atoms or other outcomes must still count each atom under its own
    // name.
    TaskflowMetrics metrics = bind();
    run(metrics, TestFlows.linear("lin"), false);
    Flow reversed = io.taskflow4j.flow.LinearFlow.of("lin");
    for (String t : new String[] {"t3", "t2", "x", "t1"}) {
      reversed.add(io.taskflow4j.Task.of(t, () -> t));
    }
    run(metrics, reversed, false);
    run(metrics, TestFlows.failing("lin"), false); // same flow name, a failure at position 0 or 1
    run(metrics, TestFlows.linear("lin"), false);

    for (String t : new String[] {"t1", "t2", "t3"}) {
      assertThat(executions("lin", t, "success").count()).as(t).isEqualTo(3);
    }
    assertThat(executions("lin", "x", "success").count()).isEqualTo(1);
    assertThat(executions("lin", "boom", "failure").count()).isEqualTo(1);
    assertThat(executions("lin", "ok", "success").count()).isEqualTo(1);
  }

  @Test
  void flowsOfOneNameBuiltDifferentlyAndRunAtOnceCountEachAtomByItsName() throws Exception {
    // Two shapes of one flow name, run concurrently, replace each other's plan all the time; each
    // run keeps the plan it checked against its own atoms.
    TaskflowMetrics metrics = bind();
    int runs = 40;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<?> a =
          pool.submit(
              () -> {
                for (int i = 0; i < runs; i++) {
                  run(metrics, TestFlows.linear("lin"), false);
                }
              });
      java.util.concurrent.Future<?> b =
          pool.submit(
              () -> {
                for (int i = 0; i < runs; i++) {
                  Flow other = io.taskflow4j.flow.LinearFlow.of("lin");
                  for (String t : new String[] {"t3", "x", "t1"}) {
                    other.add(io.taskflow4j.Task.of(t, () -> t));
                  }
                  run(metrics, other, false);
                }
              });
      a.get(1, TimeUnit.MINUTES);
      b.get(1, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    assertThat(executions("lin", "t1", "success").count()).isEqualTo(2L * runs);
    assertThat(executions("lin", "t2", "success").count()).isEqualTo(runs);
    assertThat(executions("lin", "t3", "success").count()).isEqualTo(2L * runs);
    assertThat(executions("lin", "x", "success").count()).isEqualTo(runs);
  }

  @Test
  void atomNamesThatRunTogetherAlikeAreToldApart() {
    // "ab", "c" and "a", "bc" read alike one after the other; each run counts its own names.
    TaskflowMetrics metrics = bind();
    for (int r = 0; r < 2; r++) {
      run(metrics, named("glued", "ab", "c"), false);
      run(metrics, named("glued", "a", "bc"), false);
    }
    for (String t : new String[] {"ab", "c", "a", "bc"}) {
      assertThat(executions("glued", t, "success").count()).as(t).isEqualTo(2);
    }
  }

  private static Flow named(String flowName, String... atoms) {
    Flow f = io.taskflow4j.flow.LinearFlow.of(flowName);
    for (String t : atoms) {
      f.add(io.taskflow4j.Task.of(t, () -> t));
    }
    return f;
  }

  @Test
  void aFlowOfManyAtomsIsCountedPerAtomAcrossItsRuns() {
    // Tallies are kept in chunks of atoms; a flow larger than several chunks, run three times.
    TaskflowMetrics metrics = bind();
    int n = 3 * TaskflowMetrics.Slab.CHUNK + 5;
    for (int r = 0; r < 3; r++) {
      Flow big = io.taskflow4j.flow.LinearFlow.of("big");
      for (int i = 0; i < n; i++) {
        String t = "a" + i;
        big.add(io.taskflow4j.Task.of(t, () -> t));
      }
      run(metrics, big, false);
    }
    for (int i = 0; i < n; i++) {
      AtomTimes e = executions("big", "a" + i, "success");
      assertThat(e.count()).as("a" + i).isEqualTo(3);
      assertThat(e.totalNanos()).as("a" + i).isPositive();
    }
  }

  @Test
  void countsRetriesFailedExecutionsAndReverts() {
    TaskflowMetrics metrics = bind();
    run(metrics, TestFlows.retried("ret", 2), false);

    assertThat(executions("ret", "flaky", "failure").count()).isEqualTo(2);
    assertThat(executions("ret", "flaky", "success").count()).isEqualTo(1);
    assertThat(executions("ret", "setup", "success").count()).isEqualTo(1);
    assertThat(
            registry
                .get(TaskflowMetrics.RETRIES)
                .tags("flow", "ret", "atom", "again", "kind", "retry")
                .counter()
                .count())
        .isEqualTo(2);
    // each failed attempt is reverted before the retry runs the subflow again
    assertThat(
            atomTimes(
                    TaskflowMetrics.ATOM_REVERTS,
                    "flow",
                    "ret",
                    "atom",
                    "flaky",
                    "outcome",
                    "reverted")
                .count())
        .isEqualTo(2);
    assertThat(
            registry.get(TaskflowMetrics.FLOWS_FINISHED).tags("state", "success").timer().count())
        .isEqualTo(1);
  }

  @Test
  void aFailedFlowEndsRevertedWithItsAtomsReverted() {
    TaskflowMetrics metrics = bind();
    run(metrics, TestFlows.failing("bad"), false);

    assertThat(
            registry
                .get(TaskflowMetrics.FLOWS_FINISHED)
                .tags("flow", "bad", "state", "reverted")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(executions("bad", "boom", "failure").count()).isEqualTo(1);
    assertThat(executions("bad", "ok", "success").count()).isEqualTo(1);
    assertThat(atomTimes(TaskflowMetrics.ATOM_REVERTS, "atom", "ok", "outcome", "reverted").count())
        .isEqualTo(1);
  }

  @Test
  void parallelEnginesAreCountedFromTheirPoolThreads() {
    TaskflowMetrics metrics = bind();
    for (int i = 0; i < 3; i++) {
      run(metrics, TestFlows.parallel("par", 1), true);
    }
    for (String t : new String[] {"p1", "p2", "p3", "p4"}) {
      assertThat(executions("par", t, "success").count()).as(t).isEqualTo(3);
    }
    assertThat(executions("par", "flaky", "failure").count()).isEqualTo(3);
    assertThat(executions("par", "flaky", "success").count()).isEqualTo(3);
    assertThat(registry.get(TaskflowMetrics.RETRIES).tag("atom", "again").counter().count())
        .isEqualTo(3);
  }

  @Test
  void atomNamesBeyondTheLimitShareOneTag() {
    TaskflowMetrics metrics =
        TaskflowMetrics.builder()
            .tags(Tags.of("app", "test"))
            .maxAtomNames(2)
            .atomHistograms(fullAtomTimers())
            .bind(registry);
    run(metrics, TestFlows.linear("lin"), false);

    assertThat(executions("lin", "t1", "success").count()).isEqualTo(1);
    assertThat(executions("lin", "t2", "success").count()).isEqualTo(1);
    assertThat(registry.find(TaskflowMetrics.ATOM_EXECUTIONS).tag("atom", "t3").meters()).isEmpty();
    AtomTimes other = executions("lin", TaskflowMetrics.OTHER_ATOM, "success");
    assertThat(other.count()).isEqualTo(1);
    assertThat(other.meter().getId().getTag("app")).isEqualTo("test");
  }

  @Test
  void closingTheRegistrationStopsCounting() {
    TaskflowMetrics metrics = bind();
    try (Engine engine = Engines.load(TestFlows.linear("lin")).build()) {
      metrics.listen(engine).close();
      engine.run();
    }
    assertThat(registry.find(TaskflowMetrics.FLOWS_STARTED).counters()).isEmpty();
  }

  @Test
  void refusesToListenBeforeBeingBound() {
    TaskflowMetrics metrics = new TaskflowMetrics();
    try (Engine engine = Engines.load(TestFlows.linear("lin")).build()) {
      assertThatThrownBy(() -> metrics.listen(engine))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("bindTo");
    }
    assertThatThrownBy(() -> new TaskflowMetrics(Tags.empty(), -1))
        .hasMessageContaining("maxAtomNames");
    assertThatThrownBy(() -> TaskflowMetrics.builder().maxAtomNames(-1))
        .hasMessageContaining("maxAtomNames");
  }

  private static String[] tagsOf(Meter m) {
    return m.getId().getTags().stream()
        .flatMap(t -> java.util.stream.Stream.of(t.getKey(), t.getValue()))
        .toArray(String[]::new);
  }
}
