package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Recording how to rebuild a flow, and rebuilding it from a flow detail. */
class FlowFactoryTest {

  /** Not a FlowFactory. */
  public static final class NotAFactory {}

  @Test
  void factoryClassIsRecordedAndRebuildsTheFlow() {
    try (Backend backend = Backends.open("memory://")) {
      FlowDetail fd;
      try (Engine engine =
          Engines.loadFromFactory(ChainFlows.class, List.of(3), Map.of("sleep_ms", 0))
              .backend(backend)
              .store(Map.of("v0", 10))
              .build()) {
        engine
            .atomNotifier()
            .register(io.taskflow4j.persistence.AtomState.SUCCESS, e -> engine.suspend());
        engine.run();
        fd = engine.flowDetail();
      }
      assertThat(fd.meta().get("factory"))
          .isEqualTo(
              Map.of(
                  "name", ChainFlows.class.getName(),
                  "args", List.of(3),
                  "kwargs", Map.of("sleep_ms", 0)));
      FlowDetail stored;
      try (Connection c = backend.getConnection()) {
        stored = c.getFlowDetails(fd.uuid());
      }
      assertThat(stored.state()).isEqualTo(FlowState.SUSPENDED);
      try (Engine engine = Engines.loadFromDetail(stored, backend)) {
        engine.run();
        assertThat(engine.storage().fetch("v3")).isEqualTo(13);
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      }
    }
  }

  @Test
  void staticMethodWithTypedArgumentsIsRecorded() {
    try (Backend backend = Backends.open("memory://")) {
      Engine engine =
          Engines.loadFromFactory(ChainFlows.class, "chain", List.of(2, "", 0), Map.of())
              .backend(backend)
              .store(Map.of("v0", 1))
              .build();
      engine.run();
      assertThat(engine.storage().fetch("v2")).isEqualTo(3);
      Object factory = engine.flowDetail().meta().get("factory");
      assertThat(factory)
          .isEqualTo(
              Map.of(
                  "name", ChainFlows.class.getName() + "#chain",
                  "args", List.of(2, "", 0),
                  "kwargs", Map.of()));
      Flow rebuilt = Engines.flowFromDetail(engine.flowDetail());
      assertThat(rebuilt.name()).isEqualTo("chain");
      assertThat(rebuilt.size()).isEqualTo(2);
    }
  }

  @Test
  void missingOrUnusableFactoriesAreClearErrors() {
    FlowDetail none = FlowDetail.of("orders", "uuid-1");
    assertThatThrownBy(() -> Engines.flowFromDetail(none))
        .isInstanceOf(FlowFactoryException.class)
        .hasMessageContaining("'orders' (uuid-1)")
        .hasMessageContaining("no factory information");
    FlowDetail unknown =
        none.withMeta(Map.of("factory", Map.of("name", "com.example.Missing", "args", List.of())));
    assertThatThrownBy(() -> Engines.flowFromDetail(unknown))
        .isInstanceOf(FlowFactoryException.class)
        .hasMessageContaining("'com.example.Missing'");
    FlowDetail notFactory =
        none.withMeta(Map.of("factory", Map.of("name", NotAFactory.class.getName())));
    assertThatThrownBy(() -> Engines.flowFromDetail(notFactory))
        .isInstanceOf(FlowFactoryException.class)
        .hasMessageContaining("does not implement");
    assertThatThrownBy(() -> Engines.loadFromFactory(ChainFlows.class, "nope", List.of(), Map.of()))
        .isInstanceOf(FlowFactoryException.class)
        .hasMessageContaining("no public static method 'nope'");
    assertThatThrownBy(
            () -> Engines.loadFromFactory(ChainFlows.class, "broken", List.of(), Map.of()))
        .isInstanceOf(FlowFactoryException.class)
        .hasMessageContaining("factory is broken");
  }

  @Test
  void factoryIsAddedToAGivenFlowDetail() {
    try (Backend backend = Backends.open("memory://")) {
      Engine first =
          Engines.load(LinearFlow.of("chain").add(Task.of("x", () -> 1))).backend(backend).build();
      FlowDetail fd = first.flowDetail();
      assertThat(fd.meta()).doesNotContainKey("factory");
      Engine engine =
          Engines.loadFromFactory(ChainFlows.class, List.of(1), Map.of())
              .backend(backend)
              .flowDetail(fd)
              .store(Map.of("v0", 0))
              .build();
      engine.run();
      try (Connection c = backend.getConnection()) {
        assertThat(c.getFlowDetails(fd.uuid()).meta()).containsKey("factory");
      }
    }
  }
}
