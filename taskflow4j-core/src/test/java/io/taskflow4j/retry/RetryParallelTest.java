package io.taskflow4j.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.EngineEnv;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.listeners.CaptureListener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Retry decisions of branches failing at the same time (parallel engine only). */
class RetryParallelTest {
  @TempDir Path dir;

  static List<EngineEnv.Case> parallelCases() {
    return EngineEnv.cases().filter(EngineEnv.Case::parallel).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parallelCases")
  void aLaterRetryDecisionDoesNotOverrideRevertAll(EngineEnv.Case c) {
    // TaskFlow bug 2043808: a parallel branch's RETRY brought its scope back to life while the
    // engine was reverting everything.
    CountDownLatch lateStarted = new CountDownLatch(1);
    CountDownLatch revertAllDecided = new CountDownLatch(1);
    AtomicInteger lateRuns = new AtomicInteger();
    UnorderedFlow flow =
        UnorderedFlow.of("top")
            .add(
                LinearFlow.of("a", new AlwaysRevertAll("ra"))
                    .add(
                        Task.of(
                            "fast",
                            () -> {
                              // Fail only once the other branch is running.
                              if (!lateStarted.await(20, TimeUnit.SECONDS)) {
                                throw new AssertionError("the late branch never started");
                              }
                              throw new IllegalStateException("fast failure");
                            })),
                LinearFlow.of("b", new Times("rb", 5))
                    .add(
                        Task.of(
                            "late",
                            () -> {
                              lateRuns.incrementAndGet();
                              lateStarted.countDown();
                              if (!revertAllDecided.await(20, TimeUnit.SECONDS)) {
                                throw new AssertionError("the fast branch never reverted");
                              }
                              throw new IllegalStateException("late failure");
                            })));
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow).build();
        CaptureListener capture = new CaptureListener(engine)) {
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals("fast") && e.state() == AtomState.REVERTED) {
              revertAllDecided.countDown();
            }
          });
      try {
        engine.run();
      } catch (RuntimeException expected) {
        // the failures are re-raised
      }
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
      assertThat(lateRuns.get()).isEqualTo(1);
      assertThat(capture.values()).doesNotContain("rb.r RETRYING");
      assertThat(engine.storage().getAtomState("late")).isEqualTo(AtomState.REVERTED);
      assertThat(engine.storage().getAtomState("rb")).isEqualTo(AtomState.REVERTED);
    }
  }
}
