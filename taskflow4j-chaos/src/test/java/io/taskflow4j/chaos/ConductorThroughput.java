package io.taskflow4j.chaos;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.JobOutcome;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Conductors in this one JVM running one-task {@link WitnessFlow} jobs end to end on PostgreSQL:
 * jobs per second from start to the last settlement, for one conductor with 1 and with N concurrent
 * jobs. Run with the test class path; arguments: jobs per round (default 2000), concurrent jobs
 * (default 8), optionally a connection string (default: a fresh PostgreSQL database; a {@code
 * zookeeper://…} string measures the ZooKeeper board and logbooks). Prints jobs/s; fails when a job
 * is not completed exactly once.
 */
public final class ConductorThroughput {
  private ConductorThroughput() {}

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int concurrent = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    String given = args.length > 2 ? args[2] : null;
    String db = given == null ? TestDatabases.createPostgres() : null;
    Path dir = Files.createTempDirectory("conductor-throughput");
    try {
      int round = 0;
      for (int n : new int[] {1, concurrent, 1, concurrent}) {
        String store =
            given != null
                ? given + (given.contains("?") ? "&" : "?") + "board=b" + round
                : TestDatabases.postgresUrl(db) + "?board=b" + round;
        round++;
        double[] r = run(store, db, dir.resolve("w" + round + ".log"), jobs, n);
        System.out.printf(
            "one conductor, %d concurrent job(s), %d one-task jobs: %.0f jobs/s, CPU per job: this JVM"
                + " %.0f us, the whole machine %.0f us (of %.0f us it had)%s%n",
            n,
            jobs,
            r[0],
            r[3],
            r[4],
            Runtime.getRuntime().availableProcessors() * 1e6 / r[0],
            db == null
                ? ""
                : String.format(
                    " (%.2f transactions, %.2f WAL flushes per job)", r[1] / jobs, r[2] / jobs));
      }
    } finally {
      if (db != null) {
        TestDatabases.dropPostgres(db);
      }
    }
    System.exit(0);
  }

  /** This database's committed transactions, and the server's WAL flushes (all databases). */
  static long[] commits(String db) throws Exception {
    try (java.sql.Connection c = TestDatabases.postgres(db);
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname ="
                    + " current_database()), (SELECT wal_sync FROM pg_stat_wal)")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** The CPU time this JVM has used, all threads (JIT and GC included). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * The CPU time all processes of this machine have used (Linux's {@code /proc/stat}: user, nice,
   * system, irq and softirq), or 0 where it cannot be read.
   */
  static long machineBusyNanos() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long ticks = 0;
      for (int i : new int[] {1, 2, 3, 6, 7}) {
        ticks += Long.parseLong(f[i]);
      }
      return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    } catch (Exception e) {
      return 0;
    }
  }

  /**
   * Jobs/s, then the transactions and WAL flushes of the run (PostgreSQL, else zeros), then this
   * JVM's and the whole machine's CPU microseconds per job.
   */
  private static double[] run(String store, String db, Path witness, int jobs, int concurrent)
      throws Exception {
    Random rnd = new Random(jobs);
    List<FlowJob> specs = new ArrayList<>();
    JobPriority[] levels = JobPriority.values();
    for (int i = 0; i < jobs; i++) {
      specs.add(
          AbstractConductorProcessTest.jobOf("j" + i, 1, 0, witness)
              .withPriority(levels[rnd.nextInt(levels.length)]));
    }
    AbstractConductorProcessTest.post(store, specs);
    long[] before = db == null ? new long[2] : commits(db);
    long cpu0 = processCpuNanos();
    long machine0 = machineBusyNanos();
    CountDownLatch done = new CountDownLatch(jobs);
    AtomicInteger notCompleted = new AtomicInteger();
    AtomicLong last = new AtomicLong();
    try (Backend backend = Backends.open(store);
        Jobboard board = Jobboards.open(Map.of("connection", store, Jobboards.LEASE, "30"))) {
      Conductor c =
          Conductor.builder(board, backend)
              .name("bench")
              .maxConcurrentJobs(concurrent)
              .factories(FlowFactories.installed().with(new WitnessFlow("bench")))
              .idleWait(Duration.ofSeconds(1))
              .listener(
                  new ConductorListener() {
                    @Override
                    public void settled(JobOutcome o) {
                      if (o.kind() != JobOutcome.Kind.COMPLETED) {
                        notCompleted.incrementAndGet();
                      }
                      last.set(System.nanoTime());
                      done.countDown();
                    }
                  })
              .build();
      long t0 = System.nanoTime();
      c.start();
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException(done.getCount() + " jobs not settled");
      }
      c.stop(Duration.ofSeconds(30));
      if (notCompleted.get() > 0 || !board.jobs().isEmpty()) {
        throw new IllegalStateException(
            notCompleted.get() + " jobs not completed, " + board.jobs().size() + " left");
      }
      long executions = Files.readAllLines(witness).size();
      if (executions != jobs) {
        throw new IllegalStateException(executions + " executions of " + jobs + " jobs");
      }
      double perSecond = jobs * 1e9 / (last.get() - t0);
      double cpuMicros = (processCpuNanos() - cpu0) / 1e3 / jobs;
      double machineMicros = (machineBusyNanos() - machine0) / 1e3 / jobs;
      if (db == null) {
        return new double[] {perSecond, 0, 0, cpuMicros, machineMicros};
      }
      backend.close();
      board.close();
      Thread.sleep(1500); // the server publishes a closed session's counters shortly after
      long[] after = commits(db);
      return new double[] {
        perSecond, after[0] - before[0], after[1] - before[1], cpuMicros, machineMicros
      };
    }
  }
}
