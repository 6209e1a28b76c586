package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.CREATED;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Saving, merging, listing and destroying logbooks.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code LogBooks} group.
 */
public abstract class LogBookCases extends ContractCases {

  @Test
  void savedBookReadsBackEqualToWhatWasSaved() {
    TaskDetail td = task("t").put(AtomState.SUCCESS, Map.of("k", List.of(1, 2)));
    FlowDetail fd = flow("f", td, RetryDetail.create("r")).withState(FlowState.SUCCESS);
    LogBook lb = book("b", fd).withMeta(Map.of("owner", "tests", "n", 3));
    conn().saveLogBook(lb);

    assertThat(unrevised(conn().getLogBook(lb.uuid()))).isEqualTo(lb);
    LogBook viaOther = withOtherConnection(c -> c.getLogBook(lb.uuid()));
    assertThat(unrevised(viaOther)).isEqualTo(lb);
  }

  @Test
  void saveLogBookReturnsTheBookAsWrittenWithRevisions() {
    LogBook lb = book("b", flow("f1", task("t1"), task("t2")), flow("f2"));

    LogBook written = conn().saveLogBook(lb);

    assertThat(unrevised(written)).isEqualTo(lb);
    for (FlowDetail fd : written.flows()) {
      assertThat(fd.revision()).as("revision of %s", fd).isPositive();
      for (AtomDetail ad : fd.atoms()) {
        assertThat(ad.revision()).as("revision of %s", ad.name()).isPositive();
      }
    }
    assertThat(conn().getLogBook(lb.uuid())).isEqualTo(written);
  }

  @Test
  void resavingABookKeepsItsCreationTimeAndReplacesNameAndMeta() {
    LogBook lb = book("old name").withMeta(Map.of("v", 1));
    conn().saveLogBook(lb);

    Instant later = Instant.parse("2024-05-06T07:08:09.654321Z");
    LogBook again = LogBook.of(lb.uuid(), "new name", later, later, Map.of("v", 2), List.of());
    LogBook written = conn().saveLogBook(again);

    LogBook reloaded = conn().getLogBook(lb.uuid());
    assertThat(reloaded.createdAt()).isEqualTo(CREATED);
    assertThat(reloaded.name()).isEqualTo("new name");
    assertThat(reloaded.meta()).isEqualTo(Map.of("v", 2));
    assertThat(reloaded.updatedAt()).isEqualTo(later);
    assertThat(written.createdAt()).as("the book as written").isEqualTo(CREATED);
  }

  @Test
  void updatedAtRoundTripsBothNullAndSet() {
    LogBook never = book("never updated");
    Instant when = Instant.parse("2023-03-04T05:06:07.000001Z");
    LogBook updated = book("updated").withUpdatedAt(when);
    conn().saveLogBook(never);
    conn().saveLogBook(updated);

    assertThat(conn().getLogBook(never.uuid()).updatedAt()).isNull();
    assertThat(conn().getLogBook(updated.uuid()).updatedAt()).isEqualTo(when);
    assertThat(conn().getLogBook(updated.uuid()).createdAt()).isEqualTo(CREATED);
  }

  @Test
  void resavingABookWithoutSomeFlowsKeepsThoseFlows() {
    FlowDetail f1 = flow("f1", task("t1"));
    FlowDetail f2 = flow("f2");
    LogBook lb = book("b", f1, f2);
    conn().saveLogBook(lb);

    conn().saveLogBook(lb.withFlows(List.of(f2.withState(FlowState.RUNNING))));

    LogBook reloaded = conn().getLogBook(lb.uuid());
    assertThat(uuids(reloaded.flows())).containsExactly(f1.uuid(), f2.uuid());
    assertThat(reloaded.find(f1.uuid()).orElseThrow().size()).isEqualTo(1);
    assertThat(reloaded.find(f2.uuid()).orElseThrow().state()).isEqualTo(FlowState.RUNNING);
  }

