package io.taskflow4j.chaos;

import static io.taskflow4j.chaos.ConductorProcesses.await;
import static io.taskflow4j.chaos.ConductorProcesses.witness;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.chaos.ConductorProcesses.Child;
import io.taskflow4j.chaos.ConductorProcesses.Outcome;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Takeover and fencing across processes: conductors in JVMs of their own ({@link ConductorChild})
 * share one store, whose jobboard hands them {@link WitnessFlow} jobs. Each test starts its
 * conductors on a board of its own. A backend's test class says how to reach its store.
 *
 * <ul>
 *   <li>SIGKILL of the owner mid-task: the peer takes the job over within 2 leases, re-runs only
 *       the task in flight, and completes the flow.
 *   <li>SIGSTOP of the owner mid-task, past its lease, then SIGCONT after the peer completed the
 *       job: not one write of the zombie lands (the logbook is exactly what the peer left), and the
 *       zombie reports the job DROPPED.
 *   <li>Many conductors, many one-task jobs of mixed priorities: each job runs and completes
 *       exactly once, in priority order up to the jobs in flight; jobs/s are printed.
 * </ul>
 */
abstract class AbstractConductorProcessTest {
  /** The lease of every conductor's claims. */
  static final Duration LEASE = Duration.ofSeconds(2);

  /**
   * The lease in the many-jobs runs, which test exactly-once and ordering, not takeover: long
   * enough that no claim lapses on a loaded machine ({@code -Dchaos.scaleLease=2} for 2 s).
   */
  static final Duration SCALE_LEASE =
      Duration.ofMillis(
          (long) (Double.parseDouble(System.getProperty("chaos.scaleLease", "10")) * 1000));

  static final int TASKS = 6;
  static final long TASK_MILLIS = 500;

  @TempDir Path dir;

  ConductorProcesses procs;

  /** A connection string for a board (and logbooks) no other test uses. */
  protected abstract String newStore() throws Exception;

  /** The backend's name in printed measurements. */
  protected abstract String label();

  /** How many jobs the 1-conductor run posts. */
  protected abstract int fewJobs();

  /** How many jobs the 8-conductor run posts. */
  protected abstract int manyJobs();

  /** A measurement of the store alone to print beside the throughput, or empty. */
  protected String baseline() throws Exception {
    return "";
  }

  @BeforeEach
  void startHarness() {
    procs = new ConductorProcesses(dir);
  }

  @AfterEach
  void killChildren() {
    procs.close();
  }

  /** Two conductors, one job: the one that claimed it (owner) is running t3. */
  private record MidFlow(
      String store, Path witness, Job job, List<Child> children, Child owner, Child peer) {}

  private MidFlow ownerRunningT3(String jobName) throws Exception {
    String store = newStore();
    Path w = dir.resolve("witness.log");
    List<Child> cs = procs.startAll(store, List.of("A", "B"), 1, LEASE);
    Job job = post(store, List.of(jobOf(jobName, TASKS, TASK_MILLIS, w))).get(0);
    Child owner = claimer(cs, job);
    awaitExecution(w, owner.name, "t3", job);
    return new MidFlow(store, w, job, cs, owner, other(cs, owner));
  }

