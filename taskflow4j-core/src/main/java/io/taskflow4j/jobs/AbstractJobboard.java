package io.taskflow4j.jobs;

import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.TaskFlowException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every board shares: the claims it holds and their renewal, lost-claim detection, event
 * delivery and idle waiting. A board implements the store operations; this class calls them.
 *
 * <p>Renewal: every {@code leaseTime / 3} the keeper thread renews each held claim. A renewal that
 * finds the claim gone or re-claimed ({@link FencedException}) loses it at once; one that fails for
 * another reason (the store is unreachable) is retried on the next round, and the claim is given up
 * as lost once its lease has run out, so an owner cut off from the store stops on its own about
 * when a peer may take over.
 */
public abstract class AbstractJobboard implements Jobboard {
  private static final Logger LOG = LoggerFactory.getLogger(AbstractJobboard.class);
  private static final AtomicInteger BOARDS = new AtomicInteger();

  private final Duration leaseTime;
  private final Clock clock;
  private final ScheduledExecutorService keeper;
  private final ExecutorService events;
  private final List<Consumer<JobEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Set<HeldClaim> held = ConcurrentHashMap.newKeySet();
  private final Object workSignal = new Object();
  private long workSignals; // guarded by workSignal
  private volatile boolean closed;

  /**
   * @param leaseTime how long a claim lasts without renewal; at least 100 ms
   * @param clock the local clock (for self-fencing only; leases are judged by the store)
   */
  protected AbstractJobboard(Duration leaseTime, Clock clock) {
    Objects.requireNonNull(leaseTime, "leaseTime");
    if (leaseTime.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("lease time must be at least 100 ms, not " + leaseTime);
    }
    this.leaseTime = leaseTime;
    this.clock = Objects.requireNonNull(clock, "clock");
    int n = BOARDS.incrementAndGet();
    this.keeper =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("taskflow4j-board-" + n + "-keeper"));
    this.events =
        Executors.newSingleThreadExecutor(DaemonThreads.named("taskflow4j-board-" + n + "-events"));
    long every = Math.max(30, leaseTime.toMillis() / 3);
    keeper.scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.MILLISECONDS);
  }

  // ---- what a board implements -------------------------------------------------------------

  /**
   * Extends a claim's lease in the store.
   *
   * @return the new end of the lease
   * @throws FencedException when the claim is no longer this owner's with this token
   * @throws TaskFlowException when the store cannot be reached (retried on the next round)
   */
  protected abstract Instant renewLease(Claim claim);

  /** Removes the claimed job; {@link FencedException} when the claim is no longer held. */
  protected abstract void completeJob(Claim claim);

  /**
   * Unclaims the job; {@code failure} non-null also counts a permanent failure. {@link
   * FencedException} when the claim is no longer held.
   */
  protected abstract void releaseJob(Claim claim, String failure);

  /** Moves the job to the trash; {@link FencedException} when the claim is no longer held. */
  protected abstract void trashJob(Claim claim, String reason);

  /**
   * For boards without notifications: whether a claimable job exists now (a cheap, indexed query).
   * The default says no, for boards that signal all work with {@link #signalWork()}.
   */
  protected boolean hasClaimableWork() {
    return false;
  }

  /** How often {@link #awaitWork} polls {@link #hasClaimableWork()}; {@code null} for never. */
  protected Duration pollInterval() {
    return null;
  }

  // ---- what a board calls -----------------------------------------------------------------

  /** The local clock. */
  protected final Clock clock() {
    return clock;
  }

  /** Records a claim just taken in the store; it is renewed from now on. */
  protected final Claim newClaim(Job job, OwnerId owner, long token, Instant expiresAt) {
    ensureOpen();
    HeldClaim c = new HeldClaim(job, owner, token, expiresAt);
    held.add(c);
    emit(JobEvent.Kind.CLAIMED, job.uuid(), owner.id());
    return c;
  }

  /**
   * Completes claims of this board together, for a board whose store removes many jobs in one
   * transaction ({@link #completeAll}): checks that each is this board's and still held here, hands
   * the held ones to {@code store}, then ends them as {@link Claim#complete()} would, or as lost
   * when the store refused them.
   *
   * @param store removes the jobs of the claims it is given, all or nothing: it returns the claims
   *     whose jobs the store no longer held for them (each checked on its own, the others removed),
   *     or throws and removes none
   * @return the claims not completed, with why, in the order given
   */
  protected final Map<Claim, FencedException> completeTogether(
      Collection<? extends Claim> claims,
      Function<List<Claim>, Map<Claim, FencedException>> store) {
    Objects.requireNonNull(claims, "claims");
    List<HeldClaim> mine = new ArrayList<>(claims.size());
    for (Claim c : claims) {
      mine.add(mine(c));
    }
    Map<Claim, FencedException> refused = new LinkedHashMap<>();
    List<Claim> live = new ArrayList<>(mine.size());
    for (HeldClaim c : mine) {
      FencedException ended = c.endedError("complete");
      if (ended != null) {
        refused.put(c, ended);
      } else {
        live.add(c);
      }
    }
    if (live.isEmpty()) {
      return refused;
    }
    Map<Claim, FencedException> stale = store.apply(live);
    for (Claim c : live) {
      HeldClaim h = (HeldClaim) c;
      FencedException e = stale.get(c);
      if (e != null) {
        h.lose(e.getMessage());
        refused.put(c, e);
      } else {
        h.ended("completed", JobEvent.Kind.COMPLETED);
      }
    }
    if (refused.isEmpty()) {
      return refused;
    }
    Map<Claim, FencedException> inOrder = new LinkedHashMap<>();
    for (Claim c : mine) {
      FencedException e = refused.get(c);
      if (e != null) {
        inOrder.put(c, e);
      }
    }
    return inOrder;
  }

  /**
   * Records that the store completed {@code claim}'s job in a write of its own ({@link
   * Jobboard#fencedCompleting}): the claim ends as {@link Claim#complete()} ends it, even when this
   * board had given it up as lost meanwhile (the store, which checked its lease and token, has the
   * last word).
   *
   * @throws IllegalArgumentException when the claim is not one of this board's
   */
  protected final void claimCompletedInStore(Claim claim) {
    mine(claim).ended("completed", JobEvent.Kind.COMPLETED);
  }

  /**
   * Records that the store found {@code claim}'s job no longer held for it when a write of its own
   * tried to complete it ({@link Jobboard#fencedCompleting}): the claim is lost, with {@code
   * reason}.
   *
   * @throws IllegalArgumentException when the claim is not one of this board's
   */
  protected final void claimRefusedInStore(Claim claim, String reason) {
    mine(claim).lose(reason);
  }

  /**
   * Checks the arguments of {@link Jobboard#fencedCompleting}: none is null, and the claim is one
   * of this board's.
   *
   * @throws IllegalArgumentException when the claim is not one of this board's
   */
  protected final void checkCompleting(
      Claim claim, io.taskflow4j.persistence.Connection conn, String flowUuid) {
    java.util.Objects.requireNonNull(claim, "claim");
    java.util.Objects.requireNonNull(conn, "conn");
    java.util.Objects.requireNonNull(flowUuid, "flowUuid");
    mine(claim);
  }

  /**
   * What a store's write that carried {@code claim}'s completion with its flow's final state
   * ({@link Jobboard#fencedCompleting}) tells, once stored, whether it deleted the job: the claim
   * is then completed ({@link #claimCompletedInStore}), or lost with {@code notHeld}'s message (the
   * flow's state was stored all the same; {@link #claimRefusedInStore}).
   */
  protected final java.util.function.Consumer<Boolean> completionStored(
      Claim claim, java.util.function.Supplier<? extends RuntimeException> notHeld) {
    return deleted -> {
      if (deleted) {
        claimCompletedInStore(claim);
      } else {
        claimRefusedInStore(
            claim, notHeld.get().getMessage() + "; its flow's final state was stored");
      }
    };
  }

  private HeldClaim mine(Claim claim) {
    if (!(claim instanceof HeldClaim h) || h.board() != this) {
      throw new IllegalArgumentException(claim + " is not a claim of " + describe());
    }
    return h;
  }

  /** Marks a held claim lost (e.g. a watch saw its lock vanish); no-op if not held. */
  protected final void claimLost(String jobUuid, String reason) {
    for (HeldClaim c : held) {
      if (c.job.uuid().equals(jobUuid)) {
        c.lose(reason);
      }
    }
  }

  /** Marks every held claim lost (e.g. the store session expired). */
  protected final void allClaimsLost(String reason) {
    for (HeldClaim c : held) {
      c.lose(reason);
    }
  }

  /** The claims this board holds now. */
  protected final List<Claim> heldClaims() {
    return List.copyOf(held);
  }

  /**
   * The error for an operation on a claim the store no longer holds for its owner and token.
   *
   * @param why what the store shows instead, e.g. {@code "its lease lapsed, or a peer claimed the
   *     job"}
   */
  protected static FencedException claimNotHeld(Claim claim, String action, String why) {
    return new FencedException(
        "Cannot "
            + action
            + " job '"
            + claim.job().uuid()
            + "': the claim with token "
            + claim.token()
            + " is no longer held ("
            + why
            + ")");
  }

  /** Delivers an event to the listeners, on the event thread; signals work for posts/releases. */
  protected final void emit(JobEvent.Kind kind, String jobUuid, String owner) {
    if (kind == JobEvent.Kind.POSTED || kind == JobEvent.Kind.RELEASED) {
      signalWork();
    }
    if (listeners.isEmpty() || closed) {
      return;
    }
    JobEvent e = new JobEvent(kind, jobUuid, owner, clock.instant());
    try {
      events.execute(
          () -> {
            for (Consumer<JobEvent> l : listeners) {
              try {
                l.accept(e);
              } catch (RuntimeException ex) {
                LOG.warn("A jobboard listener failed on {}", e, ex);
              }
            }
          });
    } catch (RejectedExecutionException ignored) {
      // closing
    }
  }

  /** Wakes {@link #awaitWork} callers: a job may be free to claim. */
  protected final void signalWork() {
    synchronized (workSignal) {
      workSignals++;
      workSignal.notifyAll();
    }
  }

  /** Throws when the board is closed. */
  protected final void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The jobboard " + describe() + " is closed");
    }
  }

  /** Whether {@link #close()} was called. */
  protected final boolean isClosed() {
    return closed;
  }

  // ---- Jobboard ---------------------------------------------------------------------------

  @Override
  public final Duration leaseTime() {
    return leaseTime;
  }

  @Override
  public Subscription subscribe(Consumer<JobEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public boolean awaitWork(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Duration poll = pollInterval();
    synchronized (workSignal) {
      long seen = workSignals;
      while (true) {
        if (workSignals != seen) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          return false;
        }
        long waitNanos = poll == null ? left : Math.min(left, poll.toNanos());
        TimeUnit.NANOSECONDS.timedWait(workSignal, waitNanos);
        if (workSignals != seen) {
          return true;
        }
        if (poll != null && !closed) {
          boolean work;
          try {
            work = hasClaimableWork();
          } catch (TaskFlowException e) {
            LOG.debug("Polling {} for work failed: {}", describe(), e.getMessage());
            work = false;
          }
          if (work) {
            return true;
          }
        }
      }
    }
  }

  /**
   * Stops the keeper and the event thread. Held claims are not released in the store (they lapse
   * there, as a dead process's would) but count as lost here: their {@link Claim#lost()} completes
   * and using them throws {@link FencedException}.
   */
  @Override
  public void close() {
    allClaimsLost("the board was closed");
    closed = true;
    keeper.shutdownNow();
    events.shutdown();
    signalWork();
  }

  private void renewAll() {
    for (HeldClaim c : held) {
      if (closed) {
        return;
      }
      if (!c.isHeld()) {
        held.remove(c);
        continue;
      }
      try {
        c.expiresAt = renewLease(c);
      } catch (FencedException e) {
        c.lose("the claim was taken over or removed: " + e.getMessage());
      } catch (RuntimeException e) {
        if (!clock.instant().isBefore(c.expiresAt)) {
          c.lose("the lease could not be renewed before it ran out: " + e.getMessage());
        } else {
          LOG.warn(
              "Could not renew the claim on job {} (lease ends {}): {}",
              c.job.uuid(),
              c.expiresAt,
              e.getMessage());
        }
      }
    }
  }

  /** A claim held through this board. */
  private final class HeldClaim implements Claim {
    private final Job job;
    private final OwnerId owner;
    private final long token;
    private volatile Instant expiresAt;
    private final CompletableFuture<String> lost = new CompletableFuture<>();
    private volatile String ended; // why the claim is no longer held, or null

    HeldClaim(Job job, OwnerId owner, long token, Instant expiresAt) {
      this.job = job;
      this.owner = owner;
      this.token = token;
      this.expiresAt = expiresAt;
    }

    @Override
    public Job job() {
      return job;
    }

    @Override
    public OwnerId owner() {
      return owner;
    }

    @Override
    public long token() {
      return token;
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public boolean isHeld() {
      return ended == null;
    }

    @Override
    public boolean isCompleted() {
      return "completed".equals(ended);
    }

    @Override
    public CompletionStage<String> lost() {
      return lost.minimalCompletionStage();
    }

    void lose(String reason) {
      synchronized (this) {
        if (ended != null) {
          return;
        }
        ended = "lost: " + reason;
      }
      held.remove(this);
      LOG.warn("Lost the claim on job {} ({}): {}", job.uuid(), job.name(), reason);
      emit(JobEvent.Kind.LOST, job.uuid(), owner.id());
      lost.complete(reason);
    }

    AbstractJobboard board() {
      return AbstractJobboard.this;
    }

    /** The error for {@code action} on this claim when it has ended, else {@code null}. */
    synchronized FencedException endedError(String action) {
      return ended == null
          ? null
          : new FencedException(
              "Cannot " + action + " job '" + job.uuid() + "': the claim is " + ended);
    }

    private void checkHeld(String action) {
      FencedException e = endedError(action);
      if (e != null) {
        throw e;
      }
    }

    /** Ends the claim after the store did {@code done} to its job. */
    void ended(String done, JobEvent.Kind kind) {
      synchronized (this) {
        if (done.equals(ended)) {
          return; // told twice
        }
        ended = done;
      }
      held.remove(this);
      emit(kind, job.uuid(), owner.id());
    }

    private void finish(String how, String done, JobEvent.Kind kind, Runnable op) {
      checkHeld(how);
      try {
        op.run();
      } catch (FencedException e) {
        lose(e.getMessage());
        throw e;
      }
      ended(done, kind);
    }

    @Override
    public void complete() {
      finish("complete", "completed", JobEvent.Kind.COMPLETED, () -> completeJob(this));
    }

    @Override
    public void release() {
      finish("release", "released", JobEvent.Kind.RELEASED, () -> releaseJob(this, null));
    }

    @Override
    public void releaseAfterFailure(String reason) {
      Objects.requireNonNull(reason, "reason");
      finish("release", "released", JobEvent.Kind.RELEASED, () -> releaseJob(this, reason));
    }

    @Override
    public void trash(String reason) {
      Objects.requireNonNull(reason, "reason");
      finish("trash", "trashed", JobEvent.Kind.TRASHED, () -> trashJob(this, reason));
    }

    @Override
    public void close() {
      if (isHeld()) {
        try {
          release();
        } catch (TaskFlowException e) {
          LOG.warn("Could not release job {}: {}", job.uuid(), e.getMessage());
        }
      }
    }

    @Override
    public String toString() {
      return "Claim[" + job.uuid() + " by " + owner + ", token " + token + "]";
    }
  }
}
