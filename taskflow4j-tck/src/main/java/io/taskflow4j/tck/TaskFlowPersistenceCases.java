package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.CREATED;
import static io.taskflow4j.tck.Fixtures.assertNotFound;
import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.failure;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.unrevised;
import static io.taskflow4j.tck.Fixtures.uuid;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.RetryDetail.Attempt;
import io.taskflow4j.persistence.TaskDetail;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * TaskFlow's own backend tests ({@code PersistenceTestMixin}), ported one by one. As in the
 * originals, each step uses a fresh connection and writes the caller's own objects again (so their
 * revision is 0: TaskFlow's unconditional writes).
 *
 * <p>{@link BackendContractTest} runs these on every backend, as its {@code TaskFlowCases} group.
 */
public abstract class TaskFlowPersistenceCases extends ContractCases {

  /** Runs one step of a case on a fresh connection, as TaskFlow's tests do. */
  private <T> T step(Function<Connection, T> body) {
    return withOtherConnection(body);
  }

  private void stepRun(Consumer<Connection> body) {
    withOtherConnection(
        c -> {
          body.accept(c);
          return null;
        });
  }

  /** TaskFlow: test_task_detail_update_not_existing. */
  @Test
  void atomAddedToASavedFlowIsStoredByUpdateFlowDetails() {
    TaskDetail td = task("detail-1");
    FlowDetail fd = flow("test", td);
    LogBook lb = book("lb", fd);
    stepRun(c -> c.saveLogBook(lb));

    // Same name on purpose: atoms are told apart by uuid only.
    TaskDetail td2 = task("detail-1");
    FlowDetail fdWithBoth = fd.withAtom(td2);
    stepRun(c -> c.updateFlowDetails(fdWithBoth));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    FlowDetail fd2 = lb2.find(fd.uuid()).orElseThrow();
    assertThat(fd2.find(td.uuid())).isPresent();
    assertThat(fd2.find(td2.uuid())).isPresent();
    assertThat(fd2.size()).isEqualTo(2);
  }

  /** TaskFlow: test_flow_detail_update_not_existing. */
  @Test
  void flowAddedToASavedBookIsStoredBySavingTheBookAgain() {
    FlowDetail fd = flow("test");
    LogBook lb = book("lb", fd);
    stepRun(c -> c.saveLogBook(lb));

    FlowDetail fd2 = flow("test-2");
    LogBook lbWithBoth = lb.withFlow(fd2);
    stepRun(c -> c.saveLogBook(lbWithBoth));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    assertThat(lb2.find(fd.uuid())).isPresent();
    assertThat(lb2.find(fd2.uuid())).isPresent();
  }

