package io.taskflow4j.jobs;

import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.NotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A board in this JVM's memory, for tests and single-process use. {@link #peer()} opens another
 * board on the same jobs, with its own claims and renewals, as a second process would: closing a
 * board without releasing its claims lets them lapse after the lease time, as a crash would.
 *
 * <p>Open one like every board, with {@code Jobboards.open("memory://?lease=10")} (a new, empty
 * board each time). This class stays public for tests that need what a connection string cannot
 * carry: a clock they move themselves ({@link #MemoryJobboard(Duration, Clock)}) and explicit
 * peers.
 */
public final class MemoryJobboard extends AbstractJobboard {
  private final Shared shared;

  /** A new, empty board with the default lease time. */
  public MemoryJobboard() {
    this(Jobboards.DEFAULT_LEASE, Clock.systemUTC());
  }

  /** A new, empty board. */
  public MemoryJobboard(Duration leaseTime, Clock clock) {
    this(new Shared(), leaseTime, clock);
  }

  private MemoryJobboard(Shared shared, Duration leaseTime, Clock clock) {
    super(leaseTime, clock);
    this.shared = shared;
    synchronized (shared) {
      shared.boards.add(this);
    }
  }

  /** Another board on the same jobs (same lease time and clock). */
  public MemoryJobboard peer() {
    return peer(leaseTime());
  }

  /** Another board on the same jobs, whose claims last {@code leaseTime}. */
  public MemoryJobboard peer(Duration leaseTime) {
    return new MemoryJobboard(shared, leaseTime, clock());
  }

  private static final class Rec {
    Job job; // state/owner/token fields kept current
    Instant leaseUntil;
  }

  private static final class Shared {
    final Map<String, Rec> jobs = new LinkedHashMap<>();
    final List<Job> trash = new ArrayList<>();
    final Map<String, Instant> trashedOn = new HashMap<>();
    final Map<String, String> trashReasons = new HashMap<>();
    final Map<String, ConductorInfo> conductors = new LinkedHashMap<>();
    final List<MemoryJobboard> boards = new ArrayList<>();
    long sequence;
  }

  @Override
  public String describe() {
    return "memory jobboard";
  }

  /**
   * Tells the open boards on these jobs of an event; {@code includeSelf} is false for claims and
   * settlements, whose event this board already emits through {@link AbstractJobboard}.
   */
  private void broadcast(JobEvent.Kind kind, String job, String owner, boolean includeSelf) {
    List<MemoryJobboard> all;
    synchronized (shared) {
      all = List.copyOf(shared.boards);
    }
    for (MemoryJobboard b : all) {
      if ((includeSelf || b != this) && !b.isClosed()) {
        b.emit(kind, job, owner);
      }
    }
  }

  @Override
  public Job post(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    Job job;
    synchronized (shared) {
      if (spec.idempotencyKey() != null) {
        for (Rec r : shared.jobs.values()) {
          if (spec.idempotencyKey().equals(r.job.idempotencyKey())) {
            return view(r);
          }
        }
      }
      Rec r = new Rec();
      r.job =
          new Job(
              UUID.randomUUID().toString(),
              spec.name(),
              spec.book(),
              spec.details(),
              spec.priority(),
              ++shared.sequence,
              clock().instant(),
              JobState.UNCLAIMED,
              null,
              0,
              0,
              spec.idempotencyKey());
      shared.jobs.put(r.job.uuid(), r);
      job = r.job;
    }
    broadcast(JobEvent.Kind.POSTED, job.uuid(), null, true);
    return job;
  }

  /**
   * The job as listed now: a lapsed lease shows as UNCLAIMED, a held one with its expiry. Holds the
   * shared lock.
   */
  private Job view(Rec r) {
    if (r.job.state() != JobState.CLAIMED) {
      return r.job;
    }
    if (!clock().instant().isBefore(r.leaseUntil)) {
      return with(r.job, JobState.UNCLAIMED, null, r.job.token(), r.job.failures());
    }
    return r.job.withLeaseUntil(r.leaseUntil);
  }

  private static Job with(Job j, JobState state, String owner, long token, int failures) {
    return new Job(
        j.uuid(),
        j.name(),
        j.book(),
        j.details(),
        j.priority(),
        j.sequence(),
        j.createdOn(),
        state,
        owner,
        token,
        failures,
        j.idempotencyKey());
  }

  @Override
  public Optional<Claim> claim(String jobUuid, OwnerId owner) {
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    Job claimed;
    Instant until;
    synchronized (shared) {
      Rec r = shared.jobs.get(jobUuid);
      if (r == null) {
        throw new NotFoundException("Job '" + jobUuid + "' is not on the board");
      }
      if (view(r).state() != JobState.UNCLAIMED) {
        return Optional.empty();
      }
      until = clock().instant().plus(leaseTime());
      r.job = with(r.job, JobState.CLAIMED, owner.id(), r.job.token() + 1, r.job.failures());
      r.leaseUntil = until;
      claimed = r.job;
    }
    Claim c = newClaim(claimed, owner, claimed.token(), until);
    broadcast(JobEvent.Kind.CLAIMED, claimed.uuid(), owner.id(), false);
    return Optional.of(c);
  }

  @Override
  public Optional<Claim> claimNext(OwnerId owner) {
    while (true) {
      Optional<Job> next = unclaimedJobs().stream().findFirst();
      if (next.isEmpty()) {
        return Optional.empty();
      }
      try {
        Optional<Claim> c = claim(next.get().uuid(), owner);
        if (c.isPresent()) {
          return c;
        }
      } catch (NotFoundException gone) {
        // completed meanwhile; look again
      }
    }
  }

  @Override
  public List<Job> jobs() {
    synchronized (shared) {
      List<Job> out = new ArrayList<>(shared.jobs.size());
      for (Rec r : shared.jobs.values()) {
        out.add(view(r));
      }
      out.sort(Job::compareForClaiming);
      return out;
    }
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    synchronized (shared) {
      Rec r = shared.jobs.get(jobUuid);
      return r == null ? Optional.empty() : Optional.of(view(r));
    }
  }

  @Override
  public List<Job> trashedJobs() {
    synchronized (shared) {
      List<Job> out = new ArrayList<>(shared.trash);
      out.sort(Comparator.comparingLong(Job::sequence));
      return out;
    }
  }

  @Override
  public List<TrashedJob> trashEntries() {
    synchronized (shared) {
      List<TrashedJob> out = new ArrayList<>();
      for (Job j : trashedJobs()) {
        out.add(
            new TrashedJob(j, shared.trashedOn.get(j.uuid()), shared.trashReasons.get(j.uuid())));
      }
      return out;
    }
  }

  @Override
  public long purgeTrash(Instant trashedBefore) {
    Objects.requireNonNull(trashedBefore, "trashedBefore");
    ensureOpen();
    synchronized (shared) {
      int before = shared.trash.size();
      shared.trash.removeIf(
          j -> {
            boolean old = shared.trashedOn.get(j.uuid()).isBefore(trashedBefore);
            if (old) {
              shared.trashedOn.remove(j.uuid());
              shared.trashReasons.remove(j.uuid());
            }
            return old;
          });
      return before - shared.trash.size();
    }
  }

  /** The record if {@code claim} still holds it (shared lock held), else FencedException. */
  private Rec held(Claim claim, String action) {
    Rec r = shared.jobs.get(claim.job().uuid());
    if (r == null
        || r.job.token() != claim.token()
        || !claim.owner().id().equals(r.job.owner())
        || r.job.state() != JobState.CLAIMED
        || !clock().instant().isBefore(r.leaseUntil)) {
      throw claimNotHeld(claim, action, "its lease lapsed, or a peer claimed the job");
    }
    return r;
  }

  @Override
  protected Instant renewLease(Claim claim) {
    synchronized (shared) {
      Rec r = held(claim, "renew");
      r.leaseUntil = clock().instant().plus(leaseTime());
      return r.leaseUntil;
    }
  }

  @Override
  protected void completeJob(Claim claim) {
    synchronized (shared) {
      held(claim, "complete");
      shared.jobs.remove(claim.job().uuid());
    }
    broadcast(JobEvent.Kind.COMPLETED, claim.job().uuid(), claim.owner().id(), false);
  }

  @Override
  protected void releaseJob(Claim claim, String failure) {
    synchronized (shared) {
      Rec r = held(claim, "release");
      int failures = r.job.failures() + (failure == null ? 0 : 1);
      r.job = with(r.job, JobState.UNCLAIMED, null, r.job.token(), failures);
      r.leaseUntil = null;
    }
    broadcast(JobEvent.Kind.RELEASED, claim.job().uuid(), claim.owner().id(), false);
  }

  @Override
  protected void trashJob(Claim claim, String reason) {
    synchronized (shared) {
      Rec r = held(claim, "trash");
      shared.jobs.remove(claim.job().uuid());
      shared.trash.add(with(r.job, JobState.TRASHED, null, r.job.token(), r.job.failures()));
      shared.trashedOn.put(r.job.uuid(), clock().instant());
      shared.trashReasons.put(r.job.uuid(), reason);
    }
    broadcast(JobEvent.Kind.TRASHED, claim.job().uuid(), claim.owner().id(), false);
  }

  @Override
  protected boolean hasClaimableWork() {
    return !unclaimedJobs().isEmpty();
  }

  @Override
  protected Duration pollInterval() {
    // lapsed leases send no signal: look again a few times per lease
    return leaseTime().dividedBy(4);
  }

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    ConductorInfo info =
        new ConductorInfo(
            conductor.id(),
            conductor.name(),
            OwnerId.hostName(),
            OwnerId.pid(),
            clock().instant(),
            meta == null ? Map.of() : new HashMap<>(meta));
    synchronized (shared) {
      shared.conductors.put(conductor.id(), info);
    }
    return () -> {
      synchronized (shared) {
        shared.conductors.remove(conductor.id());
      }
    };
  }

  @Override
  public List<ConductorInfo> conductors() {
    synchronized (shared) {
      return List.copyOf(shared.conductors.values());
    }
  }

  @Override
  public void close() {
    synchronized (shared) {
      shared.boards.remove(this);
    }
    super.close();
  }
}
