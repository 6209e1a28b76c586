package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The transactions of a {@link ZkConnection}: a write is planned from fresh reads ({@link Planner})
 * and committed as one multi-operation; a failed version check on the caller's revision is a
 * conflict, other failures caused by concurrent writers a {@link Race} (planned again), and after a
 * lost reply the next attempt first checks whether the transaction landed ({@link #landed}) before
 * committing again. Deletions too large for one transaction go in chunks.
 */
final class ZkTransactions {
  /** Re-reads and re-plans of one call when another writer raced it (not a conflict). */
  static final int MAX_RACES = 50;

  /**
   * After losing race {@code race} (another writer changed a znode between the reads and the
   * commit), waits a random moment, longer with each loss (up to 20 ms), before planning again: a
   * writer that plans again at once loses again and again to the same faster writers, and a burst
   * of writers on one flow detail could then exhaust {@link #MAX_RACES} in a few milliseconds.
   */
  static void stepAside(int race) throws InterruptedException {
    int most = Math.min(race, 20);
    if (most > 0) {
      Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(most + 1));
    }
  }

  /** Bytes a transaction adds to a request besides the paths and values (headers, ACLs). */
  static final int REQUEST_OVERHEAD = 1024;

  /** Bytes one operation adds besides its path and value (header, version, ACL, flags). */
  static final int OP_OVERHEAD = 128;

  private final ZkConnection conn;
  private final ZkBackend backend;
  private final ZkSettings settings;
  private final ZkFence fence;

  ZkTransactions(ZkConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.settings = conn.settings;
    this.fence = conn.fence;
  }

  /** Deletes every child of {@code dir} and their children (the links). */
  void deleteChildren(ZooKeeper zk, String dir) throws KeeperException, InterruptedException, Race {
    Read list = ZkReads.children(dir);
    ZkReads.run(zk, List.of(list), conn.readTimeoutMs());
    if (!list.found() || list.children.isEmpty()) {
      return;
    }
    List<Read> grand = new ArrayList<>();
    for (String c : list.children) {
      grand.add(ZkReads.children(dir + "/" + c));
    }
    ZkReads.run(zk, grand, conn.readTimeoutMs());
    List<Planned> plan = new ArrayList<>();
    for (Read g : grand) {
      if (!g.found()) {
        continue;
      }
      for (String link : g.children) {
        plan.add(Planned.delete(g.path + "/" + link));
      }
      plan.add(Planned.delete(g.path));
    }
    commitInChunks(zk, plan);
  }

  /** Commits deletions in transactions that each fit the size limit. */
  void commitInChunks(ZooKeeper zk, List<Planned> plan)
      throws KeeperException, InterruptedException, Race {
    long budget = settings.maxValueBytes() - REQUEST_OVERHEAD;
    List<Op> chunk = new ArrayList<>();
    long size = 0;
    for (Planned p : plan) {
      long s = p.size();
      if (!chunk.isEmpty() && (size + s > budget || chunk.size() >= 5_000)) {
        multiOrRace(zk, chunk);
        chunk = new ArrayList<>();
        size = 0;
      }
      chunk.add(p.op());
      size += s;
    }
    if (!chunk.isEmpty()) {
      multiOrRace(zk, chunk);
    }
  }

  private void multiOrRace(ZooKeeper zk, List<Op> chunk)
      throws KeeperException, InterruptedException, Race {
    List<Op> ops = chunk;
    if (fence != null) {
      ops = new ArrayList<>(chunk.size() + 1);
      ops.add(fence.check(zk, "a deletion"));
      ops.addAll(chunk);
    }
    try {
      backend.hook().beforeWrite("a deletion");
      ZkBackend.multi(zk, ops);
      backend.hook().afterWrite("a deletion");
    } catch (KeeperException e) {
      if (e.getResults() == null) {
        throw e;
      }
      int i = firstError(e.getResults());
      if (fence != null && i == 0) {
        throw fence.refused(zk, "a deletion");
      }
      Code code = i < 0 ? e.code() : errorCode(e.getResults().get(i));
      if (code == Code.NONODE || code == Code.NOTEMPTY || code == Code.NODEEXISTS) {
        throw new Race();
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ planned writes

  /** Another writer changed what this call read; re-read and plan again. */
  static final class Race extends Exception {
    private static final long serialVersionUID = 1L;

    Race() {
      super(null, null, false, false);
    }
  }

  private enum OpKind {
    CREATE,
    SET,
    DELETE,
    CHECK
  }

  /**
   * One operation of a transaction. {@code callerRevision} is the revision the caller's value was
   * based on (a failed version check is then a conflict); 0 when the expected version comes from
   * this call's own read (a failed check is then a race, and the call is planned again).
   */
  record Planned(
      OpKind kind,
      String path,
      byte[] data,
      int expectedVersion,
      String label,
      long callerRevision,
      List<org.apache.zookeeper.data.ACL> acl) {

    static Planned create(String path, byte[] data, List<org.apache.zookeeper.data.ACL> acl) {
      return new Planned(OpKind.CREATE, path, data, -1, null, 0, acl);
    }

    static Planned set(String path, byte[] data, int expected, String label, long callerRev) {
      return new Planned(OpKind.SET, path, data, expected, label, callerRev, null);
    }

    static Planned delete(String path) {
      return new Planned(OpKind.DELETE, path, null, -1, null, 0, null);
    }

    /**
     * A delete expecting data version {@code expected} ({@code -1}: any); {@code callerRev} as for
     * {@link #set}.
     */
    static Planned delete(String path, int expected, String label, long callerRev) {
      return new Planned(OpKind.DELETE, path, null, expected, label, callerRev, null);
    }

    /** A check that the znode is at data version {@code expected}, changing nothing. */
    static Planned check(String path, int expected, String label, long callerRev) {
      return new Planned(OpKind.CHECK, path, null, expected, label, callerRev, null);
    }

    Op op() {
      return switch (kind) {
        case CREATE -> Op.create(path, data, acl, CreateMode.PERSISTENT);
        case SET -> Op.setData(path, data, expectedVersion);
        case DELETE -> Op.delete(path, expectedVersion);
        case CHECK -> Op.check(path, expectedVersion);
      };
    }

    long size() {
      return (long) path.length() * 3 + (data == null ? 0 : data.length) + OP_OVERHEAD;
    }
  }

  /** The outcome of a committed transaction: each written path's new data version. */
  record Committed(Map<String, Integer> versions) {
    int revision(String path) {
      Integer v = versions.get(path);
      if (v == null) {
        throw new IllegalStateException("no version recorded for " + path);
      }
      return v + 1;
    }
  }

  /**
   * Commits a plan as one transaction. A failed version check on a value based on the caller's
   * revision is a {@link ConflictException}; other failures caused by concurrent writers are a
   * {@link Race}. A lost reply is rethrown (the retry loop runs the call again, which first checks
   * with {@link #landed} whether it was applied).
   */
  Committed commit(ZooKeeper zk, List<Planned> plan)
      throws KeeperException, InterruptedException, Race {
    List<Op> ops = new ArrayList<>(plan.size() + 1);
    int offset = 0;
    if (fence != null) {
      ops.add(fence.check(zk, "a logbook write"));
      offset = 1;
    }
    for (Planned p : plan) {
      ops.add(p.op());
    }
    List<OpResult> results;
    try {
      backend.hook().beforeWrite("a logbook write");
      results = ZkBackend.multi(zk, ops);
      backend.hook().afterWrite("a logbook write");
    } catch (KeeperException e) {
      if (e.getResults() == null) {
        // No reply: it may or may not have been applied (see conn.writer.write()).
        throw e;
      }
      int i = firstError(e.getResults());
      if (i < 0) {
        throw e;
      }
      if (i < offset) {
        throw fence.refused(zk, "a logbook write");
      }
      Planned failed = plan.get(i - offset);
      Code code = errorCode(e.getResults().get(i));
      if (code == Code.BADVERSION && failed.callerRevision() > 0) {
        Stat now = zk.exists(failed.path(), false);
        if (now == null) {
          throw new Race();
        }
        throw WriteRules.conflict(failed.label(), failed.callerRevision(), now.getVersion() + 1L);
      }
      if (code == Code.BADVERSION
          || code == Code.NODEEXISTS
          || code == Code.NONODE
          || code == Code.NOTEMPTY) {
        throw new Race();
      }
      throw KeeperException.create(code, failed.path());
    }
    Map<String, Integer> versions = new HashMap<>();
    for (int i = offset; i < results.size(); i++) {
      OpResult r = results.get(i);
      if (r instanceof OpResult.SetDataResult sd) {
        versions.put(plan.get(i - offset).path(), sd.getStat().getVersion());
      } else if (r instanceof OpResult.CreateResult) {
        versions.put(plan.get(i - offset).path(), 0);
      }
    }
    return new Committed(versions);
  }

  /**
   * Whether every operation of {@code plan} is already reflected in the store (a transaction
   * applied whose reply was lost); returns its outcome, or {@code null} when it was not applied.
   */
  Committed landed(ZooKeeper zk, List<Planned> plan) throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (Planned p : plan) {
      reads.add(
          p.kind() == OpKind.DELETE || p.kind() == OpKind.CHECK
              ? ZkReads.exists(p.path())
              : ZkReads.data(p.path()));
    }
    Read fenceNode = fence == null ? null : ZkReads.exists(fence.path());
    if (fenceNode != null) {
      reads.add(fenceNode);
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    if (fenceNode != null
        && (!fenceNode.found() || fenceNode.stat.getVersion() != fence.version())) {
      return null; // the fence moved: committing again is refused, as it must be
    }
    // A znode checked and then deleted by the same transaction (a job completed with its flow's
    // final state) is gone once it landed.
    java.util.Set<String> deleted = new java.util.HashSet<>();
    for (Planned p : plan) {
      if (p.kind() == OpKind.DELETE) {
        deleted.add(p.path());
      }
    }
    Map<String, Integer> versions = new HashMap<>();
    for (int i = 0; i < plan.size(); i++) {
      Planned p = plan.get(i);
      Read r = reads.get(i);
      switch (p.kind()) {
        case DELETE -> {
          if (r.found()) {
            return null;
          }
        }
        case CHECK -> {
          if (deleted.contains(p.path())
              ? r.found()
              : !r.found() || r.stat.getVersion() != p.expectedVersion()) {
            return null;
          }
        }
        case CREATE, SET -> {
          if (!r.found() || !Arrays.equals(r.data, p.data())) {
            return null;
          }
          if (p.kind() == OpKind.SET
              && p.expectedVersion() >= 0
              && r.stat.getVersion() != p.expectedVersion() + 1) {
            return null;
          }
          versions.put(p.path(), r.stat.getVersion());
        }
      }
    }
    return new Committed(versions);
  }

  static boolean isConnectionProblem(Code code) {
    return code == Code.CONNECTIONLOSS
        || code == Code.SESSIONEXPIRED
        || code == Code.OPERATIONTIMEOUT
        || code == Code.SESSIONMOVED;
  }

  static int firstError(List<OpResult> results) {
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) instanceof OpResult.ErrorResult er) {
        int err = er.getErr();
        if (err != Code.OK.intValue() && err != Code.RUNTIMEINCONSISTENCY.intValue()) {
          return i;
        }
      }
    }
    return -1;
  }

  static Code errorCode(OpResult r) {
    return r instanceof OpResult.ErrorResult er ? Code.get(er.getErr()) : Code.OK;
  }

  /** Plans a transaction from fresh reads; {@link ZkWriter#write} commits it. */
  @FunctionalInterface
  interface Planner<T> {
    /** Reads what is needed and returns the plan, or throws a typed error. */
    Plan<T> plan(ZooKeeper zk) throws KeeperException, InterruptedException;
  }

  /** A transaction to commit and how to turn its outcome into the call's result. */
  record Plan<T>(List<Planned> ops, java.util.function.Function<Committed, T> result) {}

  <T> T writeAttempts(String what, Planner<T> planner) {
    // per call: the retry loop may run this lambda several times
    Object[] lastPlan = new Object[1];
    return backend.run(
        what,
        (zk, attempt) -> {
          @SuppressWarnings("unchecked")
          Plan<T> previous = (Plan<T>) lastPlan[0];
          if (previous != null) {
            Committed c = landed(zk, previous.ops());
            if (c != null) {
              return previous.result().apply(c);
            }
          }
          for (int race = 0; ; race++) {
            Plan<T> plan = planner.plan(zk);
            if (plan.ops().isEmpty()) {
              conn.checkFenceOnly(zk, what);
              return plan.result().apply(new Committed(Map.of()));
            }
            try {
              lastPlan[0] = null;
              Committed c;
              try {
                c = commit(zk, plan.ops());
              } catch (KeeperException e) {
                if (e.getResults() == null && isConnectionProblem(e.code())) {
                  lastPlan[0] = plan;
                }
                throw e;
              }
              return plan.result().apply(c);
            } catch (Race r) {
              if (race >= MAX_RACES) {
                throw new StorageException(
                    what + " failed: other writers kept changing the same znodes; try again");
              }
              stepAside(race);
            }
          }
        });
  }
}
