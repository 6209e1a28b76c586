package io.taskflow4j.chaos;

import io.taskflow4j.chaos.ConductorProcesses.Child;
import io.taskflow4j.chaos.ConductorProcesses.Outcome;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A fleet of conductor JVMs ({@link ConductorChild}, one slot each unless told) running one-task
 * {@link WitnessFlow} jobs end to end on PostgreSQL: the jobs are posted first, then every
 * conductor starts at once. Jobs per second are measured twice: from the start to the last
 * completion (the JVMs' warm-up included), and in the steady state after the first {@code warm}
 * completions (from the warm-th to the last completion), with the whole machine's CPU time per job
 * in that window.
 *
 * <p>Run with the test class path; arguments: jobs (default 8000), JVMs (default 8), slots per JVM
 * (default 1), warm-up jobs (default 3000), {@code c1} to run the JVMs as the tests do (C1 compiler
 * only) instead of with the JVM's default compilers, optionally a connection string (default: a
 * fresh PostgreSQL database). Fails when a job is not completed exactly once.
 */
public final class ConductorFleetThroughput {
  private ConductorFleetThroughput() {}

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 8000;
    int jvms = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int slots = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int warm = args.length > 3 ? Integer.parseInt(args[3]) : 3000;
    boolean c1 = args.length > 4 && args[4].equals("c1");
    String given = args.length > 5 ? args[5] : null;
    if (warm < 1 || warm >= jobs) {
      throw new IllegalArgumentException("warm-up jobs must be 1.." + (jobs - 1) + ", not " + warm);
    }
    String db = given == null ? TestDatabases.createPostgres() : null;
    Path dir = Files.createTempDirectory("conductor-fleet");
    String store =
        (given != null
                ? given + (given.contains("?") ? "&" : "?")
                : TestDatabases.postgresUrl(db) + "?")
            + "board=fleet";
    Path witness = dir.resolve("witness.log");
    try (ConductorProcesses procs = new ConductorProcesses(dir)) {
      Random rnd = new Random(jobs);
      JobPriority[] levels = JobPriority.values();
      List<FlowJob> specs = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        specs.add(
            AbstractConductorProcessTest.jobOf("j" + i, 1, 0, witness)
                .withPriority(levels[rnd.nextInt(levels.length)]));
      }
      AbstractConductorProcessTest.post(store, specs);
      List<Child> cs = new ArrayList<>();
      for (int i = 1; i <= jvms; i++) {
        cs.add(
            procs.start(
                store,
                "c" + i,
                slots,
                Duration.ofSeconds(30),
                c1 ? ConductorProcesses.TEST_JVM : List.of()));
      }
      for (Child c : cs) {
        c.awaitReady();
      }
      long go = System.currentTimeMillis();
      for (Child c : cs) {
        c.go();
      }
      long[] warmAt = null;
      long[] before = null;
      while (true) {
        int settled = cs.stream().mapToInt(Child::outcomeCount).sum();
        if (warmAt == null && settled >= warm) {
          warmAt = new long[] {ConductorThroughput.machineBusyNanos(), settled};
          before = db == null ? new long[2] : ConductorThroughput.commits(db);
        }
        if (settled >= jobs) {
          break;
        }
        if (System.currentTimeMillis() - go > 600_000) {
          throw new IllegalStateException(settled + " of " + jobs + " jobs settled in 10 minutes");
        }
        Thread.sleep(50);
      }
      long machine = ConductorThroughput.machineBusyNanos() - warmAt[0];
      long[] after = db == null ? new long[2] : ConductorThroughput.commits(db);
      List<Outcome> outcomes = cs.stream().flatMap(c -> c.outcomes().stream()).toList();
      long[] times = outcomes.stream().mapToLong(Outcome::millis).sorted().toArray();
      Set<String> names = new HashSet<>();
      for (Outcome o : outcomes) {
        if (!o.kind().equals("COMPLETED") || !names.add(o.jobName())) {
          throw new IllegalStateException("not completed exactly once: " + o);
        }
      }
      long executions = Files.readAllLines(witness).size();
      if (names.size() != jobs || executions != jobs) {
        throw new IllegalStateException(
            names.size() + " jobs completed, " + executions + " executions, of " + jobs);
      }
      try (Jobboard board = Jobboards.open(store)) {
        if (!board.jobs().isEmpty()) {
          throw new IllegalStateException(board.jobs().size() + " jobs left on the board");
        }
      }
      long last = times[times.length - 1];
      double all = jobs * 1000.0 / Math.max(1, last - go);
      int counted = jobs - (int) warmAt[1];
      double steady = counted * 1000.0 / Math.max(1, last - times[(int) warmAt[1] - 1]);
      System.out.printf(
          "%d conductor JVMs (%s), %d slot(s) each, %d one-task jobs: %.0f jobs/s from the start,"
              + " %.0f jobs/s after the first %d; the whole machine's CPU per job %.0f us (of %.0f"
              + " us it had)%s%n",
          jvms,
          c1 ? "C1 only" : "default compilers",
          slots,
          jobs,
          all,
          steady,
          warmAt[1],
          machine / 1e3 / counted,
          Runtime.getRuntime().availableProcessors() * 1e6 / steady,
          db == null
              ? ""
              : String.format(
                  " (%.2f transactions per job)", (double) (after[0] - before[0]) / counted));
      for (Child c : cs) {
        c.stopGracefully();
      }
    } finally {
      if (db != null) {
        TestDatabases.dropPostgres(db);
      }
    }
    System.exit(0);
  }
}
