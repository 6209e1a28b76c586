package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.StorageException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The file of a SQLite store. Only {@code upgrade()} makes it, and owner-only unless configured
 * otherwise, as directory stores are: SQLite would make it on any connection, even one meant to
 * read a mistyped path, and world-readable under the usual umask. SQLite gives the {@code -wal},
 * {@code -shm} and {@code -journal} files it makes next to the store the store's own mode, so they
 * follow. A file that exists keeps its mode: it may be another program's.
 */
final class SqliteFiles {
  private SqliteFiles() {}

  /** Configuration key: the mode of a new file, {@code owner}, {@code group} or {@code umask}. */
  static final String PERMISSIONS = "permissions";

  /** The default of {@link #PERMISSIONS}. */
  static final String OWNER = "owner";

  /** The SQLite open flags without {@code SQLITE_OPEN_CREATE}: read-write, never make the file. */
  static final String OPEN_EXISTING = "2";

  /**
   * Makes the store's file, empty (SQLite takes an empty file for an empty database), unless it
   * exists.
   *
   * @param permissions {@code owner} (0600), {@code group} (0660) or {@code umask} (as the process
   *     makes files)
   * @return whether this call made the file
   * @throws StorageException saying why it cannot be made (a missing directory, a read-only file
   *     system, no permission)
   */
  static boolean createIfMissing(Path file, String permissions) {
    Path abs = file.toAbsolutePath();
    if (Files.exists(abs)) {
      return false;
    }
    Set<PosixFilePermission> perms =
        switch (permissions) {
          case OWNER -> PosixFilePermissions.fromString("rw-------");
          case "group" -> PosixFilePermissions.fromString("rw-rw----");
          default -> null;
        };
    boolean posix = abs.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      if (perms != null && posix) {
        Files.createFile(abs, PosixFilePermissions.asFileAttribute(perms));
        // The umask may strip bits we were asked to grant (group write): set them on our file.
        if (!Files.getPosixFilePermissions(abs).equals(perms)) {
          Files.setPosixFilePermissions(abs, perms);
        }
      } else {
        Files.createFile(abs);
      }
      return true;
    } catch (FileAlreadyExistsException e) {
      // Made meanwhile by another process (a concurrent upgrade): used as it is.
      return false;
    } catch (NoSuchFileException e) {
      throw cannotCreate(
          abs,
          "the directory " + abs.getParent() + " does not exist: create it, or correct the path",
          e);
    } catch (IOException e) {
      String why;
      if (readOnlyFileSystem(abs.getParent())) {
        why = abs.getParent() + " is on a read-only file system: put the store on a writable one";
      } else if (e instanceof AccessDeniedException) {
        why =
            "this user may not create files in "
                + abs.getParent()
                + ": choose a directory it may write, or correct the path";
      } else {
        why = String.valueOf(e.getMessage());
      }
      throw cannotCreate(abs, why, e);
    }
  }

  private static StorageException cannotCreate(Path file, String why, IOException cause) {
    return new StorageException("Cannot create the SQLite store " + file + ": " + why, cause);
  }

  /**
   * Removes a file {@link #createIfMissing} made for an upgrade that then failed (a full disk), if
   * nothing was written to it, so a failed {@code upgrade} leaves no empty store behind; returns
   * whether it did.
   */
  static boolean removeIfEmpty(Path file, Throwable failure) {
    try {
      if (Files.size(file) == 0) {
        Files.delete(file);
        return true;
      }
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
    return false;
  }

  /** The error of every use but {@code upgrade()} of a store whose file does not exist. */
  static StorageException missing(Path file) {
    return new StorageException(
        "No SQLite store at "
            + file.toAbsolutePath()
            + ": the file does not exist (check the path); call upgrade() (Backends.open does) to"
            + " create it");
  }

  /**
   * Why SQLite cannot open or write the file, found by looking at it and its directory, or {@code
   * null} when nothing is visibly wrong.
   */
  static String whyUnusable(Path file) {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      return "the directory " + dir + " does not exist";
    }
    if (!Files.exists(abs)) {
      return "there is no file " + abs;
    }
    if (Files.isDirectory(abs)) {
      return abs + " is a directory, not a SQLite file";
    }
    if (readOnlyFileSystem(abs)) {
      return abs
          + " is on a read-only file system: it cannot be written there, and SQLite cannot read"
          + " it there either while it is in WAL mode (as taskflow4j keeps its stores), since"
          + " that needs a -shm file next to it; copy it to a writable place";
    }
    if (!Files.isReadable(abs)) {
      return "this user may not read " + abs;
    }
    if (!Files.isWritable(abs)) {
      return "this user may not write " + abs;
    }
    if (dir != null && !Files.isWritable(dir)) {
      return "this user may not create files in "
          + dir
          + ", where SQLite makes its -wal and -shm files next to the store";
    }
    return null;
  }

  private static boolean readOnlyFileSystem(Path p) {
    try {
      return p != null && Files.getFileStore(p).isReadOnly();
    } catch (IOException e) {
      return false;
    }
  }
}
