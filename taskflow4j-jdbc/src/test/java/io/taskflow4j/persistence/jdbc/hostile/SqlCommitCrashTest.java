package io.taskflow4j.persistence.jdbc.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.jdbc.JdbcBackendProvider;
import io.taskflow4j.persistence.jdbc.JdbcCommitHook;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash points around SQL commits: a {@link JdbcCommitHook} fails the k-th write transaction just
 * before its commit (it must leave nothing) or just after it (the caller is told the write "may or
 * may not be stored"; it is), for each write of a series that saves, updates and deletes. After
 * each the store reads consistently.
 */
class SqlCommitCrashTest {
  @TempDir Path dir;

  private String url() {
    return "sqlite:///" + dir.resolve("store.db");
  }

  /** The writes, in order; each is one transaction. */
  private static final int WRITES = 6;

  private static void write(Connection c, int i, List<LogBook> books) {
    switch (i) {
      case 1 ->
          books.add(
              c.saveLogBook(
                  LogBook.create("b")
                      .withFlow(
                          FlowDetail.create("f")
                              .withAtom(TaskDetail.create("a"))
                              .withAtom(TaskDetail.create("b")))));
      case 2 -> c.updateAtomDetails(atom(c, books).withState(AtomState.RUNNING));
      case 3 -> c.updateAtomDetails(atom(c, books).put(AtomState.SUCCESS, 42));
      case 4 ->
          c.updateFlowDetails(
              c.getFlowDetails(books.get(0).flows().get(0).uuid(), true)
                  .withState(FlowState.RUNNING));
      case 5 -> books.add(c.saveLogBook(LogBook.create("other").withFlow(FlowDetail.create("g"))));
      case 6 -> c.destroyLogBook(books.get(books.size() - 1).uuid());
      default -> throw new IllegalArgumentException("no write " + i);
    }
  }

  private static io.taskflow4j.persistence.AtomDetail atom(Connection c, List<LogBook> books) {
    return c.getAtomDetails(books.get(0).flows().get(0).atoms().get(0).uuid());
  }

  private List<String> rows() throws Exception {
    List<String> out = new ArrayList<>();
    try (java.sql.Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
        Statement st = c.createStatement()) {
      for (String t : List.of("logbooks", "flowdetails", "atomdetails")) {
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + t + " ORDER BY uuid")) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder sb = new StringBuilder(t);
            for (int i = 1; i <= n; i++) {
              sb.append('|').append(rs.getString(i));
            }
            out.add(sb.toString());
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "write {0}, {1} its commit")
  @CsvSource({
    "1, before", "2, before", "3, before", "4, before", "5, before", "6, before",
    "1, after", "2, after", "3, after", "4, after", "5, after", "6, after"
  })
  void aFailureAtEitherSideOfACommitLeavesAConsistentStore(int failAt, String side)
      throws Exception {
    AtomicInteger commits = new AtomicInteger();
    boolean before = side.equals("before");
    JdbcCommitHook hook =
        new JdbcCommitHook() {
          @Override
          public void beforeCommit(String what) throws SQLException {
            if (before && commits.incrementAndGet() == failAt) {
              throw new SQLException("injected failure before the commit of " + what, "XX000");
            }
          }

          @Override
          public void afterCommit(String what) throws SQLException {
            if (!before && commits.incrementAndGet() == failAt) {
              throw new SQLException("injected failure after the commit of " + what, "XX000");
            }
          }
        };
    // the schema first, outside the counted writes
    try (Backend plain = new JdbcBackendProvider().create(BackendConf.parse(url()));
        Connection c = plain.getConnection()) {
      c.upgrade();
    }
    List<LogBook> books = new ArrayList<>();
    try (Backend b = JdbcBackendProvider.create(BackendConf.parse(url()), hook);
        Connection c = b.getConnection()) {
      for (int i = 1; i < failAt; i++) {
        write(c, i, books);
      }
      List<String> beforeRows = rows();
      int n = failAt;
      assertThatThrownBy(() -> write(c, n, books))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(before ? "injected failure before" : "may or may not be stored");
      if (before) {
        assertThat(rows()).as("a write cut before its commit leaves nothing").isEqualTo(beforeRows);
      } else {
        assertThat(rows()).as("a write cut after its commit is stored").isNotEqualTo(beforeRows);
      }
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
      // and the store goes on working: the remaining writes succeed, on what was stored
      books.clear();
      books.addAll(c.getLogBooks());
      if (books.isEmpty()) {
        return; // nothing was saved to build on
      }
      for (int i = failAt + 1; i <= WRITES; i++) {
        if (before && failAt == 5 && i == 6) {
          continue; // the book to delete was never saved
        }
        write(c, i, books);
      }
      assertThat(StoreVerifier.verify(c).problems()).isEmpty();
    }
  }

  @Test
  void aTransientFailureBeforeTheCommitIsRetriedAndStoredOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    JdbcCommitHook hook =
        new JdbcCommitHook() {
          @Override
          public void beforeCommit(String what) throws SQLException {
            if (calls.incrementAndGet() == 1) {
              throw new SQLException("database is locked", null, 5); // SQLITE_BUSY: transient
            }
          }

          @Override
          public void afterCommit(String what) {}
        };
    try (Backend b = JdbcBackendProvider.create(BackendConf.parse(url()), hook);
        Connection c = b.getConnection()) {
      c.upgrade();
      calls.set(0);
      LogBook saved = c.saveLogBook(LogBook.create("once").withFlow(FlowDetail.create("f")));
      assertThat(calls.get()).isEqualTo(2);
      assertThat(c.getLogBooks()).extracting(LogBook::uuid).containsExactly(saved.uuid());
      assertThat(rows()).filteredOn(r -> r.startsWith("flowdetails|")).hasSize(1);
    }
  }
}
