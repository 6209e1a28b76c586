package io.taskflow4j.conductor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.taskflow4j.Task;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.MemoryJobboard;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.memory.MemoryBackend;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import io.taskflow4j.workloads.Workloads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ConductorTest {
  /** Every execution: "conductor-name:task". */
  static final Queue<String> EXECUTED = new ConcurrentLinkedQueue<>();

  /** Executions of task t2 by conductor "slow" wait here. */
  static volatile CountDownLatch gate = new CountDownLatch(0);

  static final CountDownLatch[] SLOW_IN_T2 = {new CountDownLatch(1)};

  /** Three tasks; each records who ran it and returns that; t2 blocks for conductor "slow". */
  public static final class Steps implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      Flow f = LinearFlow.of("steps");
      for (int i = 1; i <= 3; i++) {
        String name = "t" + i;
        f.add(
            Task.of(
                    name,
                    () -> {
                      String who = who();
                      if (name.equals("t2") && who.equals("slow")) {
                        SLOW_IN_T2[0].countDown();
                        gate.await();
                      }
                      EXECUTED.add(who + ":" + name);
                      return who;
                    })
                .provides(name));
      }
      return f;
    }

    @Override
    public String name() {
      return "steps";
    }
  }

  /** t1, t2, t3; t2 throws an OutOfMemoryError the first time it runs after {@link #oomOnce}. */
  public static final class OomOnce implements FlowFactory {
    static final java.util.concurrent.atomic.AtomicBoolean ARMED =
        new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      Flow f = LinearFlow.of("oom-once");
      for (int i = 1; i <= 3; i++) {
        String name = "t" + i;
        f.add(
            Task.of(
                name,
                () -> {
                  EXECUTED.add(who() + ":" + name);
                  if (name.equals("t2") && ARMED.compareAndSet(true, false)) {
                    throw new OutOfMemoryError("simulated: Java heap space");
                  }
                  return name;
                }));
      }
      return f;
    }

    @Override
    public String name() {
      return "oom-once";
    }
  }

  static String who() {
    String t = Thread.currentThread().getName(); // taskflow4j-conductor-<name>-job-N
    if (!t.startsWith("taskflow4j-conductor-")) {
      return "direct";
    }
    String rest = t.substring("taskflow4j-conductor-".length());
    return rest.substring(0, rest.lastIndexOf("-job-"));
  }

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private Backend backend;
  private Connection conn;
  private final FlowFactories factories = FlowFactories.installed().with(new Steps());

  @BeforeEach
  void setUp() {
    EXECUTED.clear();
    gate = new CountDownLatch(0);
    SLOW_IN_T2[0] = new CountDownLatch(1);
    backend = new MemoryBackend();
    conn = backend.getConnection();
  }

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private MemoryJobboard board(Duration lease) {
    MemoryJobboard b = new MemoryJobboard(lease, Clock.systemUTC());
    toClose.add(b);
    return b;
  }

  private Conductor conductor(
      io.taskflow4j.jobs.Jobboard board, String name, Backend be, ConductorListener l) {
    Conductor c =
        Conductor.builder(board, be)
            .name(name)
            .factories(factories)
            .idleWait(Duration.ofMillis(200))
            .errorBackoff(Duration.ofMillis(50))
            .listener(l)
            .build();
    toClose.add(() -> c.stop(Duration.ofSeconds(5)));
    return c;
  }

  private static class Outcomes implements ConductorListener {
    final BlockingQueue<JobOutcome> settled = new LinkedBlockingQueue<>();

    @Override
    public void settled(JobOutcome o) {
      settled.add(o);
    }

    JobOutcome next() throws InterruptedException {
      JobOutcome o = settled.poll(30, TimeUnit.SECONDS);
      assertThat(o).as("a job settled within 30 s").isNotNull();
      return o;
    }
  }

  private FlowDetail flowOf(Job job) {
    return conn.getFlowDetails(job.flowUuid().orElseThrow());
  }

  @Test
  void runsPostedJobsToCompletion() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job a = FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 20));
    Job b = FlowJobs.post(board, conn, FlowJob.of(new Steps()).named("steps-job"));
    Outcomes out = new Outcomes();
    conductor(board, "c1", backend, out).start();
    List<JobOutcome> both = List.of(out.next(), out.next());
    assertThat(both).allSatisfy(o -> assertThat(o.kind()).isEqualTo(JobOutcome.Kind.COMPLETED));
    assertThat(both).allSatisfy(o -> assertThat(o.flowState()).isEqualTo(FlowState.SUCCESS));
    assertThat(board.jobs()).isEmpty();
    assertThat(flowOf(a).state()).isEqualTo(FlowState.SUCCESS);
    assertThat(flowOf(b).atoms()).extracting(AtomDetail::lastResults).containsOnly("c1");
  }

  @Test
  void engineStartingLetsAListenerFollowEachJobsEngine() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()).named("steps-job"));
    Queue<String> seen = new ConcurrentLinkedQueue<>();
    Outcomes out =
        new Outcomes() {
          @Override
          public void engineStarting(
              io.taskflow4j.jobs.Claim claim, io.taskflow4j.engine.Engine engine) {
            seen.add("job " + claim.job().uuid());
            engine.onAtomEvent(
                e -> {
                  if (e.state() == AtomState.SUCCESS) {
                    seen.add(e.atomName());
                  }
                });
            engine.notifier().register(FlowState.RUNNING, e -> seen.add("flow RUNNING"));
            engine.notifier().register(FlowState.SUCCESS, e -> seen.add("flow SUCCESS"));
          }
        };
    conductor(board, "c1", backend, out).start();
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(seen)
        .containsExactly("job " + job.uuid(), "flow RUNNING", "t1", "t2", "t3", "flow SUCCESS");
  }

  @Test
  void aFailingEngineStartingListenerDoesNotStopTheJob() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()).named("steps-job"));
    Outcomes out =
        new Outcomes() {
          @Override
          public void engineStarting(
              io.taskflow4j.jobs.Claim claim, io.taskflow4j.engine.Engine engine) {
            throw new IllegalStateException("listener bug");
          }
        };
    conductor(board, "c1", backend, out).start();
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(flowOf(job).state()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void retentionPrunesFinishedFlowsButNotOneAJobStillRefersTo() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job done = FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 3));
    // a finished flow that a job posted later still refers to (a re-run waiting on the board)
    Job waiting = FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 2));
    BlockingQueue<io.taskflow4j.retention.PruneReport> prunes = new LinkedBlockingQueue<>();
    Outcomes out =
        new Outcomes() {
          @Override
          public void pruned(io.taskflow4j.retention.PruneReport r) {
            prunes.add(r);
          }
        };
    Conductor c =
        Conductor.builder(board, backend)
            .name("pruning")
            .factories(factories)
            .maxConcurrentJobs(1)
            .idleWait(Duration.ofMillis(100))
            .retention(Duration.ofMillis(200))
            .pruneEvery(Duration.ofMillis(50))
            .listener(out)
            .build();
    toClose.add(() -> c.stop(Duration.ofSeconds(5)));
    // run only the first job: the second is claimed by someone else and held
    board.claim(waiting.uuid(), io.taskflow4j.jobs.OwnerId.generate("holder")).orElseThrow();
    conn.updateFlowDetails(
        conn.getFlowDetails(waiting.flowUuid().orElseThrow(), true).withState(FlowState.SUCCESS));
    c.start();
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.COMPLETED);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    long deleted = 0;
    while (deleted == 0 && System.nanoTime() < deadline) {
      io.taskflow4j.retention.PruneReport r = prunes.poll(1, TimeUnit.SECONDS);
      if (r != null) {
        deleted += r.flowsDeleted();
      }
    }
    assertThat(deleted).as("the finished job's flow was pruned").isEqualTo(1);
    assertThat(conn.countFlows(io.taskflow4j.persistence.FlowQuery.all()))
        .as("the flow a claimed job refers to is kept")
        .isEqualTo(Map.of(FlowState.SUCCESS, 1L));
    assertThat(conn.getFlowDetails(waiting.flowUuid().orElseThrow(), true)).isNotNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> conn.getFlowDetails(done.flowUuid().orElseThrow()))
        .isInstanceOf(io.taskflow4j.persistence.NotFoundException.class);
  }

  @Test
  void retentionEmptiesTheTrashOfJobsTrashedLongerAgoThanIt() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job old = FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 1));
    board.claim(old.uuid(), io.taskflow4j.jobs.OwnerId.generate("p")).orElseThrow().trash("old");
    Thread.sleep(2_500); // past the retention
    record Purge(long jobs, java.time.Instant trashedBefore) {}
    BlockingQueue<Purge> purges = new LinkedBlockingQueue<>();
    Outcomes out =
        new Outcomes() {
          @Override
          public void trashPurged(long jobs, java.time.Instant trashedBefore) {
            purges.add(new Purge(jobs, trashedBefore));
          }
        };
    Conductor c =
        Conductor.builder(board, backend)
            .name("pruning")
            .factories(factories)
            .idleWait(Duration.ofMillis(100))
            .retention(Duration.ofSeconds(2))
            .pruneEvery(Duration.ofSeconds(30))
            .listener(out)
            .build();
    toClose.add(() -> c.stop(Duration.ofSeconds(5)));
    Job recent = FlowJobs.post(board, conn, FlowJob.of(new Workloads.Chain(), 1));
    board.claim(recent.uuid(), io.taskflow4j.jobs.OwnerId.generate("p")).orElseThrow().trash("new");
    java.time.Instant started = java.time.Instant.now();
    c.start();

    Purge first = purges.poll(20, TimeUnit.SECONDS);
    assertThat(first).as("the first prune's purge of the trash").isNotNull();
    assertThat(first.jobs()).as("jobs removed from the trash by the first prune").isEqualTo(1L);
    assertThat(first.trashedBefore())
        .as("the retention's cut-off")
        .isBetween(started.minusSeconds(2), java.time.Instant.now().minusSeconds(2));
    assertThat(board.trashedJobs())
        .as("the job trashed within the retention")
        .extracting(Job::uuid)
        .containsExactly(recent.uuid());
    assertThat(conn.getFlowDetails(old.flowUuid().orElseThrow()))
        .as("the removed job's flow stays: only a prune deletes flows")
        .isNotNull();
  }

  @Test
  void zombieWritesNothingAfterPeerTakesOver() throws Exception {
    Duration lease = Duration.ofMillis(600);
    MemoryJobboard slowBoard = board(lease);
    MemoryJobboard peerBoard = slowBoard.peer();
    toClose.add(peerBoard);
    Job job = FlowJobs.post(slowBoard, conn, FlowJob.of(new Steps()));
    gate = new CountDownLatch(1);
    Outcomes slowOut = new Outcomes();
    conductor(slowBoard, "slow", backend, slowOut).start();
    assertThat(SLOW_IN_T2[0].await(20, TimeUnit.SECONDS)).isTrue();
    // the owner "pauses": its board stops renewing, so its lease lapses while t2 is running
    slowBoard.close();
    Outcomes peerOut = new Outcomes();
    conductor(peerBoard, "peer", backend, peerOut).start();
    JobOutcome peerDone = peerOut.next();
    assertThat(peerDone.kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    FlowDetail before = flowOf(job);
    // the zombie wakes up: its t2 finishes, and nothing of it may land
    gate.countDown();
    JobOutcome zombie = slowOut.next();
    assertThat(zombie.kind()).isEqualTo(JobOutcome.Kind.DROPPED);
    FlowDetail after = flowOf(job);
    assertThat(after).isEqualTo(before);
    assertThat(after.state()).isEqualTo(FlowState.SUCCESS);
    // t1 was done before the takeover; t2 and t3 are the new owner's
    assertThat(after.atoms())
        .extracting(AtomDetail::lastResults)
        .containsExactly("slow", "peer", "peer");
    assertThat(after.atoms()).extracting(AtomDetail::state).containsOnly(AtomState.SUCCESS);
    assertThat(EXECUTED).contains("slow:t1", "peer:t2", "peer:t3").doesNotContain("slow:t3");
    assertThat(EXECUTED).doesNotContain("peer:t1"); // t1 was done before the takeover
  }

  @Test
  void jobsThatCannotStartAreRetriedThenTrashed() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()));
    Outcomes out = new Outcomes();
    // a conductor that does not know the job's factory
    Conductor c =
        Conductor.builder(board, backend)
            .name("c1")
            .factories(FlowFactories.of(new Workloads.Chain()))
            .maxFailures(3)
            .idleWait(Duration.ofMillis(100))
            .errorBackoff(Duration.ofMillis(10))
            .listener(out)
            .build();
    toClose.add(() -> c.stop(Duration.ofSeconds(5)));
    c.start();
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.FAILED);
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.FAILED);
    JobOutcome last = out.next();
    assertThat(last.kind()).isEqualTo(JobOutcome.Kind.TRASHED);
    assertThat(last.reason()).contains("steps").contains("not registered");
    assertThat(board.jobs()).isEmpty();
    assertThat(board.trashedJobs()).extracting(Job::uuid).containsExactly(job.uuid());
    assertThat(c.stats().trashed()).isEqualTo(1);
  }

  @Test
  void storageOutageAtClaimTimeNeverDiscardsTheJob() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()));
    AtomicInteger outages = new AtomicInteger(6);
    Backend flaky = flakyBackend(backend, outages);
    Outcomes out = new Outcomes();
    conductor(board, "c1", flaky, out).start();
    List<JobOutcome.Kind> kinds = new ArrayList<>();
    JobOutcome o;
    do {
      o = out.next();
      kinds.add(o.kind());
    } while (o.kind() != JobOutcome.Kind.COMPLETED && kinds.size() < 20);
    assertThat(kinds).last().isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(kinds.subList(0, kinds.size() - 1)).containsOnly(JobOutcome.Kind.RELEASED);
    assertThat(kinds.size()).isGreaterThan(1);
    assertThat(board.trashedJobs()).isEmpty();
    assertThat(flowOf(job).state()).isEqualTo(FlowState.SUCCESS);
  }

  /**
   * A stop after a peer took a running job over, before this conductor noticed, cannot suspend that
   * flow (the fence refuses the old claim's write): the stop goes on all the same, without
   * throwing, waits for the job, which ends DROPPED, and stops the conductor. It threw the
   * FencedException instead, leaving the conductor half stopped (and a SIGTERM of the command
   * printed its trace).
   */
  @Test
  void aStopAfterAPeerTookTheJobOverUnnoticedStopsWithoutThrowing() throws Exception {
    // One clock for both boards, moved by hand past the slow claim's lease: its own board renews
    // every 10 s of real time, so it has not noticed the takeover when it is stopped.
    Instant[] now = {Instant.now()};
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            synchronized (now) {
              return now[0];
            }
          }
        };
    MemoryJobboard slowBoard = new MemoryJobboard(Duration.ofSeconds(30), clock);
    toClose.add(slowBoard);
    MemoryJobboard peerBoard = slowBoard.peer(Duration.ofSeconds(30));
    toClose.add(peerBoard);
    Job job = FlowJobs.post(slowBoard, conn, FlowJob.of(new Steps()));
    gate = new CountDownLatch(1);
    Outcomes slowOut = new Outcomes();
    Conductor slow = conductor(slowBoard, "slow", backend, slowOut);
    slow.start();
    assertThat(SLOW_IN_T2[0].await(20, TimeUnit.SECONDS)).isTrue();
    synchronized (now) {
      now[0] = now[0].plusSeconds(31);
    }
    Outcomes peerOut = new Outcomes();
    conductor(peerBoard, "peer", backend, peerOut).start();
    assertThat(peerOut.next().kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    FlowDetail before = flowOf(job);

    Thread releaser =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException ignored) {
                // done
              }
              gate.countDown();
            });
    releaser.start();
    boolean[] settled = new boolean[1];
    assertThatCode(() -> settled[0] = slow.stop(Duration.ofSeconds(20))).doesNotThrowAnyException();
    assertThat(settled[0]).as("the job was settled within the grace period").isTrue();
    JobOutcome zombie = slowOut.next();
    assertThat(zombie.kind()).isEqualTo(JobOutcome.Kind.DROPPED);
    assertThat(zombie.reason()).contains("a peer took the job over");
    assertThat(flowOf(job)).isEqualTo(before);
    assertThat(EXECUTED).doesNotContain("slow:t3");
  }

  @Test
  void gracefulStopSuspendsAndHandsTheJobOver() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(30));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()));
    gate = new CountDownLatch(1);
    Outcomes slowOut = new Outcomes();
    Conductor slow = conductor(board, "slow", backend, slowOut);
    slow.start();
    assertThat(SLOW_IN_T2[0].await(20, TimeUnit.SECONDS)).isTrue();
    Thread releaser =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException ignored) {
                // done
              }
              gate.countDown();
            });
    releaser.start();
    assertThat(slow.stop(Duration.ofSeconds(20))).isTrue();
    JobOutcome stopped = slowOut.next();
    assertThat(stopped.kind()).isEqualTo(JobOutcome.Kind.RELEASED);
    assertThat(stopped.flowState()).isEqualTo(FlowState.SUSPENDED);
    // handed over at once: no lease to wait for
    MemoryJobboard peerBoard = board.peer();
    toClose.add(peerBoard);
    long t0 = System.nanoTime();
    Outcomes peerOut = new Outcomes();
    conductor(peerBoard, "peer", backend, peerOut).start();
    JobOutcome done = peerOut.next();
    assertThat(done.kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    assertThat(flowOf(job).atoms())
        .extracting(AtomDetail::lastResults)
        .containsExactly("slow", "slow", "peer");
  }

  /**
   * A run stopped by an {@code Error} leaves its flow RUNNING: the job is given back with its
   * failure counted (not completed, as it was while the flow was recorded FAILURE), and the next
   * claim resumes the flow where it stopped.
   */
  @Test
  void aRunStoppedByAnErrorIsGivenBackAndResumedByTheNextClaim() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    OomOnce.ARMED.set(true);
    Job job = FlowJobs.post(board, conn, FlowJob.of(new OomOnce()));
    Outcomes out = new Outcomes();
    Conductor c =
        Conductor.builder(board, backend)
            .name("c1")
            .factories(factories.with(new OomOnce()))
            .idleWait(Duration.ofMillis(100))
            .errorBackoff(Duration.ofMillis(10))
            .listener(out)
            .build();
    toClose.add(() -> c.stop(Duration.ofSeconds(5)));
    c.start();
    JobOutcome first = out.next();
    assertThat(first.kind()).isEqualTo(JobOutcome.Kind.FAILED);
    assertThat(first.flowState()).isEqualTo(FlowState.RUNNING);
    assertThat(first.reason()).contains("Java heap space");
    JobOutcome second = out.next();
    assertThat(second.kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(second.flowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(flowOf(job).atoms()).extracting(AtomDetail::state).containsOnly(AtomState.SUCCESS);
    assertThat(EXECUTED).containsExactly("c1:t1", "c1:t2", "c1:t2", "c1:t3");
    assertThat(board.jobs()).isEmpty();
    assertThat(board.trashedJobs()).isEmpty();
  }

  @Test
  void higherPriorityJobsRunFirst() throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job low = FlowJobs.post(board, conn, FlowJob.of(new Steps()).withPriority(JobPriority.LOW));
    Job high = FlowJobs.post(board, conn, FlowJob.of(new Steps()).withPriority(JobPriority.HIGH));
    Outcomes out = new Outcomes();
    conductor(board, "c1", backend, out).start();
    assertThat(out.next().job().uuid()).isEqualTo(high.uuid());
    assertThat(out.next().job().uuid()).isEqualTo(low.uuid());
  }

  @Test
  void aFlowFinishedByAnOwnerThatDiedBeforeCompletingIsCompletedWithoutRerunning()
      throws Exception {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()));
    // the first owner ran the flow to the end, then died before completing the job
    FlowDetail fd = flowOf(job);
    io.taskflow4j.engine.Engines.load(new Steps().create(List.of(), Map.of()))
        .flowDetail(fd)
        .connection(conn)
        .build()
        .run();
    assertThat(flowOf(job).state()).isEqualTo(FlowState.SUCCESS);
    EXECUTED.clear();
    Outcomes out = new Outcomes();
    conductor(board, "c1", backend, out).start();
    JobOutcome o = out.next();
    assertThat(o.kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(o.flowState()).isEqualTo(FlowState.SUCCESS);
    assertThat(EXECUTED).isEmpty();
    assertThat(board.jobs()).isEmpty();
  }

  @Test
  void idempotentPostSavesOneLogbook() {
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job a = FlowJobs.post(board, conn, FlowJob.of(new Steps()).withIdempotencyKey("k-1"));
    Job b = FlowJobs.post(board, conn, FlowJob.of(new Steps()).withIdempotencyKey("k-1"));
    assertThat(b.uuid()).isEqualTo(a.uuid());
    assertThat(board.jobs()).hasSize(1);
    assertThat(conn.getLogBooks()).hasSize(1);
  }

  /**
   * A job's flow detail is read from the store once per run, whole, after the fence is raised: the
   * engine starts from that read instead of reading it again. A run taken over after t1 resumes
   * from the same single read, with the atoms the first owner made (none added twice).
   */
  @Test
  void aJobsFlowDetailIsReadOnceWholeAndTheEngineStartsFromThatRead() throws Exception {
    List<String> reads = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.function.UnaryOperator<Connection>[] counting =
        new java.util.function.UnaryOperator[1];
    counting[0] =
        c ->
            new ForwardingConnection(c) {
              @Override
              public FlowDetail getFlowDetails(String uuid, boolean lazy) {
                reads.add(lazy ? "lazy" : "whole");
                return super.getFlowDetails(uuid, lazy);
              }

              @Override
              public Connection fenced(io.taskflow4j.persistence.Fence fence) {
                return counting[0].apply(super.fenced(fence));
              }
            };
    Backend wrapped = new WrappingBackend(backend, counting[0]);
    MemoryJobboard board = board(Duration.ofSeconds(10));
    Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()).named("read-once"));
    // a first owner ran t1 and stopped: its atom is in the store
    FlowDetail fd = conn.getFlowDetails(job.flowUuid().orElseThrow());
    conn.updateFlowDetails(
        fd.withAtom(io.taskflow4j.persistence.TaskDetail.create("t1").put(AtomState.SUCCESS, "x"))
            .withState(FlowState.RUNNING));
    reads.clear();
    Outcomes out = new Outcomes();
    conductor(board, "once", wrapped, out).start();
    assertThat(out.next().kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
    assertThat(reads).as("reads of the flow detail during the run").containsExactly("whole");
    FlowDetail done = conn.getFlowDetails(fd.uuid());
    assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(done.atoms()).extracting(AtomDetail::name).containsExactly("t1", "t2", "t3");
    assertThat(
            ((io.taskflow4j.persistence.TaskDetail) done.findByName("t1").orElseThrow()).results())
        .isEqualTo("x");
    assertThat(EXECUTED).doesNotContain("once:t1").contains("once:t2", "once:t3");
  }

  /**
   * A board that raises each claim's fence in the conductor's store itself (the SQL board in the
   * same database) spares the conductor registering it, one read of the stored token per job; with
   * any other board the conductor reads it, and the job runs fenced either way.
   */
  @Test
  void aBoardThatRaisesTheFencesInTheStoreSparesTheConductorsFenceRead() throws Exception {
    AtomicInteger fenceCalls = new AtomicInteger();
    Backend counting =
        new WrappingBackend(
            backend,
            c ->
                new ForwardingConnection(c) {
                  @Override
                  public java.util.OptionalLong fenceToken(String key) {
                    fenceCalls.incrementAndGet();
                    return super.fenceToken(key);
                  }

                  @Override
                  public void advanceFence(io.taskflow4j.persistence.Fence fence) {
                    fenceCalls.incrementAndGet();
                    super.advanceFence(fence);
                  }
                });
    for (boolean raises : new boolean[] {false, true}) {
      fenceCalls.set(0);
      RecordingBoard board = new RecordingBoard(board(Duration.ofSeconds(10)));
      board.fencesIn = raises ? conn : null;
      Job job = FlowJobs.post(board, conn, FlowJob.of(new Steps()).named("fenced-" + raises));
      Outcomes out = new Outcomes();
      Conductor c = conductor(board, "c-" + raises, counting, out);
      c.start();
      JobOutcome o = out.next();
      assertThat(o.kind()).isEqualTo(JobOutcome.Kind.COMPLETED);
      assertThat(flowOf(job).state()).isEqualTo(FlowState.SUCCESS);
      assertThat(conn.fenceToken(job.uuid())).hasValue(o.token());
      assertThat(fenceCalls.get())
          .as("the conductor's fence reads and writes, board raising fences: %s", raises)
          .isEqualTo(raises ? 0 : 2);
      c.stop(Duration.ofSeconds(5));
    }
  }

  /** Fails the first {@code outages} reads of flow details with a StorageException. */
  private static Backend flakyBackend(Backend delegate, AtomicInteger outages) {
    return new WrappingBackend(
        delegate,
        c ->
            new ForwardingConnection(c) {
              @Override
              public FlowDetail getFlowDetails(String uuid, boolean lazy) {
                if (outages.getAndDecrement() > 0) {
                  throw new StorageException("the database is down (test)");
                }
                return super.getFlowDetails(uuid, lazy);
              }
            });
  }

  /** A backend whose connections are another backend's, each wrapped; closing it closes nothing. */
  private static final class WrappingBackend implements Backend {
    private final Backend delegate;
    private final java.util.function.UnaryOperator<Connection> wrap;

    WrappingBackend(Backend delegate, java.util.function.UnaryOperator<Connection> wrap) {
      this.delegate = delegate;
      this.wrap = wrap;
    }

    @Override
    public io.taskflow4j.persistence.BackendConf conf() {
      return delegate.conf();
    }

    @Override
    public Connection getConnection() {
      return wrap.apply(delegate.getConnection());
    }

    @Override
    public void close() {}
  }
}
