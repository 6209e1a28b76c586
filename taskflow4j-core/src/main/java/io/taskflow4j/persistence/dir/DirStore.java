package io.taskflow4j.persistence.dir;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.dir.DirWriteHook.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage engine of {@link DirBackend}: TaskFlow's directory layout, written crash-safely.
 *
 * <p><b>Layout</b> (TaskFlow's, so either side reads the other's store): {@code
 * books/<book>/metadata}, a symlink {@code books/<book>/<flow>} → {@code
 * <root>/flow_details/<flow>} per flow detail, {@code flow_details/<flow>/metadata}, a symlink
 * {@code flow_details/<flow>/<atom>} → {@code <root>/atom_details/<atom>} per atom detail and
 * {@code atom_details/<atom>/metadata}. Extra top-level JSON keys, which TaskFlow ignores: {@code
 * revision} (flow and atom details), {@code seq} (position of a child in its parent, for
 * insertion order; a book's is its save time, to order books saved within one clock tick), {@code
 * next_seq} (the next child position) and {@code parent} (the uuid of the owner, so an object
 * whose link was never made, or already removed, is recognised as an orphan).
 *
 * <p><b>Crash safety.</b> A changed metadata file is written in full to a temporary file in its
 * own directory and renamed over the old one. A new object is assembled in {@code .tmp/} (its
 * metadata and its child links) and its directory renamed into place, so it appears complete or
 * not at all. A save writes atoms, then flow details, then the book: every link is made after the
 * object it points to is in place. A delete first moves the book's directory out of {@code books/}
 * (one atomic rename, after which nothing links to its flow details) and then removes the rest.
 * Readers skip temporary names ({@code .}-prefixed), links whose object is gone and objects whose
 * owner does not link them; {@link #upgrade} deletes what an interrupted write left in {@code
 * .tmp/} and in object directories.
 *
 * <p><b>Concurrency.</b> Writes hold {@link StoreLock} (JVM mutex + {@code .lock} file lock), so
 * the revision checks and the writes they guard are atomic across threads and processes. Reads
 * take no lock: each file is replaced atomically, so a reader sees each object either before or
 * after a write, never torn. (TaskFlow itself does not take {@code .lock}: do not run it on a
 * store while this backend writes to it.)
 *
 * <p><b>Insertion order.</b> A directory lists in no useful order and link times are too coarse
 * (file times tick with the kernel's coarse clock), so each child records its position ({@code
 * seq}) taken from its parent's counter ({@code next_seq}) when it is linked. The counter lives in
 * the parent's metadata, which a save that adds children rewrites anyway, so keeping order costs
 * no extra file. Children without a position (TaskFlow wrote them) come first, by uuid.
 *
 * <p><b>Damage.</b> A corrupt or truncated file fails every read that needs it with a {@link
 * StorageException} naming the file; nothing skips it silently, so {@code getLogBooks()} fails too
 * (a listing that quietly drops a book is worse than one that says which file to restore), while
 * every read that does not need the file still works.
 */
final class DirStore {
  private static final Logger LOG = LoggerFactory.getLogger(DirStore.class);

  static final String BOOKS = "books";
  static final String FLOWS = "flow_details";
  static final String ATOMS = "atom_details";
  static final String STAGING = ".tmp";
  static final String LOCK = ".lock";
  static final String METADATA = "metadata";
  static final String TEMP_PREFIX = ".tmp-";
  static final String K_REVISION = "revision";
  static final String K_SEQ = "seq";
  static final String K_NEXT_SEQ = "next_seq";
  static final String K_PARENT = "parent";
  private static final int MAX_ID_BYTES = 200;

  private static final Set<StandardOpenOption> CREATE_NEW =
      EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  // Book positions are save times; this keeps them strictly increasing within one JVM even when
  // the clock does not advance between two saves.
  private static final AtomicLong LAST_BOOK_SEQ = new AtomicLong();

  /** The three kinds of objects, each in its own top-level directory. */
  enum Kind {
    BOOK("Logbook", BOOKS, 'b'),
    FLOW("Flow detail", FLOWS, 'f'),
    ATOM("Atom detail", ATOMS, 'a');

    final String label;
    final String dirName;
    final char tag;

