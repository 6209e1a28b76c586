package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkReader.position;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.OP_OVERHEAD;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.REQUEST_OVERHEAD;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.errorCode;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.firstError;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.isConnectionProblem;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LimitExceededException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Committed;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Plan;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Planned;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Planner;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The writes of a {@link ZkConnection}: each encodes its records first (a value that is not JSON or
 * too large fails before any I/O), then plans one transaction from fresh reads, checking revisions,
 * ownership and types through {@link io.taskflow4j.persistence.spi.WriteRules}, and hands it to
 * {@link ZkTransactions} to commit.
 */
final class ZkWriter {
  private final ZkConnection conn;
  private final ZkBackend backend;
  private final ZkSettings settings;
  private final String root;
  private final String flowsDir;
  private final ZkFence fence;
  private final ZkTransactions tx;

  ZkWriter(ZkConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.settings = conn.settings;
    this.root = conn.root;
    this.flowsDir = conn.flowsDir;
    this.fence = conn.fence;
    this.tx = conn.tx;
  }

  // ------------------------------------------------------------------ encoding

  /** A flow or atom detail's encoded value. */
  private record Encoded(String uuid, String label, byte[] data) {}

  /** Whether a uuid can name a znode: one path segment. */
  static boolean isSegment(String uuid) {
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
    checkValueSize(label, conn.atomPath(ad.uuid()), data);
    return new Encoded(ad.uuid(), label, data);
  }

  /** The keys of a flow detail's JSON holding its record times (TaskFlow ignores them). */
  static final String CREATED_AT = "created_at";

  static final String UPDATED_AT = "updated_at";

  /**
   * How the record times are written: ISO-8601 text in UTC with microseconds and an explicit
   * offset, {@code 2024-03-01T10:00:00.000001+00:00}. Text rather than TaskFlow's marshalled dict
   * (which books use): a third of the size on every flow write, readable in {@code zkCli}, and read
   * by Python's {@code datetime.fromisoformat} on every version; fixed width, so a flow's encoded
   * size does not depend on the time. Reads accept the dict too.
   */
  static final DateTimeFormatter RECORD_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** The record times a flow detail is written with. */
  record Times(Instant created, Instant updated) {
    /** The times {@code fd} carries when {@code given} and it carries them, else {@code now}. */
    static Times of(FlowDetail fd, Instant now, boolean given) {
      if (given && fd.updatedAt() != null) {
        return new Times(fd.createdAt() == null ? fd.updatedAt() : fd.createdAt(), fd.updatedAt());
      }
      return new Times(now, now);
    }
  }

  /** The time of a write, as flows record it (microseconds). */
  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  private Encoded encodeFlow(FlowDetail fd, Times t) {
    checkUuid(fd.uuid(), "flow detail");
    String label = "flow detail '" + fd.name() + "' (" + fd.uuid() + ")";
    Map<String, Object> m = TaskFlowFormat.flowDetailToMap(fd);
    m.put(CREATED_AT, RECORD_TIME.format(t.created()));
    m.put(UPDATED_AT, RECORD_TIME.format(t.updated()));
    byte[] data = Json.writeBytes(m);
    checkValueSize(label, conn.flowPath(fd.uuid()), data);
    return new Encoded(fd.uuid(), label, data);
  }

  /**
   * The creation time of a stored flow detail, read with {@code getData}: its {@code created_at}
   * key, else its znode's {@code ctime}.
   */
  private static Instant storedFlowCreated(Read node) {
    try {
      if (Json.read(node.data) instanceof Map<?, ?> m) {
        Instant t = ZkReader.recordTime(m.get(CREATED_AT));
        if (t != null) {
          return t;
        }
      }
    } catch (IllegalArgumentException e) {
      // unreadable: replaced by the write
    }
    return Instant.ofEpochMilli(node.stat.getCtime());
  }