  @Test
  void booksKeepTheInsertionOrderOfTwelveFlows() {
    List<FlowDetail> flows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      // Names and uuids out of any sorted order, so only insertion order explains the result.
      flows.add(FlowDetail.of("flow-" + ((i * 7) % 12), uuid()));
    }
    LogBook lb = LogBook.of(uuid(), "ordered", CREATED, null, Map.of(), flows);
    conn().saveLogBook(lb.withFlows(flows.subList(0, 5)));
    conn().saveLogBook(lb);
    FlowDetail late = FlowDetail.of("flow-00-late", uuid());
    conn().saveLogBook(lb.withFlows(List.of(late)));

    List<String> expected = new ArrayList<>(uuids(flows));
    expected.add(late.uuid());
    assertThat(uuids(conn().getLogBook(lb.uuid()).flows())).containsExactlyElementsOf(expected);
    assertThat(uuids(conn().getFlowsForBook(lb.uuid()))).containsExactlyElementsOf(expected);
    assertThat(uuids(conn().getLogBooks().get(0).flows())).containsExactlyElementsOf(expected);
    assertThat(uuids(withOtherConnection(c -> c.getFlowsForBook(lb.uuid()))))
        .containsExactlyElementsOf(expected);
  }

  @Test
  void getLogBooksLazyLeavesOutFlowsAndFullLoadsEverything() {
    LogBook b1 = book("b1", flow("f1", task("t1")));
    LogBook b2 = LogBook.of(uuid(), "b2", CREATED.plusSeconds(1), null, Map.of(), List.of());
    conn().saveLogBook(b1);
    conn().saveLogBook(b2);

    List<LogBook> lazy = conn().getLogBooks(true);
    assertThat(uuids(lazy)).containsExactly(b1.uuid(), b2.uuid());
    assertThat(lazy).allSatisfy(b -> assertThat(b.size()).isZero());
    assertThat(lazy.get(0)).isEqualTo(b1.withoutFlows());

    List<LogBook> full = conn().getLogBooks(false);
    assertThat(full.stream().map(Fixtures::unrevised).toList()).containsExactly(b1, b2);
    assertThat(conn().getLogBooks().stream().map(Fixtures::unrevised).toList())
        .containsExactly(b1, b2);
  }

  @Test
  void getFlowsForBookReturnsFullyLoadedFlows() {
    FlowDetail f1 = flow("f1", task("t1"), task("t2"));
    FlowDetail f2 = flow("f2", RetryDetail.create("r1"));
    LogBook lb = book("b", f1, f2);
    conn().saveLogBook(lb);

    List<FlowDetail> flows = conn().getFlowsForBook(lb.uuid());
    assertThat(flows.stream().map(Fixtures::unrevised).toList()).containsExactly(f1, f2);
    assertThat(conn().getFlowsForBook(conn().saveLogBook(book("empty")).uuid())).isEmpty();
  }

  @Test
  void destroyingOneBookLeavesTheOthersIntact() {
    LogBook b1 = book("b1", flow("f1", task("t1")));
    LogBook b2 = book("b2", flow("f2", task("t2")));
    LogBook b3 = book("b3", flow("f3", task("t3")));
    conn().saveLogBook(b1);
    conn().saveLogBook(b2);
    conn().saveLogBook(b3);

    conn().destroyLogBook(b2.uuid());

    // Same creation time: the order between them is not part of the contract.
    assertThat(uuids(conn().getLogBooks())).containsExactlyInAnyOrder(b1.uuid(), b3.uuid());
    assertThat(unrevised(conn().getLogBook(b1.uuid()))).isEqualTo(b1);
    assertThat(unrevised(conn().getLogBook(b3.uuid()))).isEqualTo(b3);
  }

  @Test
  void aDestroyedBookCanBeSavedAgainFromScratch() {
    FlowDetail fd = flow("f", task("t"));
    LogBook lb = book("b", fd);
    conn().saveLogBook(lb);
    conn().destroyLogBook(lb.uuid());

    LogBook written = conn().saveLogBook(lb);

    assertThat(unrevised(conn().getLogBook(lb.uuid()))).isEqualTo(lb);
    assertThat(conn().getLogBook(lb.uuid())).isEqualTo(written);
  }
}
