package io.taskflow4j.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.memory.MemoryBackend;
import io.taskflow4j.retry.Times;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An engine's retention: what it does with its flow's record after a finished run. */
class RetentionTest {
  private final MemoryBackend backend = new MemoryBackend();
  private final Connection conn = backend.getConnection();

  @AfterEach
  void close() {
    conn.close();
    backend.close();
  }

  private static LinearFlow clean() {
    return LinearFlow.of("clean").add(Task.of("a", () -> 1), Task.of("b", () -> 2));
  }

  /** A flow whose task fails once and succeeds when its retry runs it again. */
  private static LinearFlow flaky() {
    AtomicInteger calls = new AtomicInteger();
    return LinearFlow.of("flaky", new Times("again", 3))
        .add(
            Task.of(
                "wobbly",
                () -> {
                  if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("first call fails");
                  }
                  return "ok";
                }));
  }

  private static LinearFlow failing() {
    return LinearFlow.of("failing")
        .add(
            Task.of(
                "boom",
                () -> {
                  throw new IllegalStateException("always");
                }));
  }

  private FlowState run(LinearFlow flow, Retention r) {
    try (Engine e = Engines.load(flow).connection(conn).retention(r).build()) {
      try {
        e.run();
      } catch (RuntimeException expected) {
        // a reverted run re-raises its failure
      }
      return e.flowState();
    }
  }

  private long flows() {
    return conn.countFlows(FlowQuery.all()).values().stream().mapToLong(Long::longValue).sum();
  }

  @Test
  void keepIsTheDefaultAndKeepsEveryRecord() {
    try (Engine e = Engines.load(clean()).connection(conn).build()) {
      e.run();
    }
    assertThat(flows()).isEqualTo(1);
    assertThat(conn.getLogBooks()).hasSize(1);
  }

  @Test
  void discardOnSuccessDeletesASuccessfulRunWithTheBookItCreated() {
    List<FlowState> heard = new ArrayList<>();
    try (Engine e =
        Engines.load(clean()).connection(conn).retention(Retention.DISCARD_ON_SUCCESS).build()) {
      e.notifier().registerAny(ev -> heard.add(ev.state()));
      e.run();
      assertThat(e.flowState())
          .as("the engine still knows the outcome")
          .isEqualTo(FlowState.SUCCESS);
    }
    assertThat(heard).as("listeners heard the end before the delete").contains(FlowState.SUCCESS);
    assertThat(flows()).isZero();
    assertThat(conn.getLogBooks()).isEmpty();
  }

  @Test
  void discardOnSuccessKeepsARevertedRun() {
    assertThat(run(failing(), Retention.DISCARD_ON_SUCCESS)).isEqualTo(FlowState.REVERTED);
    assertThat(conn.countFlows(FlowQuery.all())).containsEntry(FlowState.REVERTED, 1L);
  }

  @Test
  void keepFailedKeepsASuccessThatNeededARetryAndDropsACleanOne() {
    assertThat(run(flaky(), Retention.KEEP_FAILED)).isEqualTo(FlowState.SUCCESS);
    assertThat(run(clean(), Retention.KEEP_FAILED)).isEqualTo(FlowState.SUCCESS);
    assertThat(run(failing(), Retention.KEEP_FAILED)).isEqualTo(FlowState.REVERTED);
    assertThat(conn.findFlows(FlowQuery.all()).flows())
        .extracting(f -> f.flowName())
        .containsExactlyInAnyOrder("flaky", "failing");

    assertThat(run(flaky(), Retention.DISCARD_ON_SUCCESS)).isEqualTo(FlowState.SUCCESS);
    assertThat(flows()).as("discard-on-success drops the retried success too").isEqualTo(2);
  }

  @Test
  void aBookTheCallerGaveKeepsItsOtherFlows() {
    LogBook book = conn.saveLogBook(LogBook.create("shared"));
    try (Engine e = Engines.load(clean()).connection(conn).logBook(book).build()) {
      e.run();
    }
    try (Engine e =
        Engines.load(clean())
            .connection(conn)
            .logBook(conn.getLogBook(book.uuid()))
            .retention(Retention.DISCARD_ON_SUCCESS)
            .build()) {
      e.run();
    }
    assertThat(conn.getLogBook(book.uuid()).flows()).hasSize(1);
  }

  @Test
  void anUnfinishedRunIsKept() {
    LinearFlow flow =
        LinearFlow.of("stops")
            .add(
                Task.of(
                    "fatal",
                    () -> {
                      throw new StackOverflowError("an Error stops the engine");
                    }));
    try (Engine e =
        Engines.load(flow).connection(conn).retention(Retention.DISCARD_ON_SUCCESS).build()) {
      assertThatThrownBy(e::run).isInstanceOf(StackOverflowError.class);
    }
    assertThat(conn.countFlows(FlowQuery.unfinished())).containsEntry(FlowState.RUNNING, 1L);
  }

  @Test
  void theDecisionOfEachPolicy() {
    assertThat(Retention.KEEP.discards(FlowState.SUCCESS, null)).isFalse();
    assertThat(Retention.DISCARD_ON_SUCCESS.discards(FlowState.FAILURE, null)).isFalse();
    assertThat(Retention.KEEP_FAILED.discards(FlowState.REVERTED, null)).isFalse();
  }
}
