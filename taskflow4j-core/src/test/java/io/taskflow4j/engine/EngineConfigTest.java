package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A built engine keeps the configuration its builder had at build(). */
class EngineConfigTest {

  private static Task adder() {
    return Task.of("add", Integer.class, x -> x + 1).requires("x").provides("y");
  }

  @Test
  void changingTheStoreAfterBuildDoesNotChangeTheBuiltEngine() {
    Engines.Builder builder = Engines.load(LinearFlow.of("f").add(adder())).store(Map.of("x", 1));
    try (Engine engine = builder.build()) {
      builder.store(Map.of("x", 41)).transientStore(Map.of("x", 99));
      engine.run();
      assertThat(engine.storage().fetch("y")).isEqualTo(2);
    }
  }

  @Test
  void makingTheBuilderParallelAfterBuildKeepsTheEngineSerial() {
    AtomicInteger used = new AtomicInteger();
    Executor counting =
        r -> {
          used.incrementAndGet();
          r.run();
        };
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    Task t =
        Task.of(
            "t",
            () -> {
              ranOn.add(Thread.currentThread());
              return 1;
            });
    Engines.Builder builder = Engines.load(LinearFlow.of("f").add(t));
    try (Engine engine = builder.build()) {
      builder.executor(counting);
      engine.run();
    }
    assertThat(used).hasValue(0);
    assertThat(ranOn).containsExactly(Thread.currentThread());
  }

  @Test
  void settingNeverResolveAfterBuildStillRevertsTheFailedFlow() {
    Task bad =
        Task.of(
            "bad",
            () -> {
              throw new IllegalStateException("bad input");
            });
    Engines.Builder builder = Engines.load(LinearFlow.of("f").add(bad));
    try (Engine engine = builder.build()) {
      builder.neverResolve(true).deferReverts(true);
      assertThatThrownBy(engine::run)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("bad input");
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
    }
  }

  @Test
  void changingTheBackendAndClockAfterBuildDoesNotMoveTheRun() {
    Clock fixed = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    try (Backend first = Backends.open("memory://");
        Backend second = Backends.open("memory://")) {
      Engines.Builder builder =
          Engines.load(LinearFlow.of("f").add(adder()))
              .store(Map.of("x", 1))
              .backend(first)
              .clock(fixed);
      try (Engine engine = builder.build()) {
        builder.backend(second).clock(Clock.systemUTC());
        engine.run();
        String startedAt =
            String.valueOf(
                engine.flowDetail().findByName("add").orElseThrow().meta().get("started_at"));
        assertThat(startedAt).contains("2026-01-02");
      }
      try (Connection c1 = first.getConnection();
          Connection c2 = second.getConnection()) {
        assertThat(c1.getLogBooks()).hasSize(1);
        assertThat(c2.getLogBooks()).isEmpty();
      }
    }
  }
}
