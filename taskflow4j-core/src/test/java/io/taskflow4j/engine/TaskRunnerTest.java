package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TaskRunnerTest {

  /** Records each call, then runs the task as the local runner would, or fails on demand. */
  private static final class Recording implements TaskRunner {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Invocation> invocations = new CopyOnWriteArrayList<>();

    @Override
    public Object execute(Invocation call) throws Exception {
      calls.add("execute " + call.atomName() + " #" + call.attempt());
      invocations.add(call);
      if (call.atomName().equals("boom")) {
        throw new IllegalStateException("remote side failed");
      }
      return TaskRunner.LOCAL.execute(call);
    }

    @Override
    public Object revert(Invocation call, Object result, Map<String, Failure> failures)
        throws Exception {
      calls.add("revert " + call.atomName() + " result=" + result + " failed=" + failures.keySet());
      return TaskRunner.LOCAL.revert(call, result, failures);
    }
  }

  @Test
  void everyTaskGoesThroughTheRunnerWithItsIdentityAndArguments() {
    Recording runner = new Recording();
    try (Backend backend = Backends.open("memory://");
        Connection conn = backend.getConnection()) {
      Engine engine =
          Engines.load(
                  LinearFlow.of("f")
                      .add(Task.of("a", () -> 41).provides("x"))
                      .add(Task.of("b", Integer.class, x -> x + 1).requires("x").provides("y")))
              .backend(backend)
              .taskRunner(runner)
              .build();
      engine.run();
      assertThat(engine.storage().fetch("y")).isEqualTo(42);
      assertThat(runner.calls).containsExactly("execute a #1", "execute b #1");
      FlowDetail fd = conn.getFlowDetails(engine.storage().flowUuid());
      assertThat(fd.state()).isEqualTo(FlowState.SUCCESS);
      TaskRunner.Invocation b = runner.invocations.get(1);
      AtomDetail stored = fd.findByName("b").orElseThrow();
      assertThat(b.atomUuid()).isEqualTo(stored.uuid());
      assertThat(b.flowUuid()).isEqualTo(fd.uuid());
      assertThat(b.arguments().asMap()).containsEntry("x", 41);
      assertThat(stored.state()).isEqualTo(AtomState.SUCCESS);
    }
  }

  @Test
  void aRunnerFailureIsTheTasksFailureAndRevertsGoThroughTheRunnerToo() {
    Recording runner = new Recording();
    Engine engine =
        Engines.load(
                LinearFlow.of("f")
                    .add(Task.of("a", () -> 1).provides("x"))
                    .add(Task.of("boom", () -> 2)))
            .taskRunner(runner)
            .build();
    assertThatThrownBy(engine::run)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("remote side failed");
    // As in TaskFlow, the failed task is reverted too, receiving its failure as its result.
    assertThat(runner.calls).hasSize(4);
    assertThat(runner.calls.subList(0, 2)).containsExactly("execute a #1", "execute boom #1");
    assertThat(runner.calls.get(2))
        .startsWith("revert boom result=Failure: java.lang.IllegalStateException")
        .endsWith("failed=[boom]");
    assertThat(runner.calls.get(3)).isEqualTo("revert a result=1 failed=[boom]");
  }

  @Test
  void theParallelEngineUsesTheRunnerFromItsWorkerThreads() {
    Recording runner = new Recording();
    var flow = io.taskflow4j.workloads.Workloads.fanout(50, null);
    Map<String, Object> out = Engines.load(flow).parallel(4).taskRunner(runner).run();
    assertThat(out).hasSize(50).containsEntry("v50", 50);
    assertThat(runner.calls).hasSize(50);
  }

  @Test
  void theLocalRunnerRunsTheTaskItself() throws Exception {
    Task t =
        new Task("t") {
          @Override
          public Object execute(Arguments args) {
            return "done";
          }
        };
    var call = new TaskRunner.Invocation(t, "t", "u", "f", 1, Arguments.empty());
    assertThat(TaskRunner.LOCAL.execute(call)).isEqualTo("done");
    assertThat(TaskRunner.LOCAL.revert(call, "done", Map.of())).isNull();
    assertThat(TaskRunner.LOCAL).hasToString("TaskRunner.LOCAL");
  }

  @Test
  void aFailureCapturedElsewhereIsRecordedAsItIsNotAsItsWrapper() {
    Failure remote =
        Failure.of(
            List.of("ValueError", "Exception"),
            "bad input on worker-2",
            "Traceback ...",
            null,
            null);
    TaskRunner throwing =
        new TaskRunner() {
          @Override
          public Object execute(Invocation call) {
            throw new io.taskflow4j.persistence.WrappedFailureException(List.of(remote));
          }

          @Override
          public Object revert(Invocation call, Object result, Map<String, Failure> failures) {
            return null;
          }
        };
    try (Backend backend = Backends.open("memory://");
        Connection conn = backend.getConnection()) {
      Engine engine =
          Engines.load(LinearFlow.of("f").add(Task.of("t", () -> 1)))
              .backend(backend)
              .taskRunner(throwing)
              .build();
      assertThatThrownBy(engine::run).hasMessageContaining("bad input on worker-2");
      FlowDetail fd = conn.getFlowDetails(engine.storage().flowUuid());
      assertThat(fd.state()).isEqualTo(FlowState.REVERTED);
      assertThat(engine.storage().getExecuteFailures().get("t").excTypeNames())
          .containsExactly("ValueError", "Exception");
    }
  }
}
