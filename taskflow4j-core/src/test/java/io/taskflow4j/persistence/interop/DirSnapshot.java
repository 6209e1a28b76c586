package io.taskflow4j.persistence.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything about a directory tree a reader could change: each path (links not followed) with its
 * type, mode, owner, modification time, and its bytes (a file) or target (a link). Two snapshots
 * are equal only if nothing was created, removed, renamed, rewritten or re-moded in between; the
 * modification times of directories also catch a file that was made and removed again.
 */
public final class DirSnapshot {
  private DirSnapshot() {}

  /** The snapshot of {@code root} and everything under it, keyed by relative path. */
  public static Map<String, String> of(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        out.put(root.relativize(p).toString(), describe(p));
      }
    }
    return out;
  }

  private static String describe(Path p) throws IOException {
    PosixFileAttributes a =
        Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String common =
        PosixFilePermissions.toString(a.permissions())
            + " "
            + a.owner().getName()
            + " mtime="
            + a.lastModifiedTime().toInstant();
    if (a.isSymbolicLink()) {
      return "link " + common + " -> " + Files.readSymbolicLink(p);
    }
    if (a.isDirectory()) {
      return "dir " + common;
    }
    return "file " + common + " size=" + a.size() + " sha256=" + sha256(Files.readAllBytes(p));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Makes every file and directory under {@code root} read-only (as a backup or snapshot is). */
  public static void makeReadOnly(Path root) throws IOException {
    chmodAll(root, "r-xr-xr-x", "r--r--r--");
  }

  /** Gives the owner write access back (so the test's temporary directory can be removed). */
  public static void makeWritable(Path root) throws IOException {
    chmodAll(root, "rwxr-xr-x", "rw-r--r--");
  }

  private static void chmodAll(Path root, String dirMode, String fileMode) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isSymbolicLink(p)) {
          continue; // a link's own mode means nothing on Linux
        }
        Files.setPosixFilePermissions(
            p, PosixFilePermissions.fromString(Files.isDirectory(p) ? dirMode : fileMode));
      }
    }
  }

  /**
   * Whether this process runs as root, whom file modes do not stop: the owner of a file it made,
   * {@code madeHere}, is user 0.
   */
  public static boolean runningAsRoot(Path madeHere) throws IOException {
    return ((Integer) Files.getAttribute(madeHere, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == 0;
  }
}
