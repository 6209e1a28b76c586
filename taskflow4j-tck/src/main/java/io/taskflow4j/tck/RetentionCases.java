package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import io.taskflow4j.retention.PruneListener;
import io.taskflow4j.retention.PruneReport;
import io.taskflow4j.retention.Pruner;
import io.taskflow4j.retention.Retention;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retention over the backend under test: an engine that discards its record after a successful run,
 * and the {@link Pruner}: old finished flows deleted with the logbooks it empties, never an
 * unfinished or young one, and never one a resume moved on between the listing and the delete.
 */
public abstract class RetentionCases {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  /** The backend under test (open, upgraded, empty when the case starts). */
  protected abstract Backend backend();

  /** A connection of {@link #backend()}. */
  protected abstract Connection conn();

  /** Stores a book of one flow per state, each last updated {@code daysAgo} days before NOW. */
  private LogBook book(String name, int daysAgo, FlowState... states) {
    Instant t = NOW.minus(Duration.ofDays(daysAgo));
    List<FlowDetail> flows = new ArrayList<>();
    for (FlowState s : states) {
      TaskDetail t1 = TaskDetail.create("t1");
      flows.add(
          FlowDetail.create(name + "-" + s.name().toLowerCase(java.util.Locale.ROOT))
              .withState(s)
              .withAtoms(List.of(s == FlowState.SUCCESS ? t1.put(AtomState.SUCCESS, 1) : t1))
              .withTimes(t, t));
    }
    return conn().replaceLogBook(Fixtures.book(name).withFlows(flows));
  }

  private Pruner.Builder pruner(Connection c) {
    return Pruner.builder(c).clock(CLOCK).olderThan(Duration.ofDays(30));
  }

  private List<String> remaining() {
    List<String> out = new ArrayList<>();
    for (FlowSummary f : conn().findFlows(FlowQuery.all().limit(1000)).flows()) {
      out.add(f.flowName());
    }
    out.sort(null);
    return out;
  }

  @Test
  void anEngineDiscardsASuccessfulRunAndTheBookItMadeButKeepsAFailedOne() {
    LinearFlow ok = LinearFlow.of("ok").add(Task.of("a", () -> 1), Task.of("b", () -> 2));
    try (Engine e =
        Engines.load(ok).backend(backend()).retention(Retention.DISCARD_ON_SUCCESS).build()) {
      e.run();
      assertThat(e.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    LinearFlow bad =
        LinearFlow.of("bad")
            .add(
                Task.of(
                    "boom",
                    () -> {
                      throw new IllegalStateException("no");
                    }));
    try (Engine e =
        Engines.load(bad).backend(backend()).retention(Retention.DISCARD_ON_SUCCESS).build()) {
      try {
        e.run();
      } catch (IllegalStateException expected) {
        // the reverted run re-raises its failure
      }
    }
    assertThat(remaining()).containsExactly("bad");
    assertThat(conn().getLogBooks(true)).hasSize(1);
  }

  @Test
  void thePrunerDeletesOldFinishedFlowsAndTheBooksItEmptiesOnly() {
    LogBook old = book("old", 40, FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE);
    book("mixed", 40, FlowState.SUCCESS, FlowState.RUNNING, FlowState.SUSPENDED);
    book("young", 10, FlowState.SUCCESS);

    PruneReport dry = pruner(conn()).dryRun(true).build().run();
    assertThat(dry.flowsDeleted()).isEqualTo(4);
    assertThat(remaining()).hasSize(7);

    PruneReport r = pruner(conn()).batchSize(2).build().run();
    assertThat(r.deleted())
        .isEqualTo(Map.of(FlowState.SUCCESS, 2L, FlowState.REVERTED, 1L, FlowState.FAILURE, 1L));
    assertThat(r.booksDeleted()).isEqualTo(1);
    assertThat(remaining()).containsExactly("mixed-running", "mixed-suspended", "young-success");
    assertThat(conn().getLogBooks(true))
        .extracting(LogBook::uuid)
        .hasSize(2)
        .doesNotContain(old.uuid());
  }

  @Test
  void aFlowAResumeMovedBackToRunningAfterTheListingIsKept() {
    book("raced", 40, FlowState.SUCCESS);
    book("other", 40, FlowState.SUCCESS);
    Connection racing =
        new ForwardingConnection(conn()) {
          @Override
          public void destroyFlowDetail(String flowUuid, long revision) {
            // between the pruner's listing and its delete, a resumer sets the flow RUNNING
            FlowDetail fd = conn().getFlowDetails(flowUuid, true);
            if (fd.name().startsWith("raced")) {
              conn().updateFlowDetails(fd.withState(FlowState.RUNNING));
            }
            super.destroyFlowDetail(flowUuid, revision);
          }

          @Override
          public void close() {}
        };
    List<String> kept = new ArrayList<>();
    PruneReport r =
        pruner(racing)
            .listener(
                new PruneListener() {
                  @Override
                  public void kept(FlowSummary flow, Reason reason) {
                    kept.add(flow.flowName() + " " + reason);
                  }
                })
            .build()
            .run();
    assertThat(r.flowsDeleted()).isEqualTo(1);
    assertThat(kept).containsExactly("raced-success CHANGED");
    assertThat(conn().findFlows(FlowQuery.all()).flows())
        .singleElement()
        .satisfies(f -> assertThat(f.state()).isEqualTo(FlowState.RUNNING));
    assertThat(
            conn()
                .getFlowDetails(conn().findFlows(FlowQuery.all()).flows().get(0).flowUuid())
                .atoms())
        .as("its atoms are all there")
        .hasSize(1);
  }
}
