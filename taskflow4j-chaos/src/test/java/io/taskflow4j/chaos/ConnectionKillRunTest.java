package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import io.taskflow4j.verify.StoreVerifier;
import io.taskflow4j.workloads.Workloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database outages short of a server restart: while a chain runs, every connection the server has
 * to the run's own database is killed again and again ({@code pg_terminate_backend}, MariaDB's
 * {@code KILL}). The run completes — or fails with a {@link StorageException} once its retries are
 * spent — and in either case no checkpoint is lost or written twice: each task recorded SUCCESS ran
 * exactly once (the process never died, so nothing may run again), and the store verifies. (Only
 * this test's own database is touched, so other users of the server are not disturbed; a full stop
 * and restart is {@link ServerRestartTest}, tagged {@code outage}.)
 */
class ConnectionKillRunTest {
  /** Enough tasks that the run outlasts several rounds of kills on a fast database. */
  private static final int TASKS = 400;

  @TempDir Path dir;

  @Test
  void aChainSurvivesItsPostgresConnectionsBeingKilled(@PostgresDatabase String db)
      throws Exception {
    run(
        TestDatabases.postgresUrl(db),
        () -> {
          try (java.sql.Connection c = TestDatabases.postgres(TestDatabases.PG_ADMIN_DB);
              PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                          + " WHERE datname = ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getInt(1);
            }
          }
        });
  }

  @Test
  void aChainSurvivesItsMariaDbConnectionsBeingKilled(@MariaDbDatabase String db) throws Exception {
    run(
        TestDatabases.mariadbUrl(db),
        () -> {
          int n = 0;
          try (java.sql.Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB)) {
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT id FROM information_schema.processlist"
                        + " WHERE db = ? AND id <> connection_id()")) {
              ps.setString(1, db);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  ids.add(rs.getLong(1));
                }
              }
            }
            for (long id : ids) {
              try (Statement st = c.createStatement()) {
                st.execute("KILL " + id); // a number read from the server, not input
                n++;
              } catch (java.sql.SQLException gone) {
                // the connection ended by itself meanwhile
              }
            }
          }
          return n;
        });
  }

  private static void resume(Backend backend, Path log) {
    io.taskflow4j.persistence.FlowDetail fd = null;
    try (io.taskflow4j.persistence.Connection c = backend.getConnection()) {
      for (LogBook b : c.getLogBooks()) {
        if (b.name().equals("outage") && !b.flows().isEmpty()) {
          fd = b.flows().get(0);
        }
      }
    }
    Engine engine =
        fd != null
            ? Engines.loadFromDetail(fd, backend)
            : Engines.loadFromFactory(
                    Workloads.Chain.class, List.of(TASKS, log.toString()), Map.of())
                .backend(backend)
                .store(Map.of("v0", 0))
                .logBook(LogBook.create("outage"))
                .build();
    try (engine) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
      assertThat(engine.storage().fetch("v" + TASKS)).isEqualTo(TASKS);
    }
  }

  private interface Killer {
    int killAll() throws Exception;
  }

  private void run(String url, Killer killer) throws Exception {
    Path log = dir.resolve("exec.log");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger killed = new AtomicInteger();
    AtomicInteger rounds = new AtomicInteger();
    Thread chaos =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  Thread.sleep(50);
                  killed.addAndGet(killer.killAll());
                  rounds.incrementAndGet();
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  // the admin connection itself may be refused for a moment; keep going
                }
              }
            },
            "connection-killer");
    FlowState end;
    String failure = null;
    try (Backend backend = Backends.open(url)) {
      chaos.start();
      try (Engine engine =
          Engines.loadFromFactory(Workloads.Chain.class, List.of(TASKS, log.toString()), Map.of())
              .backend(backend)
              .store(Map.of("v0", 0))
              .logBook(LogBook.create("outage"))
              .build()) {
        try {
          engine.run();
        } catch (StorageException e) {
          failure = e.getMessage();
        }
        end = engine.flowState();
      } finally {
        stop.set(true);
        chaos.interrupt();
        chaos.join(10_000);
      }
      assertThat(rounds.get()).as("rounds of kills during the run").isGreaterThanOrEqualTo(2);
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      // the process never died: no task may have run twice
      assertThat(new HashSet<>(lines)).hasSameSizeAs(lines);
      if (failure == null) {
        assertThat(end).isEqualTo(FlowState.SUCCESS);
        assertThat(lines).hasSize(TASKS);
      } else {
        // a clear storage error, saying what failed, without a password or a raw stack
        assertThat(failure).isNotBlank().doesNotContain("Exception:");
        // the outage over, the run resumes from what was recorded and finishes; only the task
        // whose checkpoint "may or may not be stored" may run a second time
        resume(backend, log);
        List<String> all = Files.readAllLines(log);
        assertThat(new HashSet<>(all)).hasSize(TASKS);
        assertThat(all.size()).isLessThanOrEqualTo(TASKS + 1);
      }
      System.out.println(
          url.replaceAll(":[^:@/]*@", "@")
              + ": "
              + killed.get()
              + " connections killed, run "
              + (failure == null ? "SUCCESS" : "failed: " + failure));
    }
    // afterwards the store is whole and agrees with the log: every SUCCESS task ran exactly once
    try (Backend backend = Backends.open(url)) {
      assertThat(StoreVerifier.verify(backend).problems()).isEmpty();
    }
  }
}