  /** TaskFlow: test_logbook_save_retrieve_many (newer TaskFlow versions). */
  @Test
  void tenSavedBooksAreExactlyWhatGetLogBooksReturns() {
    List<LogBook> books = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      LogBook lb =
          LogBook.of(uuid(), "book-" + i, CREATED.plusSeconds(i), null, Map.of(), List.of());
      assertNotFound(() -> conn().getLogBook(lb.uuid()), lb.uuid());
      books.add(lb);
    }
    for (LogBook lb : books) {
      stepRun(c -> c.saveLogBook(lb));
    }
    List<LogBook> all = step(Connection::getLogBooks);
    assertThat(uuids(all)).containsExactlyElementsOf(uuids(books));
    for (LogBook lb : books) {
      assertThat(conn().getLogBook(lb.uuid())).isEqualTo(lb);
    }
  }

  /** TaskFlow: test_logbook_save_retrieve. */
  @Test
  void bookNameMetaAndTimesSurviveARoundTrip() {
    LogBook lb = LogBook.create("lb-1").withMeta(Map.of("1", 2));
    stepRun(
        c -> {
          assertNotFound(() -> c.getLogBook(lb.uuid()), lb.uuid());
          c.saveLogBook(lb);
        });

    LogBook reloaded = step(c -> c.getLogBook(lb.uuid()));
    assertThat(reloaded.name()).isEqualTo("lb-1");
    assertThat(reloaded.size()).isZero();
    assertThat(reloaded.meta()).isEqualTo(Map.of("1", 2));
    assertThat(reloaded.updatedAt()).isNull();
    assertThat(reloaded.createdAt()).isNotNull().isEqualTo(lb.createdAt());
  }

  /** TaskFlow: test_flow_detail_save. */
  @Test
  void flowUpdateBeforeItsBookIsSavedIsNotFoundAndWorksAfter() {
    FlowDetail fd = flow("test");
    LogBook lb = book("lb", fd);

    stepRun(
        c -> {
          assertNotFound(() -> c.getLogBook(lb.uuid()), lb.uuid());
          assertNotFound(() -> c.updateFlowDetails(fd), fd.uuid());
        });

    FlowDetail written =
        step(
            c -> {
              c.saveLogBook(lb);
              return c.updateFlowDetails(fd);
            });
    assertThat(unrevised(written)).isEqualTo(fd);
    assertThat(conn().getFlowDetails(fd.uuid())).isEqualTo(written);
  }

  /** TaskFlow: test_flow_detail_meta_update. */
  @Test
  void flowMetaChangeIsStoredByUpdateFlowDetails() {
    FlowDetail fd = flow("test").withMeta(Map.of("test", 42));
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
        });

    stepRun(c -> c.updateFlowDetails(fd.withMeta(Map.of("test", 43))));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    assertThat(lb2.find(fd.uuid()).orElseThrow().meta()).isEqualTo(Map.of("test", 43));
  }

  /** TaskFlow: test_flow_detail_lazy_fetch. */
  @Test
  void lazyFlowFetchLeavesOutItsAtoms() {
    TaskDetail td = task("detail-1").withVersion("4.2");
    FlowDetail fd = flow("test", td);
    stepRun(c -> c.saveLogBook(book("lb", fd)));

    FlowDetail fd2 = step(c -> c.getFlowDetails(fd.uuid(), true));
    assertThat(fd2.size()).isZero();
    assertThat(fd2.name()).isEqualTo("test");
    assertThat(step(c -> c.getFlowDetails(fd.uuid(), false)).size()).isEqualTo(1);
  }

  /** TaskFlow: test_task_detail_save. */
  @Test
  void atomWritesBeforeTheBookIsSavedAreNotFoundAndWorkAfter() {
    TaskDetail td = task("detail-1");
    FlowDetail fd = flow("test", td);
    LogBook lb = book("lb", fd);

    stepRun(
        c -> {
          assertNotFound(() -> c.updateFlowDetails(fd), fd.uuid());
          assertNotFound(() -> c.updateAtomDetails(td), td.uuid());
        });

    AtomDetail written =
        step(
            c -> {
              c.saveLogBook(lb);
              c.updateFlowDetails(fd);
              return c.updateAtomDetails(td);
            });
    assertThat(unrevised(written)).isEqualTo(td);
    assertThat(conn().getAtomDetails(td.uuid())).isEqualTo(written);
  }

  /** TaskFlow: test_task_detail_meta_update. */
  @Test
  void atomMetaChangeIsStoredAndTheTypeIsKept() {
    TaskDetail td = task("detail-1").withMeta(Map.of("test", 42));
    FlowDetail fd = flow("test", td);
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
          c.updateAtomDetails(td);
        });

    stepRun(c -> c.updateAtomDetails(td.withMeta(Map.of("test", 43))));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
    assertThat(td2.meta()).isEqualTo(Map.of("test", 43));
    assertThat(td2).isInstanceOf(TaskDetail.class);
  }

  /** TaskFlow: test_task_detail_with_failure. */
  @Test
  void taskFailureSurvivesARoundTrip() {
    Failure fail = failure("Woot!");
    TaskDetail td = task("detail-1").withFailure(fail);
    FlowDetail fd = flow("test", td);
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
          c.updateAtomDetails(td);
        });

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
    assertThat(td2.failure().exceptionStr()).isEqualTo("Woot!");
    assertThat(td2.failure().check(RuntimeException.class)).isEqualTo(RuntimeException.class);
    assertThat(td2.failure().tracebackStr()).isNotEmpty().isEqualTo(fail.tracebackStr());
    assertThat(td2).isInstanceOf(TaskDetail.class);
  }

  /** TaskFlow: test_logbook_merge_flow_detail. */
  @Test
  void savingANewBookObjectWithTheSameUuidMergesItsFlows() {
    FlowDetail fd = flow("test");
    LogBook lb = book("lb", fd);
    stepRun(c -> c.saveLogBook(lb));

    FlowDetail fd2 = flow("test2");
    LogBook lb2 = LogBook.of(lb.uuid(), lb.name(), null, null, Map.of(), List.of(fd2));
    stepRun(c -> c.saveLogBook(lb2));

    LogBook lb3 = step(c -> c.getLogBook(lb.uuid()));
    assertThat(lb3.size()).isEqualTo(2);
    assertThat(uuids(lb3.flows())).containsExactly(fd.uuid(), fd2.uuid());
  }

  /** TaskFlow: test_logbook_add_flow_detail. */
  @Test
  void bookWithOneFlowReloadsWithThatFlow() {
    FlowDetail fd = flow("test");
    LogBook lb = book("lb", fd);
    stepRun(c -> c.saveLogBook(lb));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    assertThat(lb2.size()).isEqualTo(1);
    assertThat(lb2.find(fd.uuid()).orElseThrow().name()).isEqualTo("test");
  }

  /** TaskFlow: test_logbook_lazy_fetch. */
  @Test
  void lazyBookFetchLeavesOutItsFlows() {
    LogBook lb = book("lb", flow("test"));
    stepRun(c -> c.saveLogBook(lb));

    assertThat(step(c -> c.getLogBook(lb.uuid(), true)).size()).isZero();
    assertThat(step(c -> c.getLogBook(lb.uuid(), false)).size()).isEqualTo(1);
  }

  /** TaskFlow: test_logbook_add_task_detail. */
  @Test
  void atomNameVersionAndIntentionSurviveARoundTrip() {
    TaskDetail td = task("detail-1").withVersion("4.2");
    FlowDetail fd = flow("test", td);
    LogBook lb = book("lb", fd);
    stepRun(c -> c.saveLogBook(lb));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    assertThat(lb2.size()).isEqualTo(1);
    assertThat(lb2.flows().get(0).size()).isEqualTo(1);
    AtomDetail td2 = lb2.find(fd.uuid()).orElseThrow().find(td.uuid()).orElseThrow();
    assertThat(td2.name()).isEqualTo("detail-1");
    assertThat(td2.version()).isEqualTo("4.2");
    assertThat(td2.intention()).isEqualTo(Intention.EXECUTE);
  }

  /** TaskFlow: test_logbook_delete. */
  @Test
  void destroyingAnUnknownOrAlreadyDestroyedBookIsNotFound() {
    LogBook lb = book("lb");
    stepRun(c -> assertNotFound(() -> c.destroyLogBook(lb.uuid()), lb.uuid()));
    stepRun(c -> c.saveLogBook(lb));
    LogBook saved = step(c -> c.getLogBook(lb.uuid()));
    assertThat(saved).isEqualTo(lb);

    stepRun(
        c -> {
          c.destroyLogBook(lb.uuid());
          assertNotFound(() -> c.destroyLogBook(lb.uuid()), lb.uuid());
        });
    assertNotFound(() -> conn().getLogBook(lb.uuid()), lb.uuid());
  }

  /** TaskFlow: test_task_detail_retry_type_. */
  @Test
  void retryDetailReloadsAsARetryDetailWithItsIntention() {
    RetryDetail rd = RetryDetail.create("detail-1").withIntention(Intention.REVERT);
    FlowDetail fd = flow("test", rd);
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
          c.updateAtomDetails(rd);
        });

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
    assertThat(rd2.intention()).isEqualTo(Intention.REVERT);
    assertThat(rd2).isInstanceOf(RetryDetail.class);
  }

  /** TaskFlow: test_retry_detail_save_with_task_failure. */
  @Test
  void retryHistoryFailureSurvivesARoundTrip() {
    Failure fail = Failure.of(new RuntimeException("fail"));
    RetryDetail rd =
        RetryDetail.create("retry-1")
            .withHistory(List.of(new Attempt(42, Map.of("some-task", fail))));
    FlowDetail fd = flow("test", rd);
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
          c.updateAtomDetails(rd);
        });

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
    assertThat(rd2).isInstanceOf(RetryDetail.class);
    Failure fail2 = ((RetryDetail) rd2).history().get(0).failures().get("some-task");
    assertThat(fail2).isNotNull();
    assertThat(fail.matches(fail2)).isTrue();
  }

  /** TaskFlow: test_retry_detail_save_intention. */
  @Test
  void retryIntentionChangeIsStoredByUpdateAtomDetails() {
    RetryDetail rd = RetryDetail.create("retry-1");
    FlowDetail fd = flow("test", rd);
    LogBook lb = book("lb", fd);
    stepRun(
        c -> {
          c.saveLogBook(lb);
          c.updateFlowDetails(fd);
          c.updateAtomDetails(rd);
        });

    stepRun(c -> c.updateAtomDetails(rd.withIntention(Intention.REVERT)));

    LogBook lb2 = step(c -> c.getLogBook(lb.uuid()));
    AtomDetail rd2 = lb2.find(fd.uuid()).orElseThrow().find(rd.uuid()).orElseThrow();
    assertThat(rd2.intention()).isEqualTo(Intention.REVERT);
    assertThat(rd2).isInstanceOf(RetryDetail.class);
  }

  /** TaskFlow's RetryDetail defaults: an empty history, not a missing one. */
  @Test
  void retryWithoutAttemptsReloadsWithAnEmptyHistory() {
    RetryDetail rd = RetryDetail.create("retry-1");
    saveOneFlow(rd);

    RetryDetail reloaded = (RetryDetail) step(c -> c.getAtomDetails(rd.uuid()));
    assertThat(reloaded.history()).isEmpty();
    assertThat(reloaded.state()).isEqualTo(AtomState.PENDING);
    assertThat(reloaded.intention()).isEqualTo(Intention.EXECUTE);
    assertThatThrownBy(reloaded::lastResults).isInstanceOf(NotFoundException.class);
  }
}
