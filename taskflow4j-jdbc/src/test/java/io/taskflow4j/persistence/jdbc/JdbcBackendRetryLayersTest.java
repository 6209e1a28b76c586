package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.storage.AtomSpec;
import io.taskflow4j.storage.Storage;
import io.taskflow4j.storage.StorageOptions;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One retry policy per write: over a SQL connection, which retries its own transient errors, {@code
 * Storage} makes each write once, and a commit whose outcome is unknown is settled by one read, not
 * by writing again. The transactions of atom writes are counted at their commits.
 */
class JdbcBackendRetryLayersTest {
  @TempDir Path dir;

  /** Atom-write transactions that reached their commit, counted by the hook. */
  private final AtomicInteger atomCommits = new AtomicInteger();

  /** Storage's waits between its own attempts (there must be none here). */
  private final List<Duration> storageWaits = new CopyOnWriteArrayList<>();

  private Backend backend(JdbcCommitHook hook) {
    return JdbcBackendProvider.create(
        BackendConf.parse(
            "sqlite:///" + dir.resolve("store.db") + "?max_retries=2&retry_backoff=0.001"),
        hook);
  }

  /** A hook that fails the n-th atom-write transaction (counted from 1) where {@code fail} says. */
  private JdbcCommitHook failingAtomWrites(IntPredicate failBefore, IntPredicate failAfter) {
    return new JdbcCommitHook() {
      @Override
      public void beforeCommit(String what) throws SQLException {
        if (what.startsWith("updating atom detail")
            && failBefore.test(atomCommits.incrementAndGet())) {
          throw new SQLException("database is locked", null, 5); // SQLITE_BUSY: transient
        }
      }

      @Override
      public void afterCommit(String what) throws SQLException {
        if (what.startsWith("updating atom detail") && failAfter.test(atomCommits.get())) {
          throw new SQLException("connection reset after the commit of " + what, "08006");
        }
      }
    };
  }

  private Storage storage(Connection c) {
    c.upgrade();
    LogBook book = c.saveLogBook(LogBook.create("book").withFlow(FlowDetail.create("flow")));
    StorageOptions options =
        StorageOptions.builder().writeAttempts(3).sleeper(storageWaits::add).build();
    Storage s = new Storage(book.flows().get(0), c, options);
    s.ensureAtom(AtomSpec.task("t"));
    return s;
  }

  @Test
  void aSqlConnectionSaysItRetriesItsOwnTransientErrors() {
    try (Backend b = backend(JdbcCommitHook.NONE);
        Connection c = b.getConnection()) {
      assertThat(c.retriesTransientErrors()).isTrue();
    }
  }

  @Test
  void anAtomWriteThatKeepsFailingTransientlyIsRetriedByTheBackendAloneOnce() {
    try (Backend b = backend(failingAtomWrites(n -> true, n -> false));
        Connection c = b.getConnection()) {
      Storage s = storage(c);

      assertThatThrownBy(() -> s.save("t", 42))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("database is locked");

      // max_retries=2: three transactions in all, not three per Storage attempt (nine).
      assertThat(atomCommits.get()).isEqualTo(3);
      assertThat(storageWaits).isEmpty();
      assertThat(s.getAtomState("t")).isEqualTo(AtomState.PENDING);
    }
  }

  @Test
  void aTransientFailureIsRetriedByTheBackendAndTheWriteMadeOnce() {
    try (Backend b = backend(failingAtomWrites(n -> n == 1, n -> false));
        Connection c = b.getConnection()) {
      Storage s = storage(c);

      s.save("t", 42);

      assertThat(atomCommits.get()).isEqualTo(2);
      assertThat(storageWaits).isEmpty();
      assertThat(c.getAtomDetails(s.getAtomUuid("t")).revision())
          .isEqualTo(s.atomDetail("t").revision());
    }
  }

  @Test
  void aCommitWhoseOutcomeIsUnknownIsSettledByOneReadNotByWritingAgain() {
    try (Backend b = backend(failingAtomWrites(n -> false, n -> n == 1));
        Connection c = b.getConnection()) {
      Storage s = storage(c);

      s.save("t", 42);

      assertThat(atomCommits.get()).as("the write was made once").isEqualTo(1);
      assertThat(s.getExecuteResult("t")).isEqualTo(42);
      assertThat(s.atomDetail("t")).isEqualTo(c.getAtomDetails(s.getAtomUuid("t")));

      // The next write builds on the recovered revision: no conflict.
      s.setAtomIntention("t", io.taskflow4j.persistence.Intention.REVERT);
      assertThat(atomCommits.get()).isEqualTo(2);
    }
  }
}
