package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import io.taskflow4j.verify.StoreVerifier;
import io.taskflow4j.workloads.Workloads;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full server outage: the database server is stopped for a few seconds in the middle of a chain
 * run and started again. The run completes, or fails with a {@link StorageException} after its
 * retries; resumed, it finishes with no recorded task run twice (only the one whose checkpoint "may
 * or may not be stored" may) and a store that verifies. Stopping a server disturbs everyone using
 * it, so this test is tagged {@code outage} and runs only when asked: {@code mvn -pl
 * taskflow4j-chaos test -Dgroups=outage -Dchaos.excludedGroups=none}. It needs the commands to stop
 * and start the server: {@code TF4J_PG_STOP}/{@code TF4J_PG_START} (default: {@code pg_ctlcluster}
 * of the only cluster) and {@code TF4J_MARIADB_STOP}/{@code TF4J_MARIADB_START}.
 */
@Tag("outage")
class ServerRestartTest {
  private static final int TASKS = 300;

  @TempDir Path dir;

  private static String pgCluster() {
    String[] versions = new File("/etc/postgresql").list();
    return versions == null || versions.length == 0 ? "16" : versions[0];
  }

  @Test
  void aPostgresRestartMidRunLosesNoCheckpoint() throws Exception {
    TestDatabases.requirePostgres();
    String v = pgCluster();
    String stop =
        env("TF4J_PG_STOP", "pg_ctlcluster --skip-systemctl-redirect " + v + " main stop -m fast");
    String start =
        env("TF4J_PG_START", "pg_ctlcluster --skip-systemctl-redirect " + v + " main start");
    String db = TestDatabases.createPostgres();
    try {
      outage(TestDatabases.postgresUrl(db), stop, start);
    } finally {
      sh(start);
      TestDatabases.dropPostgres(db);
    }
  }

  @Test
  void aMariaDbRestartMidRunLosesNoCheckpoint() throws Exception {
    TestDatabases.requireMariaDb();
    String stop = env("TF4J_MARIADB_STOP", "mysqladmin -uroot shutdown");
    String start =
        env(
            "TF4J_MARIADB_START",
            "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql");
    String db = TestDatabases.createMariaDb();
    try {
      outage(TestDatabases.mariadbUrl(db), stop, start);
    } finally {
      sh(start);
      waitFor(() -> TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB).close());
      TestDatabases.dropMariaDb(db);
    }
  }

  private void outage(String url, String stop, String start) throws Exception {
    Path log = dir.resolve("exec.log");
    String failure = null;
    try (Backend backend = Backends.open(url)) {
      Thread outage =
          new Thread(
              () -> {
                try {
                  Thread.sleep(1500);
                  sh(stop);
                  Thread.sleep(3000);
                  sh(start);
                } catch (Exception e) {
                  // reported by the assertions below (the run cannot finish without the server)
                }
              });
      try (Engine engine =
          Engines.loadFromFactory(Workloads.Chain.class, List.of(TASKS, log.toString()), Map.of())
              .backend(backend)
              .store(Map.of("v0", 0))
              .logBook(LogBook.create("outage"))
              .build()) {
        outage.start();
        try {
          engine.run();
        } catch (StorageException e) {
          failure = e.getMessage();
        }
      } finally {
        outage.join(60_000);
      }
      if (failure != null) {
        assertThat(failure).doesNotContain("Exception:");
        waitFor(() -> backend.getConnection().validate());
        FlowDetail fd = null;
        try (Connection c = backend.getConnection()) {
          for (LogBook b : c.getLogBooks()) {
            if (b.name().equals("outage") && !b.flows().isEmpty()) {
              fd = b.flows().get(0);
            }
          }
        }
        assertThat(fd).as("the flow was recorded before the outage").isNotNull();
        try (Engine engine = Engines.loadFromDetail(fd, backend)) {
          engine.run();
          assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
        }
      }
      List<String> all = Files.readAllLines(log);
      assertThat(new HashSet<>(all)).hasSize(TASKS);
      assertThat(all.size()).isLessThanOrEqualTo(TASKS + 1);
      assertThat(StoreVerifier.verify(backend).problems()).isEmpty();
      System.out.println(url + ": " + (failure == null ? "completed through the outage" : failure));
    }
  }

  private static String env(String key, String dflt) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? dflt : v;
  }

  private static void sh(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", command).inheritIO().start();
    p.waitFor(60, TimeUnit.SECONDS);
  }

  private interface Probe {
    void run() throws Exception;
  }

  private static void waitFor(Probe probe) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        probe.run();
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }
}