  /**
   * The flow ended SUCCESS with the owner's first two results and the peer's last four: only t3, in
   * flight when the owner stopped, ran twice. The job is gone from the board.
   */
  private void assertHandedOverAtT3(MidFlow m, FlowDetail fd) throws Exception {
    assertThat(fd.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(fd.atoms()).extracting(AtomDetail::state).containsOnly(AtomState.SUCCESS);
    assertThat(results(fd))
        .containsExactly(
            m.owner.name, m.owner.name, m.peer.name, m.peer.name, m.peer.name, m.peer.name);
    List<WitnessFlow.Line> lines = witness(m.witness);
    assertThat(executions(lines, m.owner.name)).containsExactly("t1", "t2", "t3");
    assertThat(executions(lines, m.peer.name)).containsExactly("t3", "t4", "t5", "t6");
    assertGone(m.store, m.job);
  }

  @Test
  void aKilledOwnersJobIsTakenOverWithinTwoLeases() throws Exception {
    MidFlow m = ownerRunningT3("kill");
    String store = m.store;
    Job job = m.job;
    Child owner = m.owner;
    Child peer = m.peer;
    long killedAt = System.currentTimeMillis();
    owner.process.destroyForcibly();

    Outcome done = peer.awaitOutcome(job.name(), Duration.ofSeconds(30));
    assertThat(done.kind()).isEqualTo("COMPLETED");
    assertThat(done.flowState()).isEqualTo("SUCCESS");
    List<WitnessFlow.Line> lines = witness(m.witness);
    long takeover =
        lines.stream()
                .filter(l -> l.conductor().equals(peer.name))
                .mapToLong(WitnessFlow.Line::millis)
                .min()
                .orElseThrow()
            - killedAt;
    System.out.printf(
        "[%s] SIGKILL takeover: %d ms from kill to the peer's first task (lease %d ms)%n",
        label(), takeover, LEASE.toMillis());
    assertThat(takeover).isLessThanOrEqualTo(2 * LEASE.toMillis());
    // the tasks the owner finished are not run again; only the one in flight is
    assertHandedOverAtT3(m, readFlow(store, job));
  }

  /**
   * A conductor with three slots claims three waiting jobs in one batch and is SIGKILLed while
   * running them: the peer takes each over within two leases, with the next token, re-runs only the
   * tasks in flight, and completes all three exactly once.
   */
  @Test
  void aKilledOwnersBatchClaimedJobsAreAllTakenOverWithinTwoLeases() throws Exception {
    String store = newStore();
    Path w = dir.resolve("witness-batch.log");
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(post(store, List.of(jobOf("batch" + i, TASKS, TASK_MILLIS, w))).get(0));
    }
    Child owner = procs.start(store, "A", 3, LEASE);
    Child peer = procs.start(store, "B", 3, LEASE);
    owner.awaitReady();
    peer.awaitReady();
    owner.go(); // the three jobs wait on the board: one claim takes them all
    for (Job job : jobs) {
      awaitExecution(w, "A", "t2", job);
    }
    peer.go();
    long killedAt = System.currentTimeMillis();
    owner.process.destroyForcibly();

    long slowest = 0;
    Map<String, Long> ownerTokens = new HashMap<>();
    for (String l : owner.lines()) {
      if (l.startsWith("CLAIMED ")) {
        String[] f = l.split(" ");
        ownerTokens.put(f[2], Long.parseLong(f[4]));
      }
    }
    assertThat(ownerTokens.keySet())
        .containsExactlyInAnyOrderElementsOf(jobs.stream().map(Job::uuid).toList());
    for (Job job : jobs) {
      Outcome done = peer.awaitOutcome(job.name(), Duration.ofSeconds(60));
      assertThat(done.kind()).isEqualTo("COMPLETED");
      assertThat(done.flowState()).isEqualTo("SUCCESS");
      assertThat(done.token()).isGreaterThan(ownerTokens.get(job.uuid()));
      List<WitnessFlow.Line> lines =
          witness(w).stream().filter(l -> l.jobKey().equals(job.name())).toList();
      long takeover =
          lines.stream()
                  .filter(l -> l.conductor().equals("B"))
                  .mapToLong(WitnessFlow.Line::millis)
                  .min()
                  .orElseThrow()
              - killedAt;
      assertThat(takeover)
          .as("takeover of %s", job.name())
          .isPositive()
          .isLessThanOrEqualTo(2 * LEASE.toMillis());
      slowest = Math.max(slowest, takeover);
      // what A finished is not run again: B runs the task in flight (if A was inside one) and
      // the rest, in order
      List<String> byA = executions(lines, "A");
      List<String> byB = executions(lines, "B");
      int resumeAt = num(byB.get(0));
      assertThat(resumeAt).isBetween(byA.size(), byA.size() + 1);
      assertThat(byB)
          .containsExactlyElementsOf(
              IntStream.rangeClosed(resumeAt, TASKS).mapToObj(t -> "t" + t).toList());
      assertGone(store, job);
    }
    System.out.printf(
        "[%s] SIGKILL of a conductor running 3 batch-claimed jobs: all taken over, the last %d ms"
            + " after the kill (lease %d ms)%n",
        label(), slowest, LEASE.toMillis());
  }

