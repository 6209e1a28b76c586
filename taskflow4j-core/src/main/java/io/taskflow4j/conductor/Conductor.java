package io.taskflow4j.conductor;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs from a board and runs their flows: TaskFlow's conductor, made safe. For each claim it
 * registers the claim's fence with the backend, rebuilds the flow from the factory its flow detail
 * records, and runs it on an engine whose every write is fenced, so that once the claim is lost not
 * one more write of this conductor lands. The outcome decides the job's fate:
 *
 * <ul>
 *   <li>the flow ended (SUCCESS, REVERTED, FAILURE): the job is completed, in the same write as the
 *       flow's final state where the board and the store allow it ({@link
 *       Jobboard#fencedCompleting}: the SQL board on the backend's own database, the ZooKeeper
 *       board on the backend's ensemble), else on its own, the completions of jobs that end
 *       together in one write of the board;
 *   <li>the flow was suspended ({@link #stop}), or storage failed: the job is released, for this or
 *       another conductor to resume; a store that is down never makes a job disappear;
 *   <li>the job cannot be started (its flow detail is missing, its factory unknown or failing, its
 *       inputs missing), or its run stopped on an error before the flow finished (an {@code Error}
 *       such as {@code OutOfMemoryError}, a write another writer refused): it is released and its
 *       failure counted, the flow left for the next run to resume; after {@code maxFailures} of
 *       them it goes to the board's trash;
 *   <li>the claim was lost (a peer took the job over): the job is left alone.
 * </ul>
 *
 * <pre>{@code
 * try (Jobboard board = Jobboards.open(url); Backend backend = Backends.fetch(url)) {
 *   Conductor c = Conductor.builder(board, backend).name("worker-1").maxConcurrentJobs(4).build();
 *   c.start();
 *   ...
 *   c.stop(Duration.ofSeconds(30)); // suspend running flows and give their jobs back
 * }
 * }</pre>
 */
public final class Conductor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Conductor.class);

  private final Jobboard board;
  private final Backend backend;
  private final OwnerId owner;
  private final FlowFactories factories;
  private final int maxJobs;
  private final int maxFailures;
  private final Duration idleWait;
  private final Duration errorBackoff;
  private final UnaryOperator<Engines.Builder> engineOptions;
  private final ConductorListener listener;
  private final Duration retention;
  private final Duration pruneEvery;

  private final Semaphore slots;
  private final ExecutorService pool;
  private final Map<String, Engine> running = new ConcurrentHashMap<>();

  /** Whether the board's claims raise their fences in the backend's store themselves. */
  private final boolean fencedByClaims;

  private final Set<Thread> dispatcher = ConcurrentHashMap.newKeySet();
  private final AtomicInteger state = new AtomicInteger(); // 0 new, 1 started, 2 stopping
  private volatile boolean backoff;
  private Jobboard.Subscription registration;
  private final CompletionBatcher completions;

  private final LongAdder claimed = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder released = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder trashed = new LongAdder();
  private final LongAdder dropped = new LongAdder();

  private Conductor(Builder b) {
    this.board = b.board;
    this.backend = b.backend;
    this.owner = OwnerId.generate(b.name);
    this.factories = b.factories;
    this.maxJobs = b.maxJobs;
    this.maxFailures = b.maxFailures;
    this.idleWait = b.idleWait;
    this.errorBackoff = b.errorBackoff;
    this.engineOptions = b.engineOptions;
    this.listener = b.listener;
    this.retention = b.retention;
    this.pruneEvery = b.pruneEvery != null ? b.pruneEvery : defaultPruneInterval(b.retention);
    this.completions = new CompletionBatcher(board);
    this.fencedByClaims = board.raisesFencesIn(backend);
    this.slots = new Semaphore(maxJobs);
    this.pool =
        Executors.newFixedThreadPool(
            maxJobs, DaemonThreads.numbered("taskflow4j-conductor-" + b.name + "-job-"));
  }

  /** Starts configuring a conductor of {@code board} whose logbooks are in {@code backend}. */
  public static Builder builder(Jobboard board, Backend backend) {
    return new Builder(board, backend);
  }

  /** This conductor's identity on the board. */
  public OwnerId owner() {
    return owner;
  }

  /** Starts claiming and running jobs on a background thread. */
  public void start() {
    if (!state.compareAndSet(0, 1)) {
      throw new IllegalStateException("conductor " + owner + " was already started");
    }
    registration = board.register(owner, Map.of("max_jobs", maxJobs));
    Thread t = DaemonThreads.create("taskflow4j-conductor-" + owner.name(), this::dispatch);
    dispatcher.add(t);
    t.start();
    if (retention != null) {
      Thread p =
          DaemonThreads.create("taskflow4j-conductor-" + owner.name() + "-prune", this::prune);
      dispatcher.add(p);
      p.start();
    }
    LOG.info(
        "Conductor {} started on {} (up to {} jobs at once)", owner, board.describe(), maxJobs);
  }

  /**
   * Stops claiming, suspends the flows running (each finishes the atoms it is running, then its job
   * is released for a peer) and waits up to {@code grace} for them. A flow that cannot be suspended
   * (a peer took its job over, or the store fails) does not stop the others: its job ends as its
   * run does, {@code DROPPED} or {@code RELEASED}.
   *
   * @return {@code true} when every job was settled within {@code grace}
   */
  public boolean stop(Duration grace) {
    if (state.getAndSet(2) == 2) {
      return pool.isTerminated();
    }
    for (Thread t : dispatcher) {
      t.interrupt();
    }
    for (Map.Entry<String, Engine> e : running.entrySet()) {
      try {
        e.getValue().suspend();
      } catch (FencedException fenced) {
        // A peer took the job over: its flow is the peer's, and nothing more of this claim may
        // be written. The job's own thread ends it DROPPED; stopping goes on for the others.
        LOG.warn("Conductor {} cannot suspend job {}: {}", owner, e.getKey(), fenced.getMessage());
      } catch (TaskFlowException failed) {
        // The store failed: the run stops at its own next write, and its job is released then.
        LOG.warn(
            "Conductor {} could not suspend job {}: {}", owner, e.getKey(), failed.getMessage());
      }
    }
    pool.shutdown();
    boolean done;
    try {
      done = pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done = false;
    }
    completions.stop();
    if (registration != null) {
      try {
        registration.close();
      } catch (RuntimeException e) {
        LOG.debug("Could not unregister {}: {}", owner, e.getMessage());
      }
    }
    LOG.info("Conductor {} stopped ({})", owner, stats());
    return done;
  }

  /** A quarter of the retention, between a minute and an hour (a second for very short ones). */
  static Duration defaultPruneInterval(Duration keep) {
    if (keep == null) {
      return null;
    }
    Duration quarter = keep.dividedBy(4);
    Duration floor =
        keep.compareTo(Duration.ofMinutes(4)) < 0 ? Duration.ofSeconds(1) : Duration.ofMinutes(1);
    if (quarter.compareTo(floor) < 0) {
      return floor;
    }
    return quarter.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : quarter;
  }

  /**
   * The pruning thread: every {@code pruneEvery}, deletes the finished flows last updated longer
   * than the retention ago that no job on the board refers to. Conductors of one board may all
   * prune: each delete is conditional, and a flow another deleted is skipped. A failed prune is
   * logged and tried again at the next turn.
   */
  private void prune() {
    while (state.get() == 1) {
      try (Connection c = backend.getConnection()) {
        io.taskflow4j.retention.PruneReport r =
            io.taskflow4j.retention.Pruner.builder(c)
                .olderThan(retention)
                .boards(board)
                .build()
                .run();
        if (r.flowsDeleted() > 0) {
          LOG.info(
              "Conductor {} pruned {} finished flow(s) and {} logbook(s) older than {}",
              owner,
              r.flowsDeleted(),
              r.booksDeleted(),
              retention);
        }
        listener.pruned(r);
        purgeTrash(r.cutoff());
      } catch (TaskFlowException e) {
        if (state.get() != 1) {
          return;
        }
        LOG.warn("Conductor {} could not prune the store: {}", owner, e.getMessage());
      }
      try {
        Thread.sleep(pruneEvery.toMillis());
      } catch (InterruptedException e) {
        return; // stopping
      }
    }
  }

  /** Whether the board said it cannot empty its trash (a board of another library). */
  private volatile boolean trashKept;

  /** Empties the board's trash of the jobs trashed before {@code cutoff}: the retention's. */
  private void purgeTrash(java.time.Instant cutoff) {
    if (trashKept) {
      return;
    }
    long removed;
    try {
      removed = board.purgeTrash(cutoff);
    } catch (UnsupportedOperationException e) {
      trashKept = true;
      LOG.info("Conductor {} keeps the trash of its board: {}", owner, e.getMessage());
      return;
    }
    if (removed > 0) {
      LOG.info(
          "Conductor {} removed {} job(s) trashed before {} from the trash",
          owner,
          removed,
          cutoff);
    }
    listener.trashPurged(removed, cutoff);
  }

  /** Stops with a 30 s grace period. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(30));
  }

  /** How many completions wait for the next batch (for tests). */
  int completionsQueued() {
    return completions.queued();
  }

  /** How many jobs this conductor has handled, by outcome, and how many run now. */
  public Stats stats() {
    return new Stats(
        claimed.sum(),
        completed.sum(),
        released.sum(),
        failed.sum(),
        trashed.sum(),
        dropped.sum(),
        running.size());
  }

  /**
   * Counts of a conductor's work.
   *
   * @param claimed jobs claimed
   * @param completed jobs completed (their flow ended)
   * @param released jobs given back (suspended, storage failing)
   * @param failed jobs given back because they could not be started
   * @param trashed jobs moved to the trash
   * @param dropped jobs left alone because the claim was lost
   * @param running jobs running now
   */
  public record Stats(
      long claimed,
      long completed,
      long released,
      long failed,
      long trashed,
      long dropped,
      int running) {}

  // ---- the dispatcher ----------------------------------------------------------------------

  private boolean stopping() {
    return state.get() == 2;
  }

  /**
   * Claims as many jobs as there are free slots, in one call ({@link Jobboard#claimNext(OwnerId,
   * int)}: one statement on the SQL board), and hands each to a job thread; when the board has
   * none, waits for a sign of work (a notification where the store has them).
   */
  private void dispatch() {
    try {
      while (!stopping()) {
        slots.acquire();
        int free = 1 + slots.drainPermits();
        int handedOver = 0;
        try {
          if (backoff) {
            backoff = false;
            Thread.sleep(errorBackoff.toMillis());
          }
          List<Claim> next;
          try {
            next = board.claimNext(owner, free);
          } catch (TaskFlowException e) {
            LOG.warn("Conductor {} could not claim a job: {}", owner, e.getMessage());
            Thread.sleep(errorBackoff.toMillis());
            continue;
          }
          if (next.isEmpty()) {
            slots.release(free);
            free = 0;
            board.awaitWork(idleWait);
            continue;
          }
          for (Claim claim : next) {
            claimed.increment();
            if (stopping()) {
              settleQuietly(claim, claim::release);
              continue;
            }
            pool.execute(
                () -> {
                  try {
                    run(claim);
                  } finally {
                    slots.release();
                  }
                });
            handedOver++;
          }
        } finally {
          slots.release(free - handedOver);
        }
      }
    } catch (InterruptedException e) {
      // stop() interrupts the dispatcher
    } catch (RuntimeException e) {
      if (!stopping()) {
        LOG.error("Conductor {} stopped claiming after an unexpected error", owner, e);
      }
    } finally {
      dispatcher.remove(Thread.currentThread());
    }
  }

  // ---- one job ---------------------------------------------------------------------------------

  /** What happened to a job, before the board is told. */
  private record Result(JobOutcome.Kind kind, FlowState flowState, String reason) {}

  private void run(Claim claim) {
    long start = System.nanoTime();
    listener.claimed(claim);
    Result r;
    try (Connection conn = backend.getConnection()) {
      r = runFenced(claim, conn);
    } catch (FencedException e) {
      r = new Result(JobOutcome.Kind.DROPPED, null, e.getMessage());
    } catch (StorageException e) {
      r = new Result(JobOutcome.Kind.RELEASED, null, "storage failed: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("Conductor {} failed on job {}", owner, claim.job().uuid(), e);
      r = new Result(JobOutcome.Kind.RELEASED, null, "unexpected error: " + e);
    } finally {
      running.remove(claim.job().uuid());
    }
    JobOutcome.Kind kind = settle(claim, r);
    JobOutcome out =
        new JobOutcome(
            claim.job(),
            claim.token(),
            kind,
            r.flowState(),
            r.reason(),
            Duration.ofNanos(System.nanoTime() - start));
    count(kind);
    try {
      listener.settled(out);
    } catch (RuntimeException e) {
      LOG.warn("A conductor listener failed", e);
    }
  }

  private Result runFenced(Claim claim, Connection conn) {
    Job job = claim.job();
    // From here on the previous owner cannot write; whatever it wrote before is read below.
    if (!fencedByClaims) {
      registerFence(claim, conn);
    }
    FlowDetail fd;
    Flow flow;
    try {
      // Read whole, once: its own fields rebuild the flow, and the engine starts from it all.
      fd = conn.getFlowDetails(flowUuid(job, conn), false);
      flow = factories.rebuild(fd);
    } catch (StorageException e) {
      throw e;
    } catch (TaskFlowException | IllegalArgumentException e) {
      return new Result(JobOutcome.Kind.FAILED, null, e.getMessage());
    }
    Map<String, Object> store = new LinkedHashMap<>();
    if (fd.meta().get(FlowDetail.META_STORE) instanceof Map<?, ?> m) {
      m.forEach((k, v) -> store.put(String.valueOf(k), v));
    }
    store.putAll(job.store());
    // The conductor's own use of the connection ends here: fencing it and finding the flow to
    // rebuild are the job's business. The engine reaches the store only through its Storage, opened
    // over the fenced view, so every write it makes carries this claim's fence.
    Engine engine;
    try {
      engine =
          engineOptions
              .apply(
                  Engines.load(flow)
                      .flowDetail(fd)
                      .connection(new ReadOnce(board.fencedCompleting(claim, conn, fd.uuid()), fd))
                      .store(store))
              .build();
    } catch (StorageException e) {
      throw e;
    } catch (TaskFlowException | IllegalArgumentException e) {
      return new Result(JobOutcome.Kind.FAILED, null, e.getMessage());
    }
    try (engine) {
      running.put(job.uuid(), engine);
      claim.lost().thenRun(engine::suspend);
      if (stopping()) {
        engine.suspend();
      }
      try {
        listener.engineStarting(claim, engine);
      } catch (RuntimeException e) {
        LOG.warn("A conductor listener failed", e);
      }
      Throwable thrown = null;
      try {
        engine.run();
      } catch (RuntimeException | Error e) {
        thrown = e;
      }
      FlowState st = engine.flowState();
      if (claim.isCompleted()) {
        // The store completed the job with the flow's final state, in that state's own write.
        return new Result(JobOutcome.Kind.COMPLETED, st, thrown == null ? null : message(thrown));
      }
      if (fenced(thrown) || !claim.isHeld()) {
        return new Result(
            JobOutcome.Kind.DROPPED, st, thrown == null ? "the claim was lost" : message(thrown));
      }
      if (thrown instanceof StorageException) {
        return new Result(JobOutcome.Kind.RELEASED, st, "storage failed: " + thrown.getMessage());
      }
      if (st == FlowState.SUCCESS || st == FlowState.REVERTED || st == FlowState.FAILURE) {
        return new Result(JobOutcome.Kind.COMPLETED, st, thrown == null ? null : message(thrown));
      }
      if (st == FlowState.SUSPENDED) {
        return new Result(JobOutcome.Kind.RELEASED, st, "suspended");
      }
      // Not finished: compile, prepare or validate refused it, or the run stopped on an error and
      // left the flow for a later resume. Given back and counted, so a peer (or this conductor)
      // tries again, and a job that keeps failing ends in the trash.
      return new Result(
          JobOutcome.Kind.FAILED, st, thrown == null ? "the flow did not run" : message(thrown));
    }
  }

  /**
   * The engine's connection, which answers the engine's read of the flow detail when it starts
   * (whole, by uuid) with the copy the conductor read whole just before, after the claim's fence
   * was raised, instead of reading it again; every later call goes to the store. Nothing can have
   * changed in between but by a writer that ignores the fence, and the engine's writes are checked
   * against the copy's revisions as they would be against a read of its own.
   */
  private static final class ReadOnce extends ForwardingConnection {
    private FlowDetail read;

    ReadOnce(Connection fenced, FlowDetail read) {
      super(fenced);
      this.read = read;
    }

    @Override
    public synchronized FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
      FlowDetail r = read;
      read = null;
      if (r != null && !lazy && r.uuid().equals(flowUuid)) {
        return r;
      }
      return super.getFlowDetails(flowUuid, lazy);
    }
  }

  /**
   * Registers the claim's fence with the store, unless it holds that token already (a read costs
   * less than a write). A higher token means a peer has claimed the job since. Not called where the
   * board raised the fence in this store in the claim's own transaction ({@link
   * Jobboard#raisesFencesIn}): a peer's higher token is then found by the engine's first write.
   */
  private static void registerFence(Claim claim, Connection conn) {
    OptionalLong stored = conn.fenceToken(claim.fence().key());
    if (stored.isEmpty() || stored.getAsLong() < claim.token()) {
      conn.advanceFence(claim.fence());
    } else if (stored.getAsLong() > claim.token()) {
      throw new FencedException(
          "Cannot run job '"
              + claim.job().uuid()
              + "' with token "
              + claim.token()
              + ": the store holds the higher token "
              + stored.getAsLong()
              + " (a peer claimed the job since)");
    }
  }

  private static String flowUuid(Job job, Connection conn) {
    Optional<String> given = job.flowUuid();
    if (given.isPresent()) {
      return given.get();
    }
    if (job.book() == null) {
      throw new NotFoundException(
          "Job '" + job.uuid() + "' names neither a logbook nor a flow detail (details.flow_uuid)");
    }
    LogBook book = conn.getLogBook(job.book().uuid(), false);
    if (book.flows().size() != 1) {
      throw new NotFoundException(
          "Job '"
              + job.uuid()
              + "' names no flow detail (details.flow_uuid) and its logbook '"
              + book.uuid()
              + "' holds "
              + book.flows().size()
              + " of them, not exactly one");
    }
    return book.flows().get(0).uuid();
  }

  private static boolean fenced(Throwable t) {
    for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
      if (t instanceof FencedException) {
        return true;
      }
      for (Throwable s : t.getSuppressed()) {
        if (s instanceof FencedException) {
          return true;
        }
      }
    }
    return false;
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** Tells the board; returns what was done (DROPPED when the board refused). */
  private JobOutcome.Kind settle(Claim claim, Result r) {
    switch (r.kind()) {
      case COMPLETED:
        if (claim.isCompleted()) {
          return JobOutcome.Kind.COMPLETED; // with the flow's final state, in one write
        }
        return settleQuietly(claim, () -> completions.complete(claim))
            ? JobOutcome.Kind.COMPLETED
            : JobOutcome.Kind.DROPPED;
      case RELEASED:
        if (r.flowState() != FlowState.SUSPENDED) {
          backoff = true; // storage trouble: do not re-claim at once
        }
        return settleQuietly(claim, claim::release)
            ? JobOutcome.Kind.RELEASED
            : JobOutcome.Kind.DROPPED;
      case FAILED:
        if (claim.job().failures() + 1 >= maxFailures) {
          String why = "failed to start " + maxFailures + " times; last: " + r.reason();
          LOG.error("Conductor {} trashes job {}: {}", owner, claim.job().uuid(), why);
          return settleQuietly(claim, () -> claim.trash(why))
              ? JobOutcome.Kind.TRASHED
              : JobOutcome.Kind.DROPPED;
        }
        LOG.warn("Conductor {} could not start job {}: {}", owner, claim.job().uuid(), r.reason());
        backoff = true;
        return settleQuietly(claim, () -> claim.releaseAfterFailure(r.reason()))
            ? JobOutcome.Kind.FAILED
            : JobOutcome.Kind.DROPPED;
      default:
        LOG.warn("Conductor {} lost job {}: {}", owner, claim.job().uuid(), r.reason());
        return JobOutcome.Kind.DROPPED;
    }
  }

  private boolean settleQuietly(Claim claim, Runnable op) {
    try {
      op.run();
      return true;
    } catch (FencedException e) {
      LOG.warn(
          "Conductor {} lost job {} before settling it: {}",
          owner,
          claim.job().uuid(),
          e.getMessage());
      return false;
    } catch (TaskFlowException e) {
      // the lease lapses by itself: the job stays on the board for a peer
      LOG.warn(
          "Conductor {} could not settle job {}: {}", owner, claim.job().uuid(), e.getMessage());
      return false;
    }
  }

  private void count(JobOutcome.Kind kind) {
    switch (kind) {
      case COMPLETED -> completed.increment();
      case RELEASED -> released.increment();
      case FAILED -> failed.increment();
      case TRASHED -> trashed.increment();
      default -> dropped.increment();
    }
  }

  @Override
  public String toString() {
    return "Conductor[" + owner + " on " + board.describe() + "]";
  }

  /** Configures a conductor. */
  public static final class Builder {
    private final Jobboard board;
    private final Backend backend;
    private String name = "conductor";
    private FlowFactories factories;
    private int maxJobs = 1;
    private int maxFailures = 3;
    private Duration idleWait = Duration.ofSeconds(5);
    private Duration errorBackoff = Duration.ofSeconds(1);
    private UnaryOperator<Engines.Builder> engineOptions = UnaryOperator.identity();
    private ConductorListener listener = new ConductorListener() {};
    private Duration retention;
    private Duration pruneEvery;

    private Builder(Jobboard board, Backend backend) {
      this.board = Objects.requireNonNull(board, "board");
      this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** The conductor's name (its owner id adds host, pid and a random incarnation). */
    public Builder name(String n) {
      this.name = Objects.requireNonNull(n, "name");
      return this;
    }

    /** The factories flows are rebuilt with; default {@link FlowFactories#installed()}. */
    public Builder factories(FlowFactories f) {
      this.factories = Objects.requireNonNull(f, "factories");
      return this;
    }

    /** How many jobs run at once (default 1). */
    public Builder maxConcurrentJobs(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxConcurrentJobs must be at least 1, was " + n);
      }
      this.maxJobs = n;
      return this;
    }

    /** After how many failed starts a job goes to the trash (default 3). */
    public Builder maxFailures(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxFailures must be at least 1, was " + n);
      }
      this.maxFailures = n;
      return this;
    }

    /** The longest idle wait between looks at the board (default 5 s; boards wake it early). */
    public Builder idleWait(Duration d) {
      this.idleWait = positive(d, "idleWait");
      return this;
    }

    /** The pause after a storage failure before claiming again (default 1 s). */
    public Builder errorBackoff(Duration d) {
      this.errorBackoff = positive(d, "errorBackoff");
      return this;
    }

    /**
     * Adjusts each job's engine (parallel, task runner, storage options...); the flow, flow detail,
     * connection and store are set by the conductor.
     */
    public Builder engineOptions(UnaryOperator<Engines.Builder> options) {
      this.engineOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Told of every claim and settlement. */
    public Builder listener(ConductorListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /**
     * Prunes the store periodically: finished flows last updated more than {@code keep} ago are
     * deleted, with the logbooks that leaves empty, unless a job on this conductor's board refers
     * to them (see {@link io.taskflow4j.retention.Pruner}); then the jobs trashed more than {@code
     * keep} ago are removed from the board's trash ({@link
     * io.taskflow4j.jobs.Jobboard#purgeTrash}). Off by default.
     */
    public Builder retention(Duration keep) {
      this.retention = positive(keep, "retention");
      return this;
    }

    /**
     * How often the retention prunes (default a quarter of the retention, at least a minute and at
     * most an hour).
     */
    public Builder pruneEvery(Duration every) {
      this.pruneEvery = positive(every, "pruneEvery");
      return this;
    }

    /** Makes the conductor (not started). */
    public Conductor build() {
      if (factories == null) {
        factories = FlowFactories.installed();
      }
      return new Conductor(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
