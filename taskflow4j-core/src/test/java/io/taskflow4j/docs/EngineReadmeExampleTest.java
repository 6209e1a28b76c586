package io.taskflow4j.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine example of the README, kept compiling and true. */
class EngineReadmeExampleTest {

  /** As in the README. */
  public static final class Checkout implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      return LinearFlow.of("checkout")
          .add(
              Task.of("reserve", String.class, sku -> "reservation-" + sku)
                  .requires("sku")
                  .provides("reservation"),
              Task.of("charge", String.class, reservation -> "receipt-" + reservation)
                  .requires("reservation")
                  .provides("receipt"));
    }
  }

  @Test
  void engineExampleRunsAndAFinishedRunResumesToNothing(@TempDir Path dir) {
    String connection = "dir://" + dir.toAbsolutePath();
    try (Backend backend = Backends.open(connection);
        Engine engine =
            Engines.loadFromFactory(Checkout.class, List.of(), Map.of())
                .backend(backend)
                .store(Map.of("sku", "A-42"))
                .build()) {
      engine.run();
      assertThat(engine.storage().fetch("receipt")).isEqualTo("receipt-reservation-A-42");
    }
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      LogBook book = conn.getLogBooks().get(0);
      FlowDetail flow = book.flows().get(0);
      assertThat(flow.state()).isEqualTo(FlowState.SUCCESS);
      try (Engine again = Engines.loadFromDetail(flow, backend)) {
        again.run();
        assertThat(again.flowState()).isEqualTo(FlowState.SUCCESS);
      }
    }
  }
}
