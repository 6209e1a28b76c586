package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFormat.firstLine;
import static io.taskflow4j.persistence.dir.DirStore.ATOMS;
import static io.taskflow4j.persistence.dir.DirStore.BOOKS;
import static io.taskflow4j.persistence.dir.DirStore.FLOWS;
import static io.taskflow4j.persistence.dir.DirStore.LOCK;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;
import static io.taskflow4j.persistence.dir.DirStore.OBJECT_LOCK;
import static io.taskflow4j.persistence.dir.DirStore.STAGING;
import static io.taskflow4j.persistence.dir.DirStore.TEMP_PREFIX;

import io.taskflow4j.internal.AtomicFiles;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.StoreAccessDeniedException;
import io.taskflow4j.persistence.dir.DirFiles.Link;
import io.taskflow4j.persistence.dir.DirStore.Kind;
import io.taskflow4j.persistence.dir.DirWriteHook.Step;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The file-system primitives of a {@link DirStore} with the store's options applied (permissions,
 * {@code durability}, the {@link DirWriteHook}): atomic file writes and renames through {@link
 * AtomicFiles}, links, folder flushes, TaskFlow's object locks, listings, and what the file system
 * says when the store cannot be used (not a directory, permission denied). Every step a write makes
 * on disk goes through here, so the hook sees each one.
 */
final class DirFiles {
  private static final Set<StandardOpenOption> OBJECT_LOCK_OPEN =
      EnumSet.of(StandardOpenOption.WRITE);
  private static final Set<StandardOpenOption> MARKER_OPEN =
      EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  private static final Set<StandardOpenOption> REWRITE_OPEN = EnumSet.of(StandardOpenOption.WRITE);

  /** A child link: its name and its position (see {@link DirWriter#nextPosition}). */
  record Link(String name, long position) {}

  final Path root;
  final Path staging;
  final boolean sync;
  final DirWriteHook hook;
  final FileAttribute<?>[] fileAttrs;
  final FileAttribute<?>[] dirAttrs;
  final Set<PosixFilePermission> chmodFile;
  final Set<PosixFilePermission> chmodDir;
  private final boolean posix;

  // Whether a write flushes folders: when sync is on and AtomicFiles' folder rule allows it.
  final boolean syncDirs;
  private final AtomicFiles.Steps hookSteps;

