package io.taskflow4j.jobs;

import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.TaskFlowException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A board of jobs that conductors claim and run: TaskFlow's jobboard, with leases and fencing
 * tokens. Open one with {@link Jobboards#open}; it is thread-safe.
 *
 * <p>Jobs are handed out highest priority first, oldest first within a priority. A claim is a
 * lease: the board renews every claim it holds in the background; when it cannot (the process died
 * or paused, the store is unreachable past the lease time) the claim lapses and a peer may take the
 * job, with a higher token. {@link #close()} stops the renewals without releasing anything: held
 * claims lapse as if the process had died (a conductor releases its jobs before it closes its
 * board).
 */
public interface Jobboard extends AutoCloseable {

  /** What this board is, for people (no passwords). */
  String describe();

  /** How long a claim lasts without renewal. */
  Duration leaseTime();

  /**
   * Posts a job. With an idempotency key that a job on the board already carries, returns that job
   * instead.
   */
  Job post(JobSpec spec);

  /**
   * Claims one job.
   *
   * @return the claim, or empty when the job is claimed by someone else
   * @throws io.taskflow4j.persistence.NotFoundException when the job is not on the board
   */
  Optional<Claim> claim(String jobUuid, OwnerId owner);

  /**
   * Claims the first unclaimed job in claiming order (highest priority, then oldest), skipping jobs
   * that others are claiming at the same moment.
   *
   * @return the claim, or empty when no job is free
   */
  Optional<Claim> claimNext(OwnerId owner);

  /**
   * Claims up to {@code max} unclaimed jobs at once: the ones {@code max} calls of {@link
   * #claimNext(OwnerId)} would claim, in claiming order, each with a token of its own. A board
   * whose store allows it claims them together (the SQL board in one statement and one transaction,
   * fences included); the default calls {@link #claimNext(OwnerId)} until it has {@code max} or
   * finds no more. Should the store fail after some claims were taken, those are returned (the
   * failure shows again at the next call).
   *
   * @return the claims in claiming order; fewer than {@code max}, or none, when fewer jobs are free
   * @throws IllegalArgumentException when {@code max} is less than 1
   */
  default List<Claim> claimNext(OwnerId owner, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    List<Claim> out = new ArrayList<>(Math.min(max, 64));
    while (out.size() < max) {
      Optional<Claim> next;
      try {
        next = claimNext(owner);
      } catch (TaskFlowException e) {
        if (out.isEmpty()) {
          throw e;
        }
        return out;
      }
      if (next.isEmpty()) {
        break;
      }
      out.add(next.get());
    }
    return out;
  }

  /**
   * Completes many claims of this board together, as {@link Claim#complete()} does each: a board
   * whose store allows it removes them in one transaction (the SQL board), the default one after
   * the other. Each claim is checked on its own: one no longer held (its lease lapsed, a peer took
   * its job) is refused and counts as lost, without failing the others.
   *
   * @return the claims that were not completed, each with the reason; empty when all were
   * @throws TaskFlowException when the store fails; the claims it did not complete are still held
   *     ({@link Claim#isHeld()}) and may be completed again
   * @throws IllegalArgumentException when a claim is not one of this board's
   */
  default Map<Claim, FencedException> completeAll(Collection<? extends Claim> claims) {
    Map<Claim, FencedException> refused = new LinkedHashMap<>();
    for (Claim c : claims) {
      try {
        c.complete();
      } catch (FencedException e) {
        refused.put(c, e);
      }
    }
    return refused;
  }

  /**
   * Whether this board raises each claim's fence in {@code backend}'s store within the claim's own
   * transaction: then the store holds the claim's token (or a higher one, once a peer claimed the
   * job since) before {@link #claimNext(OwnerId)} returns, and whoever runs the job need not
   * register the fence there ({@link io.taskflow4j.persistence.Connection#advanceFence}). True only
   * where the board's tables and the backend's are one database; the default is false.
   */
  default boolean raisesFencesIn(io.taskflow4j.persistence.Backend backend) {
    return false;
  }

  /**
   * The connection to run a claimed job's flow {@code flowUuid} through: {@linkplain
   * io.taskflow4j.persistence.Connection#fenced fenced} by the claim, and, where the board and the
   * store allow it, completing the job in the same transaction as the write that stores that flow's
   * final state ({@code SUCCESS}, {@code REVERTED} or {@code FAILURE}), so that a finished job
   * costs no write of its own and no crash can leave a finished flow with its job still on the
   * board.
   *
   * <p>The SQL board does so for a connection to its own database ({@link #raisesFencesIn}): once
   * such a write is stored, the claim is completed ({@link Claim#isCompleted()}, a {@code
   * COMPLETED} event), or, when the store no longer held the job for the claim (its lease lapsed),
   * the flow's state is stored all the same and the claim is lost. A write refused by the fence
   * stores neither. The ZooKeeper board does the same for a ZooKeeper store on its ensemble (with
   * its credentials): the multi-operation that writes the final state also checks the job's version
   * and deletes its lock, znode and idempotency key. Other boards, and other stores, return {@code
   * conn.fenced(claim.fence())}: the job is then completed on its own ({@link Claim#complete()}).
   *
   * @param claim a claim of this board, held
   * @param conn a connection to the store that holds the job's logbook
   * @param flowUuid the job's flow detail
   * @throws IllegalArgumentException when the claim is not one of this board's
   * @throws io.taskflow4j.persistence.StorageException when the store cannot fence
   */
  default io.taskflow4j.persistence.Connection fencedCompleting(
      Claim claim, io.taskflow4j.persistence.Connection conn, String flowUuid) {
    java.util.Objects.requireNonNull(flowUuid, "flowUuid");
    return conn.fenced(claim.fence());
  }

  /** Every job on the board (claimed or not), in claiming order. */
  List<Job> jobs();

  /**
   * The first {@code limit} jobs of {@link #jobs()}, in claiming order: what a page shows of a
   * board with a backlog. The SQL board reads only those rows; this default lists every job and
   * keeps the first.
   *
   * @throws IllegalArgumentException when {@code limit} is below 1
   */
  default List<Job> jobs(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    List<Job> all = jobs();
    return all.size() <= limit ? all : List.copyOf(all.subList(0, limit));
  }

  /**
   * How many jobs are in each state: {@code UNCLAIMED} and {@code CLAIMED} on the board, {@code
   * TRASHED} in its trash (a completed job has left the board, so {@code COMPLETE} is not counted).
   * Every one of those three states is a key, with 0 when none. The SQL board counts in the
   * database; this default lists the jobs and the trash.
   */
  default Map<io.taskflow4j.persistence.JobState, Long> countJobs() {
    Map<io.taskflow4j.persistence.JobState, Long> counts = new LinkedHashMap<>();
    counts.put(io.taskflow4j.persistence.JobState.UNCLAIMED, 0L);
    counts.put(io.taskflow4j.persistence.JobState.CLAIMED, 0L);
    for (Job j : jobs()) {
      counts.merge(j.state(), 1L, Long::sum);
    }
    counts.put(io.taskflow4j.persistence.JobState.TRASHED, (long) trashedJobs().size());
    return counts;
  }

  /** The jobs nobody holds, in claiming order. */
  default List<Job> unclaimedJobs() {
    return jobs().stream()
        .filter(j -> j.state() == io.taskflow4j.persistence.JobState.UNCLAIMED)
        .toList();
  }

  /** One job, if it is on the board. */
  Optional<Job> job(String jobUuid);

  /**
   * The job on the board that carries this idempotency key, if any: what a {@link #post} with the
   * key would return instead of posting. The SQL board finds it by the key, in one indexed read
   * however many jobs wait; this default looks through {@link #jobs()}.
   */
  default Optional<Job> jobWithIdempotencyKey(String key) {
    java.util.Objects.requireNonNull(key, "key");
    for (Job j : jobs()) {
      if (key.equals(j.idempotencyKey())) {
        return Optional.of(j);
      }
    }
    return Optional.empty();
  }

  /**
   * The trashed jobs, oldest first, each in state {@link
   * io.taskflow4j.persistence.JobState#TRASHED}.
   */
  List<Job> trashedJobs();

  /**
   * The trashed jobs, oldest first, with when and why each was trashed: {@link #trashedJobs} with
   * the board's record of the trashing. This default (a board of another library) knows neither.
   */
  default List<TrashedJob> trashEntries() {
    List<TrashedJob> out = new ArrayList<>();
    for (Job j : trashedJobs()) {
      out.add(new TrashedJob(j, null, null));
    }
    return out;
  }

  /**
   * Empties the trash of the jobs trashed before {@code trashedBefore}, and returns how many it
   * removed. A trashed job is never claimed again and is kept only for people to look at, so a
   * board in use for months needs this, as its logbooks need {@link
   * io.taskflow4j.retention.Pruner}: a conductor with a retention calls it on each prune, with the
   * same cut-off. Only the trash changes: jobs on the board stay, and so do the logbooks the
   * removed jobs named (a {@code Pruner} deletes their flows once finished and old enough, as no
   * job refers to them any more; an unfinished one stays until deleted).
   *
   * <p>When a job was trashed is the board's own record of it: the time the SQL board stored with
   * it (this JVM's clock when it was trashed), the creation time of the ZooKeeper trash znode (the
   * ensemble's clock), the time the directory board wrote into the trash file (the modification
   * time of a file an earlier version wrote, or whose time cannot be read). Peers may empty one
   * trash at once: a job another removed first is not counted.
   *
   * @throws UnsupportedOperationException when this board cannot (this default: a board of another
   *     library that does not implement it)
   */
  default long purgeTrash(java.time.Instant trashedBefore) {
    throw new UnsupportedOperationException(
        describe() + " cannot empty its trash: it does not implement Jobboard.purgeTrash");
  }

  /**
   * Calls {@code listener} for every event this board learns of: always for what is done through
   * it, and for what peers do as far as the store can tell (watches, notifications). Listeners run
   * on one board thread, in order; they must not block.
   */
  Subscription subscribe(Consumer<JobEvent> listener);

  /**
   * Waits until a job may be free to claim (one was posted or released, a lease may have lapsed) or
   * {@code timeout} passes. Cheap while idle: it waits on watches or notifications where the store
   * has them, else on an indexed poll.
   *
   * @return {@code true} when woken by a sign of work, {@code false} on timeout
   */
  boolean awaitWork(Duration timeout) throws InterruptedException;

  /**
   * Registers a conductor on the board until the returned registration is closed (or the process
   * dies).
   */
  Subscription register(OwnerId conductor, Map<String, Object> meta);

  /** The registered conductors that are alive. */
  List<ConductorInfo> conductors();

  /** Stops renewing claims and releases the board's resources; claims are not released. */
  @Override
  void close();

  /** Something to close when no longer wanted. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }
}
