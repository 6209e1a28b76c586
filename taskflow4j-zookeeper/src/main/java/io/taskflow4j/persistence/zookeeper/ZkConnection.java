package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkReader.damaged;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.MAX_RACES;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.errorCode;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.firstError;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.isConnectionProblem;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreLimits;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Race;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooKeeper;

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
 * <p><b>Record times.</b> A flow detail's JSON also holds {@code created_at} and {@code updated_at}
 * (ISO-8601 text, which TaskFlow ignores), because a client cannot set a znode's times and a
 * replacement must keep the times a flow carries; a flow without them (TaskFlow wrote or rewrote
 * it) reports its znode's {@code ctime} and {@code mtime}. See {@link ZkWriter#RECORD_TIME}.
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
  static final byte[] EMPTY = new byte[0];
  final ZkBackend backend;
  final ZkSettings settings;
  final String root;
  final String booksDir;
  final String flowsDir;
  final String atomsDir;
  final ZkFence fence;
  private volatile boolean closed;
  final ZkTransactions tx;
  final ZkWriter writer;
  final ZkDeletes deletes;
  final ZkReader reader;
  final ZkFlowQueries queries;

  /** Null unless a fenced view completes its job with its flow's final state. */
  final ZkJobCompletion completion;

  ZkConnection(ZkBackend backend) {
    this(backend, null, null);
  }

  private ZkConnection(ZkBackend backend, ZkFence fence, ZkJobCompletion completion) {
    this.backend = backend;
    this.fence = fence;
    this.completion = completion;
    this.settings = backend.settings();
    this.root = settings.path();
    this.booksDir = root + "/books";
    this.flowsDir = root + "/flow_details";
    this.atomsDir = root + "/atom_details";
    this.tx = new ZkTransactions(this);
    this.writer = new ZkWriter(this);
    this.deletes = new ZkDeletes(this);
    this.reader = new ZkReader(this);
    this.queries = new ZkFlowQueries(this);
  }

  @Override
  public Backend backend() {
    return backend;
  }

  void ensureOpen() {
    backend.ensureOpen();
    if (closed) {
      throw new StorageException("this connection is closed; get a new one from the backend");
    }
  }

  long readTimeoutMs() {
    return 2L * settings.sessionTimeoutMs() + settings.connectionTimeoutMs();
  }

  String bookPath(String uuid) {
    return booksDir + "/" + uuid;
  }

  String flowPath(String uuid) {
    return flowsDir + "/" + uuid;
  }

  String atomPath(String uuid) {
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
          tx.deleteChildren(zk, dir);
        }
        return;
      } catch (Race r) {
        if (race >= MAX_RACES) {
          throw new StorageException("the store kept changing while it was being cleared");
        }
      }
    }
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
    return new ZkConnection(backend, new ZkFence(root, f), null);
  }

  /**
   * A fenced view that also does the ZooKeeper board's completion of the job ({@link
   * ZkJobCompletion}) in the transaction that writes the flow's final state, when the board is on
   * this store's ensemble with its credentials; otherwise the plain fenced view.
   */
  @Override
  public Connection fenced(Fence f, io.taskflow4j.persistence.spi.FinalStateWork onFinalState) {
    Objects.requireNonNull(f, "fence");
    Objects.requireNonNull(onFinalState, "onFinalState");
    ensureOpen();
    ZkJobCompletion c =
        onFinalState instanceof ZkJobCompletion zc && zc.doneBy(backend) ? zc : null;
    return new ZkConnection(backend, new ZkFence(root, f), c);
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
  void checkFenceOnly(ZooKeeper zk, String what) throws KeeperException, InterruptedException {
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
  <T> T guarded(String what, java.util.function.Supplier<T> body) {
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

  /**
   * True: {@link ZkBackend#run} retries a lost connection, an expired session or a timeout until
   * its budget is spent, and a write whose reply was lost is checked ({@link
   * ZkTransactions#landed}) before it is made again. A fenced view is a connection of this class
   * and answers the same.
   */
  @Override
  public boolean retriesTransientErrors() {
    return true;
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

  // ------------------------------------------------------------------ reads and writes

  @Override
  public LogBook saveLogBook(LogBook book) {
    return writer.saveLogBook(book);
  }

  @Override
  public void checkStorable(LogBook book) {
    writer.checkStorable(book);
  }

  @Override
  public LogBook replaceLogBook(LogBook book) {
    return writer.replaceLogBook(book);
  }

  @Override
  public FlowDetail updateFlowDetails(FlowDetail fd) {
    return writer.updateFlowDetails(fd);
  }

  @Override
  public AtomDetail updateAtomDetails(AtomDetail ad) {
    return writer.updateAtomDetails(ad);
  }

  @Override
  public void destroyLogBook(String bookUuid) {
    deletes.destroyLogBook(bookUuid);
  }

  @Override
  public LogBook getLogBook(String bookUuid, boolean lazy) {
    return reader.getLogBook(bookUuid, lazy);
  }

  @Override
  public List<LogBook> getLogBooks(boolean lazy) {
    return reader.getLogBooks(lazy);
  }

  @Override
  public List<FlowDetail> getFlowsForBook(String bookUuid) {
    return reader.getFlowsForBook(bookUuid);
  }

  @Override
  public void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    reader.forEachLogBook(lazy, books, damaged);
  }

  @Override
  public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    return reader.getFlowDetails(flowUuid, lazy);
  }

  @Override
  public AtomDetail getAtomDetails(String atomUuid) {
    return reader.getAtomDetails(atomUuid);
  }

  @Override
  public List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return reader.getAtomsForFlow(flowUuid);
  }

  /** A scan of the flow records, not of the atoms but the page's: see {@link ZkFlowQueries}. */
  @Override
  public FlowPage findFlows(
      FlowQuery query,
      java.util.function.Consumer<? super io.taskflow4j.persistence.CorruptRecordException>
          damaged) {
    return queries.findFlows(query, damaged);
  }

  /** The scan of {@link #findFlows}, reading no atom detail: see {@link ZkFlowQueries}. */
  @Override
  public Map<FlowState, Long> countFlows(FlowQuery query) {
    return queries.countFlows(query);
  }

  /**
   * One transaction deletes the flow's atoms, its znode (expecting the revision's version) and its
   * book's link; in a fenced view the fence check comes first. See {@link
   * ZkDeletes#destroyFlowDetail}.
   */
  @Override
  public void destroyFlowDetail(String flowUuid, long revision) {
    deletes.destroyFlowDetail(flowUuid, revision);
  }

  /** One transaction whose delete of the book's znode fails while it has links. */
  @Override
  public boolean destroyLogBookIfEmpty(String bookUuid) {
    return deletes.destroyLogBookIfEmpty(bookUuid);
  }
}
