package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance kit and the SQL cases on a SQLite file (a new file per test). */
class SqliteFileBackendTest extends AbstractSqlBackendTest {
  @TempDir static Path dir;
  private static final AtomicInteger N = new AtomicInteger();
  private String url;

  @Override
  protected String connection() {
    if (url == null) {
      // Four slashes: SQLAlchemy's form of an absolute path.
      url = "sqlite:///" + dir.resolve("store-" + N.incrementAndGet() + ".db");
    }
    return url;
  }

  @Test
  void theFileIsInWalModeWithForeignKeysOn() throws SQLException {
    try (Connection c = raw();
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
      }
      try (ResultSet rs = st.executeQuery("PRAGMA foreign_keys")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
      try (ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
        rs.next();
        assertThat(rs.getInt(1)).as("FULL").isEqualTo(2);
      }
    }
  }

  /**
   * Two backends on one file stand for two processes: each has its own writer connection, so their
   * writers meet SQLite's file lock (BEGIN IMMEDIATE plus the busy timeout) and nothing is lost.
   */
  @Test
  void twoBackendsOnOneFileWriteConcurrentlyWithoutLoss() throws Exception {
    List<TaskDetail> tasks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      tasks.add(TaskDetail.create("t" + i));
    }
    FlowDetail fd = FlowDetail.create("f").withAtoms(tasks);
    List<AtomDetail> saved =
        conn.saveLogBook(LogBook.create("b").withFlow(fd)).flows().get(0).atoms();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Backend other = Backends.fetch(connection());
        var otherConn = other.getConnection()) {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < saved.size(); i++) {
        AtomDetail a = saved.get(i);
        var c = i % 2 == 0 ? conn : otherConn;
        futures.add(
            pool.submit(
                () -> {
                  AtomDetail r = c.updateAtomDetails(a.withState(AtomState.RUNNING));
                  return c.updateAtomDetails(r.put(AtomState.SUCCESS, a.name()));
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    List<AtomDetail> after = conn.getAtomsForFlow(fd.uuid());
    assertThat(after).hasSize(40);
    for (AtomDetail a : after) {
      assertThat(a.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(a.lastResults()).isEqualTo(a.name());
      assertThat(a.revision()).isEqualTo(3);
    }
  }

  @Test
  void processDurabilityRelaxesSynchronousToNormal() throws Exception {
    try (Backend relaxed = Backends.fetch(connection() + "?durability=process");
        Connection c = ((JdbcBackend) relaxed).source().get(true);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
      rs.next();
      assertThat(rs.getInt(1)).as("NORMAL").isEqualTo(1);
    }
  }
}
