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

/**
 * Outcome events carry the engine's timing of the atom's work; other events carry none. Every event
 * carries the atom's position in {@link Engine#atomNames()}.
 */
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

  @Test
  void everyEventCarriesItsAtomsPositionInTheEnginesOrder() {
    for (boolean parallel : new boolean[] {false, true}) {
      List<AtomEvent> events = new CopyOnWriteArrayList<>();
      List<String> names;
      try (Engine engine = build(parallel)) {
        engine.atomNotifier().registerAny(events::add);
        names = engine.atomNames();
        assertThatThrownBy(engine::run).hasMessageContaining("boom");
        assertThat(engine.atomNames()).isSameAs(names);
      }
      assertThat(names)
          .containsExactlyInAnyOrder("first", "retry", "a", "b", "c", "boom")
          .doesNotHaveDuplicates();
      assertThatThrownBy(() -> names.set(0, "x")).isInstanceOf(UnsupportedOperationException.class);
      assertThat(events).isNotEmpty();
      for (AtomEvent e : events) {
        assertThat(e.atomIndex()).as("%s %s", e.atomName(), e.state()).isBetween(0, 5);
        assertThat(names.get(e.atomIndex())).isEqualTo(e.atomName());
      }
      assertThat(events.stream().map(AtomEvent::atomName).distinct())
          .as("every atom was heard of")
          .hasSize(6);
      try (Engine again = build(parallel)) {
        assertThat(again.atomNames()).as("a flow built alike is numbered alike").isEqualTo(names);
      }
    }
  }

  @Test
  void anEventMadeWithoutAPositionSaysSo() {
    AtomEvent e =
        new AtomEvent(
            "t", "u", io.taskflow4j.storage.AtomKind.TASK, null, AtomState.PENDING, null, null);
    assertThat(e.atomIndex()).isEqualTo(-1);
    assertThat(e.nanos()).isEqualTo(-1);
  }

  /** A flow with a retry guarding an unordered subflow, ending in a failure. */
  private static Engine build(boolean parallel) {
    io.taskflow4j.flow.UnorderedFlow inner =
        io.taskflow4j.flow.UnorderedFlow.of("inner", new io.taskflow4j.retry.Times("retry", 2))
            .add(Task.of("a", () -> 1), Task.of("b", () -> 2), Task.of("c", () -> 3));
    LinearFlow flow =
        LinearFlow.of("numbered")
            .add(Task.of("first", () -> 0))
            .add(inner)
            .add(
                Task.of(
                    "boom",
                    () -> {
                      throw new IllegalStateException("boom");
                    }));
    Engines.Builder b = Engines.load(flow);
    if (parallel) {
      b.parallel(3);
    }
    return b.build();
  }

  private static long nanos(List<AtomEvent> events, String atom, AtomState state) {
    return events.stream()
        .filter(e -> e.atomName().equals(atom) && e.state() == state)
        .findFirst()
        .orElseThrow()
        .nanos();
  }
}
