package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import io.taskflow4j.storage.StorageOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When the logbook cannot be written, the run stops where it is: the flow stays unfinished
 * (RUNNING, as after a crash) and a later run resumes it.
 */
class StorageFailureTest {

  /** Fails every atom write after the first {@code okWrites}. */
  private static final class BreakingConnection extends ForwardingConnection {
    private final AtomicInteger left;

    BreakingConnection(Connection delegate, int okWrites) {
      super(delegate);
      this.left = new AtomicInteger(okWrites);
    }

    @Override
    public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
      if (left.getAndDecrement() <= 0) {
        throw new StorageException("disk full (simulated)");
      }
      return super.updateAtomDetails(atomDetail);
    }
  }

  @ParameterizedTest(name = "parallel={0}")
  @ValueSource(booleans = {false, true})
  void failedWriteLeavesTheFlowUnfinishedAndTheNextRunResumes(boolean parallel) {
    try (Backend backend = Backends.open("memory://")) {
      EngineEnv helper =
          new EngineEnv(new EngineEnv.Case(EngineEnv.Kind.SERIAL, EngineEnv.Store.MEMORY), null);
      helper.close();
      List<String> calls = helper.calls;
      LinearFlow flow =
          LinearFlow.of("f").add(helper.task("a"), helper.task("b"), helper.task("c"));
      String fdUuid;
      // a: RUNNING + SUCCESS written; b: RUNNING written, its SUCCESS write fails. A serial
      // run's first marker goes with its first write, not through updateAtomDetails.
      try (Connection broken = new BreakingConnection(backend.getConnection(), parallel ? 3 : 2)) {
        Engines.Builder b =
            Engines.load(flow)
                .connection(broken)
                .storageOptions(
                    StorageOptions.builder()
                        .writeAttempts(1)
                        .writeRetryBackoff(Duration.ofMillis(1))
                        .build());
        if (parallel) {
          b.parallel(2);
        }
        Engine engine = b.build();
        assertThatThrownBy(engine::run)
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("disk full");
        fdUuid = engine.flowDetail().uuid();
      }
      assertThat(calls).containsExactly("execute a", "execute b");
      FlowDetail after;
      try (Connection c = backend.getConnection()) {
        after = c.getFlowDetails(fdUuid);
      }
      assertThat(after.state()).isEqualTo(FlowState.RUNNING);
      assertThat(after.findByName("a").orElseThrow().state()).isEqualTo(AtomState.SUCCESS);
      assertThat(after.findByName("b").orElseThrow().state()).isEqualTo(AtomState.RUNNING);

      Engines.Builder again = Engines.load(flow).backend(backend).flowDetail(after);
      if (parallel) {
        again.parallel(2);
      }
      try (Engine engine = again.build()) {
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      }
      // b's outcome was never recorded, so it runs again (at-least-once); a does not.
      assertThat(calls).containsExactly("execute a", "execute b", "execute b", "execute c");
    }
  }
}