  DirFiles(
      Path root,
      boolean sync,
      DirWriteHook hook,
      Set<PosixFilePermission> filePerms,
      Set<PosixFilePermission> dirPerms,
      boolean forcePerms) {
    this.root = root;
    this.staging = root.resolve(STAGING);
    this.sync = sync;
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

  // ------------------------------------------------------------------ file primitives

  String tempName(Kind kind) {
    long r = ThreadLocalRandom.current().nextLong();
    // Plain temporaries get tag 't', so a sweep never mistakes one for a staged object.
    return TEMP_PREFIX + (kind == null ? 't' : kind.tag) + "-" + Long.toHexString(r);
  }

  void writeNewFile(Path file, byte[] data) {
    writeNewFile(file, data, sync);
  }

  /**
   * Writes a new file, synced only when {@code andSync} (a batch syncs its files together: {@link
   * #syncAll}).
   */
  void writeNewFile(Path file, byte[] data, boolean andSync) {
    try {
      AtomicFiles.writeNew(file, data, andSync, hookSteps, fileAttrs);
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
    } catch (IOException e) {
      throw ioFailure("write", file, e);
    }
  }

  /**
   * Writes an atom's marker in place ({@link AtomMarker}): never synced, never renamed, never
   * truncated (a marker's frame says where its record ends).
   */
  void writeMarker(Path file, byte[] data) {
    writeFromStart(file, data, MARKER_OPEN, "write the marker");
    try {
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
      hook.after(Step.MARKER_WRITTEN, file);
    } catch (IOException e) {
      throw ioFailure("write the marker", file, e);
    }
  }

  /**
   * Writes a commit frame over an atom's marker file ({@link AtomMarker}) and syncs it: one
   * overwrite of a file whose name is durable (made with its atom), so one flush of the disk's
   * cache. The file must exist.
   */
  void commitMarker(Path file, byte[] data) {
    try (FileChannel ch = FileChannel.open(file, REWRITE_OPEN)) {
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf, buf.position());
      }
      hook.after(Step.MARKER_WRITTEN, file);
      ch.force(false);
      hook.after(Step.FILE_SYNCED, file);
    } catch (IOException e) {
      throw ioFailure("commit the marker", file, e);
    }
  }

  /**
   * Syncs a file's bytes ({@code fdatasync}): the metadata of an atom rewritten in place after its
   * commit frame; the hook sees it when {@code hooked} (only the writing thread calls the hook). A
   * file that is gone (its atom was deleted) is not synced.
   */
  void syncData(Path file, boolean hooked) {
    if (syncDataIfThere(file) && hooked) {
      afterSynced(file);
    }
  }

  /** Syncs a file's bytes; {@code false} when it is gone (its atom was deleted). */
  private boolean syncDataIfThere(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.force(false);
      return true;
    } catch (NoSuchFileException | NotDirectoryException e) {
      return false;
    } catch (IOException e) {
      throw ioFailure("fsync", file, e);
    }
  }

  /**
   * Threads that sync the files of one batch at once ({@link #syncAll}, {@link #syncDataAll}). A
   * disk serves syncs that wait together with shared flushes of its cache: on the harness's virtual
   * disk, overwrite-and-{@code fdatasync} loops on files of their own did 1,300 syncs/s from one
   * thread, 6,700 from 16, 22,000 from 64 and 34,000 from 128 (the threads wait, and go after ten
   * idle seconds).
   */
  static final int SYNC_THREADS = 64;

  private static final ExecutorService SYNC_POOL = syncPool();

  private static ExecutorService syncPool() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            SYNC_THREADS,
            SYNC_THREADS,
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "taskflow4j-dir-fsync-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Runs {@code each} for 0 to {@code count - 1} on the sync threads, in at most {@code threads}
   * parts of consecutive indexes, each part in order; a part stops at its first exception, which
   * its future holds.
   */
  private static List<Future<?>> inParts(
      int count, int threads, java.util.function.IntConsumer each) {
    int n = Math.max(1, Math.min(threads, count));
    int per = (count + n - 1) / n;
    List<Future<?>> parts = new ArrayList<>(n);
    for (int from = 0; from < count; from += per) {
      int start = from;
      int end = Math.min(count, from + per);
      parts.add(
          SYNC_POOL.submit(
              () -> {
                for (int i = start; i < end; i++) {
                  each.accept(i);
                }
              }));
    }
    return parts;
  }

  /**
   * Syncs {@code written} (new files) and then, where folders can be synced, {@code dirs}, many at
   * once: on a journaling file system syncs that wait together share the journal's commits, so a
   * batch of new objects (a flow's atoms) costs a few commits rather than two per object. Returns
   * once all are synced; the hook sees each, from this thread, after all are done.
   *
   * @throws StorageException naming the first file that could not be synced
   */
  void syncAll(List<Path> written, List<Path> dirs) {
    List<Path> all = new ArrayList<>(written);
    if (syncDirs) {
      all.addAll(dirs);
    }
    List<Future<?>> parts =
        inParts(
            all.size(),
            SYNC_THREADS,
            i -> {
              Path p = all.get(i);
              try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ch.force(true);
              } catch (IOException e) {
                throw ioFailure("fsync", p, e);
              }
            });
    StorageException failed = null;
    for (Future<?> f : parts) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failed == null) {
          failed =
              e.getCause() instanceof StorageException se
                  ? se
                  : new StorageException("could not fsync: " + e.getCause(), e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted while syncing " + all.size() + " files", e);
      }
    }
    if (failed != null) {
      throw failed;
    }
    try {
      for (Path p : written) {
        hook.after(Step.FILE_SYNCED, p);
      }
      if (syncDirs) {
        for (Path d : dirs) {
          hook.after(Step.DIR_SYNCED, d);
        }
      }
    } catch (IOException e) {
      throw ioFailure("fsync", root, e);
    }
  }

  /**
   * What a sync of one file of {@link #syncDataAll} came to: {@code synced} (false: the file was
   * gone, with its atom), or the {@code failure}.
   */
  record DataSync(boolean synced, StorageException failure) {
    static final DataSync SYNCED = new DataSync(true, null);
    static final DataSync GONE = new DataSync(false, null);
  }

  /**
   * Syncs the bytes of {@code files} ({@code fdatasync}, as {@link #syncData}), up to {@code
   * parallelism} at once on the sync threads: syncs that wait together share the disk's cache
   * flushes. Returns each file's outcome, in the order of {@code files}; the hook sees nothing
   * (callers that hook call {@link #afterSynced} themselves).
   */
  List<DataSync> syncDataAll(List<Path> files, int parallelism) {
    int threads = Math.min(Math.min(SYNC_THREADS, parallelism), files.size());
    DataSync[] out = new DataSync[files.size()];
    if (threads <= 1) {
      for (int i = 0; i < out.length; i++) {
        out[i] = syncDataQuietly(files.get(i));
      }
      return List.of(out);
    }
    List<Future<?>> parts =
        inParts(files.size(), threads, i -> out[i] = syncDataQuietly(files.get(i)));
    boolean interrupted = false;
    for (Future<?> f : parts) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // the syncs go on; their outcome must be known
        } catch (ExecutionException e) {
          break; // an Error in the pool's thread: its files stay unsettled, below
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) {
        out[i] =
            new DataSync(false, new StorageException("could not fsync '" + files.get(i) + "'"));
      }
    }
    return List.of(out);
  }

  private DataSync syncDataQuietly(Path file) {
    try {
      return syncDataIfThere(file) ? DataSync.SYNCED : DataSync.GONE;
    } catch (StorageException e) {
      return new DataSync(false, e);
    } catch (RuntimeException e) {
      return new DataSync(false, new StorageException("could not fsync '" + file + "': " + e, e));
    }
  }

  /** Tells the hook that {@code file} was synced ({@link #syncDataAll} does not). */
  void afterSynced(Path file) {
    try {
      hook.after(Step.FILE_SYNCED, file);
    } catch (IOException e) {
      throw ioFailure("fsync", file, e);
    }
  }

  /**
   * Makes an empty file (an atom's marker file in its staged directory, whose sync makes its name
   * durable). Not synced: it holds nothing.
   */
  void createEmpty(Path file) {
    try {
      Files.createFile(file, fileAttrs);
      if (chmodFile != null) {
        Files.setPosixFilePermissions(file, chmodFile);
      }
    } catch (IOException e) {
      throw ioFailure("create", file, e);
    }
  }

  /**
   * The most bytes a record rewritten in place may have ({@link #rewriteInPlace}): one page of the
   * smallest size the platforms in use have, so that the write, at offset 0, touches one page.
   */
  static final int IN_PLACE_MAX = 4096;

  /**
   * Rewrites an atom's record over itself ({@code durability=process} only): one write at offset 0
   * of at most {@link #IN_PLACE_MAX} bytes, never truncated (a record shorter than the file comes
   * padded with spaces, which JSON readers skip), never synced, never renamed. A write of one page
   * from memory the kernel does not have to fault in is not cut by the death of the process: the
   * file holds the old record or the new one. Readers racing it may read it half-written, and read
   * again ({@link AtomMarker#read}).
   */
  void rewriteInPlace(Path file, byte[] data) {
    if (data.length > IN_PLACE_MAX) {
      throw new IllegalArgumentException(data.length + " bytes are more than one page");
    }
    writeFromStart(file, data, REWRITE_OPEN, "rewrite");
    try {
      hook.after(Step.RECORD_REWRITTEN, file);
    } catch (IOException e) {
      throw ioFailure("rewrite", file, e);
    }
  }

  /** Writes {@code data} over the start of {@code file}, in as few writes as the kernel takes. */
  private void writeFromStart(Path file, byte[] data, Set<StandardOpenOption> open, String what) {
    try (FileChannel ch = FileChannel.open(file, open, fileAttrs)) {
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf, buf.position());
      }
    } catch (IOException e) {
      throw ioFailure(what, file, e);
    }
  }

  /**
   * Makes a child link whose modification time is the child's position: TaskFlow rewrites metadata
   * files without our keys but never touches a link it finds, so the link is where a child's
   * position survives whatever TaskFlow writes.
   */
  void symlink(Path link, Path target, long position) {
    try {
      try {
        Files.createSymbolicLink(link, target);
      } catch (FileAlreadyExistsException e) {
        BasicFileAttributes a = statOrNull(link);
        if (a != null && a.isSymbolicLink()) {
          // Already linked (its object's record was missing, so the writer did not look for the
          // link): a link is a link whatever its target; it keeps the position it has.
          return;
        }
        throw e;
      }
      if (position >= 0) {
        // Both times given: a time left out would be read first, one system call more per link.
        FileTime t = FileTime.from(position, TimeUnit.MICROSECONDS);
        Files.getFileAttributeView(link, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(t, t, null);
      }
      hook.after(Step.LINK_CREATED, link);
    } catch (IOException e) {
      throw ioFailure("create the link", link, e);
    }
  }

  /**
   * Renames {@code from} (a directory) to {@code to} unless something is in the way there: then
   * returns {@code false} and changes nothing. An empty directory in the way is replaced, as a
   * rename does; anything else makes the rename fail. One system call where a check first would
   * cost a failed {@code stat} and its exception each time.
   */
  boolean moveUnlessTaken(Path from, Path to) {
    try {
      try {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        return false;
      } catch (FileSystemException e) {
        if (!(e instanceof NoSuchFileException) && statOrNull(to) != null) {
          return false; // not a directory, or not empty
        }
        throw e;
      }
      hook.after(Step.RENAMED, to);
      return true;
    } catch (IOException e) {
      throw ioFailure("rename " + from.getFileName() + " to", to, e);
    }
  }

  void move(Path from, Path to) {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      hook.after(Step.RENAMED, to);
    } catch (IOException e) {
      throw ioFailure("rename " + from.getFileName() + " to", to, e);
    }
  }

  /**
   * Locks TaskFlow's lock file of an object, {@code dir/lock}, when there is one; returns {@code
   * null} when there is none (or {@code dir} is gone).
   *
   * <p>It is not made when missing: TaskFlow makes it (its {@code fasteners} lock creates the file)
   * the first time it reads or writes the object, so an object without one has never been touched
   * by TaskFlow, and among writers of taskflow4j the store's lock suffices. Making one per object
   * cost a file creation per atom, about as much as the atom's own record.
   */
  FileChannel lockObject(Path dir) {
    Path file = dir.resolve(OBJECT_LOCK);
    if (!exists(file)) {
      return null; // the common case: checked without the exception a failed open costs
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file, OBJECT_LOCK_OPEN);
    } catch (NoSuchFileException e) {
      return null; // never touched by TaskFlow, a new object, or removed meanwhile
    } catch (IOException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        return null; // not an object directory after all
      }
      throw ioFailure("open the lock file", file, e);
    }
    try {
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

  void ensureStaging() {
    if (!Files.isDirectory(staging)) {
      mkdirIfMissing(staging);
    }
  }

  void mkdir(Path dir) {
    try {
      Files.createDirectory(dir, dirAttrs);
      chmodDir(dir);
    } catch (IOException e) {
      throw ioFailure("create the directory", dir, e);
    }
  }

  boolean mkdirIfMissing(Path dir) {
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

  void chmodDir(Path dir) throws IOException {
    if (chmodDir != null) {
      Files.setPosixFilePermissions(dir, chmodDir);
    }
  }

  /** Makes the names in a directory (renames, links, deletions) survive a power loss. */
  void syncDir(Path dir) {
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

  void deleteTree(Path p) {
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
  void requireUsableRoot() {
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

  StorageException notADirectory(Path path, IOException cause) {
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
  String notWritable() {
    Set<Path> needed = new LinkedHashSet<>();
    for (Path p :
        List.of(
            root.resolve(BOOKS),
            root.resolve(FLOWS),
            root.resolve(ATOMS),
            staging,
            root.resolve(LOCK))) {
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

  /** The attributes of {@code file} itself (not followed), or {@code null} when it is missing. */
  static BasicFileAttributes statOrNull(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null; // missing, or unreadable: the caller reads it the slow way and says why
    }
  }

  /**
   * Whether {@code path} exists, following links: one {@code stat}, and no exception when it does
   * not. java.nio's checks ({@code Files.exists}, {@code Files.isDirectory}, a failed open) make,
   * fill and catch an exception for a missing file, which costs several times the system call on
   * the store's hot paths, where a missing file (a marker, an object lock, a new atom's record) is
   * the common case.
   */
  static boolean exists(Path path) {
    return path.toFile().exists();
  }

  /**
   * {@code file}'s bytes, or {@code null} when it is missing: for files that are often missing (see
   * {@link #exists}); one {@code stat} more than {@link #readOrNull} when the file is there.
   */
  static byte[] readIfExists(Path file) {
    return exists(file) ? readOrNull(file) : null;
  }

  /**
   * {@code file}'s bytes, or {@code null} when it is missing or empty: for an atom's marker file,
   * made empty with the atom when {@code durability=power} (one {@code stat}, as {@link #exists}).
   */
  static byte[] readIfNonEmpty(Path file) {
    return file.toFile().length() > 0 ? readOrNull(file) : null;
  }

  static byte[] readOrNull(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    } catch (IOException e) {
      throw ioFailure("read", file, e);
    }
  }

  /** The names in a directory that could be objects or links (not temporary), or none. */
  static List<String> names(Path dir) {
    List<String> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      String n = p.getFileName().toString();
      if (!n.startsWith(".")) {
        out.add(n);
      }
    }
    return out;
  }

  static List<Path> entries(Path dir) {
    List<Path> out = new ArrayList<>();
    for (Path p : allEntries(dir)) {
      if (!p.getFileName().toString().startsWith(".")) {
        out.add(p);
      }
    }
    return out;
  }

  static List<Path> allEntries(Path dir) {
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
  static List<String> linkNames(Path dir) {
    List<String> out = new ArrayList<>();
    for (Link l : links(dir)) {
      out.add(l.name());
    }
    return out;
  }

  /** The child links of an object directory with their positions (their modification times). */
  static List<Link> links(Path dir) {
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
  static long linkPosition(Path link) {
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

  static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close(); // releases the lock
      } catch (IOException ignored) {
        // Closing a lock file cannot lose data.
      }
    }
  }
}
