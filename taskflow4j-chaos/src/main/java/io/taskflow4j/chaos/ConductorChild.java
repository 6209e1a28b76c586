package io.taskflow4j.chaos;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.jdbc.JdbcBackendProvider;
import io.taskflow4j.persistence.jdbc.JdbcCommitHook;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One conductor in a process of its own, for the multi-process takeover and fencing tests: it
 * claims jobs from the board of a store and runs them, knowing the {@link WitnessFlow} factory
 * under its own name. It opens the store and the board, prints {@code READY}, and starts claiming
 * when it reads the line {@code GO} on its standard input (so that the start-up of many JVMs does
 * not count in a measurement); it stops gracefully when its standard input closes, unless killed.
 *
 * <p>Arguments: {@code <connection> <conductor-name> <max-concurrent-jobs> <lease-seconds>}; the
 * connection string serves both the jobboard (with {@code lease} set) and the logbooks.
 *
 * <p>Standard input, one command per line: {@code GO} starts claiming; on a SQL store, {@code
 * PAUSE} makes the next write of an atom detail stop right before its commit (inside its fenced
 * transaction, the fence row share-locked and the atom row locked; on PostgreSQL, where a lone atom
 * write is one statement committed as it runs, before that statement, holding nothing), print
 * {@code PAUSED} and wait for {@code RESUME}, so a test can stop the process exactly there; end of
 * input stops the conductor.
 *
 * <p>Standard output, one line per event, fields separated by single spaces:
 *
 * <ul>
 *   <li>{@code READY <name> <pid>} once the store and the board are open;
 *   <li>{@code STARTED <name>} once the conductor claims (after {@code GO});
 *   <li>{@code CLAIMED <millis> <job-uuid> <job-name> <token>} when it claimed a job;
 *   <li>{@code OUTCOME <millis> <job-uuid> <job-name> <token> <kind> <flow-state> <reason>} when it
 *       settled one ({@link JobOutcome}: COMPLETED, RELEASED, FAILED, TRASHED or DROPPED);
 *   <li>{@code PAUSED <millis> <write>} when a write stopped before its commit after {@code PAUSE};
 *   <li>{@code STOPPED <claimed> <completed> <dropped>} after a graceful stop.
 * </ul>
 *
 * Exit status 0 after a graceful stop, 2 when the conductor could not start.
 */
public final class ConductorChild {
  private ConductorChild() {}

  /**
   * Runs the child.
   *
   * @param args {@code <connection> <conductor-name> <max-concurrent-jobs> <lease-seconds>}
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println(
          "usage: ConductorChild <connection> <conductor-name> <max-concurrent-jobs> <lease-seconds>");
      System.exit(2);
    }
    String connection = args[0];
    String name = args[1];
    Backend backend;
    Jobboard board;
    Conductor conductor;
    PauseHook pause = new PauseHook();
    try {
      backend = openStore(connection, pause);
      board = Jobboards.open(Map.of(BackendConf.CONNECTION, connection, Jobboards.LEASE, args[3]));
      conductor =
          Conductor.builder(board, backend)
              .name(name)
              .maxConcurrentJobs(Integer.parseInt(args[2]))
              .factories(FlowFactories.installed().with(new WitnessFlow(name)))
              .idleWait(Duration.ofSeconds(1))
              .errorBackoff(Duration.ofMillis(200))
              .listener(new Printer())
              .build();
    } catch (TaskFlowException | IllegalArgumentException e) {
      System.err.println("conductor child failed to start: " + e);
      System.exit(2);
      return;
    }
    say("READY " + name + " " + ProcessHandle.current().pid());
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line) {
        case "GO" -> {
          conductor.start();
          say("STARTED " + name);
        }
        case "PAUSE" -> pause.arm();
        case "RESUME" -> pause.resume();
        default -> System.err.println("unknown command: " + line);
      }
    }
    conductor.stop(Duration.ofSeconds(10));
    Conductor.Stats s = conductor.stats();
    board.close();
    backend.close();
    say("STOPPED " + s.claimed() + " " + s.completed() + " " + s.dropped());
    System.exit(0);
  }

  /** The logbook store; a SQL one through {@code pause}, which can stop a write before commit. */
  private static Backend openStore(String connection, PauseHook pause) {
    BackendConf conf = BackendConf.parse(connection);
    if (!new JdbcBackendProvider().schemes().contains(conf.backendName())) {
      return Backends.open(conf);
    }
    Backend backend = JdbcBackendProvider.create(conf, pause);
    try (Connection c = backend.getConnection()) {
      c.upgrade();
      return backend;
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  /**
   * Once armed, stops the next write of an atom detail right before its commit, as a process paused
   * there would be: a transaction stays open, its locks held, until {@link #resume}.
   */
  private static final class PauseHook implements JdbcCommitHook {
    private volatile boolean armed;
    private volatile CountDownLatch resumed = new CountDownLatch(0);

    void arm() {
      resumed = new CountDownLatch(1);
      armed = true;
    }

    void resume() {
      resumed.countDown();
    }

    @Override
    public void beforeCommit(String what) {
      if (!armed || !what.startsWith("updating atom detail")) {
        return;
      }
      armed = false;
      say("PAUSED " + System.currentTimeMillis() + " " + what.replaceAll("\\s+", "_"));
      try {
        // bounded, so a child whose test died never hangs on
        resumed.await(5, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void afterCommit(String what) {}
  }

  private static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /** Prints claims and outcomes. */
  private static final class Printer implements ConductorListener {
    @Override
    public void claimed(Claim claim) {
      say(
          "CLAIMED "
              + System.currentTimeMillis()
              + " "
              + claim.job().uuid()
              + " "
              + claim.job().name()
              + " "
              + claim.token());
    }

    @Override
    public void settled(JobOutcome o) {
      String reason = o.reason() == null ? "-" : o.reason().replaceAll("\\s+", "_");
      say(
          "OUTCOME "
              + System.currentTimeMillis()
              + " "
              + o.job().uuid()
              + " "
              + o.job().name()
              + " "
              + o.token()
              + " "
              + o.kind()
              + " "
              + o.flowState()
              + " "
              + reason);
    }
  }
}