  private byte[] encodeBook(LogBook book, Instant createdAt) {
    checkUuid(book.uuid(), "logbook");
    LogBook b =
        LogBook.of(book.uuid(), book.name(), createdAt, book.updatedAt(), book.meta(), List.of());
    byte[] data = Json.writeBytes(TaskFlowFormat.logBookToMap(b, true));
    checkValueSize(
        "logbook '" + book.name() + "' (" + book.uuid() + ")", conn.bookPath(book.uuid()), data);
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

  /**
   * Runs a write: plan from fresh reads, commit as one transaction; on a race plan again; after a
   * lost reply, first check whether the transaction was applied.
   */
  <T> T write(String what, Planner<T> planner) {
    conn.ensureOpen();
    return conn.guarded(what, () -> conn.tx.writeAttempts(what, planner));
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
    String fp = conn.flowPath(fd.uuid());
    int position = 0;
    for (int j = 0; j < fd.atoms().size(); j++) {
      AtomDetail ad = fd.atoms().get(j);
      Encoded e = encoded.get(j);
      Read node = reads.get(offset + j);
      boolean linked = links.contains(ad.uuid());
      String ap = conn.atomPath(ad.uuid());
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
      reads.add(ZkReads.data(conn.atomPath(ad.uuid())));
    }
  }

  /** The link names a {@code getChildren} read found (none when the parent is missing). */
  static java.util.Set<String> links(Read children) {
    return children.found() ? new java.util.HashSet<>(children.children) : java.util.Set.of();
  }

  private FlowDetail writtenFlow(FlowDetail fd, Committed c, Times t) {
    List<AtomDetail> atoms = new ArrayList<>(fd.size());
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(ad.withRevision(c.revision(conn.atomPath(ad.uuid()))));
    }
    FlowDetail out =
        fd.withRevision(c.revision(conn.flowPath(fd.uuid()))).withTimes(t.created(), t.updated());
    return atoms.isEmpty() ? out : out.withAtoms(atoms);
  }

  LogBook saveLogBook(LogBook book) {
    return save(book, false);
  }

  /**
   * Saves a book; {@code givenTimes}: its flows are written with the record times they carry (those
   * that carry them), as a replacement does; otherwise a flow's update time is the time of the
   * write and its creation time the stored one (the time of the write for a new flow).
   */
  private LogBook save(LogBook book, boolean givenTimes) {
    Objects.requireNonNull(book, "book");
    conn.ensureOpen();
    // Encode everything first: a value that is not JSON or too large fails before any I/O.
    encodeBook(book, book.createdAt());
    WriteRules.atomOwners(book);
    Instant now = now();
    EncodedDetails encoded = encodeDetails(book, now, givenTimes);
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    return write("saving " + label, zk -> planSave(zk, book, encoded, label, now, givenTimes));
  }

  /** A book's flow details (with the times they are written with) and their atoms, encoded. */
  private record EncodedDetails(
      List<Encoded> flows, List<Times> times, List<List<Encoded>> atoms) {}

