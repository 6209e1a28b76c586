package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.CorruptRecordException.Kind;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LimitExceededException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The ZooKeeper backend's {@link Connection}: TaskFlow's znode layout, one multi-operation
 * transaction per write, revisions checked against znode versions.
 *
 * <p><b>Layout</b> (TaskFlow's {@code impl_zookeeper}): under the root path, {@code books/<uuid>}
 * holds the logbook's dict (times marshalled), {@code flow_details/<uuid>} the flow detail's dict
 * and {@code atom_details/<uuid>} the atom's {@code {"atom": ..., "type": ...}} envelope, all UTF-8
 * JSON. A book has one child znode per flow detail ({@code books/<book>/<flow>}) and a flow detail
 * one per atom ({@code flow_details/<flow>/<atom>}): the links. TaskFlow writes links empty; this
 * backend writes the link's position within the transaction that created it (ASCII digits), which
 * TaskFlow ignores. Children are ordered by the link's creation transaction (its {@code czxid}),
 * then that position: insertion order.
 *
 * <p><b>Revisions.</b> The revision of a flow or atom detail is its znode's data version plus one
 * (a new znode, version 0, is revision 1). A write of revision {@code r > 0} is a {@code setData}
 * expecting version {@code r - 1} inside the transaction, so a stale write fails as a whole with a
 * {@link ConflictException}; revision 0 writes whatever version is stored.
 *
 * <p><b>Fencing.</b> A {@link #fenced(Fence) fenced view} puts {@code check(fence znode, version)}
 * first in every write transaction (see {@link ZkFence}); a failure of that operation is a {@link
 * FencedException}, told apart from the conflicts and races of the other operations.
 *
 * <p><b>Retries.</b> A write whose reply was lost with the connection may have been applied; the
 * next attempt first checks whether every znode of the transaction already holds exactly what was
 * sent at the expected version, and if so reports success instead of a false conflict. These are
 * the only retries and the only lost-reply recovery of a write ({@link #retriesTransientErrors()}):
 * {@code Storage} makes each write once.
 */
final class ZkConnection implements Connection {
  private static final byte[] EMPTY = new byte[0];

  /** Re-reads and re-plans of one call when another writer raced it (not a conflict). */
  private static final int MAX_RACES = 50;

  /** Bytes a transaction adds to a request besides the paths and values (headers, ACLs). */
  private static final int REQUEST_OVERHEAD = 1024;

  /** Bytes one operation adds besides its path and value (header, version, ACL, flags). */
  private static final int OP_OVERHEAD = 128;

  private final ZkBackend backend;
  private final ZkSettings settings;
  private final String root;
  private final String booksDir;
  private final String flowsDir;
  private final String atomsDir;
  private final ZkFence fence;
  private volatile boolean closed;

  ZkConnection(ZkBackend backend) {
    this(backend, null);
  }

  private ZkConnection(ZkBackend backend, ZkFence fence) {
    this.backend = backend;
    this.fence = fence;
    this.settings = backend.settings();
    this.root = settings.path();
    this.booksDir = root + "/books";
    this.flowsDir = root + "/flow_details";
    this.atomsDir = root + "/atom_details";
  }

  @Override
  public Backend backend() {
    return backend;
  }

  private void ensureOpen() {
    backend.ensureOpen();
    if (closed) {
      throw new StorageException("this connection is closed; get a new one from the backend");
    }
  }

  private long readTimeoutMs() {
    return 2L * settings.sessionTimeoutMs() + settings.connectionTimeoutMs();
  }

  private String bookPath(String uuid) {
    return booksDir + "/" + uuid;
  }

  private String flowPath(String uuid) {
    return flowsDir + "/" + uuid;
  }

  private String atomPath(String uuid) {
    return atomsDir + "/" + uuid;
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public void upgrade() {
    ensureOpen();
    backend.run(
        "preparing the store at " + root,
        (zk, attempt) -> {
          List<String> paths = new ArrayList<>();
          int slash = root.indexOf('/', 1);
          while (slash > 0) {
            paths.add(root.substring(0, slash));
            slash = root.indexOf('/', slash + 1);
          }
          paths.add(root);
          paths.add(booksDir);
          paths.add(flowsDir);
          paths.add(atomsDir);
          for (String p : paths) {
            if (zk.exists(p, false) != null) {
              continue;
            }
            try {
              zk.create(p, EMPTY, backend.acl(), CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
              // made by another client meanwhile
            }
          }
          return null;
        });
  }

  /**
   * Checks the server version, that the store's znodes exist and that they can be read. TaskFlow's
   * layout is this backend's (fences and the jobboard make their znodes when first used), so a
   * store TaskFlow wrote passes as it is. One missing some but not all of {@code books}, {@code
   * flow_details} and {@code atom_details} (deleted by hand or by a tool) reads as it is: {@link
   * UpgradeRequiredException}, since upgrade() adds them back.
   */
  @Override
  public void validate() {
    ensureOpen();
    if (settings.checkCompatible()) {
      ZkServerVersion.check(settings);
    }
    backend.run(
        "validating the store at " + root,
        (zk, attempt) -> {
          // A multi-operation proves the server supports transactions (ZooKeeper 3.4+).
          try {
            ZkBackend.multi(
                zk,
                List.of(
                    Op.check(root, -1),
                    Op.check(booksDir, -1),
                    Op.check(flowsDir, -1),
                    Op.check(atomsDir, -1)));
          } catch (KeeperException.NoNodeException e) {
            throw notPrepared(zk, e);
          } catch (KeeperException e) {
            if (e.getResults() != null && firstError(e.getResults()) >= 0) {
              Code code = errorCode(e.getResults().get(firstError(e.getResults())));
              if (code == Code.NONODE) {
                throw notPrepared(zk, e);
              }
            }
            throw e;
          }
          // Reading proves the credentials are right for this store.
          zk.getChildren(booksDir, false);
          return null;
        });
  }

  /**
   * Why the store is not usable as it is: some of its directory znodes are missing, which upgrade()
   * adds (an {@link UpgradeRequiredException} when the others exist, the store being readable).
   */
  private StorageException notPrepared(ZooKeeper zk, KeeperException cause)
      throws KeeperException, InterruptedException {
    List<String> missing = new ArrayList<>();
    for (String dir : List.of(booksDir, flowsDir, atomsDir)) {
      if (zk.exists(dir, false) == null) {
        missing.add(dir);
      }
    }
    if (zk.exists(root, false) != null && !missing.isEmpty() && missing.size() < 3) {
      return new UpgradeRequiredException(
          "the store at "
              + settings.describe()
              + " lacks the znode"
              + (missing.size() == 1 ? " " : "s ")
              + String.join(" and ", missing)
              + "; it is read as it is, and upgrade() adopts it by adding what is missing",
          cause);
    }
    return new StorageException(
        "the store at "
            + settings.describe()
            + " is not prepared (a znode of books, flow_details and atom_details is"
            + " missing); call upgrade() first",
        cause);
  }

  @Override
  public void clearAll() {
    ensureOpen();
    guarded(
        "clearing all logbooks",
        () ->
            backend.run(
                "clearing all logbooks at " + root,
                (zk, attempt) -> {
                  checkFenceOnly(zk, "clearing all logbooks");
                  clearAllAttempt(zk);
                  return null;
                }));
  }

  private void clearAllAttempt(ZooKeeper zk) throws KeeperException, InterruptedException {
    for (int race = 0; ; race++) {
      try {
        // Books first: what remains visible stays consistent while this runs.
        for (String dir : List.of(booksDir, flowsDir, atomsDir)) {
          deleteChildren(zk, dir);
        }
        return;
      } catch (Race r) {
        if (race >= MAX_RACES) {
          throw new StorageException("the store kept changing while it was being cleared");
        }
      }
    }
  }

  /** Deletes every child of {@code dir} and their children (the links). */
  private void deleteChildren(ZooKeeper zk, String dir)
      throws KeeperException, InterruptedException, Race {
    Read list = ZkReads.children(dir);
    ZkReads.run(zk, List.of(list), readTimeoutMs());
    if (!list.found() || list.children.isEmpty()) {
      return;
    }
    List<Read> grand = new ArrayList<>();
    for (String c : list.children) {
      grand.add(ZkReads.children(dir + "/" + c));
    }
    ZkReads.run(zk, grand, readTimeoutMs());
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
  private void commitInChunks(ZooKeeper zk, List<Planned> plan)
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

  // ------------------------------------------------------------------ encoding

  /** A flow or atom detail's encoded value. */
  private record Encoded(String uuid, String label, byte[] data) {}

  /** Whether a uuid can name a znode: one path segment. */
  private static boolean isSegment(String uuid) {
    return !uuid.isEmpty()
        && !uuid.contains("/")
        && !uuid.equals(".")
        && !uuid.equals("..")
        && uuid.chars().noneMatch(ch -> ch < 0x20 || (ch >= 0x7f && ch <= 0x9f));
  }

  /** A uuid names a znode: it must be one path segment. */
  private static void checkUuid(String uuid, String what) {
    if (!isSegment(uuid)) {
      throw new IllegalArgumentException(
          "the uuid of a "
              + what
              + " names a znode and must be one path segment, not '"
              + uuid
              + "'");
    }
  }

  private Encoded encodeAtom(AtomDetail ad) {
    checkUuid(ad.uuid(), "atom detail");
    String label = "atom detail '" + ad.name() + "' (" + ad.uuid() + ")";
    byte[] data = Json.writeBytes(TaskFlowFormat.atomToEnvelope(ad));
    checkValueSize(label, atomPath(ad.uuid()), data);
    return new Encoded(ad.uuid(), label, data);
  }

  private Encoded encodeFlow(FlowDetail fd) {
    checkUuid(fd.uuid(), "flow detail");
    String label = "flow detail '" + fd.name() + "' (" + fd.uuid() + ")";
    byte[] data = Json.writeBytes(TaskFlowFormat.flowDetailToMap(fd));
    checkValueSize(label, flowPath(fd.uuid()), data);
    return new Encoded(fd.uuid(), label, data);
  }

  private byte[] encodeBook(LogBook book, Instant createdAt) {
    checkUuid(book.uuid(), "logbook");
    LogBook b =
        LogBook.of(book.uuid(), book.name(), createdAt, book.updatedAt(), book.meta(), List.of());
    byte[] data = Json.writeBytes(TaskFlowFormat.logBookToMap(b, true));
    checkValueSize(
        "logbook '" + book.name() + "' (" + book.uuid() + ")", bookPath(book.uuid()), data);
    return data;
  }

  /** Refuses a value the servers would refuse, before anything is sent. */
  private void checkValueSize(String label, String path, byte[] data) {
    long size = (long) data.length + path.length() + OP_OVERHEAD + REQUEST_OVERHEAD;
    if (size > settings.maxValueBytes()) {
      throw new ZkValueTooLargeException(
          "the "
              + label
              + " is "
              + data.length
              + " bytes as JSON, over ZooKeeper's limit of "
              + settings.maxValueBytes()
              + " bytes per request (max_value_bytes, which must match the servers'"
              + " jute.maxbuffer); nothing was written. Store large values elsewhere, or raise"
              + " jute.maxbuffer on the servers and max_value_bytes here",
          data.length,
          settings.maxValueBytes());
    }
  }

  private void checkTransactionSize(String label, List<Planned> plan) {
    long size = REQUEST_OVERHEAD;
    for (Planned p : plan) {
      size += p.size();
    }
    if (size > settings.maxValueBytes()) {
      throw new ZkValueTooLargeException(
          "saving "
              + label
              + " needs one ZooKeeper transaction of about "
              + size
              + " bytes, over the limit of "
              + settings.maxValueBytes()
              + " bytes per request (max_value_bytes, which must match the servers'"
              + " jute.maxbuffer); nothing was written. Save fewer or smaller flow and atom"
              + " details per call, or raise jute.maxbuffer on the servers and max_value_bytes"
              + " here",
          size,
          settings.maxValueBytes());
    }
  }

  private static byte[] linkData(int position) {
    return Integer.toString(position).getBytes(StandardCharsets.US_ASCII);
  }

  // ------------------------------------------------------------------ planned writes

  /** Another writer changed what this call read; re-read and plan again. */
  private static final class Race extends Exception {
    private static final long serialVersionUID = 1L;

    Race() {
      super(null, null, false, false);
    }
  }

  private enum OpKind {
    CREATE,
    SET,
    DELETE
  }

  /**
   * One operation of a transaction. {@code callerRevision} is the revision the caller's value was
   * based on (a failed version check is then a conflict); 0 when the expected version comes from
   * this call's own read (a failed check is then a race, and the call is planned again).
   */
  private record Planned(
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

    Op op() {
      return switch (kind) {
        case CREATE -> Op.create(path, data, acl, CreateMode.PERSISTENT);
        case SET -> Op.setData(path, data, expectedVersion);
        case DELETE -> Op.delete(path, -1);
      };
    }

    long size() {
      return (long) path.length() * 3 + (data == null ? 0 : data.length) + OP_OVERHEAD;
    }
  }

  /** The outcome of a committed transaction: each written path's new data version. */
  private record Committed(Map<String, Integer> versions) {
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
  private Committed commit(ZooKeeper zk, List<Planned> plan)
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
        // No reply: it may or may not have been applied (see write()).
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
  private Committed landed(ZooKeeper zk, List<Planned> plan)
      throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (Planned p : plan) {
      reads.add(p.kind() == OpKind.DELETE ? ZkReads.exists(p.path()) : ZkReads.data(p.path()));
    }
    Read fenceNode = fence == null ? null : ZkReads.exists(fence.path());
    if (fenceNode != null) {
      reads.add(fenceNode);
    }
    ZkReads.run(zk, reads, readTimeoutMs());
    if (fenceNode != null
        && (!fenceNode.found() || fenceNode.stat.getVersion() != fence.version())) {
      return null; // the fence moved: committing again is refused, as it must be
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

  private static boolean isConnectionProblem(Code code) {
    return code == Code.CONNECTIONLOSS
        || code == Code.SESSIONEXPIRED
        || code == Code.OPERATIONTIMEOUT
        || code == Code.SESSIONMOVED;
  }

  private static int firstError(List<OpResult> results) {
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

  private static Code errorCode(OpResult r) {
    return r instanceof OpResult.ErrorResult er ? Code.get(er.getErr()) : Code.OK;
  }

  /** Plans a transaction from fresh reads; {@link #write} commits it. */
  @FunctionalInterface
  private interface Planner<T> {
    /** Reads what is needed and returns the plan, or throws a typed error. */
    Plan<T> plan(ZooKeeper zk) throws KeeperException, InterruptedException;
  }

  /** A transaction to commit and how to turn its outcome into the call's result. */
  private record Plan<T>(List<Planned> ops, java.util.function.Function<Committed, T> result) {}

  /**
   * True: {@link ZkBackend#run} retries a lost connection, an expired session or a timeout until
   * its budget is spent, and a write whose reply was lost is checked ({@link #landed}) before it is
   * made again. A fenced view is a connection of this class and answers the same.
   */
  @Override
  public boolean retriesTransientErrors() {
    return true;
  }

  /**
   * Runs a write: plan from fresh reads, commit as one transaction; on a race plan again; after a
   * lost reply, first check whether the transaction was applied.
   */
  private <T> T write(String what, Planner<T> planner) {
    ensureOpen();
    return guarded(what, () -> writeAttempts(what, planner));
  }

  private <T> T writeAttempts(String what, Planner<T> planner) {
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
              checkFenceOnly(zk, what);
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
            }
          }
        });
  }

  // ------------------------------------------------------------------ writes

  /**
   * Plans the writes of a flow's atoms (upserts and links), checking revisions, ownership and type;
   * {@code reads} holds for each atom its node's data and its link's existence.
   */
  private void planAtoms(
      FlowDetail fd,
      List<Encoded> encoded,
      List<Read> reads,
      int offset,
      java.util.Set<String> links,
      List<Planned> plan) {
    String fp = flowPath(fd.uuid());
    int position = 0;
    for (int j = 0; j < fd.atoms().size(); j++) {
      AtomDetail ad = fd.atoms().get(j);
      Encoded e = encoded.get(j);
      Read node = reads.get(offset + j);
      boolean linked = links.contains(ad.uuid());
      String ap = atomPath(ad.uuid());
      if (node.found()) {
        // Owned when linked from this flow; the owner of an unlinked one is not looked up.
        WriteRules.checkOwner(
            WriteRules.Kind.ATOM, ad.uuid(), linked ? fd.uuid() : null, fd.uuid());
        WriteRules.checkType(ad.uuid(), storedType(node), ad.typeName());
        plan.add(checkedSet(ap, e, ad.revision(), node));
      } else {
        plan.add(Planned.create(ap, e.data(), backend.acl()));
        if (!linked) {
          plan.add(Planned.create(fp + "/" + ad.uuid(), linkData(position++), backend.acl()));
        }
      }
    }
  }

  /**
   * Checks a write based on revision {@code given} against the node just read, and plans its
   * setData: expecting the caller's revision when it has one (a stale one then fails the
   * transaction as a conflict), else the version read (a change in between is then a race, and the
   * call is planned again).
   */
  private static Planned checkedSet(String path, Encoded e, long given, Read node) {
    WriteRules.checkRevision(e.label(), given, node.stat.getVersion() + 1L);
    int expected = WriteRules.isChecked(given) ? (int) given - 1 : node.stat.getVersion();
    return Planned.set(path, e.data(), expected, e.label(), given);
  }

  private static String storedType(Read node) {
    try {
      Object v = Json.read(node.data);
      if (v instanceof Map<?, ?> m && m.get("type") != null) {
        return String.valueOf(m.get("type"));
      }
    } catch (IllegalArgumentException e) {
      // unreadable: replaced by the write
    }
    return null;
  }

  private void addAtomReads(FlowDetail fd, List<Read> reads) {
    for (AtomDetail ad : fd.atoms()) {
      reads.add(ZkReads.data(atomPath(ad.uuid())));
    }
  }

  /** The link names a {@code getChildren} read found (none when the parent is missing). */
  private static java.util.Set<String> links(Read children) {
    return children.found() ? new java.util.HashSet<>(children.children) : java.util.Set.of();
  }

  private FlowDetail writtenFlow(FlowDetail fd, Committed c) {
    List<AtomDetail> atoms = new ArrayList<>(fd.size());
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(ad.withRevision(c.revision(atomPath(ad.uuid()))));
    }
    FlowDetail out = fd.withRevision(c.revision(flowPath(fd.uuid())));
    return atoms.isEmpty() ? out : out.withAtoms(atoms);
  }

  @Override
  public LogBook saveLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    ensureOpen();
    // Encode everything first: a value that is not JSON or too large fails before any I/O.
    encodeBook(book, book.createdAt());
    WriteRules.atomOwners(book);
    EncodedDetails encoded = encodeDetails(book);
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    return write("saving " + label, zk -> planSave(zk, book, encoded, label));
  }

  /** A book's flow details and the atom details of each, encoded. */
  private record EncodedDetails(List<Encoded> flows, List<List<Encoded>> atoms) {}

  private EncodedDetails encodeDetails(LogBook book) {
    List<Encoded> flowData = new ArrayList<>(book.size());
    List<List<Encoded>> atomData = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      flowData.add(encodeFlow(fd));
      List<Encoded> atoms = new ArrayList<>(fd.size());
      for (AtomDetail ad : fd.atoms()) {
        atoms.add(encodeAtom(ad));
      }
      atomData.add(atoms);
    }
    return new EncodedDetails(flowData, atomData);
  }

  /**
   * Reads, in one round trip, the book, its links and each flow's node, links and atoms; checks the
   * write against them and plans one transaction.
   */
  private Plan<LogBook> planSave(ZooKeeper zk, LogBook book, EncodedDetails encoded, String label)
      throws KeeperException, InterruptedException {
    String bp = bookPath(book.uuid());
    List<Read> reads = new ArrayList<>();
    reads.add(ZkReads.data(bp));
    reads.add(ZkReads.exists(root));
    // getChildren gives a parent's version and all its links in one read
    reads.add(ZkReads.children(bp));
    int[] offsets = new int[book.size()];
    for (int i = 0; i < book.size(); i++) {
      FlowDetail fd = book.flows().get(i);
      offsets[i] = reads.size();
      reads.add(ZkReads.children(flowPath(fd.uuid())));
      addAtomReads(fd, reads);
    }
    ZkReads.run(zk, reads, readTimeoutMs());
    Read bookNode = reads.get(0);
    requirePrepared(reads.get(1));
    java.util.Set<String> bookLinks = links(reads.get(2));
    Instant storedCreated = bookNode.found() ? storedCreatedAt(bookNode) : null;
    byte[] bookData = encodeBook(book, storedCreated == null ? book.createdAt() : storedCreated);
    List<Planned> plan = new ArrayList<>();
    if (bookNode.found()) {
      plan.add(Planned.set(bp, bookData, bookNode.stat.getVersion(), label, 0));
    } else {
      plan.add(Planned.create(bp, bookData, backend.acl()));
    }
    int position = 0;
    for (int i = 0; i < book.size(); i++) {
      FlowDetail fd = book.flows().get(i);
      Read node = reads.get(offsets[i]);
      boolean linked = bookLinks.contains(fd.uuid());
      Encoded e = encoded.flows().get(i);
      String fp = flowPath(fd.uuid());
      if (node.found()) {
        // Owned when linked from this book; the owner of an unlinked one is not looked up.
        WriteRules.checkOwner(
            WriteRules.Kind.FLOW, fd.uuid(), linked ? book.uuid() : null, book.uuid());
        plan.add(checkedSet(fp, e, fd.revision(), node));
      } else {
        plan.add(Planned.create(fp, e.data(), backend.acl()));
        if (!linked) {
          plan.add(Planned.create(bp + "/" + fd.uuid(), linkData(position++), backend.acl()));
        }
      }
      planAtoms(fd, encoded.atoms().get(i), reads, offsets[i] + 1, links(node), plan);
    }
    checkTransactionSize(label, plan);
    return new Plan<>(plan, c -> WriteRules.savedBook(book, storedCreated, writtenFlows(book, c)));
  }

  private List<FlowDetail> writtenFlows(LogBook book, Committed c) {
    List<FlowDetail> written = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      written.add(writtenFlow(fd, c));
    }
    return written;
  }

  /** Characters ZooKeeper refuses in a znode name (its PathUtils), as code points. */
  private static boolean refusedInZnodeName(int cp) {
    return cp <= 0x1f
        || (cp >= 0x7f && cp <= 0x9f)
        || (cp >= 0xd800 && cp <= 0xf8ff)
        || (cp >= 0xfff0 && cp <= 0xffff)
        || cp > 0xffff; // written as a surrogate pair, which ZooKeeper refuses
  }

  @Override
  public StoreLimits limits() {
    return StoreLimits.builder("ZooKeeper")
        .uuidCharsRefused(
            ZkConnection::refusedInZnodeName,
            "uuids name znodes, which cannot hold control characters, surrogates, U+E000 to"
                + " U+F8FF or U+FFF0 to U+FFFF")
        .build();
  }

  /**
   * Also checks what {@link #saveLogBook} checks before sending anything: each record's size, and
   * the size of the one transaction that writes the whole book, against {@code max_value_bytes}.
   */
  @Override
  public void checkStorable(LogBook book) {
    Objects.requireNonNull(book, "book");
    limits().check(book);
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    try {
      long size = REQUEST_OVERHEAD;
      size += createSize(bookPath(book.uuid()), encodeBook(book, book.createdAt()));
      for (FlowDetail fd : book.flows()) {
        size += createSize(flowPath(fd.uuid()), encodeFlow(fd).data());
        size += createSize(bookPath(book.uuid()) + "/" + fd.uuid(), linkData(0));
        for (AtomDetail ad : fd.atoms()) {
          size += createSize(atomPath(ad.uuid()), encodeAtom(ad).data());
          size += createSize(flowPath(fd.uuid()) + "/" + ad.uuid(), linkData(0));
        }
      }
      if (size > settings.maxValueBytes()) {
        throw new LimitExceededException(
            label
                + ": writing it needs one ZooKeeper transaction of about "
                + size
                + " bytes, over the "
                + settings.maxValueBytes()
                + " bytes a request may carry (max_value_bytes, which must match the servers'"
                + " jute.maxbuffer); split it into smaller logbooks, or raise jute.maxbuffer on"
                + " the servers and max_value_bytes here");
      }
    } catch (ZkValueTooLargeException e) {
      throw new LimitExceededException(e.getMessage());
    } catch (IllegalArgumentException e) {
      if (e instanceof io.taskflow4j.persistence.InvalidTextException) {
        throw e;
      }
      throw new LimitExceededException(label + ": " + e.getMessage());
    }
  }

  private long createSize(String path, byte[] data) {
    return Planned.create(path, data, backend.acl()).size();
  }

  /** The whole replacement does not fit one transaction. */
  private static final class TooLargeForOne extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLargeForOne() {
      super(null, null, false, false);
    }
  }

  /**
   * One transaction deletes the stored book's znodes and creates {@code book}'s, when both fit the
   * request limit together; otherwise, after {@link #checkStorable} passed (so the new book fits
   * one transaction of its own), the stored book is deleted and the new one written in a second
   * transaction: a crash between the two leaves no book.
   */
  @Override
  public LogBook replaceLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    ensureOpen();
    checkStorable(book);
    EncodedDetails encoded = encodeDetails(book);
    List<Encoded> flowData = encoded.flows();
    List<List<Encoded>> atomData = encoded.atoms();
    byte[] bookData = encodeBook(book, book.createdAt());
    String bp = bookPath(book.uuid());
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    try {
      return write(
          "replacing " + label,
          zk -> {
            Read oldBook = ZkReads.children(bp);
            Read rootNode = ZkReads.exists(root);
            ZkReads.run(zk, List.of(oldBook, rootNode), readTimeoutMs());
            requirePrepared(rootNode);
            List<String> oldFlowIds = oldBook.found() ? oldBook.children : List.of();
            List<Read> oldFlows = new ArrayList<>();
            for (String f : oldFlowIds) {
              oldFlows.add(ZkReads.children(flowPath(f)));
            }
            ZkReads.run(zk, oldFlows, readTimeoutMs());
            java.util.Set<String> oldAtomIds = new java.util.HashSet<>();
            List<Read> oldAtoms = new ArrayList<>();
            for (Read fr : oldFlows) {
              if (fr.found()) {
                for (String a : fr.children) {
                  oldAtomIds.add(a);
                  oldAtoms.add(ZkReads.exists(atomPath(a)));
                }
              }
            }
            // New details not in the stored book must not exist anywhere else.
            List<Read> others = new ArrayList<>();
            for (FlowDetail fd : book.flows()) {
              if (!oldFlowIds.contains(fd.uuid())) {
                others.add(ZkReads.exists(flowPath(fd.uuid())));
              }
              for (AtomDetail ad : fd.atoms()) {
                if (!oldAtomIds.contains(ad.uuid())) {
                  others.add(ZkReads.exists(atomPath(ad.uuid())));
                }
              }
            }
            oldAtoms.addAll(others);
            ZkReads.run(zk, oldAtoms, readTimeoutMs());
            for (Read r : others) {
              if (r.found()) {
                throw WriteRules.alreadyBelongs(
                    r.path.startsWith(flowsDir) ? WriteRules.Kind.FLOW : WriteRules.Kind.ATOM,
                    r.path.substring(r.path.lastIndexOf('/') + 1),
                    WriteRules.another(WriteRules.Kind.LOGBOOK),
                    "'" + book.uuid() + "'");
              }
            }
            List<Planned> plan = new ArrayList<>();
            int ai = 0;
            for (int i = 0; i < oldFlows.size(); i++) {
              Read fr = oldFlows.get(i);
              if (fr.found()) {
                for (String a : fr.children) {
                  plan.add(Planned.delete(fr.path + "/" + a));
                  if (oldAtoms.get(ai++).found()) {
                    plan.add(Planned.delete(atomPath(a)));
                  }
                }
                plan.add(Planned.delete(fr.path));
              }
              plan.add(Planned.delete(bp + "/" + oldFlowIds.get(i)));
            }
            if (oldBook.found()) {
              plan.add(Planned.delete(bp));
            }
            plan.add(Planned.create(bp, bookData, backend.acl()));
            for (int i = 0; i < book.flows().size(); i++) {
              FlowDetail fd = book.flows().get(i);
              String fp = flowPath(fd.uuid());
              plan.add(Planned.create(fp, flowData.get(i).data(), backend.acl()));
              plan.add(Planned.create(bp + "/" + fd.uuid(), linkData(i), backend.acl()));
              List<Encoded> atoms = atomData.get(i);
              for (int j = 0; j < atoms.size(); j++) {
                plan.add(
                    Planned.create(
                        atomPath(atoms.get(j).uuid()), atoms.get(j).data(), backend.acl()));
                plan.add(
                    Planned.create(fp + "/" + atoms.get(j).uuid(), linkData(j), backend.acl()));
              }
            }
            long size = REQUEST_OVERHEAD;
            for (Planned p : plan) {
              size += p.size();
            }
            if (size > settings.maxValueBytes()) {
              throw new TooLargeForOne();
            }
            return new Plan<>(plan, c -> WriteRules.savedBook(book, null, writtenFlows(book, c)));
          });
    } catch (TooLargeForOne e) {
      try {
        destroyLogBook(book.uuid());
      } catch (NotFoundException gone) {
        // nothing to delete
      }
      return saveLogBook(book);
    }
  }

  private void requirePrepared(Read rootExists) {
    if (!rootExists.found()) {
      throw new StorageException(
          "the store at "
              + settings.describe()
              + " is not prepared: znode "
              + root
              + " is missing; call upgrade() first");
    }
  }

  private Instant storedCreatedAt(Read bookNode) {
    try {
      Object v = Json.read(bookNode.data);
      if (v instanceof Map<?, ?> m) {
        return TaskFlowFormat.unmarshalTime(m.get("created_at"));
      }
    } catch (IllegalArgumentException e) {
      // an unreadable stored book is replaced; the given creation time is used
    }
    return null;
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail fd) {
    Objects.requireNonNull(fd, "flowDetail");
    ensureOpen();
    Encoded flowEncoded = encodeFlow(fd);
    List<Encoded> atoms = new ArrayList<>();
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(encodeAtom(ad));
    }
    String fp = flowPath(fd.uuid());
    return write(
        "updating " + flowEncoded.label(),
        zk -> {
          List<Read> reads = new ArrayList<>();
          reads.add(ZkReads.children(fp));
          addAtomReads(fd, reads);
          ZkReads.run(zk, reads, readTimeoutMs());
          Read node = reads.get(0);
          if (!node.found()) {
            throw new NotFoundException(
                "Flow detail '" + fd.uuid() + "' not found; save it through its logbook first");
          }
          List<Planned> plan = new ArrayList<>();
          plan.add(checkedSet(fp, flowEncoded, fd.revision(), node));
          planAtoms(fd, atoms, reads, 1, links(node), plan);
          checkTransactionSize(flowEncoded.label(), plan);
          return new Plan<>(plan, c -> writtenFlow(fd, c));
        });
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail ad) {
    Objects.requireNonNull(ad, "atomDetail");
    ensureOpen();
    Encoded e = encodeAtom(ad);
    String ap = atomPath(ad.uuid());
    int expected = ad.revision() > 0 ? (int) ad.revision() - 1 : -1;
    Object[] lost = new Object[1];
    // One setData: a single-znode transaction, checked against the version when revised (with
    // the fence check first in a fenced view).
    return guarded(
        "updating " + e.label(),
        () ->
            backend.run(
                "updating " + e.label(),
                (zk, attempt) -> {
                  if (lost[0] != null) {
                    Read r = ZkReads.data(ap);
                    ZkReads.run(zk, List.of(r), readTimeoutMs());
                    if (r.found()
                        && Arrays.equals(r.data, e.data())
                        && (expected < 0 || r.stat.getVersion() == expected + 1)
                        && (fence == null || fence.current(zk))) {
                      return ad.withRevision(r.stat.getVersion() + 1L);
                    }
                  }
                  try {
                    Stat stat;
                    backend.hook().beforeWrite("an atom detail");
                    if (fence == null) {
                      stat = zk.setData(ap, e.data(), expected);
                      backend.hook().afterWrite("an atom detail");
                    } else {
                      Op check = fence.check(zk, "an atom detail");
                      List<OpResult> results;
                      try {
                        results =
                            ZkBackend.multi(zk, List.of(check, Op.setData(ap, e.data(), expected)));
                      } catch (KeeperException x) {
                        if (x.getResults() == null) {
                          throw x;
                        }
                        int i = firstError(x.getResults());
                        if (i == 0) {
                          throw fence.refused(zk, "an atom detail");
                        }
                        throw KeeperException.create(
                            i < 0 ? x.code() : errorCode(x.getResults().get(i)), ap);
                      }
                      stat = ((OpResult.SetDataResult) results.get(1)).getStat();
                      backend.hook().afterWrite("an atom detail");
                    }
                    return ad.withRevision(stat.getVersion() + 1L);
                  } catch (KeeperException.NoNodeException x) {
                    throw new NotFoundException(
                        "Atom detail '"
                            + ad.uuid()
                            + "' not found; save it through its flow detail first");
                  } catch (KeeperException.BadVersionException x) {
                    Stat now = zk.exists(ap, false);
                    if (now == null) {
                      throw new NotFoundException("Atom detail '" + ad.uuid() + "' not found");
                    }
                    throw WriteRules.conflict(e.label(), ad.revision(), now.getVersion() + 1L);
                  } catch (KeeperException x) {
                    if (isConnectionProblem(x.code())) {
                      lost[0] = Boolean.TRUE;
                    }
                    throw x;
                  }
                }));
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    ensureOpen();
    if (!isSegment(bookUuid)) {
      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
    }
    String bp = bookPath(bookUuid);
    boolean[] maybeDone = new boolean[1];
    guarded(
        "destroying logbook '" + bookUuid + "'",
        () ->
            backend.run(
                "destroying logbook '" + bookUuid + "'",
                (zk, attempt) -> {
                  for (int race = 0; ; race++) {
                    Read book = ZkReads.children(bp);
                    ZkReads.run(zk, List.of(book), readTimeoutMs());
                    if (!book.found()) {
                      if (maybeDone[0]) {
                        return null; // the lost transaction was applied
                      }
                      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
                    }
                    List<Read> flows = new ArrayList<>();
                    for (String f : book.children) {
                      flows.add(ZkReads.children(flowPath(f)));
                    }
                    ZkReads.run(zk, flows, readTimeoutMs());
                    List<Planned> plan = new ArrayList<>();
                    for (int i = 0; i < flows.size(); i++) {
                      Read fr = flows.get(i);
                      if (fr.found()) {
                        for (String a : fr.children) {
                          plan.add(Planned.delete(fr.path + "/" + a));
                          plan.add(Planned.delete(atomPath(a)));
                        }
                        plan.add(Planned.delete(fr.path));
                      }
                      plan.add(Planned.delete(bp + "/" + book.children.get(i)));
                    }
                    plan.add(Planned.delete(bp));
                    try {
                      try {
                        commitInChunks(zk, plan);
                      } catch (KeeperException x) {
                        if (x.getResults() == null && isConnectionProblem(x.code())) {
                          maybeDone[0] = true;
                        }
                        throw x;
                      }
                      return null;
                    } catch (Race r) {
                      if (race >= MAX_RACES) {
                        throw new StorageException(
                            "destroying logbook '"
                                + bookUuid
                                + "' failed: the store kept changing");
                      }
                    }
                  }
                }));
  }

  // ------------------------------------------------------------------ reads

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    ensureOpen();
    if (!isSegment(bookUuid)) {
      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
    }
    return backend.run(
        "reading logbook '" + bookUuid + "'",
        (zk, attempt) -> {
          List<LogBook> books = loadBooks(zk, List.of(bookUuid), lazy, null);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0);
        });
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    ensureOpen();
    return backend.run(
        "reading the logbooks",
        (zk, attempt) -> {
          Read list = ZkReads.children(booksDir);
          ZkReads.run(zk, List.of(list), readTimeoutMs());
          if (!list.found()) {
            return List.of();
          }
          return loadBooks(zk, list.children, lazy, null);
        });
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    return getLogBook(bookUuid, false).flows();
  }

  /** Books read by one batch of {@link #forEachLogBook} (with their flows and atoms). */
  static final int SCAN_BATCH = 50;

  /**
   * Lists the books' znodes and their creation order ({@code exists} of each, pipelined), then
   * reads them {@value #SCAN_BATCH} at a time with their flows and atoms (pipelined per level of
   * the tree), handing each batch over once it is read: so it holds one uuid per book and one batch
   * of books with their details. A record that does not parse is reported with its book, which is
   * then not handed over.
   */
  @Override
  public void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(books, "books");
    Objects.requireNonNull(damaged, "damaged");
    ensureOpen();
    List<String> order =
        backend.run(
            "listing the logbooks",
            (zk, attempt) -> {
              Read list = ZkReads.children(booksDir);
              ZkReads.run(zk, List.of(list), readTimeoutMs());
              if (!list.found()) {
                return List.<String>of();
              }
              List<Read> stats = new ArrayList<>(list.children.size());
              for (String u : list.children) {
                stats.add(ZkReads.exists(bookPath(u)));
              }
              ZkReads.run(zk, stats, readTimeoutMs());
              List<Read> found = new ArrayList<>();
              for (Read r : stats) {
                if (r.found()) {
                  found.add(r);
                }
              }
              found.sort(BY_CREATION);
              List<String> out = new ArrayList<>(found.size());
              for (Read r : found) {
                out.add(r.path.substring(booksDir.length() + 1));
              }
              return out;
            });
    record Batch(List<LogBook> books, Map<String, List<CorruptRecordException>> damage) {}
    for (int i = 0; i < order.size(); i += SCAN_BATCH) {
      List<String> chunk = order.subList(i, Math.min(order.size(), i + SCAN_BATCH));
      Batch batch =
          backend.run(
              "reading the logbooks",
              (zk, attempt) -> {
                Map<String, List<CorruptRecordException>> damage = new HashMap<>();
                return new Batch(loadBooks(zk, chunk, lazy, damage), damage);
              });
      Map<String, LogBook> byUuid = new HashMap<>();
      for (LogBook b : batch.books()) {
        byUuid.put(b.uuid(), b);
      }
      for (String u : chunk) {
        List<CorruptRecordException> found = batch.damage().get(u);
        if (found != null) {
          found.forEach(damaged);
        } else if (byUuid.containsKey(u)) {
          books.accept(byUuid.get(u)); // (absent: deleted since the listing)
        }
      }
    }
  }

  /** Creation order: the creating transaction, then the path. */
  private static final Comparator<Read> BY_CREATION =
      Comparator.comparingLong((Read r) -> r.stat.getCzxid()).thenComparing(r -> r.path);

  /**
   * The books that exist among {@code uuids}, oldest first, with their flows unless lazy. A record
   * that does not parse is thrown, or, when {@code damage} is given, added to it under its book's
   * uuid, and that book left out.
   */
  private List<LogBook> loadBooks(
      ZooKeeper zk,
      List<String> uuids,
      boolean lazy,
      Map<String, List<CorruptRecordException>> damage)
      throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (String u : uuids) {
      reads.add(ZkReads.data(bookPath(u)));
      if (!lazy) {
        reads.add(ZkReads.children(bookPath(u)));
      }
    }
    ZkReads.run(zk, reads, readTimeoutMs());
    int step = lazy ? 1 : 2;
    record Found(Read node, Read children) {}
    List<Found> found = new ArrayList<>();
    for (int i = 0; i < reads.size(); i += step) {
      Read node = reads.get(i);
      if (node.found()) {
        found.add(new Found(node, lazy ? null : reads.get(i + 1)));
      }
    }
    found.sort(Comparator.comparing(Found::node, BY_CREATION));
    Map<String, List<String>> flowUuids = new LinkedHashMap<>();
    Map<String, String> bookOf = new HashMap<>();
    for (Found f : found) {
      if (!lazy && f.children().found()) {
        flowUuids.put(f.node().path, f.children().children);
        bookOf.put(f.node().path, lastSegment(f.node().path));
      }
    }
    Map<String, List<FlowDetail>> flows =
        lazy ? Map.of() : loadChildren(zk, flowUuids, true, bookOf, damage);
    List<LogBook> out = new ArrayList<>(found.size());
    for (Found f : found) {
      String uuid = lastSegment(f.node().path);
      try {
        Map<?, ?> m = parse(f.node(), Kind.LOGBOOK, uuid);
        try {
          out.add(TaskFlowFormat.logBookFromMap(m, flows.getOrDefault(f.node().path, List.of())));
        } catch (IllegalArgumentException e) {
          throw malformed(f.node().path, Kind.LOGBOOK, uuid, e);
        }
      } catch (CorruptRecordException e) {
        damaged(damage, e);
      }
    }
    if (damage != null) {
      out.removeIf(b -> damage.containsKey(b.uuid()));
    }
    return out;
  }

  /** Throws {@code e}, or (a tolerant read) keeps it under its book's uuid. */
  private static void damaged(
      Map<String, List<CorruptRecordException>> damage, CorruptRecordException e) {
    if (damage == null) {
      throw e;
    }
    damage.computeIfAbsent(e.bookUuid().orElse(""), k -> new ArrayList<>()).add(e);
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * Loads the children of several parents (books or flows) through their links, in insertion order;
   * flows come with their atoms. Returns parent path → children. {@code bookOf} gives the uuid of
   * the book each parent belongs to, to name it in a {@link CorruptRecordException}; a damaged
   * child is thrown, or, with {@code damage}, kept there and left out.
   */
  @SuppressWarnings("unchecked")
  private <T> Map<String, List<T>> loadChildren(
      ZooKeeper zk,
      Map<String, List<String>> byParent,
      boolean flows,
      Map<String, String> bookOf,
      Map<String, List<CorruptRecordException>> damage)
      throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : byParent.entrySet()) {
      for (String child : e.getValue()) {
        reads.add(ZkReads.data(e.getKey() + "/" + child));
        reads.add(ZkReads.data(flows ? flowPath(child) : atomPath(child)));
        if (flows) {
          reads.add(ZkReads.children(flowPath(child)));
        }
      }
    }
    ZkReads.run(zk, reads, readTimeoutMs());
    int step = flows ? 3 : 2;
    record Child(String parent, Read link, Read node, Read children, long position) {}
    Map<String, List<Child>> grouped = new LinkedHashMap<>();
    int k = 0;
    for (Map.Entry<String, List<String>> e : byParent.entrySet()) {
      List<Child> list = new ArrayList<>();
      for (int n = 0; n < e.getValue().size(); n++, k += step) {
        Read link = reads.get(k);
        Read node = reads.get(k + 1);
        // a link whose object is gone (destroyed meanwhile, or shared with a destroyed book)
        if (!link.found() || !node.found()) {
          continue;
        }
        list.add(
            new Child(e.getKey(), link, node, flows ? reads.get(k + 2) : null, position(link)));
      }
      list.sort(
          Comparator.comparingLong((Child c) -> c.link().stat.getCzxid())
              .thenComparingLong(Child::position)
              .thenComparing(c -> c.link().path));
      grouped.put(e.getKey(), list);
    }
    Map<String, List<AtomDetail>> atoms = Map.of();
    if (flows) {
      Map<String, List<String>> atomUuids = new LinkedHashMap<>();
      Map<String, String> flowBook = new HashMap<>();
      for (List<Child> list : grouped.values()) {
        for (Child c : list) {
          if (c.children().found()) {
            atomUuids.put(c.node().path, c.children().children);
            flowBook.put(c.node().path, bookOf.get(c.parent()));
          }
        }
      }
      atoms = loadChildren(zk, atomUuids, false, flowBook, damage);
    }
    Map<String, List<T>> out = new HashMap<>();
    for (Map.Entry<String, List<Child>> e : grouped.entrySet()) {
      String book = bookOf.get(e.getKey());
      List<T> list = new ArrayList<>(e.getValue().size());
      for (Child c : e.getValue()) {
        try {
          if (flows) {
            list.add((T) flow(c.node(), atoms.getOrDefault(c.node().path, List.of()), book));
          } else {
            list.add((T) atom(c.node(), book));
          }
        } catch (CorruptRecordException x) {
          damaged(damage, x);
        }
      }
      out.put(e.getKey(), list);
    }
    return out;
  }

  private static long position(Read link) {
    if (link.data == null || link.data.length == 0 || link.data.length > 9) {
      return 0;
    }
    long n = 0;
    for (byte b : link.data) {
      if (b < '0' || b > '9') {
        return 0;
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  private FlowDetail flow(Read node, List<AtomDetail> atoms, String book) {
    Map<?, ?> m = parse(node, Kind.FLOW_DETAIL, book);
    try {
      return TaskFlowFormat.flowDetailFromMap(m, atoms, node.stat.getVersion() + 1L);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, Kind.FLOW_DETAIL, book, e);
    }
  }

  private AtomDetail atom(Read node, String book) {
    Map<?, ?> m = parse(node, Kind.ATOM_DETAIL, book);
    try {
      return TaskFlowFormat.atomFromEnvelope(m, node.stat.getVersion() + 1L);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, Kind.ATOM_DETAIL, book, e);
    }
  }

  private static Map<?, ?> parse(Read node, Kind kind, String book) {
    Object v;
    try {
      v = Json.read(node.data == null ? EMPTY : node.data);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, kind, book, e);
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new CorruptRecordException(
          kind,
          lastSegment(node.path),
          book,
          "znode " + node.path,
          "it does not hold a " + kind.label() + " record (a JSON object)",
          null);
    }
    return m;
  }

  private static CorruptRecordException malformed(
      String path, Kind kind, String book, IllegalArgumentException e) {
    return new CorruptRecordException(
        kind, lastSegment(path), book, "znode " + path, String.valueOf(e.getMessage()), e);
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    ensureOpen();
    if (!isSegment(flowUuid)) {
      throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
    }
    return backend.run(
        "reading flow detail '" + flowUuid + "'",
        (zk, attempt) -> {
          String fp = flowPath(flowUuid);
          Read node = ZkReads.data(fp);
          Read children = ZkReads.children(fp);
          ZkReads.run(zk, lazy ? List.of(node) : List.of(node, children), readTimeoutMs());
          if (!node.found()) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          if (lazy || !children.found()) {
            return flow(node, List.of(), null);
          }
          Map<String, List<AtomDetail>> atoms =
              loadChildren(zk, Map.of(fp, children.children), false, Map.of(), null);
          return flow(node, atoms.getOrDefault(fp, List.of()), null);
        });
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    Objects.requireNonNull(atomUuid, "atomUuid");
    ensureOpen();
    if (!isSegment(atomUuid)) {
      throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
    }
    return backend.run(
        "reading atom detail '" + atomUuid + "'",
        (zk, attempt) -> {
          Read node = ZkReads.data(atomPath(atomUuid));
          ZkReads.run(zk, List.of(node), readTimeoutMs());
          if (!node.found()) {
            throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
          }
          return atom(node, null);
        });
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return getFlowDetails(flowUuid, false).atoms();
  }

  // ------------------------------------------------------------------ fencing

  @Override
  public void advanceFence(Fence f) {
    Objects.requireNonNull(f, "fence");
    ensureOpen();
    backend.run(
        "registering fence " + f,
        (zk, attempt) -> {
          ZkFence.advance(zk, root, f, backend.acl());
          return null;
        });
  }

  @Override
  public Connection fenced(Fence f) {
    Objects.requireNonNull(f, "fence");
    ensureOpen();
    return new ZkConnection(backend, new ZkFence(root, f));
  }

  @Override
  public OptionalLong fenceToken(String key) {
    Objects.requireNonNull(key, "key");
    ensureOpen();
    Long stored =
        backend.run("reading the fence of '" + key + "'", (zk, a) -> ZkFence.stored(zk, root, key));
    return stored == null ? OptionalLong.empty() : OptionalLong.of(stored);
  }

  /** In a fenced view, a transaction of the fence check alone: for writes that send nothing. */
  private void checkFenceOnly(ZooKeeper zk, String what)
      throws KeeperException, InterruptedException {
    if (fence == null) {
      return;
    }
    try {
      ZkBackend.multi(zk, List.of(fence.check(zk, what)));
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      throw fence.refused(zk, what);
    } catch (KeeperException e) {
      if (e.getResults() != null && !isConnectionProblem(e.code())) {
        throw fence.refused(zk, what);
      }
      throw e;
    }
  }

  /**
   * Runs a write; in a fenced view a refusal for another reason (a conflict, a missing or duplicate
   * object) becomes a {@link FencedException} when the fence is no longer current: a stale writer
   * is told that first.
   */
  private <T> T guarded(String what, java.util.function.Supplier<T> body) {
    if (fence == null) {
      return body.get();
    }
    try {
      return body.get();
    } catch (FencedException e) {
      throw e;
    } catch (TaskFlowException e) {
      boolean current;
      try {
        current = backend.run("checking fence " + fence.fence(), (zk, a) -> fence.current(zk));
      } catch (TaskFlowException unreachable) {
        e.addSuppressed(unreachable);
        throw e;
      }
      if (!current) {
        FencedException f =
            backend.run("reading fence " + fence.fence(), (zk, a) -> fence.refused(zk, what));
        f.addSuppressed(e);
        throw f;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "ZkConnection{"
        + settings.describe()
        + (fence == null ? "" : ", fenced " + fence.fence())
        + '}';
  }
}