  @Test
  void aPausedOwnerWritesNothingAfterThePeerTookOver() throws Exception {
    MidFlow m = ownerRunningT3("pause");
    String store = m.store;
    Job job = m.job;
    Child owner = m.owner;
    Child peer = m.peer;
    owner.signal("STOP");
    long stoppedAt = System.currentTimeMillis();

    Outcome done = peer.awaitOutcome(job.name(), Duration.ofSeconds(30));
    assertThat(done.kind()).isEqualTo("COMPLETED");
    FlowDetail left = readFlow(store, job);
    long resumedAfter = System.currentTimeMillis() - stoppedAt;
    owner.signal("CONT");
    // the zombie wakes in the middle of t3: it finishes it and tries to write; it must be refused
    Outcome zombie = owner.awaitOutcome(job.name(), Duration.ofSeconds(30));
    System.out.printf(
        "[%s] SIGSTOP zombie: resumed after %d ms, reported %s (%s)%n",
        label(), resumedAfter, zombie.kind(), zombie.reason());
    assertThat(zombie.kind()).isEqualTo("DROPPED");

    FlowDetail after = readFlow(store, job);
    assertThat(after).isEqualTo(left);
    assertHandedOverAtT3(m, after);
    assertThat(
            m.children.stream()
                .flatMap(c -> c.outcomes().stream())
                .filter(o -> o.jobUuid().equals(job.uuid()) && o.kind().equals("COMPLETED")))
        .hasSize(1);
  }

  @Test
  void manyConductorsRunEveryJobOnceInPriorityOrder() throws Exception {
    double one = runMany(1, fewJobs(), 1);
    double eight = runMany(8, manyJobs(), 2);
    System.out.printf(
        "[%s] throughput: %.0f jobs/s with 1 conductor, %.0f jobs/s with 8 conductors %s%n",
        label(), one, eight, baseline());
  }

  /**
   * Posts {@code jobs} one-task jobs of random priorities, then lets {@code conductors} conductors
   * run them; checks each ran and completed once, in priority order up to the jobs in flight.
   *
   * @return jobs claimed and completed per second, from GO to the last completion
   */
  private double runMany(int conductors, int jobs, long seed) throws Exception {
    String store = newStore();
    Path w = dir.resolve("witness-" + conductors + ".log");
    Random rnd = new Random(seed);
    JobPriority[] levels = JobPriority.values();
    List<FlowJob> specs = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      specs.add(
          jobOf("j" + conductors + "-" + i, 1, 0, w)
              .withPriority(levels[rnd.nextInt(levels.length)]));
    }
    long t0 = System.nanoTime();
    List<Job> posted = post(store, specs);
    long postMillis = (System.nanoTime() - t0) / 1_000_000;
    Map<String, JobPriority> priorityOf = new HashMap<>();
    posted.forEach(j -> priorityOf.put(j.name(), j.priority()));

    List<String> names =
        IntStream.rangeClosed(1, conductors).mapToObj(i -> "c" + i).collect(Collectors.toList());
    List<Child> cs = new ArrayList<>();
    for (String n : names) {
      cs.add(procs.start(store, n, 1, SCALE_LEASE));
    }
    for (Child c : cs) {
      c.awaitReady();
    }
    long go = System.currentTimeMillis();
    for (Child c : cs) {
      c.go();
    }
    await(
        () -> cs.stream().mapToLong(c -> c.outcomes().size()).sum() >= jobs,
        Duration.ofSeconds(120),
        jobs + " outcomes from " + conductors + " conductors");
    List<Outcome> outcomes = cs.stream().flatMap(c -> c.outcomes().stream()).toList();
    long last = outcomes.stream().mapToLong(Outcome::millis).max().orElseThrow();
    double perSecond = jobs * 1000.0 / Math.max(1, last - go);