  private EncodedDetails encodeDetails(LogBook book, Instant now, boolean givenTimes) {
    List<Encoded> flowData = new ArrayList<>(book.size());
    List<Times> times = new ArrayList<>(book.size());
    List<List<Encoded>> atomData = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      Times t = Times.of(fd, now, givenTimes);
      times.add(t);
      flowData.add(encodeFlow(fd, t));
      List<Encoded> atoms = new ArrayList<>(fd.size());
      for (AtomDetail ad : fd.atoms()) {
        atoms.add(encodeAtom(ad));
      }
      atomData.add(atoms);
    }
    return new EncodedDetails(flowData, times, atomData);
  }

  /**
   * Reads, in one round trip, the book, its links and each flow's node, links and atoms; checks the
   * write against them and plans one transaction.
   */
  private Plan<LogBook> planSave(
      ZooKeeper zk,
      LogBook book,
      EncodedDetails encoded,
      String label,
      Instant now,
      boolean givenTimes)
      throws KeeperException, InterruptedException {
    String bp = conn.bookPath(book.uuid());
    List<Read> reads = new ArrayList<>();
    reads.add(ZkReads.data(bp));
    reads.add(ZkReads.exists(root));
    // getChildren gives a parent's version and all its links in one read
    reads.add(ZkReads.children(bp));
    int[] offsets = new int[book.size()];
    for (int i = 0; i < book.size(); i++) {
      FlowDetail fd = book.flows().get(i);
      offsets[i] = reads.size();
      reads.add(ZkReads.children(conn.flowPath(fd.uuid())));
      addAtomReads(fd, reads);
    }
    // each flow's data, for the creation time an update keeps
    int flowData = reads.size();
    for (FlowDetail fd : book.flows()) {
      reads.add(ZkReads.data(conn.flowPath(fd.uuid())));
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
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
    List<Times> times = new ArrayList<>(encoded.times());
    for (int i = 0; i < book.size(); i++) {
      FlowDetail fd = book.flows().get(i);
      Read node = reads.get(offsets[i]);
      boolean linked = bookLinks.contains(fd.uuid());
      Encoded e = encoded.flows().get(i);
      String fp = conn.flowPath(fd.uuid());
      Read data = reads.get(flowData + i);
      if (node.found() && data.found() && !(givenTimes && fd.updatedAt() != null)) {
        // an update keeps the stored creation time
        Times t = new Times(storedFlowCreated(data), now);
        times.set(i, t);
        e = encodeFlow(fd, t);
      }
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
    return new Plan<>(
        plan, c -> WriteRules.savedBook(book, storedCreated, writtenFlows(book, c, times)));
  }

  private List<FlowDetail> writtenFlows(LogBook book, Committed c, List<Times> times) {
    List<FlowDetail> written = new ArrayList<>(book.size());
    for (int i = 0; i < book.size(); i++) {
      written.add(writtenFlow(book.flows().get(i), c, times.get(i)));
    }
    return written;
  }

  /**
   * Also checks what {@link #saveLogBook} checks before sending anything: each record's size, and
   * the size of the one transaction that writes the whole book, against {@code max_value_bytes}.
   */
  void checkStorable(LogBook book) {
    Objects.requireNonNull(book, "book");
    conn.limits().check(book);
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    Instant now = now();
    try {
      long size = REQUEST_OVERHEAD;
      size += createSize(conn.bookPath(book.uuid()), encodeBook(book, book.createdAt()));
      for (FlowDetail fd : book.flows()) {
        size +=
            createSize(conn.flowPath(fd.uuid()), encodeFlow(fd, Times.of(fd, now, false)).data());
        size += createSize(conn.bookPath(book.uuid()) + "/" + fd.uuid(), linkData(0));
        for (AtomDetail ad : fd.atoms()) {
          size += createSize(conn.atomPath(ad.uuid()), encodeAtom(ad).data());
          size += createSize(conn.flowPath(fd.uuid()) + "/" + ad.uuid(), linkData(0));
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
  static final class TooLargeForOne extends RuntimeException {
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
  LogBook replaceLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    conn.ensureOpen();
    checkStorable(book);
    EncodedDetails encoded = encodeDetails(book, now(), true);
    List<Encoded> flowData = encoded.flows();
    List<List<Encoded>> atomData = encoded.atoms();
    byte[] bookData = encodeBook(book, book.createdAt());
    String bp = conn.bookPath(book.uuid());
    String label = "logbook '" + book.name() + "' (" + book.uuid() + ")";
    try {
      return write(
          "replacing " + label,
          zk -> {
            Read oldBook = ZkReads.children(bp);
            Read rootNode = ZkReads.exists(root);
            ZkReads.run(zk, List.of(oldBook, rootNode), conn.readTimeoutMs());
            requirePrepared(rootNode);
            List<String> oldFlowIds = oldBook.found() ? oldBook.children : List.of();
            List<Read> oldFlows = new ArrayList<>();
            for (String f : oldFlowIds) {
              oldFlows.add(ZkReads.children(conn.flowPath(f)));
            }
            ZkReads.run(zk, oldFlows, conn.readTimeoutMs());
            java.util.Set<String> oldAtomIds = new java.util.HashSet<>();
            List<Read> oldAtoms = new ArrayList<>();
            for (Read fr : oldFlows) {
              if (fr.found()) {
                for (String a : fr.children) {
                  oldAtomIds.add(a);
                  oldAtoms.add(ZkReads.exists(conn.atomPath(a)));
                }
              }
            }
            // New details not in the stored book must not exist anywhere else.
            List<Read> others = new ArrayList<>();
            for (FlowDetail fd : book.flows()) {
              if (!oldFlowIds.contains(fd.uuid())) {
                others.add(ZkReads.exists(conn.flowPath(fd.uuid())));
              }
              for (AtomDetail ad : fd.atoms()) {
                if (!oldAtomIds.contains(ad.uuid())) {
                  others.add(ZkReads.exists(conn.atomPath(ad.uuid())));
                }
              }
            }
            oldAtoms.addAll(others);
            ZkReads.run(zk, oldAtoms, conn.readTimeoutMs());
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
                    plan.add(Planned.delete(conn.atomPath(a)));
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
              String fp = conn.flowPath(fd.uuid());
              plan.add(Planned.create(fp, flowData.get(i).data(), backend.acl()));
              plan.add(Planned.create(bp + "/" + fd.uuid(), linkData(i), backend.acl()));
              List<Encoded> atoms = atomData.get(i);
              for (int j = 0; j < atoms.size(); j++) {
                plan.add(
                    Planned.create(
                        conn.atomPath(atoms.get(j).uuid()), atoms.get(j).data(), backend.acl()));
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
            return new Plan<>(
                plan,
                c -> WriteRules.savedBook(book, null, writtenFlows(book, c, encoded.times())));
          });
    } catch (TooLargeForOne e) {
      try {
        conn.deletes.destroyLogBook(book.uuid());
      } catch (NotFoundException gone) {
        // nothing to delete
      }
      return save(book, true);
    }
  }

  private void requirePrepared(Read rootExists) {
    if (!rootExists.found()) {
      throw new StorageException(
          "the store at "
              + settings.describe()
              + " is not prepared: znode "
              + root
              + " is missing; call conn.upgrade() first");
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

  FlowDetail updateFlowDetails(FlowDetail fd) {
    Objects.requireNonNull(fd, "flowDetail");
    conn.ensureOpen();
    Instant now = now();
    Encoded encodedFirst = encodeFlow(fd, new Times(now, now));
    List<Encoded> atoms = new ArrayList<>();
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(encodeAtom(ad));
    }
    String fp = conn.flowPath(fd.uuid());
    // The write of a claimed job's flow's final state on a view that completes the job also
    // deletes the job (ZkJobCompletion) in its transaction, if the claim still holds it.
    ZkJobCompletion completing =
        conn.completion != null && conn.completion.carriedBy(fd) ? conn.completion : null;
    boolean[] completed = new boolean[1];
    FlowDetail written;
    try {
      written = updateFlow(fd, atoms, fp, encodedFirst, now, completing, completed);
    } finally {
      if (completing != null && !completed[0]) {
        completing.sending(false);
      }
    }
    if (completing != null) {
      completing.stored(completed[0]);
    }
    return written;
  }

  private FlowDetail updateFlow(
      FlowDetail fd,
      List<Encoded> atoms,
      String fp,
      Encoded encodedFirst,
      Instant now,
      ZkJobCompletion completing,
      boolean[] completed) {
    return write(
        "updating " + encodedFirst.label(),
        zk -> {
          List<Read> reads = new ArrayList<>();
          reads.add(ZkReads.children(fp));
          addAtomReads(fd, reads);
          Read data = ZkReads.data(fp);
          reads.add(data);
          ZkJobCompletion.Reads job = completing == null ? null : completing.reads();
          if (job != null) {
            reads.addAll(job.all());
          }
          ZkReads.run(zk, reads, conn.readTimeoutMs());
          Read node = reads.get(0);
          if (!node.found() || !data.found()) {
            throw new NotFoundException(
                "Flow detail '" + fd.uuid() + "' not found; save it through its logbook first");
          }
          // the stored creation time is kept; the update time is the time of this write
          Times t = new Times(storedFlowCreated(data), now);
          Encoded flowEncoded = encodeFlow(fd, t);
          List<Planned> plan = new ArrayList<>();
          plan.add(checkedSet(fp, flowEncoded, fd.revision(), node));
          planAtoms(fd, atoms, reads, 1, links(node), plan);
          List<Planned> completion = job == null ? List.of() : job.plan();
          plan.addAll(completion);
          checkTransactionSize(flowEncoded.label(), plan);
          boolean completes = !completion.isEmpty();
          if (completing != null) {
            completing.sending(completes);
          }
          return new Plan<>(
              plan,
              c -> {
                completed[0] = completes;
                return writtenFlow(fd, c, t);
              });
        });
  }

  AtomDetail updateAtomDetails(AtomDetail ad) {
    Objects.requireNonNull(ad, "atomDetail");
    conn.ensureOpen();
    Encoded e = encodeAtom(ad);
    String ap = conn.atomPath(ad.uuid());
    int expected = ad.revision() > 0 ? (int) ad.revision() - 1 : -1;
    Object[] lost = new Object[1];
    // One setData: a single-znode transaction, checked against the version when revised (with
    // the fence check first in a fenced view).
    return conn.guarded(
        "updating " + e.label(),
        () ->
            backend.run(
                "updating " + e.label(),
                (zk, attempt) -> {
                  if (lost[0] != null) {
                    Read r = ZkReads.data(ap);
                    ZkReads.run(zk, List.of(r), conn.readTimeoutMs());
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
}
