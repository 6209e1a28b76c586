package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.assertConflict;
import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.uuid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Finding flows without loading the store ({@link Connection#findFlows}, {@link
 * Connection#countFlows}), the record times every backend keeps for a flow detail, and deleting one
 * flow detail ({@link Connection#destroyFlowDetail}) or an emptied logbook ({@link
 * Connection#destroyLogBookIfEmpty}).
 */
public abstract class FlowQueryCases {
  /** Slack for a store whose clock is a server's (the same machine in the built-in kits). */
  private static final Duration SKEW = Duration.ofSeconds(2);

  /** The connection under test, upgraded, over an empty store. */
  protected abstract Connection conn();

  private static final Instant T0 = Instant.parse("2024-03-01T10:00:00.000001Z");

  /** A flow detail in {@code state} carrying record times {@code minutes} after {@link #T0}. */
  private static FlowDetail aged(String name, FlowState state, int minutes, AtomDetail... atoms) {
    Instant t = T0.plus(minutes, ChronoUnit.MINUTES);
    return flow(name, atoms).withState(state).withTimes(t.minusSeconds(30), t);
  }

  /** Stores a book of these flows with their times as given (a replacement keeps them). */
  private LogBook storeAged(String bookName, FlowDetail... flows) {
    LogBook b = Fixtures.book(bookName, flows);
    return conn().replaceLogBook(b);
  }

  private static List<String> flowUuids(FlowPage page) {
    List<String> out = new ArrayList<>();
    for (FlowSummary f : page.flows()) {
      out.add(f.flowUuid());
    }
    return out;
  }

  @Test
  void aSavedFlowCarriesItsRecordTimesAndAnUpdateMovesOnlyTheUpdateTime() throws Exception {
    Instant before = Instant.now().minus(SKEW);
    LogBook b = conn().saveLogBook(Fixtures.book("times", flow("f", task("t"))));
    FlowDetail read = conn().getFlowDetails(b.flows().get(0).uuid());
    Instant after = Instant.now().plus(SKEW);
    assertThat(read.createdAt()).isNotNull().isBetween(before, after);
    assertThat(read.updatedAt()).isNotNull().isBetween(read.createdAt(), after);
    assertThat(conn().getLogBook(b.uuid()).flows().get(0).updatedAt())
        .as("the times read through the logbook")
        .isEqualTo(read.updatedAt());

    Thread.sleep(20);
    FlowDetail updated = conn().updateFlowDetails(read.withState(FlowState.RUNNING));
    FlowDetail again = conn().getFlowDetails(updated.uuid(), true);
    assertThat(again.createdAt()).isEqualTo(read.createdAt());
    assertThat(again.updatedAt()).isAfter(read.updatedAt());
  }

  @Test
  void aReplacementKeepsTheTimesItsFlowsCarry() {
    FlowDetail f = aged("old", FlowState.SUCCESS, 0, task("t").withState(AtomState.SUCCESS));
    storeAged("copied", f);
    FlowDetail read = conn().getFlowDetails(f.uuid());
    assertThat(read.createdAt()).isEqualTo(f.createdAt());
    assertThat(read.updatedAt()).isEqualTo(f.updatedAt());
    FlowSummary s = conn().findFlows(FlowQuery.all()).flows().get(0);
    assertThat(s.updatedAt()).isEqualTo(f.updatedAt());
    assertThat(s.createdAt()).isEqualTo(f.createdAt());
  }

  @Test
  void findFlowsListsNewestFirstWithSummaries() {
    FlowDetail a =
        aged(
            "alpha",
            FlowState.SUCCESS,
            1,
            task("a1").withState(AtomState.SUCCESS),
            task("a2").withState(AtomState.SUCCESS),
            task("a3").withState(AtomState.FAILURE));
    FlowDetail b = aged("beta", FlowState.FAILURE, 3);
    FlowDetail c = aged("gamma", FlowState.RUNNING, 2, task("c1"));
    LogBook book1 = storeAged("book-one", a, b);
    LogBook book2 = storeAged("book-two", c);

    FlowPage page = conn().findFlows(FlowQuery.all());
    assertThat(flowUuids(page)).containsExactly(b.uuid(), c.uuid(), a.uuid());
    assertThat(page.next()).isEmpty();
    FlowSummary sa = page.flows().get(2);
    assertThat(sa.bookUuid()).isEqualTo(book1.uuid());
    assertThat(sa.bookName()).isEqualTo("book-one");
    assertThat(sa.flowName()).isEqualTo("alpha");
    assertThat(sa.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(sa.atomCounts()).isEqualTo(Map.of(AtomState.SUCCESS, 2, AtomState.FAILURE, 1));
    assertThat(sa.atoms()).isEqualTo(3);
    assertThat(sa.revision()).isEqualTo(conn().getFlowDetails(a.uuid(), true).revision());
    assertThat(page.flows().get(0).atomCounts()).isEmpty();
    assertThat(page.flows().get(1).bookUuid()).isEqualTo(book2.uuid());
  }

  @Test
  void findFlowsFiltersByStateTimeAndNames() {
    storeAged(
        "orders-1",
        aged("charge", FlowState.SUCCESS, 0),
        aged("charge", FlowState.FAILURE, 10),
        aged("refund", FlowState.REVERTED, 20));
    storeAged(
        "audit-1", aged("charge", FlowState.FAILURE, 30), aged("ship", FlowState.RUNNING, 40));

    assertThat(names(FlowQuery.all().states(FlowState.FAILURE)))
        .containsExactly("audit-1/charge@30", "orders-1/charge@10");
    assertThat(names(FlowQuery.all().states(FlowState.SUCCESS, FlowState.REVERTED)))
        .containsExactly("orders-1/refund@20", "orders-1/charge@0");
    assertThat(names(FlowQuery.unfinished())).containsExactly("audit-1/ship@40");
    Instant at10 = T0.plus(10, ChronoUnit.MINUTES);
    Instant at30 = T0.plus(30, ChronoUnit.MINUTES);
    assertThat(names(FlowQuery.all().updatedSince(at10).updatedBefore(at30)))
        .as("since is inclusive, before exclusive")
        .containsExactly("orders-1/refund@20", "orders-1/charge@10");
    assertThat(names(FlowQuery.all().createdBefore(at10.minusSeconds(30))))
        .containsExactly("orders-1/charge@0");
    assertThat(names(FlowQuery.all().createdSince(at30.minusSeconds(30))))
        .containsExactly("audit-1/ship@40", "audit-1/charge@30");
    assertThat(names(FlowQuery.all().flowNamePrefix("char")))
        .containsExactly("audit-1/charge@30", "orders-1/charge@10", "orders-1/charge@0");
    assertThat(names(FlowQuery.all().bookNamePrefix("orders").states(FlowState.FAILURE)))
        .containsExactly("orders-1/charge@10");
    assertThat(names(FlowQuery.all().flowNamePrefix("nothing"))).isEmpty();
    assertThat(names(FlowQuery.all().flowNamePrefix("%"))).as("no wildcards").isEmpty();

    assertThat(conn().countFlows(FlowQuery.all()))
        .isEqualTo(
            Map.of(
                FlowState.SUCCESS, 1L,
                FlowState.FAILURE, 2L,
                FlowState.REVERTED, 1L,
                FlowState.RUNNING, 1L));
    assertThat(conn().countFlows(FlowQuery.all().flowNamePrefix("charge").updatedSince(at10)))
        .isEqualTo(Map.of(FlowState.FAILURE, 2L));
  }

  /** {@code book/flow@minute} of every flow of the first page (times relative to {@link #T0}). */
  private List<String> names(FlowQuery q) {
    List<String> out = new ArrayList<>();
    for (FlowSummary f : conn().findFlows(q).flows()) {
      long minutes = ChronoUnit.MINUTES.between(T0, f.updatedAt());
      out.add(f.bookName() + "/" + f.flowName() + "@" + minutes);
    }
    return out;
  }

  @Test
  void pagesByCursorListEveryFlowOnceEvenWhenTimesTie() {
    List<FlowDetail> flows = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      // five flows share each minute: ties are ordered by uuid
      flows.add(aged("f" + i, FlowState.SUCCESS, i / 5));
    }
    storeAged("paged", flows.toArray(FlowDetail[]::new));

    List<String> seen = new ArrayList<>();
    FlowQuery q = FlowQuery.all().limit(5);
    int pages = 0;
    FlowPage page = conn().findFlows(q);
    while (true) {
      pages++;
      assertThat(page.flows().size()).isLessThanOrEqualTo(5);
      seen.addAll(flowUuids(page));
      if (page.next().isEmpty()) {
        break;
      }
      page = conn().findFlows(q.after(page.nextCursor()));
    }
    assertThat(pages).isEqualTo(5);
    Set<String> distinct = new HashSet<>(seen);
    assertThat(seen).hasSize(23).hasSameSizeAs(distinct);
    List<String> expected = new ArrayList<>();
    flows.stream().map(f -> FlowSummaryOrder.of(f)).sorted().forEach(o -> expected.add(o.uuid()));
    assertThat(seen).containsExactlyElementsOf(expected);

    FlowPage exact = conn().findFlows(FlowQuery.all().limit(23));
    assertThat(exact.flows()).hasSize(23);
    assertThat(exact.next()).as("nothing after a page that holds the rest").isEmpty();
  }

  /** The listing's order (newest first, then uuid descending) of a flow with its times. */
  private record FlowSummaryOrder(Instant updated, String uuid)
      implements Comparable<FlowSummaryOrder> {
    static FlowSummaryOrder of(FlowDetail f) {
      return new FlowSummaryOrder(f.updatedAt(), f.uuid());
    }

    @Override
    public int compareTo(FlowSummaryOrder o) {
      int c = o.updated.compareTo(updated);
      return c != 0 ? c : o.uuid.compareTo(uuid);
    }
  }

  @Test
  void destroyFlowDetailDeletesTheFlowAndItsAtomsOnly() {
    TaskDetail1 t = new TaskDetail1();
    LogBook b =
        conn()
            .saveLogBook(
                Fixtures.book("two flows", flow("gone", t.a, t.b), flow("kept", task("k"))));
    FlowDetail gone = b.flows().get(0);
    FlowDetail kept = b.flows().get(1);

    conn().destroyFlowDetail(gone.uuid());

    assertNotFound(() -> conn().getFlowDetails(gone.uuid()), gone.uuid());
    assertNotFound(() -> conn().getAtomDetails(t.a.uuid()), t.a.uuid());
    assertNotFound(() -> conn().getAtomDetails(t.b.uuid()), t.b.uuid());
    LogBook after = conn().getLogBook(b.uuid());
    assertThat(after.flows()).extracting(FlowDetail::uuid).containsExactly(kept.uuid());
    assertThat(after.flows().get(0).atoms()).hasSize(1);
    assertThat(flowUuids(conn().findFlows(FlowQuery.all()))).containsExactly(kept.uuid());
    assertNotFound(() -> conn().destroyFlowDetail(gone.uuid()), gone.uuid());
    String unknown = uuid();
    assertNotFound(() -> conn().destroyFlowDetail(unknown), unknown);
  }

  /** Two task details to delete with their flow. */
  private static final class TaskDetail1 {
    final AtomDetail a = task("a").withState(AtomState.SUCCESS);
    final AtomDetail b = task("b");
  }

  @Test
  void aConditionalDeleteOfAFlowMovedOnMeanwhileDeletesNothing() {
    LogBook b = conn().saveLogBook(Fixtures.book("raced", flow("f", task("t"))));
    FlowDetail f = conn().getFlowDetails(b.flows().get(0).uuid());
    FlowDetail finished = conn().updateFlowDetails(f.withState(FlowState.SUCCESS));
    FlowSummary seen = conn().findFlows(FlowQuery.all()).flows().get(0);
    assertThat(seen.revision()).isEqualTo(finished.revision());

    // a resumer moves the flow back to RUNNING after the pruner saw it finished
    conn().updateFlowDetails(finished.withState(FlowState.RUNNING));
    assertConflict(() -> conn().destroyFlowDetail(f.uuid(), seen.revision()), f.uuid());
    assertThat(conn().getFlowDetails(f.uuid()).state()).isEqualTo(FlowState.RUNNING);
    assertThat(conn().getFlowDetails(f.uuid()).atoms()).hasSize(1);

    FlowDetail now = conn().getFlowDetails(f.uuid(), true);
    conn().destroyFlowDetail(f.uuid(), now.revision());
    assertNotFound(() -> conn().getFlowDetails(f.uuid()), f.uuid());
  }

  @Test
  void aBatchDeleteDeletesTheFlowsStillAtTheirRevisionAndLeavesTheRest() {
    LogBook b =
        conn()
            .saveLogBook(
                Fixtures.book(
                    "batch",
                    flow("a", task("a1")),
                    flow("b", task("b1"), task("b2")),
                    flow("c", task("c1")),
                    flow("d", task("d1"))));
    Map<String, Long> revisions = new java.util.LinkedHashMap<>();
    for (FlowDetail f : b.flows()) {
      revisions.put(f.uuid(), f.revision());
    }
    FlowDetail moved = b.flows().get(2);
    conn().updateFlowDetails(moved.withState(FlowState.RUNNING));
    revisions.put(b.flows().get(3).uuid(), 0L); // any revision
    String unknown = uuid();
    revisions.put(unknown, 1L);

    Set<String> deleted = conn().destroyFlowDetails(revisions);

    assertThat(deleted)
        .containsExactlyInAnyOrder(
            b.flows().get(0).uuid(), b.flows().get(1).uuid(), b.flows().get(3).uuid());
    assertThat(conn().getLogBook(b.uuid()).flows())
        .extracting(FlowDetail::uuid)
        .containsExactly(moved.uuid());
    assertNotFound(
        () -> conn().getAtomDetails(b.flows().get(1).atoms().get(1).uuid()),
        b.flows().get(1).atoms().get(1).uuid());
    assertThat(conn().destroyFlowDetails(Map.of())).isEmpty();

    String job = "job-" + uuid();
    conn().advanceFence(new Fence(job, 1));
    Connection stale = conn().fenced(new Fence(job, 1));
    conn().advanceFence(new Fence(job, 2));
    assertThatThrownBy(() -> stale.destroyFlowDetails(Map.of(moved.uuid(), 0L)))
        .isInstanceOf(FencedException.class);
    assertThat(conn().getFlowDetails(moved.uuid()).atoms()).hasSize(1);
  }

  @Test
  void destroyLogBookIfEmptyDeletesOnlyABookWithoutFlows() {
    LogBook full = conn().saveLogBook(Fixtures.book("full", flow("f", task("t"))));
    LogBook empty = conn().saveLogBook(Fixtures.book("empty"));
    assertThat(conn().destroyLogBookIfEmpty(full.uuid())).isFalse();
    assertThat(conn().getLogBook(full.uuid()).flows()).hasSize(1);
    assertThat(conn().destroyLogBookIfEmpty(empty.uuid())).isTrue();
    assertNotFound(() -> conn().getLogBook(empty.uuid()), empty.uuid());
    assertThat(conn().destroyLogBookIfEmpty(empty.uuid())).isFalse();

    conn().destroyFlowDetail(full.flows().get(0).uuid());
    assertThat(conn().destroyLogBookIfEmpty(full.uuid())).isTrue();
    assertThat(conn().getLogBooks()).isEmpty();
  }

  @Test
  void aFencedOutViewDeletesNothing() {
    String job = "job-" + uuid();
    LogBook b = conn().saveLogBook(Fixtures.book("fenced", flow("f", task("t"))));
    LogBook empty = conn().saveLogBook(Fixtures.book("empty"));
    conn().advanceFence(new Fence(job, 1));
    Connection stale = conn().fenced(new Fence(job, 1));
    conn().advanceFence(new Fence(job, 2));
    String flowUuid = b.flows().get(0).uuid();
    assertThatThrownBy(() -> stale.destroyFlowDetail(flowUuid)).isInstanceOf(FencedException.class);
    assertThatThrownBy(() -> stale.destroyLogBookIfEmpty(empty.uuid()))
        .isInstanceOf(FencedException.class);
    assertThat(conn().getFlowDetails(flowUuid).atoms()).hasSize(1);
    assertThat(conn().getLogBook(empty.uuid())).isNotNull();

    Connection current = conn().fenced(new Fence(job, 2));
    current.destroyFlowDetail(flowUuid);
    assertThat(current.destroyLogBookIfEmpty(b.uuid())).isTrue();
    assertNotFound(() -> conn().getLogBook(b.uuid()), b.uuid());
  }

  @Test
  void flowsOfAStoreTooLargeForOnePageAreCountedWhole() {
    List<FlowDetail> flows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      flows.add(aged("n" + i, i % 3 == 0 ? FlowState.FAILURE : FlowState.SUCCESS, i));
    }
    storeAged("many", flows.toArray(FlowDetail[]::new));
    assertThat(conn().countFlows(FlowQuery.all().limit(1).after(null)))
        .isEqualTo(Map.of(FlowState.FAILURE, 10L, FlowState.SUCCESS, 20L));
    FlowPage first = conn().findFlows(FlowQuery.all().states(FlowState.FAILURE).limit(3));
    assertThat(first.flows())
        .extracting(FlowSummary::flowName)
        .containsExactly("n27", "n24", "n21");
    FlowPage second =
        conn()
            .findFlows(
                FlowQuery.all().states(FlowState.FAILURE).limit(3).after(first.nextCursor()));
    assertThat(second.flows())
        .extracting(FlowSummary::flowName)
        .containsExactly("n18", "n15", "n12");
  }
}
