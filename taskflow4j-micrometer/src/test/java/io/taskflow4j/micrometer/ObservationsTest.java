package io.taskflow4j.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.observation.tck.TestObservationRegistry;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.persistence.memory.MemoryBackend;
import org.junit.jupiter.api.Test;

class ObservationsTest {
  private final TestObservationRegistry registry = TestObservationRegistry.create();

  @Test
  void aFailedFlowsObservationsCarryTheErrorAndTheEndStates() {
    try (MemoryBackend backend = new MemoryBackend();
        Engine engine = Engines.load(TestFlows.failing("bad")).backend(backend).build();
        Registration r = new TaskflowObservations(registry).listen(engine)) {
      assertThatThrownBy(engine::run).hasMessageContaining("always");
      String flowUuid = engine.flowDetail().uuid();
      assertThat(registry)
          .hasNumberOfObservationsWithNameEqualTo(TaskflowObservations.FLOW_RUN, 1)
          .hasObservationWithNameEqualTo(TaskflowObservations.FLOW_RUN)
          .that()
          .hasBeenStarted()
          .hasBeenStopped()
          .hasLowCardinalityKeyValue(TaskflowObservations.FLOW_NAME, "bad")
          .hasLowCardinalityKeyValue(TaskflowObservations.FLOW_STATE, "reverted")
          .hasHighCardinalityKeyValue(TaskflowObservations.FLOW_UUID, flowUuid)
          .assertThatError()
          .hasMessage("always");
      assertThat(registry)
          .hasAnObservation(
              o ->
                  o.hasContextualNameEqualTo("execute boom")
                      .hasLowCardinalityKeyValue(TaskflowObservations.ATOM_STATE, "failure")
                      .hasLowCardinalityKeyValue(TaskflowObservations.ATOM_ACTION, "execute")
                      .hasError())
          .hasAnObservation(
              o ->
                  o.hasContextualNameEqualTo("revert ok")
                      .hasLowCardinalityKeyValue(TaskflowObservations.ATOM_STATE, "reverted")
                      .doesNotHaveError());
    }
  }

  @Test
  void closingStopsWhatARunLeftOpen() {
    try (Engine engine = Engines.load(TestFlows.linear("lin")).build()) {
      Registration r = new TaskflowObservations(registry).listen(engine);
      // a listener that cuts the run short after t1, as a storage error would
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals("t2")
                && e.state() == io.taskflow4j.persistence.AtomState.RUNNING) {
              throw new OutOfMemoryError("simulated");
            }
          });
      assertThatThrownBy(engine::run).isInstanceOf(OutOfMemoryError.class);
      r.close();
    }
    assertThat(registry)
        .hasObservationWithNameEqualTo(TaskflowObservations.FLOW_RUN)
        .that()
        .hasBeenStopped()
        .hasLowCardinalityKeyValue(
            TaskflowObservations.FLOW_STATE, TaskflowObservations.UNFINISHED);
    assertThat(registry)
        .hasAnObservation(
            o ->
                o.hasContextualNameEqualTo("execute t2")
                    .hasLowCardinalityKeyValue(
                        TaskflowObservations.ATOM_STATE, TaskflowObservations.UNFINISHED));
  }
}
