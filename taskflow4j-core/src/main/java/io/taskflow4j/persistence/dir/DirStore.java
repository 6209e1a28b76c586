package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.allEntries;
import static io.taskflow4j.persistence.dir.DirFiles.entries;
import static io.taskflow4j.persistence.dir.DirFiles.ioFailure;
import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirFormat.header;
import static io.taskflow4j.persistence.dir.DirFormat.idProblem;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.ReadOnlyStoreException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.dir.DirFormat.Header;
import io.taskflow4j.persistence.dir.DirWriter.Txn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage engine of {@link DirBackend}: TaskFlow's directory layout, written crash-safely.
 *
 * <p><b>Layout</b> (TaskFlow's, so either side reads the other's store): {@code
 * books/<book>/metadata}, a symlink {@code books/<book>/<flow>} → {@code
 * <root>/flow_details/<flow>} per flow detail, {@code flow_details/<flow>/metadata}, a symlink
 * {@code flow_details/<flow>/<atom>} → {@code <root>/atom_details/<atom>} per atom detail and
 * {@code atom_details/<atom>/metadata}; {@code <object>/lock} is TaskFlow's per-object lock file.
 * {@code atom_details/<atom>/marker}, which TaskFlow never reads, holds an atom's RUNNING or
 * REVERTING marker, laid over its metadata until the atom's next write ({@link AtomMarker}). Extra
 * top-level JSON keys, which TaskFlow ignores (and drops when it rewrites a file): {@code revision}
 * (flow and atom details), {@code seq} (position of a child in its parent; a book's is its save
 * time, to order books saved within one clock tick), {@code next_seq} (a lower bound for the next
 * child position) and {@code parent} (the uuid of the owner, so an object whose link was never
 * made, or already removed, is recognised as an orphan); on flow details also {@code created_at}
 * and {@code updated_at}, the record times.
 *
 * <p><b>Record times of flow details</b> ({@link FlowDetail#createdAt()}, {@link
 * FlowDetail#updatedAt()}) are kept as {@code created_at} and {@code updated_at} in the flow
 * detail's file, in the encoding TaskFlow uses for the logbook's times in this layout (its oslo
 * {@code marshall_now} dict of UTC calendar fields, to the microsecond): one time format in the
 * whole store, readable by TaskFlow's own {@code unmarshall_time}, and the form TaskFlow's {@code
 * to_dict(marshal_time=True)} would give them should its flow details ever carry times. TaskFlow's
 * {@code FlowDetail.from_dict()} ignores the keys; its writes drop them. A record without them (one
 * TaskFlow wrote, or an earlier build of this backend) reports its file's modification time as
 * both: the time it was last written, its creation time being lost. A save or an update stamps
 * {@code updated_at} with the time of the write and keeps {@code created_at} (the modification time
 * when the record had none); {@code replaceLogBook} writes the times a flow detail carries.
 *
 * <p><b>Flow listings</b> ({@code findFlows}, {@code countFlows}) scan: {@code books/} is listed as
 * a stream, each book's own record is read (its name; a book the query's book-name prefix excludes
 * is skipped whole), its links listed and each linked flow detail's record read, streaming over its
 * meta. So a listing costs one read per book and one per flow detail of the store, plus, for {@code
 * findFlows} only, one listing and one read per atom detail of the flows of the page (streaming
 * over their results). It holds at most the page plus one summary, and the link names of one book.
 * Like every read it takes no lock; a damaged book or flow record is logged and left out, a damaged
 * atom record is not counted.
 *
 * <p><b>Crash safety.</b> A changed metadata file is written in full to a temporary file in {@code
 * .tmp/} and renamed over the old one. A new object is assembled in {@code .tmp/} (its metadata and
 * its child links) and its directory renamed into place, so it appears complete or not at all; a
 * link added to an existing object is made in {@code .tmp/} and renamed into place. No temporary
 * ever appears inside an object directory, where TaskFlow would take a symlink for a child. A save
 * writes atoms, then flow details, then the book: every link is made after the object it points to
 * is in place. A delete first moves the book's directory out of {@code books/} (one atomic rename,
 * after which nothing links to its flow details) and then removes the rest; a flow detail's delete
 * first removes its book's link to it (see {@link DirDeletes#destroyFlowDetail}). Readers skip
 * temporary names ({@code .}-prefixed), links whose object is gone and objects whose owner does not
 * link them; {@link #upgrade}, or else the first write of a backend, deletes what an interrupted
 * write left in {@code .tmp/} (and, from earlier builds, in object directories) under the write
 * lock.
 *
 * <p><b>Concurrency.</b> Writes hold {@link StoreLock} (JVM mutex + {@code .lock} file lock), so
 * the revision checks and the writes they guard are atomic across threads and processes of
 * taskflow4j. Against TaskFlow, which knows nothing of {@code .lock} but locks {@code
 * <object>/lock} ({@code fasteners}, an fcntl lock) around each read and each write of an object, a
 * write also holds that lock of every existing object it reads and writes, taken after the store
 * lock in path order and kept until the write ends (a delete takes them one at a time). It takes it
 * only where the lock file exists: TaskFlow makes it the first time it reads or writes the object,
 * so an object without one was never touched by TaskFlow (the window left: a TaskFlow process
 * touching an object for the first time while we write it). TaskFlow holds at most one such lock at
 * a time, so no order of ours can deadlock with it. Reads take no lock and create nothing: each
 * file we write is replaced atomically, so a reader sees each object either before or after a
 * write, never torn. (TaskFlow rewrites files in place, so a read racing a TaskFlow write can still
 * see a partial file and report it as corrupt.)
 *
 * <p><b>Fences.</b> {@code fences/<key>} holds the highest token of a job as a decimal number
 * (replaced atomically; a key that is no plain file name is stored under {@code ~<sha-256 hex>}).
 * Advances and the check of every fenced write run under the store lock, so they never interleave.
 *
 * <p><b>Revisions.</b> Our writes store a counter in {@code revision}. A record without it was last
 * written by TaskFlow; its revision is derived from a hash of its bytes, in a range far above our
 * counters ({@link DirFormat#contentRevision}), so every TaskFlow write changes it: a copy read
 * before TaskFlow's write is refused, one read after it is accepted and stores that value + 1.
 *
 * <p><b>Insertion order.</b> A directory lists in no useful order, so each child has a position: a
 * strictly increasing time in microseconds taken when it is linked, kept twice — as the child's
 * {@code seq} and as the modification time of its link. TaskFlow rewrites metadata files without
 * our keys (an engine run rewrites a flow detail and all its atoms on each flow state change) but
 * never touches an existing link, so the link's time survives whatever TaskFlow writes, and a child
 * TaskFlow links itself gets its real link time, which sorts it where it was added. The {@code seq}
 * copy covers copies of a store that do not keep file times. Children of stores written before
 * positions were times (small {@code seq}s) sort by link time, then {@code seq}.
 *
 * <p><b>Damage.</b> A corrupt or truncated file fails every read that needs it with a {@link
 * CorruptRecordException} naming the record and the file; nothing skips it silently, so {@code
 * getLogBooks()} fails too (a listing that quietly drops a book is worse than one that says which
 * file to restore), while every read that does not need the file still works. {@link
 * #forEachLogBook} reports each damaged record and goes on with the next book. A delete never
 * parses the files it removes (it moves directories by name), so a damaged book can be deleted.
 */
final class DirStore {
  private static final Logger LOG = LoggerFactory.getLogger(DirStore.class);
  static final String BOOKS = "books";
  static final String FLOWS = "flow_details";
  static final String ATOMS = "atom_details";
  static final String STAGING = ".tmp";
  static final String LOCK = ".lock";
  static final String FENCES = "fences";
  static final String METADATA = "metadata";
  static final String TEMP_PREFIX = ".tmp-";
  static final String OBJECT_LOCK = "lock";

  // Revisions of records without a revision key (TaskFlow rewrote them) are derived from their
  // bytes into [2^62, 2^62 + 2^61): far above any counter of ours, so never equal to one.
  static final long CONTENT_REVISION_BASE = 1L << 62;
  static final String K_REVISION = "revision";
  static final String K_SEQ = "seq";
  static final String K_NEXT_SEQ = "next_seq";
  static final String K_PARENT = "parent";

  /**
   * The first key of an atom record rewritten in place: its revision again, at the other end of the
   * record from {@link #K_REVISION}, so that a reader that read the record half-written (the start
   * of one write, the end of another) finds them unequal and reads it again.
   */
  static final String K_SEAL = "tf4j_seal";

  /**
   * The last key of an atom record rewritten in place: the CRC32C of the record's bytes before it.
   * The seals catch a read that took the start of one write and the end of another; a read that
   * took new bytes, then old, then new again (two threads copying the same page at once) can have
   * both seals new, and only the checksum tells.
   */
  static final String K_CRC = "tf4j_crc";

  static final String K_CREATED_AT = "created_at";
  static final String K_UPDATED_AT = "updated_at";
  static final int MAX_ID_BYTES = 200;

  /** The three kinds of objects, each in its own top-level directory. */
  enum Kind {
    BOOK("Logbook", BOOKS, 'b', CorruptRecordException.Kind.LOGBOOK),
    FLOW("Flow detail", FLOWS, 'f', CorruptRecordException.Kind.FLOW_DETAIL),
    ATOM("Atom detail", ATOMS, 'a', CorruptRecordException.Kind.ATOM_DETAIL);

    final String label;
    final String dirName;
    final char tag;
    final CorruptRecordException.Kind recordKind;

    Kind(String label, String dirName, char tag, CorruptRecordException.Kind recordKind) {
      this.label = label;
      this.dirName = dirName;
      this.tag = tag;
      this.recordKind = recordKind;
    }

    static Kind ofDirName(String name) {
      for (Kind k : values()) {
        if (k.dirName.equals(name)) {
          return k;
        }
      }
      return null;
    }

    Kind child() {
      return this == BOOK ? FLOW : this == FLOW ? ATOM : null;
    }

    static Kind ofTag(char c) {
      for (Kind k : values()) {
        if (k.tag == c) {
          return k;
        }
      }
      return null;
    }
  }

  private final Path root;
  private final Path books;
  private final Path flows;
  private final Path atoms;
  private final Path staging;
  private final Path fences;
  private final boolean sweepOnUpgrade;
  private final Object lockGuard = new Object();
  StoreLock storeLock; // guarded by lockGuard
  private boolean closed; // guarded by lockGuard
  final DirFiles files;
  final DirReader reader;
  final DirWriter writer;
  final DirDeletes deletes;

  DirStore(
      Path root,
      boolean sync,
      boolean sweepOnUpgrade,
      DirWriteHook hook,
      Set<PosixFilePermission> filePerms,
      Set<PosixFilePermission> dirPerms,
      boolean forcePerms) {
    this.root = root;
    this.books = root.resolve(BOOKS);
    this.flows = root.resolve(FLOWS);
    this.atoms = root.resolve(ATOMS);
    this.staging = root.resolve(STAGING);
    this.fences = root.resolve(FENCES);
    this.sweepOnUpgrade = sweepOnUpgrade;
    this.files = new DirFiles(root, sync, hook, filePerms, dirPerms, forcePerms);
    this.reader = new DirReader(this);
    this.writer = new DirWriter(this);
    this.deletes = new DirDeletes(this);
  }

  Path root() {
    return root;
  }

  void close() {
    StoreLock l;
    synchronized (lockGuard) {
      if (closed) {
        return;
      }
      closed = true;
      l = storeLock;
      storeLock = null;
    }
    try {
      writer.syncer.close(); // what this backend wrote in place, synced before it goes
    } finally {
      if (l != null) {
        l.release();
      }
    }
  }

  void ensureOpen() {
    synchronized (lockGuard) {
      if (closed) {
        throw new StorageException(
            "the directory backend for " + root + " is closed; fetch a new one");
      }
    }
  }

  // ------------------------------------------------------------------ structure

  void upgrade() {
    ensureOpen();
    files.requireUsableRoot();
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectories(root, files.dirAttrs);
        files.chmodDir(root);
      }
    } catch (FileAlreadyExistsException e) {
      // made meanwhile, by another process, as something else than a directory
      throw files.notADirectory(root, e);
    } catch (IOException e) {
      throw ioFailure("create the store directory", root, e);
    }
    writer.locked(
        false,
        false,
        txn -> {
          boolean created = false;
          for (Path d : List.of(books, flows, atoms, staging)) {
            created |= files.mkdirIfMissing(d);
          }
          if (created) {
            files.syncDir(root);
          }
          sweep(txn);
          writer.tidied = true;
          return null;
        });
  }

  /**
   * Checks that the store exists, has its three directories and can be written by this process. A
   * store missing some but not all of them is a TaskFlow store (TaskFlow makes each directory when
   * it first writes into it, and its {@code clear_all()} removes them): it reads as it is, and
   * {@link #upgrade} adopts it. A store that cannot be written reads as it is too.
   *
   * @throws UpgradeRequiredException when a directory is missing that upgrade() adds
   * @throws ReadOnlyStoreException when this process cannot write the store
   */
  void validate() {
    ensureOpen();
    files.requireUsableRoot();
    if (!Files.isDirectory(root)) {
      throw new StorageException(
          "the directory store "
              + root
              + " does not exist; call upgrade() (Backends.open does) to create it");
    }
    List<String> missing = new ArrayList<>();
    for (Path d : List.of(books, flows, atoms)) {
      if (!Files.isDirectory(d)) {
        if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
          throw new StorageException(d + " exists but is not a directory; move it away");
        }
        missing.add("'" + d.getFileName() + "'");
      }
    }
    if (missing.size() == 3) {
      throw new StorageException(
          "the directory store "
              + root
              + " has no 'books' directory; call upgrade() (Backends.open does) to create it");
    }
    String notWritable = files.notWritable();
    if (!missing.isEmpty()) {
      throw new UpgradeRequiredException(
          "the directory store "
              + root
              + " is a TaskFlow store without its "
              + String.join(" and ", missing)
              + (missing.size() == 1 ? " directory" : " directories")
              + " (TaskFlow makes each directory when it first writes into it, and its"
              + " clear_all() removes them); it is read as it is, and upgrade() adopts it by"
              + " adding what is missing"
              + (notWritable == null ? "" : ", once this process can write it: " + notWritable));
    }
    if (notWritable != null) {
      throw new ReadOnlyStoreException(
          "the directory store "
              + root
              + " can be read but not written by this process: "
              + notWritable
              + " (a backup, a read-only mount, another user's files?); reads work; to write,"
              + " fix its owner or mode (the store's files must belong to the user running the"
              + " flows)");
    }
  }

  void clearAll(Fence fence) {
    writer.locked(
        true,
        fence,
        "clearing the store",
        txn -> {
          // Books first, in one pass of renames: once they are gone nothing links to the rest.
          for (Path p : entries(books)) {
            writer.moveToTrash(p, Kind.BOOK, txn);
          }
          files.syncDir(books);
          for (Path p : entries(flows)) {
            writer.moveToTrash(p, Kind.FLOW, txn);
          }
          for (Path p : entries(atoms)) {
            writer.moveToTrash(p, Kind.ATOM, txn);
          }
          files.syncDir(flows);
          files.syncDir(atoms);
          for (Path p : allEntries(staging)) {
            files.deleteTree(p);
          }
          return null;
        });
  }

  /** Deletes what interrupted writes left behind (write lock held). */
  void sweep(Txn txn) {
    for (Path p : allEntries(staging)) {
      String n = p.getFileName().toString();
      Kind kind =
          n.length() > TEMP_PREFIX.length() ? Kind.ofTag(n.charAt(TEMP_PREFIX.length())) : null;
      if (kind != null && kind != Kind.ATOM && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        // An interrupted delete (or a staged object never put in place): finish removing what
        // only it owned.
        writer.purge(p, kind, uuidIn(p.resolve(METADATA)), txn);
      } else {
        files.deleteTree(p);
      }
    }
    writer.syncDirs(txn);
    if (!sweepOnUpgrade) {
      return;
    }
    for (Path kindDir : List.of(books, flows, atoms)) {
      for (Path obj : entries(kindDir)) {
        for (Path e : allEntries(obj)) {
          if (e.getFileName().toString().startsWith(TEMP_PREFIX)) {
            files.deleteTree(e);
          }
        }
      }
    }
    // Orphans: objects a cut save put in place but never linked, or a cut delete left. With the
    // lock held no write is half-way, so an object its recorded owner does not link is garbage.
    // Objects without an owner key (written by TaskFlow) are left alone.
    removeOrphans(Kind.FLOW, Kind.BOOK, txn);
    removeOrphans(Kind.ATOM, Kind.FLOW, txn);
    writer.syncDirs(txn);
  }

  private void removeOrphans(Kind kind, Kind parentKind, Txn txn) {
    Path kindDir = root.resolve(kind.dirName);
    for (Path obj : entries(kindDir)) {
      String uuid = obj.getFileName().toString();
      Path f = obj.resolve(METADATA);
      // A stray file is not an object (and reading "file/metadata" would fail: not a directory).
      byte[] b = idProblem(uuid) == null && obj.toFile().isDirectory() ? readOrNull(f) : null;
      if (b == null) {
        continue;
      }
      Header h;
      try {
        h = header(f, b);
      } catch (StorageException e) {
        LOG.warn("{}", e.getMessage());
        continue;
      }
      if (h.parent() != null && !reader.linkedFrom(parentKind, h.parent(), uuid)) {
        LOG.info("removing {} '{}': its {} does not link it", kind.label, uuid, parentKind.label);
        Path t = writer.moveToTrash(obj, kind, txn);
        txn.dirsToSync.add(kindDir);
        writer.purge(t, kind, uuid, txn);
      }
    }
  }

  private String uuidIn(Path metadataFile) {
    byte[] b = readOrNull(metadataFile);
    if (b == null) {
      return null;
    }
    try {
      Object v = Json.read(b);
      if (v instanceof Map<?, ?> m && m.get("uuid") instanceof String s && idProblem(s) == null) {
        return s;
      }
    } catch (IllegalArgumentException e) {
      LOG.debug("unreadable metadata in {} while sweeping", metadataFile);
    }
    return null;
  }

  // ------------------------------------------------------------------ fencing

  // Fence keys that are safe file names as they are; any other key is stored under a hash.
  private static final Pattern PLAIN_FENCE_KEY =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

  /**
   * Raises the stored token of {@code fence.key()} to {@code fence.token()} under the store's write
   * lock, which every write holds while it checks its own fence: so no fenced write interleaves.
   */
  void advanceFence(Fence fence) {
    Objects.requireNonNull(fence, "fence");
    ensureOpen();
    writer.locked(
        false,
        txn -> {
          OptionalLong stored = readFence(fence.key());
          if (stored.isPresent() && stored.getAsLong() >= fence.token()) {
            if (stored.getAsLong() > fence.token()) {
              throw new FencedException(
                  "Cannot advance the fence of job '"
                      + fence.key()
                      + "' to token "
                      + fence.token()
                      + ": the store holds token "
                      + stored.getAsLong()
                      + " (a peer claimed the job since)");
            }
            return null;
          }
          if (files.mkdirIfMissing(fences)) {
            files.syncDir(root);
          }
          files.ensureStaging();
          Path tmp = staging.resolve(files.tempName(null));
          txn.temps.add(tmp);
          files.writeNewFile(tmp, Long.toString(fence.token()).getBytes(StandardCharsets.US_ASCII));
          files.move(tmp, fenceFile(fence.key()));
          files.syncDir(fences);
          return null;
        });
  }

  /** The token stored for {@code key}, if any; files are replaced atomically, so no lock. */
  OptionalLong readFence(String key) {
    Path file = fenceFile(key);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(new String(raw, StandardCharsets.US_ASCII).strip()));
    } catch (NumberFormatException e) {
      throw new StorageException(
          "unreadable fence file "
              + file
              + ": it must hold one whole number; delete it only if no job of key '"
              + key
              + "' is running (its next claim writes it again)",
          e);
    }
  }

  /** Refuses a write under a stale {@code fence} (write lock held); {@code null} checks nothing. */
  void checkFence(Fence fence, String what) {
    if (fence == null) {
      return;
    }
    OptionalLong stored = readFence(fence.key());
    if (stored.isEmpty() || stored.getAsLong() != fence.token()) {
      throw FencedException.stale(fence, stored.isPresent() ? stored.getAsLong() : null, what);
    }
  }

  /** {@code <root>/fences/<key>}, or a hash of the key when it is no safe file name. */
  private Path fenceFile(String key) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("fence key must not be blank");
    }
    if (PLAIN_FENCE_KEY.matcher(key).matches()) {
      return fences.resolve(key);
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return fences.resolve("~" + HexFormat.of().formatHex(h));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  StoreLock storeLock(boolean requireStore) {
    synchronized (lockGuard) {
      if (closed) {
        throw new StorageException(
            "the directory backend for " + root + " is closed; fetch a new one");
      }
      if (storeLock == null) {
        files.requireUsableRoot();
        if (requireStore) {
          for (Path d : List.of(books, flows, atoms)) {
            if (!Files.isDirectory(d)) {
              throw new StorageException(
                  "the directory store "
                      + root
                      + " is not initialised (no '"
                      + d.getFileName()
                      + "' directory); call upgrade() first (Backends.open does)");
            }
          }
        }
        Path real;
        try {
          real = root.toRealPath();
        } catch (IOException e) {
          throw ioFailure("resolve the store directory", root, e);
        }
        storeLock = StoreLock.acquire(real, LOCK, files.fileAttrs, files.chmodFile);
      }
      return storeLock;
    }
  }

  // ------------------------------------------------------------------ reads and writes

  LogBook getLogBook(String uuid, boolean lazy) {
    return reader.getLogBook(uuid, lazy);
  }

  List<LogBook> getLogBooks(boolean lazy) {
    return reader.getLogBooks(lazy);
  }

  void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> out,
      Consumer<? super CorruptRecordException> damaged) {
    reader.forEachLogBook(lazy, out, damaged);
  }

  List<FlowDetail> getFlowsForBook(String uuid) {
    return reader.getFlowsForBook(uuid);
  }

  FlowDetail getFlowDetails(String uuid, boolean lazy) {
    return reader.getFlowDetails(uuid, lazy);
  }

  AtomDetail getAtomDetails(String uuid) {
    return reader.getAtomDetails(uuid);
  }

  List<AtomDetail> getAtomsForFlow(String uuid) {
    return reader.getAtomsForFlow(uuid);
  }

  LogBook saveLogBook(LogBook book, Fence fence) {
    return writer.saveLogBook(book, fence);
  }

  LogBook replaceLogBook(LogBook book, Fence fence) {
    return writer.replaceLogBook(book, fence);
  }

  FlowDetail updateFlowDetails(FlowDetail fd, Fence fence) {
    return writer.updateFlowDetails(fd, fence);
  }

  AtomDetail updateAtomDetails(AtomDetail ad, Fence fence) {
    return writer.updateAtomDetails(ad, fence);
  }

  void destroyLogBook(String bookUuid, Fence fence) {
    deletes.destroyLogBook(bookUuid, fence);
  }

  FlowPage findFlows(
      FlowQuery query, java.util.function.Consumer<? super CorruptRecordException> damaged) {
    return reader.findFlows(query, damaged);
  }

  Map<FlowState, Long> countFlows(FlowQuery query) {
    return reader.countFlows(query);
  }

  void destroyFlowDetail(String flowUuid, long revision, Fence fence) {
    deletes.destroyFlowDetail(flowUuid, revision, fence);
  }

  boolean destroyLogBookIfEmpty(String bookUuid, Fence fence) {
    return deletes.destroyLogBookIfEmpty(bookUuid, fence);
  }
}
