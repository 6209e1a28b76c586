package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.TaskFlowException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code conductor} of the shaded jar stopped by SIGTERM after a peer took its job over: the
 * conductor was paused (SIGSTOP) inside a task past its lease, a second conductor claimed the job,
 * then the first got SIGTERM and SIGCONT. Its stop cannot suspend the flow nor release the job (the
 * fence refuses every write of the old claim): it says so in one line, prints no stack trace and
 * exits 143, as any SIGTERM.
 */
@Timeout(240)
class ConductorShutdownIT {
  /** How long each task of the order flow takes: the first conductor is paused inside one. */
  private static final String TASK_MILLIS = "4000";

  private static final String LEASE_SECONDS = "2";

  @TempDir Path dir;

  @Test
  void aConductorWhoseJobWasTakenOverStopsOnSigtermWithOneLineAndExit143() throws Exception {
    String connection = Cli.sqlite(dir.resolve("jobs.db"));
    Cli.Result posted =
        Jar.run(
            dir,
            "jobs",
            "post",
            "--json",
            "--connection",
            connection,
            OrderFlow.class.getName(),
            "A-1",
            TASK_MILLIS);
    posted.expect(ExitCodes.OK);
    Map<?, ?> job = (Map<?, ?>) ((List<?>) Json.read(posted.out().strip())).get(0);
    String jobUuid = (String) job.get("uuid");
    String flowUuid = (String) ((Map<?, ?>) job.get("details")).get("flow_uuid");

    List<Conductor> started = new ArrayList<>();
    try {
      Conductor first = Conductor.start(dir, "first", connection);
      started.add(first);
      first.awaitLine(l -> l.startsWith("claimed") && l.contains(jobUuid), "its claim");
      awaitRunningTask(connection, flowUuid);
      first.signal("STOP");

      Conductor second = Conductor.start(dir, "second", connection);
      started.add(second);
      second.awaitLine(
          l -> l.startsWith("claimed") && l.contains(jobUuid) && l.endsWith("token 2"),
          "its takeover of the job once the first one's lease lapsed");

      // Delivered as soon as the process runs again: it stops at once, its claim already lost.
      first.signal("TERM");
      first.signal("CONT");
      assertThat(first.process.waitFor(90, TimeUnit.SECONDS))
          .as("the first conductor ended")
          .isTrue();

      String out = first.out();
      String err = first.err();
      String both = "stdout:\n" + out + "\nstderr:\n" + err;
      assertThat(first.process.exitValue()).as(both).isEqualTo(143);
      assertThat(err).as(both).doesNotContain("\tat ").doesNotContain("Exception");
      List<String> said =
          (out + "\n" + err).lines().filter(l -> l.contains("a peer took the job over")).toList();
      assertThat(said).as(both).hasSize(1);
      assertThat(said.get(0))
          .as(both)
          .startsWith("dropped")
          .contains(jobUuid)
          .contains("token 1")
          .doesNotContain("check that the database server is running");
      assertThat(out.lines().filter(l -> l.startsWith("released"))).as(both).isEmpty();

      second.signal("TERM");
      assertThat(second.process.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(second.process.exitValue()).as(second.out() + second.err()).isEqualTo(143);
      assertThat(second.err()).doesNotContain("\tat ");
    } finally {
      for (Conductor c : started) {
        c.process.destroyForcibly(); // SIGKILL ends a stopped process too
        c.process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Waits until the flow's first task is recorded RUNNING: the conductor is inside it. */
  private static void awaitRunningTask(String connection, String flowUuid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Backend b = Backends.fetch(connection);
          Connection c = b.getConnection()) {
        for (AtomDetail a : c.getAtomsForFlow(flowUuid)) {
          if (a.name().equals("fetch-order") && a.state() == AtomState.RUNNING) {
            return;
          }
        }
      } catch (TaskFlowException e) {
        // the conductor holds the SQLite file for a moment: look again
      }
      assertThat(System.nanoTime()).as("fetch-order RUNNING within 60 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** A {@code conductor} of the jar, its standard output read line by line. */
  private static final class Conductor {
    final Process process;
    private final Path errFile;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private Conductor(Process process, Path errFile) {
      this.process = process;
      this.errFile = errFile;
      reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l; (l = r.readLine()) != null; ) {
                    synchronized (lines) {
                      lines.add(l);
                      lines.notifyAll();
                    }
                  }
                } catch (IOException e) {
                  // the process ended: what it printed is kept
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    static Conductor start(Path dir, String name, String connection) throws IOException {
      List<String> cmd =
          List.of(
              Cli.javaBinary(),
              "-jar",
              Jar.path().toString(),
              "conductor",
              "--connection",
              connection,
              "--lease",
              LEASE_SECONDS,
              "--name",
              name);
      Path err = dir.resolve(name + ".err");
      Process p =
          new ProcessBuilder(cmd)
              .directory(dir.toFile())
              .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
              .start();
      p.getOutputStream().close();
      return new Conductor(p, err);
    }

    void awaitLine(Predicate<String> p, String what) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      synchronized (lines) {
        while (lines.stream().noneMatch(p)) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            throw new AssertionError("no line for " + what + "; stdout " + lines + "; " + err());
          }
          lines.wait(Math.min(left, 200));
        }
      }
    }

    void signal(String sig) throws IOException, InterruptedException {
      Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).start();
      assertThat(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0)
          .as("kill -%s %s", sig, process.pid())
          .isTrue();
    }

    /** What it printed; once it ended, all of it. */
    String out() throws InterruptedException {
      if (!process.isAlive()) {
        reader.join(10_000);
      }
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    String err() {
      try {
        return Files.readString(errFile);
      } catch (IOException e) {
        return "(no stderr: " + e + ")";
      }
    }
  }
}
