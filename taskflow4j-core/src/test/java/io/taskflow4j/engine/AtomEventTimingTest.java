package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomState;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Outcome events carry the engine's timing of the atom's work; other events carry none. */
class AtomEventTimingTest {

  @Test
  void outcomesCarryHowLongTheWorkTook() {
    List<AtomEvent> events = new CopyOnWriteArrayList<>();
    LinearFlow flow =
        LinearFlow.of("timed")
            .add(
                Task.of(
                        "slow",
                        () -> {
                          Thread.sleep(30);
                          return 1;
                        })
                    .onRevert(
                        (args, result, failures) -> {
                          Thread.sleep(20);
                          return null;
                        }),
                Task.of(
                    "boom",
                    () -> {
                      throw new IllegalStateException("boom");
                    }));
    try (Engine engine = Engines.load(flow).build()) {
      engine.atomNotifier().registerAny(events::add);
      assertThatThrownBy(engine::run).hasMessageContaining("boom");
    }
    for (AtomEvent e : events) {
      if (e.hasOutcome()) {
        assertThat(e.nanos()).as("%s %s", e.atomName(), e.state()).isNotNegative();
      } else {
        assertThat(e.nanos()).as("%s %s", e.atomName(), e.state()).isEqualTo(-1);
      }
    }
    assertThat(nanos(events, "slow", AtomState.SUCCESS))
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
    assertThat(nanos(events, "slow", AtomState.REVERTED))
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    assertThat(nanos(events, "boom", AtomState.FAILURE)).isNotNegative();
  }

  private static long nanos(List<AtomEvent> events, String atom, AtomState state) {
    return events.stream()
        .filter(e -> e.atomName().equals(atom) && e.state() == state)
        .findFirst()
        .orElseThrow()
        .nanos();
  }
}
