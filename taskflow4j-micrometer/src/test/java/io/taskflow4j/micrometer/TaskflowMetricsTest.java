package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final Backend backend = new MemoryBackend();

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

  private Timer executions(String flow, String atom, String outcome) {
    return registry
        .get(TaskflowMetrics.ATOM_EXECUTIONS)
        .tags("flow", flow, "atom", atom, "outcome", outcome)
        .timer();
  }

  @Test
  void countsFlowsAndTimesEachAtomExecution() {
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
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
      Timer e = executions("lin", t, "success");
      assertThat(e.count()).as(t).isEqualTo(2);
      assertThat(e.getId().getTag("kind")).isEqualTo("task");
      assertThat(e.totalTime(TimeUnit.NANOSECONDS)).as(t).isPositive();
    }
    assertThat(registry.find(TaskflowMetrics.ATOM_EXECUTIONS).tag("outcome", "failure").timers())
        .allSatisfy(t -> assertThat(t.count()).isZero());
  }

  @Test
  void countsRetriesFailedExecutionsAndReverts() {
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
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
            registry
                .get(TaskflowMetrics.ATOM_REVERTS)
                .tags("flow", "ret", "atom", "flaky", "outcome", "reverted")
                .timer()
                .count())
        .isEqualTo(2);
    assertThat(
            registry.get(TaskflowMetrics.FLOWS_FINISHED).tags("state", "success").timer().count())
        .isEqualTo(1);
  }

  @Test
  void aFailedFlowEndsRevertedWithItsAtomsReverted() {
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
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
    assertThat(
            registry
                .get(TaskflowMetrics.ATOM_REVERTS)
                .tags("atom", "ok", "outcome", "reverted")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void parallelEnginesAreCountedFromTheirPoolThreads() {
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
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
    TaskflowMetrics metrics = new TaskflowMetrics(Tags.of("app", "test"), 2);
    metrics.bindTo(registry);
    run(metrics, TestFlows.linear("lin"), false);

    assertThat(executions("lin", "t1", "success").count()).isEqualTo(1);
    assertThat(executions("lin", "t2", "success").count()).isEqualTo(1);
    assertThat(registry.find(TaskflowMetrics.ATOM_EXECUTIONS).tag("atom", "t3").timers()).isEmpty();
    Timer other = executions("lin", TaskflowMetrics.OTHER_ATOM, "success");
    assertThat(other.count()).isEqualTo(1);
    assertThat(other.getId().getTag("app")).isEqualTo("test");
  }

  @Test
  void closingTheRegistrationStopsCounting() {
    TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
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
  }
}
