package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkPostings.FAILURES;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.LOCK_POSTFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.jobName;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.parse;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.toJob;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.zookeeper.ZkPostings.Entry;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The transactions on a {@link ZkJobboard}'s locks: taking a claim ({@code setData} of the job at
 * its version with the creation of its lock, so the token is the job's new version) and ending one
 * (a check of the job's version against the token with the deletion of the lock). Each recovers
 * from a lost reply by looking whether its transaction landed.
 */
final class ZkClaims {
  private final ZkBackend zk;
  private final ZkJobReads reads;

  /** Job znode names whose claim this board is ending: their lock's deletion is not a loss. */
  private final Set<String> ending = ConcurrentHashMap.newKeySet();

  ZkClaims(ZkBackend zk, ZkJobReads reads) {
    this.zk = zk;
    this.reads = reads;
  }

  /**
   * Whether this board deleted the lock of job znode {@code name} by ending its claim (and so the
   * deletion is no loss); asks once per ending.
   */
  boolean endedHere(String name) {
    return ending.remove(name);
  }

  /** The outcome of operation {@code index} of a failed transaction. */
  static Code errorAt(KeeperException e, int index) {
    List<OpResult> results = e.getResults();
    if (results == null || index >= results.size()) {
      return e.code();
    }
    return results.get(index) instanceof OpResult.ErrorResult er ? Code.get(er.getErr()) : Code.OK;
  }

  /** The index of the operation that failed a transaction, or -1. */
  private static int failedAt(KeeperException e) {
    List<OpResult> results = e.getResults();
    if (results == null) {
      return -1;
    }
    for (int i = 0; i < results.size(); i++) {
      Code c = errorAt(e, i);
      if (c != Code.OK && c != Code.RUNTIMEINCONSISTENCY) {
        return i;
      }
    }
    return -1;
  }

  /**
   * What a claim transaction came to: the job claimed, locked by someone else, changed since it was
   * read, or gone.
   */
  enum Outcome {
    CLAIMED,
    TAKEN,
    STALE,
    GONE
  }

  record Attempt(Outcome outcome, Job job) {}

  /** One claim transaction on a listed job. */
  Attempt tryClaim(ZooKeeper h, Entry e, OwnerId owner, boolean[] sent)
      throws KeeperException, InterruptedException {
    String jp = reads.jobsPath + "/" + e.name();
    String lp = jp + LOCK_POSTFIX;
    int v = e.stat().getVersion();
    if (sent[0]) {
      // a lost reply: the claim may have been applied
      Read lock = ZkReads.data(lp);
      ZkReads.run(h, List.of(lock), reads.readTimeoutMs());
      Map<?, ?> ld = lock.found() ? parse(lock.data) : null;
      // the entry may have been read before the claim (version v) or after it (version v + 1)
      if (ld != null
          && owner.id().equals(ld.get("owner"))
          && ld.get("token") instanceof Number n
          && (n.longValue() == v || n.longValue() == v + 1L)) {
        return claimed(e, owner, n.longValue());
      }
    }
    Map<String, Object> lockData = new LinkedHashMap<>();
    lockData.put("owner", owner.id());
    lockData.put("token", v + 1L);
    try {
      sent[0] = true;
      ZkBackend.multi(
          h,
          List.of(
              Op.setData(jp, e.data(), v),
              Op.create(lp, Json.writeBytes(lockData), zk.acl(), CreateMode.EPHEMERAL)));
      sent[0] = false;
    } catch (KeeperException x) {
      if (x.getResults() == null) {
        throw x;
      }
      sent[0] = false;
      int i = failedAt(x);
      Code code = i < 0 ? x.code() : errorAt(x, i);
      if (i == 0 && code == Code.NONODE) {
        return new Attempt(Outcome.GONE, null);
      }
      if (i == 0 && code == Code.BADVERSION) {
        return new Attempt(Outcome.STALE, null);
      }
      if (i == 1 && code == Code.NODEEXISTS) {
        return new Attempt(Outcome.TAKEN, null);
      }
      throw KeeperException.create(code, i == 1 ? lp : jp);
    }
    return claimed(e, owner, v + 1L);
  }

  private Attempt claimed(Entry e, OwnerId owner, long token) {
    Stat s = new Stat();
    s.setVersion((int) token);
    s.setCtime(e.stat().getCtime());
    Map<String, Object> lock = Map.of("owner", owner.id(), "token", token);
    return new Attempt(
        Outcome.CLAIMED, toJob(new Entry(e.name(), s, e.data(), e.posting(), lock), null));
  }

  /** Throws FencedException unless the claim's lock is there, this owner's, with its token. */
  void checkLock(ZooKeeper h, Claim claim, String action)
      throws KeeperException, InterruptedException {
    byte[] data = null;
    try {
      data = h.getData(reads.lockPath(claim.job()), false, null);
    } catch (KeeperException.NoNodeException e) {
      // lost
    }
    if (!holds(claim, data)) {
      throw ZkJobboard.notHeld(claim, action);
    }
  }

  /** Whether lock znode data {@code lockData} ({@code null}: no lock) is {@code claim}'s. */
  static boolean holds(Claim claim, byte[] lockData) {
    Map<?, ?> ld = lockData == null ? null : parse(lockData);
    return ld != null
        && claim.owner().id().equals(ld.get("owner"))
        && ld.get("token") instanceof Number n
        && n.longValue() == claim.token();
  }

  /**
   * Notes that a transaction about to be sent ends the claim on job znode {@code name} (so the
   * deletion of its lock is no loss), or, {@code ending} false, that it no longer will.
   */
  void ending(String name, boolean ending) {
    if (ending) {
      this.ending.add(name);
    } else {
      this.ending.remove(name);
    }
  }

  /**
   * Ends a claim with one transaction: a check of the job's version against the token, then {@code
   * ops} (which delete the lock). The lock is read first: a TaskFlow peer claims without changing
   * the version, so the owner is checked too.
   */
  private void endClaim(Claim claim, String action, List<Op> ops) {
    String name = jobName(claim.job());
    ending.add(name);
    boolean done = false;
    try {
      boolean[] sent = new boolean[1];
      zk.run(
          action + " job '" + claim.job().uuid() + "'",
          (h, attempt) -> {
            if (sent[0]) {
              // a lost reply: applied if the lock is gone while the job moved on as planned
              if (h.exists(reads.lockPath(claim.job()), false) == null) {
                return null;
              }
            }
            checkLock(h, claim, action);
            List<Op> all = new ArrayList<>(ops.size() + 1);
            all.add(Op.check(reads.jobPath(claim.job()), (int) claim.token()));
            all.addAll(ops);
            try {
              sent[0] = true;
              ZkBackend.multi(h, all);
              sent[0] = false;
            } catch (KeeperException x) {
              if (x.getResults() == null) {
                throw x;
              }
              sent[0] = false;
              int i = failedAt(x);
              Code code = i < 0 ? x.code() : errorAt(x, i);
              if (code == Code.BADVERSION || code == Code.NONODE) {
                throw ZkJobboard.notHeld(claim, action);
              }
              throw x;
            }
            return null;
          });
      done = true;
    } finally {
      if (!done) {
        ending.remove(name);
      }
    }
  }

  private void keyDeletion(ZooKeeper h, Job job, List<Op> ops)
      throws KeeperException, InterruptedException {
    if (job.idempotencyKey() == null) {
      return;
    }
    String kp = reads.keyPath(job.idempotencyKey());
    Stat s = h.exists(kp, false);
    if (s != null && keyNames(job, h.getData(kp, false, null))) {
      ops.add(Op.delete(kp, -1));
    }
  }

  /**
   * Whether idempotency key znode data {@code keyData} names {@code job}: only then does ending the
   * job delete the key (another job may hold it since).
   */
  static boolean keyNames(Job job, byte[] keyData) {
    return keyData != null && job.uuid().equals(new String(keyData, StandardCharsets.UTF_8));
  }

  /** Completes a job: its lock, znode and idempotency key go. */
  void complete(Claim claim) {
    List<Op> ops = new ArrayList<>();
    ops.add(Op.delete(reads.lockPath(claim.job()), -1));
    ops.add(Op.delete(reads.jobPath(claim.job()), -1));
    addKeyDeletion(claim, ops);
    endClaim(claim, "complete", ops);
  }

  private void addKeyDeletion(Claim claim, List<Op> ops) {
    zk.run(
        "reading the idempotency key of job '" + claim.job().uuid() + "'",
        (h, a) -> {
          keyDeletion(h, claim.job(), ops);
          return null;
        });
  }

  /** Gives a job back, counting a failure ({@code failure} not null) in its posting. */
  void release(Claim claim, String failure) {
    List<Op> ops = new ArrayList<>();
    if (failure != null) {
      Entry e =
          zk.run(
                  "reading job '" + claim.job().uuid() + "'",
                  (h, a) -> reads.find(h, claim.job().uuid()))
              .orElseThrow(() -> ZkJobboard.notHeld(claim, "release"));
      Map<String, Object> posting = new LinkedHashMap<>();
      e.posting().forEach((k, v) -> posting.put(String.valueOf(k), v));
      int failures = posting.get(FAILURES) instanceof Number n ? n.intValue() : 0;
      posting.put(FAILURES, failures + 1);
      posting.put("last_failure", failure);
      // bumps the version: fine, the claim ends with it
      ops.add(
          Op.setData(reads.jobPath(claim.job()), Json.writeBytes(posting), (int) claim.token()));
    }
    ops.add(Op.delete(reads.lockPath(claim.job()), -1));
    endClaim(claim, "release", ops);
  }

  /** Moves a job's posting, with the reason, to the trash. */
  void trash(Claim claim, String reason) {
    Entry e =
        zk.run(
                "reading job '" + claim.job().uuid() + "'",
                (h, a) -> reads.find(h, claim.job().uuid()))
            .orElseThrow(() -> ZkJobboard.notHeld(claim, "trash"));
    Map<String, Object> posting = new LinkedHashMap<>();
    e.posting().forEach((k, v) -> posting.put(String.valueOf(k), v));
    posting.put("trash_reason", reason);
    List<Op> ops = new ArrayList<>();
    ops.add(
        Op.create(
            reads.trashPath + "/" + jobName(claim.job()),
            Json.writeBytes(posting),
            zk.acl(),
            CreateMode.PERSISTENT));
    ops.add(Op.delete(reads.lockPath(claim.job()), -1));
    ops.add(Op.delete(reads.jobPath(claim.job()), -1));
    addKeyDeletion(claim, ops);
    endClaim(claim, "trash", ops);
  }
}