    Kind(String label, String dirName, char tag) {
      this.label = label;
      this.dirName = dirName;
      this.tag = tag;
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

  /** The bookkeeping keys of a stored object, read without building the whole object. */
  record Header(long revision, long seq, long nextSeq, String parent, String type) {}

  /** One object to write (a full metadata file) and the child links it gains. */
  private static final class ObjWrite {
    final Kind kind;
    final String uuid;
    final byte[] data;
    final boolean isNew;
    final List<String> newLinks;
    Path prepared;

    ObjWrite(Kind kind, String uuid, byte[] data, boolean isNew, List<String> newLinks) {
      this.kind = kind;
      this.uuid = uuid;
      this.data = data;
      this.isNew = isNew;
      this.newLinks = newLinks;
    }
  }

  /** What one write transaction made, to fsync directories once and clean up after a failure. */
  private static final class Txn {
    final List<Path> temps = new ArrayList<>();
    final Set<Path> dirsToSync = new LinkedHashSet<>();
  }

  private final Path root;
  private final Path books;
  private final Path flows;
  private final Path atoms;
  private final Path staging;
  private final boolean sync;
  private final boolean sweepOnUpgrade;
  private final DirWriteHook hook;
  private final FileAttribute<?>[] fileAttrs;
  private final FileAttribute<?>[] dirAttrs;
  private final Set<PosixFilePermission> chmodFile;
  private final Set<PosixFilePermission> chmodDir;
  private final boolean posix;
  private final Object lockGuard = new Object();
  private StoreLock storeLock; // guarded by lockGuard
  private boolean closed; // guarded by lockGuard

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
    this.sync = sync;
    this.sweepOnUpgrade = sweepOnUpgrade;
    this.hook = hook;
    this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (posix && filePerms != null) {
      this.fileAttrs =
          new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(filePerms)};
      this.dirAttrs =
          new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(dirPerms)};
      // The umask may strip bits we were asked to grant (group write): set them explicitly.
      this.chmodFile = forcePerms ? filePerms : null;
      this.chmodDir = forcePerms ? dirPerms : null;
    } else {
      this.fileAttrs = new FileAttribute<?>[0];
      this.dirAttrs = new FileAttribute<?>[0];
      this.chmodFile = null;
      this.chmodDir = null;
    }
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
    if (l != null) {
      l.release();
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
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectories(root, dirAttrs);
        chmodDir(root);
      }
    } catch (FileAlreadyExistsException e) {
      throw new StorageException(
          "the directory store path " + root + " exists but is not a directory", e);
    } catch (IOException e) {
      throw ioFailure("create the store directory", root, e);
    }
    locked(
        false,
        txn -> {
          boolean created = false;
          for (Path d : List.of(books, flows, atoms, staging)) {
            created |= mkdirIfMissing(d);
          }
          if (created) {
            syncDir(root);
          }
          sweep(txn);
          return null;
        });
  }

  void validate() {
    ensureOpen();
    if (!Files.isDirectory(root)) {
      throw new StorageException(
          "the directory store "
              + root
              + " does not exist; call upgrade() (Backends.open does) to create it");
    }
    for (Path d : List.of(books, flows, atoms)) {
      if (!Files.isDirectory(d)) {
        throw new StorageException(
            "the directory store "
                + root
                + " has no '"
                + d.getFileName()
                + "' directory; call upgrade() (Backends.open does) to create it");
      }
      if (!Files.isWritable(d)) {
        throw new StorageException(
            "the directory "
                + d
                + " is not writable by this process; fix its owner or mode (the store's files"
                + " must belong to the user running the flows)");
      }
    }
  }

  void clearAll() {
    locked(
        true,
        txn -> {
          // Books first, in one pass of renames: once they are gone nothing links to the rest.
          for (Path p : entries(books)) {
            moveToTrash(p, Kind.BOOK);
          }
          syncDir(books);
          for (Path p : entries(flows)) {
            moveToTrash(p, Kind.FLOW);
          }
          for (Path p : entries(atoms)) {
            moveToTrash(p, Kind.ATOM);
          }
          syncDir(flows);
          syncDir(atoms);
          for (Path p : allEntries(staging)) {
            deleteTree(p);
          }
          return null;
        });
  }

  /** Deletes what interrupted writes left behind (write lock held). */
  private void sweep(Txn txn) {
    for (Path p : allEntries(staging)) {
      String n = p.getFileName().toString();
      Kind kind = n.length() > TEMP_PREFIX.length() ? Kind.ofTag(n.charAt(TEMP_PREFIX.length())) : null;
      if (kind != null && kind != Kind.ATOM && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        // An interrupted delete (or a staged object never put in place): finish removing what
        // only it owned.
        purge(p, kind, uuidIn(p.resolve(METADATA)), txn);
      } else {
        deleteTree(p);
      }
    }
    syncDirs(txn);
    if (!sweepOnUpgrade) {
      return;
    }
    for (Path kindDir : List.of(books, flows, atoms)) {
      for (Path obj : entries(kindDir)) {
        for (Path e : allEntries(obj)) {
          if (e.getFileName().toString().startsWith(TEMP_PREFIX)) {
            deleteTree(e);
          }
        }
      }
    }
    // Orphans: objects a cut save put in place but never linked, or a cut delete left. With the
    // lock held no write is half-way, so an object its recorded owner does not link is garbage.
    // Objects without an owner key (written by TaskFlow) are left alone.
    removeOrphans(Kind.FLOW, Kind.BOOK, txn);
    removeOrphans(Kind.ATOM, Kind.FLOW, txn);
    syncDirs(txn);
  }

  private void removeOrphans(Kind kind, Kind parentKind, Txn txn) {
    Path kindDir = root.resolve(kind.dirName);
    for (Path obj : entries(kindDir)) {
      String uuid = obj.getFileName().toString();
      Path f = obj.resolve(METADATA);
      byte[] b = idProblem(uuid) == null ? readOrNull(f) : null;
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
      if (h.parent() != null && !linkedFrom(parentKind, h.parent(), uuid)) {
        LOG.info("removing {} '{}': its {} does not link it", kind.label, uuid, parentKind.label);
        Path t = moveToTrash(obj, kind);
        txn.dirsToSync.add(kindDir);
        purge(t, kind, uuid, txn);
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

  // ------------------------------------------------------------------ writes

  LogBook saveLogBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    checkId(book.uuid(), Kind.BOOK);
    Map<String, String> atomOwner = new HashMap<>();
    for (FlowDetail fd : book.flows()) {
      checkIds(fd);
      for (AtomDetail ad : fd.atoms()) {
        String other = atomOwner.put(ad.uuid(), fd.uuid());
        if (other != null) {
          throw new DuplicateException(
              "Atom detail '"
                  + ad.uuid()
                  + "' is carried by two flow details of one logbook ('"
                  + other
                  + "' and '"
                  + fd.uuid()
                  + "')");
        }
      }
    }
    return locked(
        true,
        txn -> {
          Path bookDir = books.resolve(book.uuid());
          Path bookFile = bookDir.resolve(METADATA);
          byte[] raw = readOrNull(bookFile);
          Map<?, ?> old = raw == null ? null : parseMap(bookFile, raw);
          Instant createdAt = book.createdAt();
          long seq;
          long nextFlowSeq;
          if (old != null) {
            Instant c = createdAt(old, bookFile);
            if (c != null) {
              createdAt = c;
            }
            seq = longKey(old, K_SEQ, -1);
            nextFlowSeq = nextSeq(longKey(old, K_NEXT_SEQ, -1), bookDir, Kind.FLOW);
          } else {
            seq = newBookSeq();
            nextFlowSeq = 0;
          }
          // Check everything before writing anything: a conflict stores nothing.
          List<FlowPlan> plans = new ArrayList<>(book.size());
          for (FlowDetail fd : book.flows()) {
            boolean linked = old != null && Files.isSymbolicLink(bookDir.resolve(fd.uuid()));
            plans.add(planFlow(fd, book.uuid(), linked, false));
          }
          List<String> newLinks = new ArrayList<>();
          for (FlowPlan p : plans) {
            if (!p.linked) {
              p.seq = nextFlowSeq++;
              newLinks.add(p.fd.uuid());
            }
          }
          LogBook stored =
              LogBook.of(
                  book.uuid(), book.name(), createdAt, book.updatedAt(), book.meta(), List.of());
          Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.logBookToMap(stored, true));
          if (seq >= 0) {
            m.put(K_SEQ, seq);
          }
          m.put(K_NEXT_SEQ, nextFlowSeq);
          List<ObjWrite> atomWrites = new ArrayList<>();
          List<ObjWrite> flowWrites = new ArrayList<>();
          for (FlowPlan p : plans) {
            p.addWrites(atomWrites, flowWrites);
          }
          execute(atomWrites, txn);
          execute(flowWrites, txn);
          execute(
              List.of(new ObjWrite(Kind.BOOK, book.uuid(), Json.writeBytes(m), old == null, newLinks)),
              txn);
          List<FlowDetail> written = new ArrayList<>(plans.size());
          for (FlowPlan p : plans) {
            written.add(p.result());
          }
          return LogBook.of(
              book.uuid(), book.name(), createdAt, book.updatedAt(), book.meta(), written);
        });
  }

  FlowDetail updateFlowDetails(FlowDetail fd) {
    Objects.requireNonNull(fd, "flowDetail");
    checkIds(fd);
    return locked(
        true,
        txn -> {
          FlowPlan p = planFlow(fd, null, true, true);
          List<ObjWrite> atomWrites = new ArrayList<>();
          List<ObjWrite> flowWrites = new ArrayList<>();
          p.addWrites(atomWrites, flowWrites);
          execute(atomWrites, txn);
          execute(flowWrites, txn);
          return p.result();
        });
  }

  AtomDetail updateAtomDetails(AtomDetail ad) {
    Objects.requireNonNull(ad, "atomDetail");
    checkId(ad.uuid(), Kind.ATOM);
    return locked(
        true,
        txn -> {
          Path file = atoms.resolve(ad.uuid()).resolve(METADATA);
          byte[] raw = readOrNull(file);
          Header h = raw == null ? null : header(file, raw);
          if (h == null || (h.parent() != null && !atomReachable(h.parent(), ad.uuid()))) {
            throw new NotFoundException(
                "Atom detail '" + ad.uuid() + "' not found; save it through its flow detail first");
          }
          checkAtomType(ad, h);
          checkRevision(Kind.ATOM, ad.uuid(), ad.revision(), h.revision());
          long rev = h.revision() + 1;
          execute(
              List.of(
                  new ObjWrite(
                      Kind.ATOM,
                      ad.uuid(),
                      atomJson(ad, rev, h.seq(), h.parent()),
                      false,
                      List.of())),
              txn);
          return ad.withRevision(rev);
        });
  }

  void destroyLogBook(String bookUuid) {
    checkId(bookUuid, Kind.BOOK);
    locked(
        true,
        txn -> {
          Path dir = books.resolve(bookUuid);
          if (!Files.exists(dir.resolve(METADATA))) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          // The commit point: one rename makes the book and its links disappear together.
          Path trash = moveToTrash(dir, Kind.BOOK);
          syncDir(books);
          purge(trash, Kind.BOOK, bookUuid, txn);
          syncDirs(txn);
          return null;
        });
  }

  /** A flow detail to write, with what was read about it and its atoms under the lock. */
  private final class FlowPlan {
    final FlowDetail fd;
    final Header header;
    final boolean linked;
    final String parent;
    final long newRev;
    long seq;
    long nextAtomSeq;
    final List<AtomPlan> atomPlans = new ArrayList<>();

    FlowPlan(FlowDetail fd, Header header, boolean linked, String parent) {
      this.fd = fd;
      this.header = header;
      this.linked = linked;
      this.parent = parent;
      this.newRev = header == null ? 1 : header.revision() + 1;
      this.seq = header == null ? -1 : header.seq();
    }

    void addWrites(List<ObjWrite> atomWrites, List<ObjWrite> flowWrites) {
      List<String> links = new ArrayList<>();
      for (AtomPlan a : atomPlans) {
        atomWrites.add(
            new ObjWrite(
                Kind.ATOM,
                a.ad.uuid(),
                atomJson(a.ad, a.newRev, a.seq, fd.uuid()),
                a.header == null,
                List.of()));
        if (!a.linked) {
          links.add(a.ad.uuid());
        }
      }
      Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.flowDetailToMap(fd));
      m.put(K_REVISION, newRev);
      if (seq >= 0) {
        m.put(K_SEQ, seq);
      }
      m.put(K_NEXT_SEQ, nextAtomSeq);
      if (parent != null) {
        m.put(K_PARENT, parent);
      }
      flowWrites.add(new ObjWrite(Kind.FLOW, fd.uuid(), Json.writeBytes(m), header == null, links));
    }

    FlowDetail result() {
      List<AtomDetail> written = new ArrayList<>(atomPlans.size());
      for (AtomPlan a : atomPlans) {
        written.add(a.ad.withRevision(a.newRev));
      }
      return fd.withAtoms(written).withRevision(newRev);
    }
  }

  private record AtomPlan(AtomDetail ad, Header header, boolean linked, long seq, long newRev) {}

  /**
   * Reads what is stored about a flow detail and its atoms and checks the write against it.
   *
   * @param bookUuid the book it is saved through, or {@code null} for an update
   * @param mustExist an update: the flow detail must be stored and linked from its book
   */
  private FlowPlan planFlow(FlowDetail fd, String bookUuid, boolean linked, boolean mustExist) {
    Path fdDir = flows.resolve(fd.uuid());
    Path file = fdDir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    Header h = raw == null ? null : header(file, raw);
    String parent = bookUuid;
    if (mustExist) {
      if (h == null || (h.parent() != null && !linkedFrom(Kind.BOOK, h.parent(), fd.uuid()))) {
        throw new NotFoundException(
            "Flow detail '" + fd.uuid() + "' not found; save it through its logbook first");
      }
      parent = h.parent();
    } else if (h != null
        && h.parent() != null
        && !h.parent().equals(bookUuid)
        && linkedFrom(Kind.BOOK, h.parent(), fd.uuid())) {
      throw new DuplicateException(
          "Flow detail '"
              + fd.uuid()
              + "' already belongs to logbook '"
              + h.parent()
              + "', not to '"
              + bookUuid
              + "'");
    }
    if (h != null) {
      checkRevision(Kind.FLOW, fd.uuid(), fd.revision(), h.revision());
    }
    FlowPlan plan = new FlowPlan(fd, h, linked, parent);
    long nextAtomSeq = h == null ? 0 : nextSeq(h.nextSeq(), fdDir, Kind.ATOM);
    for (AtomDetail ad : fd.atoms()) {
      Path af = atoms.resolve(ad.uuid()).resolve(METADATA);
      byte[] ar = readOrNull(af);
      Header ah = ar == null ? null : header(af, ar);
      if (ah != null) {
        if (ah.parent() != null
            && !ah.parent().equals(fd.uuid())
            && linkedFrom(Kind.FLOW, ah.parent(), ad.uuid())) {
          throw new DuplicateException(
              "Atom detail '"
                  + ad.uuid()
                  + "' already belongs to flow detail '"
                  + ah.parent()
                  + "', not to '"
                  + fd.uuid()
                  + "'");
        }
        checkAtomType(ad, ah);
        checkRevision(Kind.ATOM, ad.uuid(), ad.revision(), ah.revision());
      }
      boolean atomLinked = h != null && Files.isSymbolicLink(fdDir.resolve(ad.uuid()));
      long seq = atomLinked && ah != null ? ah.seq() : nextAtomSeq++;
      plan.atomPlans.add(
          new AtomPlan(ad, ah, atomLinked, seq, ah == null ? 1 : ah.revision() + 1));
    }
    plan.nextAtomSeq = nextAtomSeq;
    return plan;
  }

  private static void checkAtomType(AtomDetail ad, Header h) {
    if (h.type() != null && !h.type().equals(ad.typeName())) {
      throw new DuplicateException(
          "Atom detail '"
              + ad.uuid()
              + "' is stored as a "
              + h.type()
              + " and cannot be replaced by a "
              + ad.typeName());
    }
  }

  private static void checkRevision(Kind kind, String uuid, long given, long stored) {
    if (given != 0 && given != stored) {
      throw new ConflictException(
          kind.label
              + " '"
              + uuid
              + "' was changed by another writer (stored revision "
              + stored
              + ", this write was based on revision "
              + given
              + "); reload it and try again");
    }
  }

  /** The next child position of a parent: its {@code next_seq}, or (TaskFlow wrote it) computed. */
  private long nextSeq(long stored, Path parentDir, Kind childKind) {
    if (stored >= 0) {
      return stored;
    }
    long max = -1;
    Path childRoot = root.resolve(childKind.dirName);
    for (String c : linkNames(parentDir)) {
      Path f = childRoot.resolve(c).resolve(METADATA);
      byte[] b = readOrNull(f);
      if (b != null) {
        max = Math.max(max, header(f, b).seq());
      }
    }
    return max + 1;
  }

  private static byte[] atomJson(AtomDetail ad, long revision, long seq, String parent) {
    Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.atomToEnvelope(ad));
    m.put(K_REVISION, revision);
    if (seq >= 0) {
      m.put(K_SEQ, seq);
    }
    if (parent != null) {
      m.put(K_PARENT, parent);
    }
    return Json.writeBytes(m);
  }

  private static long newBookSeq() {
    Instant now = Instant.now();
    long t = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    return LAST_BOOK_SEQ.updateAndGet(prev -> Math.max(prev + 1, t));
  }

  /**
   * Writes one level of objects: prepares every file (fsynced), renames them all into place, then
   * fsyncs each touched directory once. Links are made after the objects they point to.
   */
  private void execute(List<ObjWrite> writes, Txn txn) {
    if (writes.isEmpty()) {
      return;
    }
    for (ObjWrite w : writes) {
      prepare(w, txn);
    }
    for (ObjWrite w : writes) {
      commit(w, txn);
    }
    syncDirs(txn);
  }

  private void prepare(ObjWrite w, Txn txn) {
    Path kindDir = root.resolve(w.kind.dirName);
    if (w.isNew) {
      ensureStaging();
      Path staged = staging.resolve(tempName(w.kind));
      mkdir(staged);
      txn.temps.add(staged);
      writeNewFile(staged.resolve(METADATA), w.data);
      Path childRoot = root.resolve(w.kind.child() == null ? "" : w.kind.child().dirName);
      for (String c : w.newLinks) {
        Path link = staged.resolve(c);
        symlink(link, childRoot.resolve(c));
      }
      syncDir(staged);
      w.prepared = staged;
    } else {
      Path temp = kindDir.resolve(w.uuid).resolve(tempName(null));
      txn.temps.add(temp);
      writeNewFile(temp, w.data);
      w.prepared = temp;
    }
  }

  private void commit(ObjWrite w, Txn txn) {
    Path kindDir = root.resolve(w.kind.dirName);
    Path objDir = kindDir.resolve(w.uuid);
    if (w.isNew) {
      if (Files.exists(objDir, LinkOption.NOFOLLOW_LINKS)) {
        // A directory without metadata (a TaskFlow phantom, or damage): it is not an object.
        moveToTrash(objDir, w.kind);
      }
      move(w.prepared, objDir);
      txn.dirsToSync.add(kindDir);
    } else {
      move(w.prepared, objDir.resolve(METADATA));
      txn.dirsToSync.add(objDir);
      for (String c : w.newLinks) {
        Path childRoot = root.resolve(w.kind.child().dirName);
        Path temp = objDir.resolve(tempName(null));
        txn.temps.add(temp);
        symlink(temp, childRoot.resolve(c));
        move(temp, objDir.resolve(c));
      }
    }
  }

  /**
   * Removes a trashed object directory and, recursively, the children only it owned: those whose
   * {@code parent} is this object (or unknown) and that no live object of this uuid links.
   */
  private void purge(Path trashed, Kind kind, String uuid, Txn txn) {
    Kind ck = kind.child();
    if (ck != null && uuid != null) {
      Path childRoot = root.resolve(ck.dirName);
      for (String c : linkNames(trashed)) {
        if (idProblem(c) != null || linkedFrom(kind, uuid, c)) {
          continue;
        }
        Path childDir = childRoot.resolve(c);
        if (!Files.exists(childDir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        Path f = childDir.resolve(METADATA);
        byte[] b = readOrNull(f);
        String owner = null;
        if (b != null) {
          try {
            owner = header(f, b).parent();
          } catch (StorageException corrupt) {
            // A corrupt child of a deleted object goes with it.
          }
        }
        if (owner != null && !owner.equals(uuid)) {
          continue;
        }
        Path t = moveToTrash(childDir, ck);
        txn.dirsToSync.add(childRoot);
        purge(t, ck, c, txn);
      }
    }
    deleteTree(trashed);
  }

  // ------------------------------------------------------------------ reads

  LogBook getLogBook(String uuid, boolean lazy) {
    checkId(uuid, Kind.BOOK);
    ensureOpen();
    Loaded<LogBook> b = readBook(uuid, lazy);
    if (b == null) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return b.value;
  }

  List<LogBook> getLogBooks(boolean lazy) {
    ensureOpen();
    List<Loaded<LogBook>> found = new ArrayList<>();
    for (String name : names(books)) {
      if (idProblem(name) != null) {
        continue;
      }
      Loaded<LogBook> b = readBook(name, lazy);
      if (b != null) {
        found.add(b);
      }
    }
    found.sort(
        Comparator.comparing((Loaded<LogBook> l) -> l.value.createdAt())
            .thenComparingLong(l -> l.seq)
            .thenComparing(l -> l.name));
    List<LogBook> out = new ArrayList<>(found.size());
    for (Loaded<LogBook> l : found) {
      out.add(l.value);
    }
    return out;
  }

  List<FlowDetail> getFlowsForBook(String uuid) {
    checkId(uuid, Kind.BOOK);
    ensureOpen();
    Path dir = books.resolve(uuid);
    if (!Files.exists(dir.resolve(METADATA))) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return readFlowsOf(dir);
  }

  FlowDetail getFlowDetails(String uuid, boolean lazy) {
    checkId(uuid, Kind.FLOW);
    ensureOpen();
    Loaded<FlowDetail> f = readFlow(uuid, lazy, true);
    if (f == null) {
      throw new NotFoundException("Flow detail '" + uuid + "' not found");
    }
    return f.value;
  }

  AtomDetail getAtomDetails(String uuid) {
    checkId(uuid, Kind.ATOM);
    ensureOpen();
    Loaded<AtomDetail> a = readAtom(uuid, true);
    if (a == null) {
      throw new NotFoundException("Atom detail '" + uuid + "' not found");
    }
    return a.value;
  }

  List<AtomDetail> getAtomsForFlow(String uuid) {
    return getFlowDetails(uuid, false).atoms();
  }

  /** An object read from disk with its position among its siblings. */
  private record Loaded<T>(T value, long seq, String name) {}

  private Loaded<LogBook> readBook(String uuid, boolean lazy) {
    Path dir = books.resolve(uuid);
    Path file = dir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    List<FlowDetail> fds = lazy ? List.of() : readFlowsOf(dir);
    try {
      return new Loaded<>(TaskFlowFormat.logBookFromMap(m, fds), longKey(m, K_SEQ, -1), uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  private List<FlowDetail> readFlowsOf(Path bookDir) {
    List<Loaded<FlowDetail>> found = new ArrayList<>();
    for (String c : linkNames(bookDir)) {
      if (idProblem(c) != null) {
        continue;
      }
      Loaded<FlowDetail> f = readFlow(c, false, false);
      if (f != null) {
        found.add(f);
      } else {
        LOG.debug("skipping link {} of {}: its flow detail is gone", c, bookDir);
      }
    }
    return sorted(found);
  }

  private Loaded<FlowDetail> readFlow(String uuid, boolean lazy, boolean checkOwner) {
    Path dir = flows.resolve(uuid);
    Path file = dir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    if (checkOwner && m.get(K_PARENT) instanceof String p && !linkedFrom(Kind.BOOK, p, uuid)) {
      return null; // an orphan: its save never linked it, or its book is being deleted
    }
    List<AtomDetail> ads = lazy ? List.of() : readAtomsOf(dir);
    try {
      return new Loaded<>(
          TaskFlowFormat.flowDetailFromMap(m, ads, longKey(m, K_REVISION, 0)),
          longKey(m, K_SEQ, -1),
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  private List<AtomDetail> readAtomsOf(Path flowDir) {
    List<Loaded<AtomDetail>> found = new ArrayList<>();
    for (String c : linkNames(flowDir)) {
      if (idProblem(c) != null) {
        continue;
      }
      Loaded<AtomDetail> a = readAtom(c, false);
      if (a != null) {
        found.add(a);
      } else {
        LOG.debug("skipping link {} of {}: its atom detail is gone", c, flowDir);
      }
    }
    return sorted(found);
  }

  private Loaded<AtomDetail> readAtom(String uuid, boolean checkOwner) {
    Path file = atoms.resolve(uuid).resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    if (checkOwner && m.get(K_PARENT) instanceof String p && !atomReachable(p, uuid)) {
      return null;
    }
    try {
      return new Loaded<>(
          TaskFlowFormat.atomFromEnvelope(m, longKey(m, K_REVISION, 0)),
          longKey(m, K_SEQ, -1),
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /** Insertion order: by position; objects TaskFlow wrote (no position) first, by uuid. */
  private static <T> List<T> sorted(List<Loaded<T>> found) {
    found.sort(Comparator.comparingLong((Loaded<T> l) -> l.seq).thenComparing(l -> l.name));
    List<T> out = new ArrayList<>(found.size());
    for (Loaded<T> l : found) {
      out.add(l.value);
    }
    return out;
  }

  /**
   * Whether an atom is reachable from a book: its flow links it and the flow is itself linked by
   * its book. An atom under a flow that a cut save never linked (or a cut delete unlinked) is an
   * orphan like its flow, even though the flow still links it.
   */
  private boolean atomReachable(String flowUuid, String atomUuid) {
    if (!linkedFrom(Kind.FLOW, flowUuid, atomUuid)) {
      return false;
    }
    Path f = flows.resolve(flowUuid).resolve(METADATA);
    byte[] b = readOrNull(f);
    if (b == null) {
      return false;
    }
    String book = header(f, b).parent();
    return book == null || linkedFrom(Kind.BOOK, book, flowUuid);
  }

  private boolean linkedFrom(Kind parentKind, String parentUuid, String childUuid) {
    if (idProblem(parentUuid) != null) {
      return false;
    }
    return Files.isSymbolicLink(root.resolve(parentKind.dirName).resolve(parentUuid).resolve(childUuid));
  }

  // ------------------------------------------------------------------ JSON

  private static Map<?, ?> parseMap(Path file, byte[] raw) {
    Object v;
    try {
      v = Json.read(raw);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw corrupt(file, "it does not hold a JSON object", null);
    }
    return m;
  }

  /** Reads the bookkeeping keys of a record, checking that the whole file is valid JSON. */
  static Header header(Path file, byte[] raw) {
    long revision = 0;
    long seq = -1;
    long nextSeq = -1;
    String parent = null;
    String type = null;
    try (JsonParser p = Json.mapper().getFactory().createParser(raw)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw corrupt(file, "it does not hold a JSON object", null);
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case K_REVISION -> revision = number(p, v, file, name, 0);
          case K_SEQ -> seq = number(p, v, file, name, -1);
          case K_NEXT_SEQ -> nextSeq = number(p, v, file, name, -1);
          case K_PARENT -> parent = v == JsonToken.VALUE_STRING ? p.getText() : null;
          case "type" -> type = v == JsonToken.VALUE_STRING ? p.getText() : null;
          default -> p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT) {
        throw corrupt(file, "it is not a complete JSON object", null);
      }
    } catch (IOException e) {
      throw corrupt(file, "not valid JSON: " + firstLine(e.getMessage()), e);
    }
    return new Header(revision, seq, nextSeq, parent, type);
  }

  private static long number(JsonParser p, JsonToken v, Path file, String key, long absent)
      throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return absent;
    }
    if (v != JsonToken.VALUE_NUMBER_INT) {
      throw corrupt(file, "'" + key + "' is not a whole number", null);
    }
    return p.getLongValue();
  }

  private static long longKey(Map<?, ?> m, String key, long absent) {
    Object v = m.get(key);
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    return absent;
  }

  private static Instant createdAt(Map<?, ?> m, Path file) {
    try {
      return TaskFlowFormat.unmarshalTime(m.get("created_at"));
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  static StorageException corrupt(Path file, String why, Throwable cause) {
    return new StorageException(
        "corrupt record "
            + file
            + ": "
            + firstLine(why)
            + "; restore this file from a backup (other records are unaffected)",
        cause);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl > 0 ? s.substring(0, nl) : s;
  }

  // ------------------------------------------------------------------ ids

  private static void checkIds(FlowDetail fd) {
    checkId(fd.uuid(), Kind.FLOW);
    for (AtomDetail ad : fd.atoms()) {
      checkId(ad.uuid(), Kind.ATOM);
    }
  }

  static void checkId(String id, Kind kind) {
    String problem = idProblem(id);
    if (problem != null) {
      throw new IllegalArgumentException(
          kind.label
              + " uuid '"
              + printable(id)
              + "' cannot be used in a directory store: "
              + problem
              + " (use a uuid such as '"
              + UUID.randomUUID()
              + "')");
    }
  }

  /** Why an id cannot be a file name inside the store, or {@code null} when it can. */
  static String idProblem(String id) {
    if (id == null || id.isEmpty()) {
      return "it is empty";
    }
    if (id.equals(".") || id.equals("..")) {
      return "it would name a directory outside the object";
    }
    if (id.startsWith(".")) {
      return "names starting with '.' are reserved for temporary files";
    }
    if (id.equals(METADATA) || id.equals("lock")) {
      return "'" + id + "' is a reserved file name";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == '/' || c == '\\') {
        return "it contains a path separator";
      }
      if (c == 0) {
        return "it contains a NUL character";
      }
      if (Character.isISOControl(c)) {
        return "it contains a control character";
      }
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
      return "it is longer than " + MAX_ID_BYTES + " bytes";
    }
    return null;
  }

  private static String printable(String id) {
    if (id == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < id.length() && sb.length() < 80; i++) {
      char c = id.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    return id.length() > 80 ? sb + "..." : sb.toString();
  }

  // ------------------------------------------------------------------ locking

  /** Runs {@code body} under the store's write lock; a failed write's temporaries are removed. */
  private <T> T locked(boolean requireStore, Function<Txn, T> body) {
    StoreLock l = storeLock(requireStore);
    return l.locked(
        () -> {
          Txn txn = new Txn();
          try {
            return body.apply(txn);
          } catch (StorageException e) {
            cleanup(txn);
            throw e;
          }
        });
  }

  private StoreLock storeLock(boolean requireStore) {
    synchronized (lockGuard) {
      if (closed) {
        throw new StorageException(
            "the directory backend for " + root + " is closed; fetch a new one");
      }
      if (storeLock == null) {
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
        storeLock = StoreLock.acquire(real, LOCK, fileAttrs, chmodFile);
      }
      return storeLock;
    }
  }

  // ------------------------------------------------------------------ file primitives

  private String tempName(Kind kind) {
    long r = ThreadLocalRandom.current().nextLong();
    return TEMP_PREFIX + (kind == null ? "" : kind.tag + "-") + Long.toHexString(r);
  }

  private void writeNewFile(Path file, byte[] data) {
    try {
      try (FileChannel ch = FileChannel.open(file, CREATE_NEW, fileAttrs)) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        hook.after(Step.TEMP_WRITTEN, file);
        if (sync) {
          ch.force(true);
          hook.after(Step.FILE_SYNCED, file);
        }
      }
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
    } catch (IOException e) {
      throw ioFailure("write", file, e);
    }
  }

  private void symlink(Path link, Path target) {
    try {
      Files.createSymbolicLink(link, target);
      hook.after(Step.LINK_CREATED, link);
    } catch (IOException e) {
      throw ioFailure("create the link", link, e);
    }
  }

  private void move(Path from, Path to) {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      hook.after(Step.RENAMED, to);
    } catch (IOException e) {
      throw ioFailure("rename " + from.getFileName() + " to", to, e);
    }
  }

  private Path moveToTrash(Path p, Kind kind) {
    ensureStaging();
    Path t = staging.resolve(tempName(kind));
    try {
      Files.move(p, t, StandardCopyOption.ATOMIC_MOVE);
      hook.after(Step.REMOVED, p);
    } catch (IOException e) {
      throw ioFailure("move out of the store", p, e);
    }
    return t;
  }

  private void ensureStaging() {
    if (!Files.isDirectory(staging)) {
      mkdirIfMissing(staging);
    }
  }

  private void mkdir(Path dir) {
    try {
      Files.createDirectory(dir, dirAttrs);
      chmodDir(dir);
    } catch (IOException e) {
      throw ioFailure("create the directory", dir, e);
    }
  }

  private boolean mkdirIfMissing(Path dir) {
    try {
      Files.createDirectory(dir, dirAttrs);
      chmodDir(dir);
      return true;
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new StorageException(dir + " exists but is not a directory; move it away", e);
      }
      return false;
    } catch (IOException e) {
      throw ioFailure("create the directory", dir, e);
    }
  }

  private void chmodDir(Path dir) throws IOException {
    if (chmodDir != null) {
      Files.setPosixFilePermissions(dir, chmodDir);
    }
  }

  private void syncDirs(Txn txn) {
    for (Path d : txn.dirsToSync) {
      syncDir(d);
    }
    txn.dirsToSync.clear();
  }

  /** Makes the names in a directory (renames, links, deletions) survive a power loss. */
  private void syncDir(Path dir) {
    if (!sync || !posix) {
      // Without POSIX there is no portable way to open a directory; NTFS journals names itself.
      return;
    }
    try {
      try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
        ch.force(true);
      }
      hook.after(Step.DIR_SYNCED, dir);
    } catch (IOException e) {
      throw ioFailure("fsync the directory", dir, e);
    }
  }

  private void deleteTree(Path p) {
    try {
      Files.walkFileTree(
          p,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              if (exc != null) {
                throw exc;
              }
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
      hook.after(Step.DELETED, p);
    } catch (NoSuchFileException e) {
      // Already gone.
    } catch (IOException e) {
      throw ioFailure("delete", p, e);
    }
  }

  private void cleanup(Txn txn) {
    for (int i = txn.temps.size() - 1; i >= 0; i--) {
      Path t = txn.temps.get(i);
      try {
        if (Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
          deleteTree(t);
        } else {
          Files.deleteIfExists(t);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not remove temporary {} after a failed write", t, e);
      }
    }
  }

  private static byte[] readOrNull(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    } catch (IOException e) {
      throw ioFailure("read", file, e);
    }
  }

  /** The names in a directory that could be objects or links (not temporary), or none. */
  private static List<String> names(Path dir) {
    List<String> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      String n = p.getFileName().toString();
      if (!n.startsWith(".")) {
        out.add(n);
      }
    }
    return out;
  }

  private static List<Path> entries(Path dir) {
    List<Path> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      if (!p.getFileName().toString().startsWith(".")) {
        out.add(p);
      }
    }
    return out;
  }

  private static List<Path> allEntries(Path dir) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        out.add(p);
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return List.of();
    } catch (IOException e) {
      throw ioFailure("list", dir, e);
    }
    return out;
  }

  /** The child links of an object directory (TaskFlow's children are the symlinks). */
  private static List<String> linkNames(Path dir) {
    List<String> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      String n = p.getFileName().toString();
      if (!n.startsWith(".") && !n.equals(METADATA) && Files.isSymbolicLink(p)) {
        out.add(n);
      }
    }
    return out;
  }

  static StorageException ioFailure(String action, Path path, IOException e) {
    return new StorageException("could not " + action + " " + path + ": " + describe(e), e);
  }

  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied (check the owner and mode of the store's files)";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "it already exists";
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "the directory is not empty";
    }
    if (e instanceof AtomicMoveNotSupportedException) {
      return "atomic rename is not supported here (the whole store must be on one file system)";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : firstLine(m);
  }
}
