package io.taskflow4j.persistence.dir;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.taskflow4j.internal.AtomicFiles;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.ReadOnlyStoreException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreAccessDeniedException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.dir.DirWriteHook.Step;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.io.IOException;
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
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
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
 * Extra top-level JSON keys, which TaskFlow ignores (and drops when it rewrites a file): {@code
 * revision} (flow and atom details), {@code seq} (position of a child in its parent; a book's is
 * its save time, to order books saved within one clock tick), {@code next_seq} (a lower bound for
 * the next child position) and {@code parent} (the uuid of the owner, so an object whose link was
 * never made, or already removed, is recognised as an orphan).
 *
 * <p><b>Crash safety.</b> A changed metadata file is written in full to a temporary file in {@code
 * .tmp/} and renamed over the old one. A new object is assembled in {@code .tmp/} (its metadata and
 * its child links) and its directory renamed into place, so it appears complete or not at all; a
 * link added to an existing object is made in {@code .tmp/} and renamed into place. No temporary
 * ever appears inside an object directory, where TaskFlow would take a symlink for a child. A save
 * writes atoms, then flow details, then the book: every link is made after the object it points to
 * is in place. A delete first moves the book's directory out of {@code books/} (one atomic rename,
 * after which nothing links to its flow details) and then removes the rest. Readers skip temporary
 * names ({@code .}-prefixed), links whose object is gone and objects whose owner does not link
 * them; {@link #upgrade}, or else the first write of a backend, deletes what an interrupted write
 * left in {@code .tmp/} (and, from earlier builds, in object directories) under the write lock.
 *
 * <p><b>Concurrency.</b> Writes hold {@link StoreLock} (JVM mutex + {@code .lock} file lock), so
 * the revision checks and the writes they guard are atomic across threads and processes of
 * taskflow4j. Against TaskFlow, which knows nothing of {@code .lock} but locks {@code
 * <object>/lock} ({@code fasteners}, an fcntl lock) around each read and each write of an object, a
 * write also holds that lock of every existing object it reads and writes, taken after the store
 * lock in path order and kept until the write ends (a delete takes them one at a time). TaskFlow
 * holds at most one such lock at a time, so no order of ours can deadlock with it. Reads take no
 * lock and create nothing: each file we write is replaced atomically, so a reader sees each object
 * either before or after a write, never torn. (TaskFlow rewrites files in place, so a read racing a
 * TaskFlow write can still see a partial file and report it as corrupt.)
 *
 * <p><b>Fences.</b> {@code fences/<key>} holds the highest token of a job as a decimal number
 * (replaced atomically; a key that is no plain file name is stored under {@code ~<sha-256 hex>}).
 * Advances and the check of every fenced write run under the store lock, so they never interleave.
 *
 * <p><b>Revisions.</b> Our writes store a counter in {@code revision}. A record without it was last
 * written by TaskFlow; its revision is derived from a hash of its bytes, in a range far above our
 * counters ({@link #contentRevision}), so every TaskFlow write changes it: a copy read before
 * TaskFlow's write is refused, one read after it is accepted and stores that value + 1.
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
  private static final Set<StandardOpenOption> OBJECT_LOCK_OPEN =
      EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  // Revisions of records without a revision key (TaskFlow rewrote them) are derived from their
  // bytes into [2^62, 2^62 + 2^61): far above any counter of ours, so never equal to one.
  static final long CONTENT_REVISION_BASE = 1L << 62;
  // Positions of children are times in microseconds; older stores counted from 0.
  private static final long MIN_TIME_POSITION = 100_000_000_000_000L;
  static final String K_REVISION = "revision";
  static final String K_SEQ = "seq";
  static final String K_NEXT_SEQ = "next_seq";
  static final String K_PARENT = "parent";
  static final int MAX_ID_BYTES = 200;

  private static final Set<StandardOpenOption> CREATE_NEW =
      EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  // Positions are save times; this keeps them strictly increasing within one JVM even when the
  // clock does not advance between two saves.
  private static final AtomicLong LAST_POSITION = new AtomicLong();

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

  /** The bookkeeping keys of a stored object, read without building the whole object. */
  record Header(long revision, long seq, long nextSeq, String parent, String type) {}

  /** A child link: its name and its position (see {@link #nextPosition}). */
  private record Link(String name, long position) {}

  /** One object to write (a full metadata file) and the child links it gains. */
  private static final class ObjWrite {
    final Kind kind;
    final String uuid;
    final byte[] data;
    final boolean isNew;
    final List<Link> newLinks;
    Path prepared;

    ObjWrite(Kind kind, String uuid, byte[] data, boolean isNew, List<Link> newLinks) {
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
    // TaskFlow's object locks held until the write ends, by object directory. A second channel
    // on a file this JVM has locked must never be opened: closing it would drop the lock.
    final Map<Path, FileChannel> locks = new LinkedHashMap<>();
  }

  private final Path root;
  private final Path books;
  private final Path flows;
  private final Path atoms;
  private final Path staging;
  private final Path fences;
  private final boolean sync;
  private final boolean sweepOnUpgrade;
  private final DirWriteHook hook;
  private final FileAttribute<?>[] fileAttrs;
  private final FileAttribute<?>[] dirAttrs;
  private final Set<PosixFilePermission> chmodFile;
  private final Set<PosixFilePermission> chmodDir;
  private final boolean posix;
  // Whether a write flushes folders: when sync is on and AtomicFiles' folder rule allows it.
  private final boolean syncDirs;
  private final AtomicFiles.Steps hookSteps;
  private final Object lockGuard = new Object();
  private StoreLock storeLock; // guarded by lockGuard
  private boolean closed; // guarded by lockGuard
  // Whether this backend removed what interrupted writes left (upgrade() or its first write).
  // Read and written only with the store lock held.
  private boolean tidied;
  // While a replacement writes (store lock held): the atoms of the book it replaces, which may
  // change type or flow. Null otherwise.
  private Set<String> replacing;

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
    this.sync = sync;
    this.sweepOnUpgrade = sweepOnUpgrade;
    this.hook = hook;
    this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
    this.syncDirs = sync && AtomicFiles.canSyncDirectories(root);
    this.hookSteps =
        new AtomicFiles.Steps() {
          @Override
          public void written(Path file) throws IOException {
            hook.after(Step.TEMP_WRITTEN, file);
          }

          @Override
          public void synced(Path file) throws IOException {
            hook.after(Step.FILE_SYNCED, file);
          }
        };
    if (posix && filePerms != null) {
      this.fileAttrs = new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(filePerms)};
      this.dirAttrs = new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(dirPerms)};
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
    requireUsableRoot();
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectories(root, dirAttrs);
        chmodDir(root);
      }
    } catch (FileAlreadyExistsException e) {
      // made meanwhile, by another process, as something else than a directory
      throw notADirectory(root, e);
    } catch (IOException e) {
      throw ioFailure("create the store directory", root, e);
    }
    locked(
        false,
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
          tidied = true;
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
    requireUsableRoot();
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
    String notWritable = notWritable();
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

  /**
   * Throws when the store's path cannot be a store that this process may use: it is a file (or
   * another thing than a directory), or this user may not reach into it. Said before anything else,
   * since everything else would mislead: a store another user's mode hides looks like one missing
   * its directories, and a file like a store that does not exist yet (which {@code upgrade()} would
   * then be told to create). A path that does not exist passes: its callers say so in their way.
   *
   * @throws StorageException when the path, or a directory above it, is a file
   * @throws StoreAccessDeniedException when this user may not read the store's directory, or reach
   *     it
   */
  private void requireUsableRoot() {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(root, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return;
    } catch (AccessDeniedException e) {
      throw denied(firstUnsearchable(), e);
    } catch (IOException e) {
      // ENOTDIR: a directory above it is a file
      for (Path p = root.getParent(); p != null; p = p.getParent()) {
        if (Files.exists(p) && !Files.isDirectory(p)) {
          throw notADirectory(p, null);
        }
      }
      throw ioFailure("look at the store directory", root, e);
    }
    if (!a.isDirectory()) {
      throw notADirectory(root, null);
    }
    if (!Files.isReadable(root) || !Files.isExecutable(root)) {
      throw denied(root, null);
    }
  }

  /** The highest directory above the store this user may not search (enter), or the store's. */
  private Path firstUnsearchable() {
    List<Path> above = new ArrayList<>();
    for (Path p = root.getParent(); p != null; p = p.getParent()) {
      above.add(0, p);
    }
    for (Path p : above) {
      if (Files.isDirectory(p) && !Files.isExecutable(p)) {
        return p;
      }
    }
    return root;
  }

  private StorageException notADirectory(Path path, IOException cause) {
    String what = Files.isRegularFile(path) ? "a file" : "not a directory";
    StringBuilder m = new StringBuilder();
    m.append(path).append(" is ").append(what).append(", not a directory store");
    if (!path.equals(root)) {
      m.append(" (the store's path ").append(root).append(" is below it)");
    }
    m.append("; give the path of a store's directory (e.g. dir:///var/lib/app/flows), or move ")
        .append(path)
        .append(" away to make a new store there");
    return cause == null
        ? new StorageException(m.toString())
        : new StorageException(m.toString(), cause);
  }

  /**
   * This user may not read the store (its directory, or one above it, is {@code refused}): said as
   * such, with who owns what refused and its mode, so the way out is plain.
   */
  private StoreAccessDeniedException denied(Path refused, IOException cause) {
    String user = System.getProperty("user.name", "");
    String who = "this user" + (user.isBlank() ? "" : " ('" + user + "')");
    StringBuilder m = new StringBuilder("the directory store ").append(root);
    if (refused.equals(root)) {
      m.append(" exists but ").append(who).append(" may not read it");
    } else {
      m.append(" cannot be reached by ").append(who);
    }
    m.append(": permission denied on ").append(refused);
    try {
      m.append(" (owned by '")
          .append(Files.getOwner(refused).getName())
          .append("'")
          .append(
              posix
                  ? ", mode "
                      + PosixFilePermissions.toString(Files.getPosixFilePermissions(refused))
                  : "")
          .append(")");
    } catch (IOException | UnsupportedOperationException e) {
      m.append(" (its owner and mode cannot be read either)");
    }
    m.append(
        "; run the command as the user owning the store, or give this user access to it (its"
            + " mode, or permissions=group with a group both users are in)");
    return new StoreAccessDeniedException(m.toString(), cause);
  }

  /**
   * What stops this process from writing the store, or {@code null}: the three object directories,
   * the staging directory and the lock file, or, for those not made yet, the store directory.
   */
  private String notWritable() {
    Set<Path> needed = new LinkedHashSet<>();
    for (Path p : List.of(books, flows, atoms, staging, root.resolve(LOCK))) {
      // What does not exist yet is made in the store directory.
      needed.add(Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? p : root);
    }
    for (Path p : needed) {
      if (!Files.isWritable(p)) {
        return p + " is not writable";
      }
    }
    return null;
  }

  void clearAll(Fence fence) {
    locked(
        true,
        fence,
        "clearing the store",
        txn -> {
          // Books first, in one pass of renames: once they are gone nothing links to the rest.
          for (Path p : entries(books)) {
            moveToTrash(p, Kind.BOOK, txn);
          }
          syncDir(books);
          for (Path p : entries(flows)) {
            moveToTrash(p, Kind.FLOW, txn);
          }
          for (Path p : entries(atoms)) {
            moveToTrash(p, Kind.ATOM, txn);
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
      Kind kind =
          n.length() > TEMP_PREFIX.length() ? Kind.ofTag(n.charAt(TEMP_PREFIX.length())) : null;
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
        Path t = moveToTrash(obj, kind, txn);
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

  /**
   * Checks a book's ids, and that no atom detail is carried by two of its flow details; returns the
   * flow detail carrying each atom detail, by atom uuid.
   */
  private Map<String, String> checkBook(LogBook book) {
    Objects.requireNonNull(book, "book");
    checkId(book.uuid(), Kind.BOOK);
    for (FlowDetail fd : book.flows()) {
      checkIds(fd);
    }
    return WriteRules.atomOwners(book);
  }

  LogBook saveLogBook(LogBook book, Fence fence) {
    checkBook(book);
    return locked(
        true, fence, "logbook '" + book.uuid() + "'", txn -> saveLocked(txn, book, false));
  }

  /**
   * Replaces a stored book by {@code book} under one hold of the store lock: writes every record of
   * {@code book} (as a save does: atoms, flow details, then the book's metadata, each replaced
   * atomically, with the given creation time), then unlinks and removes what the stored book had
   * and {@code book} has not. Everything is checked before anything is written (ids, owners), so a
   * refused replacement leaves the stored book as it was. The book is never missing: a crash
   * half-way leaves it with some records new and some old, and a second replacement finishes it.
   */
  LogBook replaceLogBook(LogBook book, Fence fence) {
    Map<String, String> atomOwner = checkBook(book);
    return locked(
        true,
        fence,
        "the replacement of logbook '" + book.uuid() + "'",
        txn -> {
          Path bookDir = books.resolve(book.uuid());
          if (readOrNull(bookDir.resolve(METADATA)) == null) {
            return saveLocked(txn, book, true);
          }
          // The stored tree: flow links of the book, atom links of each of its flows.
          Map<String, List<String>> oldTree = new LinkedHashMap<>();
          Set<String> oldAtoms = new java.util.HashSet<>();
          for (String f : linkNames(bookDir)) {
            if (idProblem(f) != null) {
              continue;
            }
            List<String> as = new ArrayList<>();
            for (String a : linkNames(flows.resolve(f))) {
              if (idProblem(a) == null) {
                as.add(a);
              }
            }
            oldTree.put(f, as);
            oldAtoms.addAll(as);
          }
          LogBook written;
          replacing = oldAtoms;
          try {
            written = saveLocked(txn, book, true);
          } finally {
            replacing = null;
          }
          // Every new record is in place: remove what only the stored book had.
          Map<String, Set<String>> kept = new HashMap<>();
          for (FlowDetail fd : book.flows()) {
            Set<String> as = new java.util.HashSet<>();
            for (AtomDetail ad : fd.atoms()) {
              as.add(ad.uuid());
            }
            kept.put(fd.uuid(), as);
          }
          for (Map.Entry<String, List<String>> e : oldTree.entrySet()) {
            String f = e.getKey();
            Set<String> keptAtoms = kept.get(f);
            if (keptAtoms == null) {
              unlink(bookDir.resolve(f), txn);
              Path fdDir = flows.resolve(f);
              if (Files.exists(fdDir, LinkOption.NOFOLLOW_LINKS)) {
                purge(moveToTrash(fdDir, Kind.FLOW, txn), Kind.FLOW, f, txn);
                txn.dirsToSync.add(flows);
              }
              continue;
            }
            for (String a : e.getValue()) {
              if (keptAtoms.contains(a)) {
                continue;
              }
              unlink(flows.resolve(f).resolve(a), txn);
              if (!atomOwner.containsKey(a)) {
                Path adDir = atoms.resolve(a);
                if (Files.exists(adDir, LinkOption.NOFOLLOW_LINKS)) {
                  deleteTree(moveToTrash(adDir, Kind.ATOM, txn));
                  txn.dirsToSync.add(atoms);
                }
              }
            }
          }
          syncDirs(txn);
          return written;
        });
  }

  /** Removes one child link of an object directory (the object it names stays). */
  private void unlink(Path link, Txn txn) {
    try {
      Files.deleteIfExists(link);
    } catch (IOException e) {
      throw ioFailure("remove the link", link, e);
    }
    txn.dirsToSync.add(link.getParent());
  }

  /**
   * The body of a save, store lock held and ids checked: reads what is stored, checks every
   * revision and owner, then writes atoms, flow details and the book, in that order. {@code
   * replace}: the book's creation time is the one given, not the stored one.
   */
  private LogBook saveLocked(Txn txn, LogBook book, boolean replace) {
    Path bookDir = books.resolve(book.uuid());
    lockObjects(objectDirs(bookDir, book), txn);
    BookHeader old = bookHeader(bookDir);
    long seq = old == null ? nextPosition(-1) : old.seq();
    long floor = old == null ? -1 : old.nextSeq();
    // Check everything before writing anything: a conflict stores nothing.
    List<FlowPlan> plans = new ArrayList<>(book.size());
    for (FlowDetail fd : book.flows()) {
      long linkPos = old == null ? -1 : linkPosition(bookDir.resolve(fd.uuid()));
      FlowPlan plan = planFlow(fd, book.uuid(), linkPos >= 0, false);
      if (linkPos >= 0 && plan.seq < 0) {
        plan.seq = linkPos; // TaskFlow rewrote the flow detail: its link kept the position
      }
      plans.add(plan);
    }
    long next = floor;
    List<Link> newLinks = new ArrayList<>();
    for (FlowPlan p : plans) {
      if (!p.linked) {
        p.seq = nextPosition(floor);
        next = p.seq + 1;
        newLinks.add(new Link(p.fd.uuid(), p.seq));
      }
    }
    LogBook saved =
        WriteRules.savedBook(book, replace || old == null ? null : old.createdAt(), List.of());
    List<ObjWrite> atomWrites = new ArrayList<>();
    List<ObjWrite> flowWrites = new ArrayList<>();
    for (FlowPlan p : plans) {
      p.addWrites(atomWrites, flowWrites);
    }
    execute(atomWrites, txn);
    execute(flowWrites, txn);
    byte[] bookJson = bookJson(saved, seq, next);
    execute(List.of(new ObjWrite(Kind.BOOK, book.uuid(), bookJson, old == null, newLinks)), txn);
    List<FlowDetail> written = new ArrayList<>(plans.size());
    for (FlowPlan p : plans) {
      written.add(p.result());
    }
    return saved.withFlows(written);
  }

  /** The directories of a book and of every flow and atom detail it carries. */
  private List<Path> objectDirs(Path bookDir, LogBook book) {
    List<Path> objects = new ArrayList<>();
    objects.add(bookDir);
    for (FlowDetail fd : book.flows()) {
      objects.add(flows.resolve(fd.uuid()));
      for (AtomDetail ad : fd.atoms()) {
        objects.add(atoms.resolve(ad.uuid()));
      }
    }
    return objects;
  }

  /** What a save keeps of a stored book: its creation time (if readable) and its positions. */
  private record BookHeader(Instant createdAt, long seq, long nextSeq) {}

  /** The stored book's header, or {@code null} when the book is not stored. */
  private static BookHeader bookHeader(Path bookDir) {
    Path file = bookDir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    return new BookHeader(createdAt(m, file), longKey(m, K_SEQ, -1), longKey(m, K_NEXT_SEQ, -1));
  }

  private static byte[] bookJson(LogBook bare, long seq, long nextSeq) {
    Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.logBookToMap(bare, true));
    if (seq >= 0) {
      m.put(K_SEQ, seq);
    }
    if (nextSeq >= 0) {
      m.put(K_NEXT_SEQ, nextSeq);
    }
    return Json.writeBytes(m);
  }

  FlowDetail updateFlowDetails(FlowDetail fd, Fence fence) {
    Objects.requireNonNull(fd, "flowDetail");
    checkIds(fd);
    return locked(
        true,
        fence,
        "flow detail '" + fd.uuid() + "'",
        txn -> {
          List<Path> objects = new ArrayList<>();
          objects.add(flows.resolve(fd.uuid()));
          for (AtomDetail ad : fd.atoms()) {
            objects.add(atoms.resolve(ad.uuid()));
          }
          lockObjects(objects, txn);
          // (A flow detail TaskFlow rewrote has lost its seq and its parent: it stays without a
          // seq, and readers take its position from its book's link.)
          FlowPlan p = planFlow(fd, null, true, true);
          List<ObjWrite> atomWrites = new ArrayList<>();
          List<ObjWrite> flowWrites = new ArrayList<>();
          p.addWrites(atomWrites, flowWrites);
          execute(atomWrites, txn);
          execute(flowWrites, txn);
          return p.result();
        });
  }

  AtomDetail updateAtomDetails(AtomDetail ad, Fence fence) {
    Objects.requireNonNull(ad, "atomDetail");
    checkId(ad.uuid(), Kind.ATOM);
    return locked(
        true,
        fence,
        "atom detail '" + ad.uuid() + "'",
        txn -> {
          Path dir = atoms.resolve(ad.uuid());
          lockObjects(List.of(dir), txn);
          Path file = dir.resolve(METADATA);
          byte[] raw = readOrNull(file);
          Header h = raw == null ? null : header(file, raw);
          if (h == null || (h.parent() != null && !atomReachable(h.parent(), ad.uuid()))) {
            throw new NotFoundException(
                "Atom detail '" + ad.uuid() + "' not found; save it through its flow detail first");
          }
          WriteRules.checkAtom(ad, null, new Stored(h.parent(), h.revision(), h.type()));
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

  void destroyLogBook(String bookUuid, Fence fence) {
    checkId(bookUuid, Kind.BOOK);
    locked(
        true,
        fence,
        "the deletion of logbook '" + bookUuid + "'",
        txn -> {
          Path dir = books.resolve(bookUuid);
          if (!Files.exists(dir.resolve(METADATA))) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          // The commit point: one rename makes the book and its links disappear together.
          Path trash = moveToTrash(dir, Kind.BOOK, txn);
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
      List<Link> links = new ArrayList<>();
      for (AtomPlan a : atomPlans) {
        atomWrites.add(
            new ObjWrite(
                Kind.ATOM,
                a.ad.uuid(),
                atomJson(a.ad, a.newRev, a.seq, fd.uuid()),
                a.header == null,
                List.of()));
        if (!a.linked) {
          links.add(new Link(a.ad.uuid(), a.seq));
        }
      }
      Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.flowDetailToMap(fd));
      m.put(K_REVISION, newRev);
      if (seq >= 0) {
        m.put(K_SEQ, seq);
      }
      if (nextAtomSeq >= 0) {
        m.put(K_NEXT_SEQ, nextAtomSeq);
      }
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
    Header h = readHeader(fdDir);
    String parent = bookUuid;
    if (mustExist) {
      if (h == null || (h.parent() != null && !linkedFrom(Kind.BOOK, h.parent(), fd.uuid()))) {
        throw new NotFoundException(
            "Flow detail '" + fd.uuid() + "' not found; save it through its logbook first");
      }
      parent = h.parent();
      WriteRules.checkFlowRecord(fd, null, new Stored(parent, h.revision(), null));
    } else if (h != null) {
      WriteRules.checkFlowRecord(fd, bookUuid, stored(h, Kind.BOOK, fd.uuid(), bookUuid, false));
    }
    FlowPlan plan = new FlowPlan(fd, h, linked, parent);
    long floor = h == null ? -1 : h.nextSeq();
    long last = floor - 1;
    for (AtomDetail ad : fd.atoms()) {
      Header ah = readHeader(atoms.resolve(ad.uuid()));
      if (ah != null) {
        boolean replaced = replacing != null && replacing.contains(ad.uuid());
        WriteRules.checkAtom(ad, fd.uuid(), stored(ah, Kind.FLOW, ad.uuid(), fd.uuid(), replaced));
      }
      long linkPos = h == null ? -1 : linkPosition(fdDir.resolve(ad.uuid()));
      boolean atomLinked = linkPos >= 0;
      long seq;
      if (atomLinked && ah != null) {
        // TaskFlow rewrites atom files without our keys; the link it never touches kept it.
        seq = ah.seq() >= 0 ? ah.seq() : linkPos;
      } else {
        seq = last = nextPosition(floor);
      }
      plan.atomPlans.add(new AtomPlan(ad, ah, atomLinked, seq, ah == null ? 1 : ah.revision() + 1));
    }
    plan.nextAtomSeq = Math.max(last + 1, floor);
    return plan;
  }

  /** The header of an object's metadata file, or {@code null} when it has none. */
  private static Header readHeader(Path objectDir) {
    Path file = objectDir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    return raw == null ? null : header(file, raw);
  }

  /**
   * A stored flow or atom detail as the write rules see it. Its parent key counts only when that
   * parent still links it (TaskFlow writes no parent key, and a detail moved by a replacement keeps
   * a stale one); an atom detail of the book being replaced belongs to it whatever its key says,
   * and may change its type.
   *
   * @param parent the parent it is written under
   */
  private Stored stored(Header h, Kind parentKind, String uuid, String parent, boolean replaced) {
    String owner = parent;
    if (!replaced
        && h.parent() != null
        && !h.parent().equals(parent)
        && linkedFrom(parentKind, h.parent(), uuid)) {
      owner = h.parent();
    }
    return new Stored(owner, h.revision(), replaced ? null : h.type());
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

  /**
   * A new position: strictly increasing within this JVM, at least {@code floor} (the parent's
   * {@code next_seq}, so a child added by another process after a burst of positions still comes
   * last), and otherwise the time in microseconds. Positions are times so that they compare with
   * the modification times of links TaskFlow made (microseconds: what link times can be set to).
   */
  private static long nextPosition(long floor) {
    Instant now = Instant.now();
    long t = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    return LAST_POSITION.updateAndGet(prev -> Math.max(Math.max(prev + 1, t), floor));
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
    if (w.isNew) {
      ensureStaging();
      Path staged = staging.resolve(tempName(w.kind));
      mkdir(staged);
      txn.temps.add(staged);
      writeNewFile(staged.resolve(METADATA), w.data);
      Path childRoot = root.resolve(w.kind.child() == null ? "" : w.kind.child().dirName);
      for (Link c : w.newLinks) {
        symlink(staged.resolve(c.name()), childRoot.resolve(c.name()), c.position());
      }
      syncDir(staged);
      w.prepared = staged;
    } else {
      // In the staging directory, not the object's: TaskFlow lists an object directory's
      // symlinks as its children and deletes object directories without our lock.
      Path temp = staging.resolve(tempName(null));
      txn.temps.add(temp);
      try {
        writeNewFile(temp, w.data);
      } catch (StorageException e) {
        if (!(e.getCause() instanceof NoSuchFileException) || Files.isDirectory(staging)) {
          throw e;
        }
        // Someone removed the staging directory (it is never checked per write: one syscall
        // less on the hot path); make it again.
        ensureStaging();
        writeNewFile(temp, w.data);
      }
      w.prepared = temp;
    }
  }

  private void commit(ObjWrite w, Txn txn) {
    Path kindDir = root.resolve(w.kind.dirName);
    Path objDir = kindDir.resolve(w.uuid);
    if (w.isNew) {
      if (Files.exists(objDir, LinkOption.NOFOLLOW_LINKS)) {
        // A directory without metadata (a TaskFlow phantom, or damage): it is not an object.
        moveToTrash(objDir, w.kind, txn);
      }
      move(w.prepared, objDir);
      txn.dirsToSync.add(kindDir);
    } else {
      move(w.prepared, objDir.resolve(METADATA));
      txn.dirsToSync.add(objDir);
      for (Link c : w.newLinks) {
        Path childRoot = root.resolve(w.kind.child().dirName);
        Path temp = staging.resolve(tempName(null));
        txn.temps.add(temp);
        symlink(temp, childRoot.resolve(c.name()), c.position());
        move(temp, objDir.resolve(c.name()));
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
        Path t = moveToTrash(childDir, ck, txn);
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
    Loaded<LogBook> b = readBook(uuid, lazy, null);
    if (b == null) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return b.value;
  }

  List<LogBook> getLogBooks(boolean lazy) {
    ensureOpen();
    requireUsableRootWithoutBooks();
    List<Loaded<LogBook>> found = new ArrayList<>();
    for (String name : names(books)) {
      if (idProblem(name) != null) {
        continue;
      }
      Loaded<LogBook> b = readBook(name, lazy, null);
      if (b != null) {
        found.add(b);
      }
    }
    found.sort(BOOK_ORDER);
    List<LogBook> out = new ArrayList<>(found.size());
    for (Loaded<LogBook> l : found) {
      out.add(l.value);
    }
    return out;
  }

  /**
   * A store without {@code books/} has no logbooks (TaskFlow makes it on its first write), unless
   * there is no store at all to read: a file, or a directory this user may not enter, which reads
   * as empty too and must not pass for an empty store.
   */
  private void requireUsableRootWithoutBooks() {
    if (!Files.isDirectory(books)) {
      requireUsableRoot();
    }
  }

  /** Oldest first: by creation time, then save position, then uuid. */
  private static final Comparator<Loaded<LogBook>> BOOK_ORDER =
      Comparator.comparing((Loaded<LogBook> l) -> l.value.createdAt())
          .thenComparingLong(l -> l.seq)
          .thenComparing(l -> l.name);

  /**
   * The tolerant scan ({@link io.taskflow4j.persistence.Connection#forEachLogBook}) in two passes:
   * the first reads each book's own record (lazily, one at a time) to sort the books, keeping only
   * its uuid, creation time and position; the second reads the books in that order one at a time,
   * with their flow and atom details unless lazy, and hands each over before reading the next. So
   * it holds one small key per book and one book at a time. A damaged record goes to {@code
   * damaged} (a book's own in the first pass, its details' in the second) and its book is skipped.
   * Reads take no lock, so the consumers may write.
   */
  void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> out,
      Consumer<? super CorruptRecordException> damaged) {
    ensureOpen();
    requireUsableRootWithoutBooks();
    List<Loaded<LogBook>> keys = new ArrayList<>();
    for (String name : names(books)) {
      if (idProblem(name) != null) {
        continue;
      }
      Loaded<LogBook> b;
      try {
        b = readBook(name, true, null);
      } catch (CorruptRecordException e) {
        damaged.accept(e);
        continue;
      }
      if (b != null) {
        // Only the sort key is kept: the book is read again, in full, in its turn.
        LogBook key = LogBook.of(name, "", b.value.createdAt(), null, Map.of(), List.of());
        keys.add(new Loaded<>(key, b.seq, -1, name));
      }
    }
    keys.sort(BOOK_ORDER);
    for (Loaded<LogBook> key : keys) {
      List<CorruptRecordException> found = new ArrayList<>();
      Loaded<LogBook> b;
      try {
        b = readBook(key.name, lazy, found);
      } catch (CorruptRecordException e) {
        found.add(e);
        b = null;
      }
      if (!found.isEmpty()) {
        found.forEach(damaged);
      } else if (b != null) {
        out.accept(b.value); // (null: deleted since the first pass)
      }
    }
  }

  List<FlowDetail> getFlowsForBook(String uuid) {
    checkId(uuid, Kind.BOOK);
    ensureOpen();
    Path dir = books.resolve(uuid);
    if (!Files.exists(dir.resolve(METADATA))) {
      throw new NotFoundException("Logbook '" + uuid + "' not found");
    }
    return readFlowsOf(dir, uuid, null);
  }

  FlowDetail getFlowDetails(String uuid, boolean lazy) {
    checkId(uuid, Kind.FLOW);
    ensureOpen();
    Loaded<FlowDetail> f = readFlow(uuid, -1, lazy, true, null, null);
    if (f == null) {
      throw new NotFoundException("Flow detail '" + uuid + "' not found");
    }
    return f.value;
  }

  AtomDetail getAtomDetails(String uuid) {
    checkId(uuid, Kind.ATOM);
    ensureOpen();
    Loaded<AtomDetail> a = readAtom(uuid, -1, true);
    if (a == null) {
      throw new NotFoundException("Atom detail '" + uuid + "' not found");
    }
    return a.value;
  }

  List<AtomDetail> getAtomsForFlow(String uuid) {
    return getFlowDetails(uuid, false).atoms();
  }

  /** An object read from disk with its position among its siblings. */
  private record Loaded<T>(T value, long seq, long linkPosition, String name) {
    /** Where it sorts: its recorded position, or (TaskFlow dropped it) its link's. */
    long position() {
      return seq >= MIN_TIME_POSITION || linkPosition < 0 ? seq : linkPosition;
    }
  }

  /**
   * A book, or {@code null} when it does not exist. A damaged flow or atom detail is added to
   * {@code damage} when given (the book is then returned without it), else thrown; a damaged book
   * record is thrown.
   */
  private Loaded<LogBook> readBook(String uuid, boolean lazy, List<CorruptRecordException> damage) {
    Path dir = books.resolve(uuid);
    Path file = dir.resolve(METADATA);
    byte[] raw = readOrNull(file);
    if (raw == null) {
      return null;
    }
    Map<?, ?> m = parseMap(file, raw);
    List<FlowDetail> fds = lazy ? List.of() : readFlowsOf(dir, uuid, damage);
    try {
      return new Loaded<>(TaskFlowFormat.logBookFromMap(m, fds), longKey(m, K_SEQ, -1), -1, uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /**
   * The flow details a book links, in order. A damaged one (or a damaged atom of one) is added to
   * {@code damage} when given, and left out; else it is thrown, naming the book.
   */
  private List<FlowDetail> readFlowsOf(
      Path bookDir, String bookUuid, List<CorruptRecordException> damage) {
    List<Loaded<FlowDetail>> found = new ArrayList<>();
    for (Link c : links(bookDir)) {
      if (idProblem(c.name()) != null) {
        continue;
      }
      Loaded<FlowDetail> f;
      try {
        f = readFlow(c.name(), c.position(), false, false, bookUuid, damage);
      } catch (CorruptRecordException e) {
        if (damage == null) {
          throw e.inBook(bookUuid);
        }
        damage.add(e.inBook(bookUuid));
        continue;
      }
      if (f != null) {
        found.add(f);
      } else {
        LOG.debug("skipping link {} of {}: its flow detail is gone", c, bookDir);
      }
    }
    return sorted(found);
  }

  private Loaded<FlowDetail> readFlow(
      String uuid,
      long linkPosition,
      boolean lazy,
      boolean checkOwner,
      String bookUuid,
      List<CorruptRecordException> damage) {
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
    String book = bookUuid != null ? bookUuid : m.get(K_PARENT) instanceof String p ? p : null;
    List<AtomDetail> ads = lazy ? List.of() : readAtomsOf(dir, book, damage);
    try {
      return new Loaded<>(
          TaskFlowFormat.flowDetailFromMap(m, ads, revision(m, raw)),
          longKey(m, K_SEQ, -1),
          linkPosition,
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /** As {@link #readFlowsOf}, for the atoms a flow detail links. */
  private List<AtomDetail> readAtomsOf(
      Path flowDir, String bookUuid, List<CorruptRecordException> damage) {
    List<Loaded<AtomDetail>> found = new ArrayList<>();
    for (Link c : links(flowDir)) {
      if (idProblem(c.name()) != null) {
        continue;
      }
      Loaded<AtomDetail> a;
      try {
        a = readAtom(c.name(), c.position(), false);
      } catch (CorruptRecordException e) {
        if (damage == null) {
          throw e.inBook(bookUuid);
        }
        damage.add(e.inBook(bookUuid));
        continue;
      }
      if (a != null) {
        found.add(a);
      } else {
        LOG.debug("skipping link {} of {}: its atom detail is gone", c, flowDir);
      }
    }
    return sorted(found);
  }

  private Loaded<AtomDetail> readAtom(String uuid, long linkPosition, boolean checkOwner) {
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
          TaskFlowFormat.atomFromEnvelope(m, revision(m, raw)),
          longKey(m, K_SEQ, -1),
          linkPosition,
          uuid);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  /**
   * Insertion order: by position (a time); between equal positions (links of a store written before
   * positions were times, or times of a coarse file system) by the recorded counter, then by uuid.
   */
  private static <T> List<T> sorted(List<Loaded<T>> found) {
    found.sort(
        Comparator.comparingLong((Loaded<T> l) -> l.position())
            .thenComparingLong(l -> l.seq)
            .thenComparing(l -> l.name));
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
    return Files.isSymbolicLink(
        root.resolve(parentKind.dirName).resolve(parentUuid).resolve(childUuid));
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
    long revision = -1;
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
          case K_REVISION -> revision = number(p, v, file, name, -1);
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
    return new Header(revision >= 0 ? revision : contentRevision(raw), seq, nextSeq, parent, type);
  }

  /** The revision of a parsed record: its {@code revision} key, or derived from its bytes. */
  private static long revision(Map<?, ?> m, byte[] raw) {
    long r = longKey(m, K_REVISION, -1);
    return r >= 0 ? r : contentRevision(raw);
  }

  /**
   * The revision of a record without a {@code revision} key: TaskFlow wrote it (from {@code
   * to_dict()}, dropping our keys). Derived from the file's bytes, so every TaskFlow write that
   * changes the record changes it: a copy read before that write no longer matches (a stale write
   * is refused), a copy read after it does (and our write then stores this value + 1 in the key,
   * above every counter of ours). The range is disjoint from our counters, which start at 1 and
   * grow by one per write.
   */
  static long contentRevision(byte[] raw) {
    byte[] d;
    try {
      d = MessageDigest.getInstance("SHA-256").digest(raw);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (d[i] & 0xff);
    }
    return CONTENT_REVISION_BASE + (h & ((1L << 61) - 1));
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

  /**
   * A record's file cannot be read as one: a {@link CorruptRecordException} naming the record (kind
   * and uuid from the file's place in the layout, {@code <kind dir>/<uuid>/metadata}) and the file.
   */
  static StorageException corrupt(Path file, String why, Throwable cause) {
    Path object = file.getParent();
    Path kindDir = object == null ? null : object.getParent();
    Kind kind = kindDir == null ? null : Kind.ofDirName(kindDir.getFileName().toString());
    if (kind == null) {
      return new StorageException("unreadable file " + file + ": " + firstLine(why), cause);
    }
    return new CorruptRecordException(
        kind.recordKind,
        object.getFileName().toString(),
        null,
        "file " + file,
        firstLine(why),
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
    locked(
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
          if (mkdirIfMissing(fences)) {
            syncDir(root);
          }
          ensureStaging();
          Path tmp = staging.resolve(tempName(null));
          txn.temps.add(tmp);
          writeNewFile(tmp, Long.toString(fence.token()).getBytes(StandardCharsets.US_ASCII));
          move(tmp, fenceFile(fence.key()));
          syncDir(fences);
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
  private void checkFence(Fence fence, String what) {
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

  // ------------------------------------------------------------------ locking

  /**
   * {@link #locked(boolean, Function)}, refusing the write of {@code what} first if {@code fence}
   * is stale.
   */
  private <T> T locked(boolean requireStore, Fence fence, String what, Function<Txn, T> body) {
    return locked(
        requireStore,
        txn -> {
          checkFence(fence, what);
          return body.apply(txn);
        });
  }

  /** Runs {@code body} under the store's write lock; a failed write's temporaries are removed. */
  private <T> T locked(boolean requireStore, Function<Txn, T> body) {
    return locked(requireStore, true, body);
  }

  /**
   * As {@link #locked(boolean, Function)}; {@code tidyFirst}: the first time this backend takes the
   * lock, it first removes what interrupted writes left ({@link #tidyOnce}).
   */
  private <T> T locked(boolean requireStore, boolean tidyFirst, Function<Txn, T> body) {
    StoreLock l = storeLock(requireStore);
    return l.locked(
        () -> {
          if (tidyFirst) {
            tidyOnce();
          }
          Txn txn = new Txn();
          try {
            return body.apply(txn);
          } catch (StorageException e) {
            cleanup(txn);
            throw e;
          } finally {
            List<FileChannel> held = new ArrayList<>(txn.locks.values());
            for (int i = held.size() - 1; i >= 0; i--) {
              closeQuietly(held.get(i));
            }
          }
        });
  }

  /**
   * Before the first write of this backend (store lock held): removes what interrupted writes left,
   * as {@link #upgrade} does, so that a store opened without upgrade() (to resume a flow, to delete
   * a book) is tidied by the first command that writes, while reads never change anything. Safe
   * against live writers: every write, of this process or another, makes its temporaries and
   * removes or renames them while holding the store lock, so with the lock held whatever is left is
   * from a write that died. A store that cannot be tidied still takes the write; why is logged.
   */
  private void tidyOnce() {
    if (tidied) {
      return;
    }
    tidied = true;
    Txn txn = new Txn();
    try {
      sweep(txn);
    } catch (StorageException e) {
      LOG.warn("could not remove what interrupted writes left in {}: {}", root, e.getMessage());
    } finally {
      for (FileChannel ch : txn.locks.values()) {
        closeQuietly(ch);
      }
    }
  }

  private StoreLock storeLock(boolean requireStore) {
    synchronized (lockGuard) {
      if (closed) {
        throw new StorageException(
            "the directory backend for " + root + " is closed; fetch a new one");
      }
      if (storeLock == null) {
        requireUsableRoot();
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
    // Plain temporaries get tag 't', so a sweep never mistakes one for a staged object.
    return TEMP_PREFIX + (kind == null ? 't' : kind.tag) + "-" + Long.toHexString(r);
  }

  private void writeNewFile(Path file, byte[] data) {
    try {
      AtomicFiles.writeNew(file, data, sync, hookSteps, fileAttrs);
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
    } catch (IOException e) {
      throw ioFailure("write", file, e);
    }
  }

  /**
   * Makes a child link whose modification time is the child's position: TaskFlow rewrites metadata
   * files without our keys but never touches a link it finds, so the link is where a child's
   * position survives whatever TaskFlow writes.
   */
  private void symlink(Path link, Path target, long position) {
    try {
      Files.createSymbolicLink(link, target);
      if (position >= 0) {
        Files.getFileAttributeView(link, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(FileTime.from(position, TimeUnit.MICROSECONDS), null, null);
      }
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

  /**
   * Moves an object directory out of the store, holding TaskFlow's lock of the object meanwhile (so
   * a TaskFlow write of it finishes first, or finds it gone). One lock at a time: a delete never
   * waits for a lock while holding another.
   */
  private Path moveToTrash(Path p, Kind kind, Txn txn) {
    ensureStaging();
    Path t = staging.resolve(tempName(kind));
    // Unless this write holds it already (a TaskFlow phantom directory replaced by a new object).
    FileChannel lock = txn.locks.containsKey(p) ? null : lockObject(p);
    try {
      Files.move(p, t, StandardCopyOption.ATOMIC_MOVE);
      hook.after(Step.REMOVED, p);
    } catch (IOException e) {
      throw ioFailure("move out of the store", p, e);
    } finally {
      closeQuietly(lock);
    }
    return t;
  }

  /**
   * Takes TaskFlow's per-object locks ({@code <object dir>/lock}, which TaskFlow holds with {@code
   * fasteners.InterProcessLock} around each read and write of an object) for the objects of a write
   * that exist, in one fixed order (by path), until the write ends. Objects that do not exist yet
   * are made in {@code .tmp/} and renamed into place, so they need none.
   */
  private void lockObjects(List<Path> objectDirs, Txn txn) {
    for (Path dir : new TreeSet<>(objectDirs)) {
      if (!txn.locks.containsKey(dir)) {
        FileChannel ch = lockObject(dir);
        if (ch != null) {
          txn.locks.put(dir, ch);
        }
      }
    }
  }

  /** Locks {@code dir/lock} (made if missing), or returns {@code null} when {@code dir} is gone. */
  private FileChannel lockObject(Path dir) {
    Path file = dir.resolve(OBJECT_LOCK);
    FileChannel ch;
    try {
      // No existence check first: opening fails on a missing directory (and never makes one).
      ch = FileChannel.open(file, OBJECT_LOCK_OPEN, fileAttrs);
    } catch (NoSuchFileException e) {
      return null; // a new object, or removed meanwhile
    } catch (IOException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        return null; // not an object directory after all
      }
      throw ioFailure("open the lock file", file, e);
    }
    try {
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
      // Whole-file fcntl lock, the kind TaskFlow's lockf() takes: the two exclude each other.
      ch.lock();
      return ch;
    } catch (IOException e) {
      closeQuietly(ch);
      throw ioFailure("lock", file, e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close(); // releases the lock
      } catch (IOException ignored) {
        // Closing a lock file cannot lose data.
      }
    }
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
    if (!syncDirs) {
      return;
    }
    try {
      AtomicFiles.syncDirectory(dir);
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
    for (Link l : links(dir)) {
      out.add(l.name());
    }
    return out;
  }

  /** The child links of an object directory with their positions (their modification times). */
  private static List<Link> links(Path dir) {
    List<Link> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      String n = p.getFileName().toString();
      if (!n.startsWith(".") && !n.equals(METADATA)) {
        long pos = linkPosition(p);
        if (pos >= 0) {
          out.add(new Link(n, pos));
        }
      }
    }
    return out;
  }

  /** The position a link records (its modification time in microseconds), or -1: no link. */
  private static long linkPosition(Path link) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(link, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return -1; // gone (or unreadable, which the read of its object reports)
    }
    return a.isSymbolicLink() ? Math.max(0, a.lastModifiedTime().to(TimeUnit.MICROSECONDS)) : -1;
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
