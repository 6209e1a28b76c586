package io.taskflow4j.cli;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j conductor}: claims jobs and runs their flows until stopped. */
@Command(
    name = "conductor",
    mixinStandardHelpOptions = true,
    description = {
      "Claim jobs from a board and run their flows until stopped (SIGTERM or Ctrl-C: running"
          + " flows are suspended and their jobs released for a peer).",
      "Flows are rebuilt with the factories on the class path (chain and fanout built in)."
          + " Every write is fenced by the job's claim: once a peer takes a job over, nothing"
          + " more of this conductor's lands."
    })
final class ConductorCommand implements Callable<Integer> {
  /**
   * One line per claim and per outcome: what happened (padded to the longest word, "completed"), a
   * space, the job's uuid, its name, and the rest.
   */
  private static final String OUTCOME = "%-9s %s '%s' %s";

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin JobsCommand.Where where;

  @Option(names = "--name", description = "The conductor's name (default: conductor).")
  String name = "conductor";

  @Option(names = "--jobs", description = "How many jobs to run at once (default 1).")
  int jobs = 1;

  @Option(names = "--workers", description = "Run each flow on a parallel engine of N threads.")
  Integer workers;

  @Option(
      names = "--max-failures",
      description = "Trash a job after it failed to start this many times (default 3).")
  int maxFailures = 3;

  @Option(
      names = "--exit-when-idle",
      description = "Stop once the board has no job left (for scripts and tests).")
  boolean exitWhenIdle;

  @Option(
      names = "--grace",
      paramLabel = "SECONDS",
      description = "How long a stop waits for running flows to suspend (default 30).")
  long grace = 30;

  @Option(
      names = "--retention",
      paramLabel = "AGE",
      converter = DurationConverter.class,
      description =
          "Prune finished flows older than AGE (30d, 12h...) periodically, keeping those a job"
              + " on the board refers to, and empty the trash of the jobs trashed longer ago than"
              + " AGE (default: keep everything).")
  Duration retention;

  @Option(
      names = "--json",
      description =
          "Print the claims and outcomes on standard error, and when the conductor stops (board"
              + " empty with --exit-when-idle, or a signal) one JSON object on standard output:"
              + " {\"conductor\", \"board\", \"completed\", \"released\", \"failed\","
              + " \"trashed\", \"dropped\", \"pruned_flows\", \"purged_trash\"}.")
  boolean json;

  /** A claim or an outcome: standard output, or standard error under --json. */
  private void event(Main main, String line) {
    if (json) {
      main.info(line);
    } else {
      main.println(line);
    }
  }

  /** The --json summary of a conductor that stopped. */
  private void summary(Main main, Conductor conductor, long pruned, long purged) {
    Conductor.Stats s = conductor.stats();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("conductor", conductor.owner().toString());
    r.put("board", where.boardName());
    r.put("completed", s.completed());
    r.put("released", s.released());
    r.put("failed", s.failed());
    r.put("trashed", s.trashed());
    r.put("dropped", s.dropped());
    r.put("pruned_flows", pruned);
    r.put("purged_trash", purged);
    main.printJson(r);
  }

  @Override
  public Integer call() throws InterruptedException {
    Main main = Main.of(spec);
    if (jobs < 1 || maxFailures < 1 || (workers != null && workers < 1)) {
      throw new CliException(ExitCodes.USAGE, "--jobs, --workers and --max-failures must be >= 1");
    }
    Duration keep = retention;
    AtomicLong pruned = new AtomicLong();
    AtomicLong purged = new AtomicLong();
    Backend backend = Stores.open(where.connection);
    Jobboard board;
    try {
      board = where.openBoard();
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    Conductor.Builder b =
        Conductor.builder(board, backend)
            .name(name)
            .maxConcurrentJobs(jobs)
            .maxFailures(maxFailures)
            .idleWait(Duration.ofSeconds(exitWhenIdle ? 1 : 5))
            .listener(
                new ConductorListener() {
                  @Override
                  public void claimed(Claim claim) {
                    event(
                        main,
                        String.format(
                            OUTCOME,
                            "claimed",
                            claim.job().uuid(),
                            claim.job().name(),
                            "token " + claim.token()));
                  }

                  @Override
                  public void pruned(io.taskflow4j.retention.PruneReport r) {
                    pruned.addAndGet(r.flowsDeleted());
                    if (r.flowsDeleted() > 0) {
                      event(main, PruneCommand.describe(r, where.connection));
                    }
                  }

                  @Override
                  public void trashPurged(long removed, java.time.Instant trashedBefore) {
                    purged.addAndGet(removed);
                    if (removed > 0) {
                      event(
                          main,
                          "Removed "
                              + removed
                              + " job(s) trashed before "
                              + trashedBefore
                              + " from the trash");
                    }
                  }

                  @Override
                  public void settled(JobOutcome o) {
                    event(
                        main,
                        String.format(
                            OUTCOME,
                            o.kind().name().toLowerCase(java.util.Locale.ROOT),
                            o.job().uuid(),
                            o.job().name(),
                            (o.flowState() == null ? "" : o.flowState() + " ")
                                + "in "
                                + o.took().toMillis()
                                + " ms"
                                + (o.reason() == null ? "" : ": " + Main.oneLine(o.reason()))));
                  }
                });
    if (keep != null) {
      b.retention(keep);
    }
    if (workers != null) {
      int w = workers;
      b.engineOptions(e -> e.parallel(w));
    }
    Conductor conductor = b.build();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        DaemonThreads.create(
            "taskflow4j-conductor-shutdown",
            () -> {
              try {
                conductor.stop(Duration.ofSeconds(grace));
                board.close();
                backend.close();
                if (json) {
                  summary(main, conductor, pruned.get(), purged.get());
                }
              } catch (RuntimeException | Error e) {
                // e.g. fenced: a peer took a job over while this one was stopping; the job is
                // the peer's now, and what this conductor could not release is said in one line
                main.report(e);
              } finally {
                stopped.countDown();
              }
            });
    Runtime.getRuntime().addShutdownHook(hook);
    conductor.start();
    event(
        main,
        "Conductor "
            + conductor.owner()
            + " on "
            + where.boardName()
            + " (up to "
            + jobs
            + (jobs == 1 ? " job" : " jobs")
            + " at once, lease "
            + board.leaseTime().toMillis() / 1000.0
            + " s)");
    if (!exitWhenIdle) {
      stopped.await();
      return ExitCodes.OK;
    }
    // One job read per look (the SQL board: a LIMIT 1), not the whole backlog five times a second.
    while (!board.jobs(1).isEmpty() || conductor.stats().running() > 0) {
      Thread.sleep(200);
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    conductor.stop(Duration.ofSeconds(grace));
    Conductor.Stats s = conductor.stats();
    board.close();
    backend.close();
    if (json) {
      summary(main, conductor, pruned.get(), purged.get());
      return ExitCodes.OK;
    }
    main.println(
        "Board empty: "
            + s.completed()
            + " completed, "
            + s.released()
            + " released, "
            + s.failed()
            + " failed to start, "
            + s.trashed()
            + " trashed, "
            + s.dropped()
            + " lost to peers");
    return ExitCodes.OK;
  }
}
