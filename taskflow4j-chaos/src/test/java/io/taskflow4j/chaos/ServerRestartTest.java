package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A full server outage: the database server is stopped for a few seconds in the middle of a chain
 * run and started again. The run completes, or fails with a {@link StorageException} after its
 * retries; resumed, it finishes, and the kill campaign's audit of a round passes ({@link
 * KillCampaign}: every task SUCCESS with its value, none run again after its SUCCESS was recorded,
 * at most one re-execution if the run failed and none if it completed, a store that verifies).
 * Stopping a server disturbs everyone using it, so this test is tagged {@code outage} and runs only
 * when asked: {@code mvn -pl taskflow4j-chaos test -Dgroups=outage -Dchaos.excludedGroups=none}. It
 * needs the commands to stop and start the server: {@code TF4J_PG_STOP}/{@code TF4J_PG_START}
 * (default: {@code pg_ctlcluster} of the only cluster) and {@code TF4J_MARIADB_STOP}/{@code
 * TF4J_MARIADB_START}.
 */
@Tag("outage")
class ServerRestartTest {
  private static final int TASKS = 300;

  @TempDir Path dir;

  private static String pgCluster() {
    String[] versions = new File("/etc/postgresql").list();
    return versions == null || versions.length == 0 ? "16" : versions[0];
  }

  /** The command that stops PostgreSQL ({@code TF4J_PG_STOP}, default: its only cluster). */
  static String pgStop() {
    return env(
        "TF4J_PG_STOP",
        "pg_ctlcluster --skip-systemctl-redirect " + pgCluster() + " main stop -m fast");
  }

  /** The command that starts PostgreSQL again ({@code TF4J_PG_START}). */
  static String pgStart() {
    return env(
        "TF4J_PG_START", "pg_ctlcluster --skip-systemctl-redirect " + pgCluster() + " main start");
  }

  /**
   * The connection-string keys of a retry budget shorter than the outage: no retry inside the SQL
   * backend, half a second to get a connection; the engine's three write attempts then fail.
   */
  private static final String SHORT_BUDGET = "max_retries=0&pool_timeout=0.5";

  @ParameterizedTest(name = "retry budget shorter than the outage: {0}")
  @ValueSource(booleans = {false, true})
  void aPostgresRestartMidRunLosesNoCheckpoint(boolean shortBudget, @PostgresDatabase String db)
      throws Exception {
    String stop = pgStop();
    String start = pgStart();
    try {
      outage(TestDatabases.postgresUrl(db), shortBudget, stop, start);
    } finally {
      sh(start);
    }
  }

  @ParameterizedTest(name = "retry budget shorter than the outage: {0}")
  @ValueSource(booleans = {false, true})
  void aMariaDbRestartMidRunLosesNoCheckpoint(boolean shortBudget, @MariaDbDatabase String db)
      throws Exception {
    String stop = env("TF4J_MARIADB_STOP", "mysqladmin -uroot shutdown");
    String start =
        env(
            "TF4J_MARIADB_START",
            "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql");
    try {
      outage(TestDatabases.mariadbUrl(db), shortBudget, stop, start);
    } finally {
      sh(start);
      waitFor(() -> TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB).close());
    }
  }

  /**
   * Runs the chain ({@link ChainChild}'s run, in this JVM) while the server is stopped for 3 s once
   * a tenth of the tasks ran; resumes it if it failed; then audits it as the kill campaign audits a
   * round, one interruption allowed when the run failed, none when it completed. With {@code
   * shortBudget} ({@link #SHORT_BUDGET}) the run must fail, with a clear message.
   */
  private void outage(String database, boolean shortBudget, String stop, String start)
      throws Exception {
    String url =
        shortBudget ? database + (database.contains("?") ? "&" : "?") + SHORT_BUDGET : database;
    Path log = dir.resolve("exec.log");
    String failure = null;
    int[] doneWhenStopped = {-1};
    try (Backend backend = Backends.open(url)) {
      Thread outage =
          new Thread(
              () -> {
                try {
                  awaitExecutions(log, TASKS / 10);
                  sh(stop);
                  doneWhenStopped[0] = executions(log);
                  Thread.sleep(3000);
                  sh(start);
                } catch (Exception e) {
                  // reported by the assertions below (the run cannot finish without the server)
                }
              });
      outage.start();
      try {
        assertThat(ChainChild.run(backend, "outage", TASKS, log.toString())).isZero();
      } catch (StorageException e) {
        failure = e.getMessage();
      } catch (RuntimeException | Error e) {
        outage.interrupt(); // no outage after a run that broke for another reason
        throw e;
      } finally {
        outage.join(60_000);
      }
      if (shortBudget) {
        assertThat(failure).as("the run outlived a budget shorter than the outage").isNotNull();
      }
      if (failure != null) {
        assertThat(failure).startsWith("Failed to save").doesNotContain("Exception:");
        waitFor(() -> backend.getConnection().validate());
        assertThat(ChainChild.run(backend, "outage", TASKS, log.toString())).isZero();
      }
    }
    assertThat(doneWhenStopped[0])
        .as("tasks done when the server was down")
        .isBetween(0, TASKS - 1);
    KillCampaign audit = KillCampaign.builder(dir).tasks(TASKS).build();
    KillCampaign.Stats st = new KillCampaign.Stats();
    int interruptions = failure == null ? 0 : 1;
    assertThat(
            audit.audit(new KillCampaign.Target("outage", url), "outage", log, interruptions, st))
        .isEmpty();
    System.out.println(
        url
            + ": server down after "
            + doneWhenStopped[0]
            + " tasks; "
            + (failure == null ? "completed through the outage" : failure)
            + "; re-executions: "
            + st.reexecutions);
  }

  /** The task executions in the exec log so far. */
  static int executions(Path log) throws java.io.IOException {
    return Files.exists(log)
        ? (int) Files.readAllLines(log).stream().filter(l -> l.startsWith("t")).count()
        : 0;
  }

  /** Waits (polling, with a deadline) until the exec log holds {@code n} task executions. */
  static void awaitExecutions(Path log, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (executions(log) < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the run did not reach " + n + " tasks in 60 s");
      }
      Thread.sleep(5);
    }
  }

  private static String env(String key, String dflt) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? dflt : v;
  }

  /** Runs a shell command; its output goes to this JVM's standard output (not the raw stream). */
  static void sh(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    if (!out.isBlank()) {
      System.out.print(out);
    }
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
