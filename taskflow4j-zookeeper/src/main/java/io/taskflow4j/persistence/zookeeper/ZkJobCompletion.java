package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.persistence.spi.JobCompletionWork;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Planned;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The ZooKeeper board's completion of a claimed job, done by the fenced connection that runs the
 * job's flow in the multi-operation that writes the flow's final state ({@link
 * io.taskflow4j.jobs.Jobboard#fencedCompleting}): when the claim still holds the job (its lock is
 * there with the claim's owner and token, and the job znode is at the token's version), the same
 * transaction checks the job's version and deletes its lock, its znode and its idempotency key, as
 * {@link Claim#complete()} does on its own. Otherwise the flow's state is written alone and the
 * claim is lost. Told once: after the job was deleted, a later write of the flow carries nothing
 * more.
 *
 * <p>Only a connection to the board's own ensemble with the board's credentials does it ({@link
 * #doneBy}); another store writes the flow alone, and the board completes the job on its own.
 */
final class ZkJobCompletion extends JobCompletionWork {
  private final ZkBackend board;
  private final ZkJobReads reads;
  private final ZkClaims claims;
  private final Claim claim;

  /**
   * @param board the board's backend: the completion is done only on its ensemble
   * @param onStored told whether the job was deleted, once a write that could carry it is stored
   */
  ZkJobCompletion(
      ZkBackend board,
      ZkJobReads reads,
      ZkClaims claims,
      Claim claim,
      String flowUuid,
      Consumer<Boolean> onStored) {
    super(claim.job().uuid(), flowUuid, onStored);
    this.board = board;
    this.reads = reads;
    this.claims = claims;
    this.claim = claim;
  }

  /** Whether a connection of {@code store} can do it: the board's znodes, with its rights. */
  boolean doneBy(ZkBackend store) {
    return store.settings().sameEnsembleAs(board.settings());
  }

  /** The reads one plan of the completion needs, sent with the flow write's own. */
  final class Reads {
    private final Read lock = ZkReads.data(reads.lockPath(claim.job()));
    private final Read job = ZkReads.exists(reads.jobPath(claim.job()));
    private final Read key =
        claim.job().idempotencyKey() == null
            ? null
            : ZkReads.data(reads.keyPath(claim.job().idempotencyKey()));

    /** Every read, to run. */
    List<Read> all() {
      return key == null ? List.of(lock, job) : List.of(lock, job, key);
    }

    /**
     * The operations that complete the job, once these reads ran: none when the claim no longer
     * holds it. The job's version is checked in the transaction, so a claim taken since fails the
     * commit, and the write is planned again from fresh reads (without them).
     */
    List<Planned> plan() {
      if (!job.found()
          || job.stat.getVersion() != claim.token()
          || !ZkClaims.holds(claim, lock.data)) {
        return List.of();
      }
      String jobPath = reads.jobPath(claim.job());
      List<Planned> ops = new ArrayList<>(4);
      ops.add(Planned.check(jobPath, (int) claim.token(), null, 0));
      ops.add(Planned.delete(lock.path));
      ops.add(Planned.delete(jobPath));
      if (key != null && key.found() && ZkClaims.keyNames(claim.job(), key.data)) {
        ops.add(Planned.delete(key.path));
      }
      return ops;
    }
  }

  /** New reads for one plan. */
  Reads reads() {
    return new Reads();
  }

  /**
   * Tells the board whether the transaction about to be sent ends the claim (so the deletion of its
   * lock, seen by the board's watch, is no loss), or no longer will.
   */
  void sending(boolean completes) {
    claims.ending(ZkPostings.jobName(claim.job()), completes);
  }
}