    List<WitnessFlow.Line> lines = witness(w);
    // every job executed exactly once: never two owners, nothing lost
    assertThat(lines).extracting(WitnessFlow.Line::jobKey).doesNotHaveDuplicates();
    assertThat(outcomes).filteredOn(o -> !o.kind().equals("COMPLETED")).isEmpty();
    assertThat(outcomes.stream().map(Outcome::jobName).distinct().count()).isEqualTo(jobs);
    assertThat(lines.stream().map(WitnessFlow.Line::jobKey).collect(Collectors.toSet()))
        .isEqualTo(priorityOf.keySet());
    if (conductors > 1) {
      assertThat(lines.stream().map(WitnessFlow.Line::conductor).distinct().count())
          .as("jobs spread over the conductors")
          .isGreaterThan(1);
    }
    // in priority order, up to the jobs in flight: when a job started, at most `conductors` jobs
    // of a higher priority were still to start (claimed but not yet executing)
    List<JobPriority> order = lines.stream().map(l -> priorityOf.get(l.jobKey())).toList();
    int[] higherLater = new int[levels.length];
    int worst = 0;
    for (int i = order.size() - 1; i >= 0; i--) {
      int p = order.get(i).ordinal();
      int later = 0;
      for (int q = 0; q < p; q++) {
        later += higherLater[q];
      }
      worst = Math.max(worst, later);
      higherLater[p]++;
    }
    assertThat(worst)
        .as("jobs of a higher priority started after a lower one (window %d)", conductors)
        .isLessThanOrEqualTo(conductors);
    try (Jobboard board = Jobboards.open(store)) {
      assertThat(board.jobs()).isEmpty();
      assertThat(board.trashedJobs()).isEmpty();
    }
    System.out.printf(
        "[%s] %d conductor(s), %d one-task jobs (posted in %d ms): %.0f jobs/s (%d ms from GO),"
            + " higher-priority jobs started after a lower one <= %d%n",
        label(), conductors, jobs, postMillis, perSecond, last - go, worst);
    for (Child c : cs) {
      c.stopGracefully();
    }
    return perSecond;
  }

  // ---- helpers -------------------------------------------------------------------------------

  static FlowJob jobOf(String key, int tasks, long sleepMillis, Path witness) {
    return new FlowJob(
        key,
        new WitnessFlow("poster"),
        WitnessFlow.args(tasks, sleepMillis, witness, key),
        Map.of(),
        Map.of(),
        JobPriority.NORMAL,
        null);
  }

  /** Posts the jobs from this JVM, on up to 4 threads (in no particular order). */
  static List<Job> post(String store, List<FlowJob> jobs) throws Exception {
    int threads = Math.min(4, jobs.size());
    List<Job> out = Collections.synchronizedList(new ArrayList<>());
    try (Backend backend = Backends.open(store);
        Jobboard board = Jobboards.open(store)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int first = t;
          done.add(
              pool.submit(
                  () -> {
                    try (Connection conn = backend.getConnection()) {
                      for (int i = first; i < jobs.size(); i += threads) {
                        out.add(FlowJobs.post(board, conn, jobs.get(i)));
                      }
                    }
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }
    assertThat(out).hasSize(jobs.size());
    return out;
  }

  /** The child that claimed {@code job} first. */
  static Child claimer(List<Child> cs, Job job) {
    await(
        () -> cs.stream().anyMatch(c -> claimed(c, job)),
        Duration.ofSeconds(30),
        "a claim of " + job.name());
    return cs.stream().filter(c -> claimed(c, job)).findFirst().orElseThrow();
  }

  private static boolean claimed(Child c, Job job) {
    return c.lines().stream().anyMatch(l -> l.startsWith("CLAIMED ") && l.contains(job.uuid()));
  }

  static Child other(List<Child> cs, Child c) {
    return cs.stream().filter(x -> x != c).findFirst().orElseThrow();
  }

  static void awaitExecution(Path w, String conductor, String task, Job job) {
    await(
        () ->
            witness(w).stream()
                .anyMatch(
                    l ->
                        l.conductor().equals(conductor)
                            && l.task().equals(task)
                            && l.jobKey().equals(job.name())),
        Duration.ofSeconds(30),
        conductor + " executing " + task);
  }

  /** The tasks {@code conductor} executed, in order. */
  static List<String> executions(List<WitnessFlow.Line> lines, String conductor) {
    return lines.stream()
        .filter(l -> l.conductor().equals(conductor))
        .map(WitnessFlow.Line::task)
        .toList();
  }

  /** The flow detail of a job, read by a new backend (nothing cached). */
  static FlowDetail readFlow(String store, Job job) {
    try (Backend backend = Backends.open(store);
        Connection conn = backend.getConnection()) {
      return conn.getFlowDetails(job.flowUuid().orElseThrow());
    }
  }

  /** The atoms' results in task order t1..tN. */
  static List<Object> results(FlowDetail fd) {
    Map<String, Object> byName = new LinkedHashMap<>();
    fd.atoms().forEach(a -> byName.put(a.name(), a.lastResults()));
    List<String> names = new ArrayList<>(byName.keySet());
    Collections.sort(names, (a, b) -> Integer.compare(num(a), num(b)));
    List<Object> out = new ArrayList<>();
    names.forEach(n -> out.add(byName.get(n)));
    return out;
  }

  private static int num(String task) {
    return Integer.parseInt(task.substring(1));
  }

  /** The job is no longer on the board, nor in its trash. */
  static void assertGone(String store, Job job) {
    try (Jobboard board = Jobboards.open(store)) {
      assertThat(board.job(job.uuid())).isEmpty();
      assertThat(board.trashedJobs()).isEmpty();
    }
  }

  /** A board name no other test uses. */
  static String boardName(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  }
}
