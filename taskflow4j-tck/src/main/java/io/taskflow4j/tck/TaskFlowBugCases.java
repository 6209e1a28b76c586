package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.failure;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.RetryDetail.Attempt;
import io.taskflow4j.persistence.TaskDetail;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Behaviours where TaskFlow is wrong; every backend must get them right.
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code TaskFlowBugs} group.
 */
public abstract class TaskFlowBugCases extends ContractCases {

  /** TaskFlow replaces the value of an attempt that has failures by a failure dict. */
  @Test
  void retryHistoryValuesSurviveWhenTheirAttemptsHaveFailures() {
    Failure f1 = failure("first");
    Failure f2 = failure("second");
    Map<String, Failure> two = new LinkedHashMap<>();
    two.put("task-b", f2);
    two.put("task-a", f1);
    RetryDetail rd =
        RetryDetail.create("retry-1")
            .withHistory(
                List.of(
                    new Attempt(42, Map.of("task-a", f1)),
                    new Attempt(Map.of("value", List.of(1, "two")), two),
                    new Attempt("last", Map.of())));
    saveOneFlow(rd);

    RetryDetail reloaded = (RetryDetail) conn().getAtomDetails(rd.uuid());
    assertThat(reloaded.history()).hasSize(3);
    assertThat(reloaded.history().get(0).value()).isEqualTo(42);
    assertThat(reloaded.history().get(1).value()).isEqualTo(Map.of("value", List.of(1, "two")));
    assertThat(reloaded.history().get(2).value()).isEqualTo("last");
    assertThat(reloaded.history().get(1).failures().keySet()).containsExactly("task-b", "task-a");
    assertThat(reloaded.history().get(1).failures().get("task-a").matches(f1)).isTrue();
    assertThat(reloaded.lastResults()).isEqualTo("last");
  }

  /** TaskFlow's merge drops a retry's revert result on every update. */
  @Test
  void retryRevertResultsWrittenByUpdateAtomDetailsReadBack() {
    RetryDetail rd = RetryDetail.create("retry-1").put(AtomState.SUCCESS, 1);
    LogBook saved = saveOneFlow(rd);

    AtomDetail stored = saved.flows().get(0).atoms().get(0);
    AtomDetail written =
        conn().updateAtomDetails(stored.put(AtomState.REVERTED, Map.of("undone", true)));

    assertThat(written.revertResults()).isEqualTo(Map.of("undone", true));
    AtomDetail reloaded = conn().getAtomDetails(rd.uuid());
    assertThat(reloaded.revertResults()).isEqualTo(Map.of("undone", true));
    assertThat(reloaded.state()).isEqualTo(AtomState.REVERTED);
    assertThat(((RetryDetail) reloaded).history()).hasSize(1);
  }

  /** TaskFlow's sqlite backend orphans the children of a destroyed book. */
  @Test
  void destroyingABookLeavesNoOrphanFlowsOrAtoms() {
    TaskDetail td = task("detail-1");
    RetryDetail rd = RetryDetail.create("retry-1");
    FlowDetail fd = flow("flow-1", td, rd);
    LogBook lb = book("book-1", fd);
    LogBook keep = book("book-2", flow("flow-2", task("detail-3")));
    conn().saveLogBook(lb);
    conn().saveLogBook(keep);

    conn().destroyLogBook(lb.uuid());

    assertNotFound(() -> conn().getFlowDetails(fd.uuid()), fd.uuid());
    assertNotFound(() -> conn().getFlowDetails(fd.uuid(), true), fd.uuid());
    assertNotFound(() -> conn().getAtomsForFlow(fd.uuid()), fd.uuid());
    assertNotFound(() -> conn().getAtomDetails(td.uuid()), td.uuid());
    assertNotFound(() -> conn().getAtomDetails(rd.uuid()), rd.uuid());
    assertNotFound(() -> conn().getFlowsForBook(lb.uuid()), lb.uuid());
    assertNotFound(() -> conn().updateAtomDetails(td), td.uuid());
    assertThat(uuids(conn().getLogBooks())).containsExactly(keep.uuid());
    assertThat(unrevised(conn().getLogBook(keep.uuid()))).isEqualTo(keep);
  }

  /** TaskFlow's dir backend leaves a phantom book behind a failed read. */
  @Test
  void readingAnUnknownBookDoesNotChangeTheListOfBooks() {
    LogBook lb = saveOneFlow(task("detail-1"));
    List<LogBook> before = conn().getLogBooks();
    String unknown = uuid();

    assertNotFound(() -> conn().getLogBook(unknown), unknown);
    assertNotFound(() -> conn().getLogBook(unknown, true), unknown);
    assertNotFound(() -> conn().getFlowsForBook(unknown), unknown);

    assertThat(conn().getLogBooks()).isEqualTo(before);
    assertThat(uuids(conn().getLogBooks(true))).containsExactly(lb.uuid());
    assertNotFound(() -> conn().destroyLogBook(unknown), unknown);
  }
}
