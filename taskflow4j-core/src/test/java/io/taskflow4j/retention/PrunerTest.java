package io.taskflow4j.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.MemoryJobboard;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pruner's options, the jobs that keep flows, and batches; what it deletes on every backend,
 * and its race with a resume, are in the TCK's {@code RetentionCases}.
 */
class PrunerTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private final MemoryBackend backend = new MemoryBackend();
  private final Connection conn = backend.getConnection();

  @AfterEach
  void close() {
    conn.close();
    backend.close();
  }

  /** Stores a book of one flow per state given, each last updated {@code daysAgo} days ago. */
  private LogBook book(String name, int daysAgo, FlowState... states) {
    Instant t = NOW.minus(Duration.ofDays(daysAgo));
    List<FlowDetail> flows = new ArrayList<>();
    for (FlowState s : states) {
      flows.add(
          FlowDetail.create(name + "-" + s.name().toLowerCase())
              .withState(s)
              .withAtoms(List.of(TaskDetail.create("t")))
              .withTimes(t, t));
    }
    return conn.replaceLogBook(LogBook.create(name).withFlows(flows));
  }

  private Pruner.Builder pruner(Connection c) {
    return Pruner.builder(c).clock(CLOCK).olderThan(Duration.ofDays(30));
  }

  private List<String> remaining() {
    List<String> out = new ArrayList<>();
    for (FlowSummary f : conn.findFlows(FlowQuery.all().limit(1000)).flows()) {
      out.add(f.flowName());
    }
    out.sort(null);
    return out;
  }

  @Test
  void onlyTheStatesAskedForAndNeverAnUnfinishedOne() {
    book("old", 40, FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE);
    pruner(conn).states(Set.of(FlowState.SUCCESS, FlowState.REVERTED)).build().run();
    assertThat(remaining()).containsExactly("old-failure");
    assertThatThrownBy(() -> pruner(conn).states(Set.of(FlowState.RUNNING)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only finished flows")
        .hasMessageContaining("RUNNING");
    assertThatThrownBy(() -> Pruner.builder(conn).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("olderThan");
  }

  @Test
  void aFlowAJobRefersToIsKept() {
    LogBook byFlow = book("by-flow", 40, FlowState.SUCCESS);
    LogBook byBook = book("by-book", 40, FlowState.FAILURE);
    book("free", 40, FlowState.SUCCESS);
    try (MemoryJobboard board = new MemoryJobboard(Duration.ofMinutes(1), Clock.systemUTC())) {
      board.post(
          JobSpec.of(
              "j1", new BookRef(byFlow.name(), byFlow.uuid()), byFlow.flows().get(0).uuid()));
      board.post(
          new JobSpec("j2", new BookRef(byBook.name(), byBook.uuid()), Map.of(), null, null));

      PruneReport r = pruner(conn).boards(board).build().run();

      assertThat(r.flowsDeleted()).isEqualTo(1);
      assertThat(r.keptReferenced()).isEqualTo(2);
      assertThat(remaining()).containsExactly("by-book-failure", "by-flow-success");
    }
  }

  @Test
  void aLargeStoreIsPrunedInBatchesAndTheCountMatches() {
    for (int i = 0; i < 25; i++) {
      book("b" + i, 31 + i, FlowState.SUCCESS, FlowState.FAILURE);
    }
    Pruner p = pruner(conn).batchSize(7).build();
    assertThat(p.count()).isEqualTo(Map.of(FlowState.SUCCESS, 25L, FlowState.FAILURE, 25L));
    List<String> order = new ArrayList<>();
    PruneReport r =
        pruner(conn)
            .batchSize(7)
            .listener(
                new PruneListener() {
                  @Override
                  public void deleted(FlowSummary flow) {
                    order.add(flow.flowUuid());
                  }
                })
            .build()
            .run();
    assertThat(r.flowsDeleted()).isEqualTo(50);
    assertThat(order).doesNotHaveDuplicates();
    assertThat(r.booksDeleted()).isEqualTo(25);
    assertThat(conn.getLogBooks()).isEmpty();
  }
}
