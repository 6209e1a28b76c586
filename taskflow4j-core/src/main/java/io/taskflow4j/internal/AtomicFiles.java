package io.taskflow4j.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way taskflow4j replaces a file whole: write a temporary file in the same folder, flush it
 * to the disk, rename it over the target atomically, then flush the folder so the rename itself
 * survives a power loss. A reader sees the old file or the new one, never a torn one.
 *
 * <p>The folder rule, decided once: a folder is flushed only on a file system with POSIX
 * attributes. Elsewhere (NTFS) Java has no portable way to open a directory, and those file systems
 * journal names themselves.
 */
public final class AtomicFiles {
  /** Prefix of the temporary files; a sweep of leftovers from a crash may look for it. */
  public static final String TEMP_PREFIX = ".tmp-";

  private static final Set<StandardOpenOption> CREATE_NEW =
      EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  private AtomicFiles() {}

  private static Path tempSibling(Path target) {
    return target.resolveSibling(
        TEMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  private static void deleteQuietly(Path tmp, Exception cause) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }

  /**
   * Replaces (or creates) {@code target} with {@code data}.
   *
   * @param sync whether to flush the file and its folder to the disk (durability against power
   *     loss, not only against a crash of this process)
   * @param attrs attributes of the new file (permissions), applied as it is created
   * @throws IOException when it could not be written; the temporary file is removed and the target
   *     left as it was
   */
  public static void replace(Path target, byte[] data, boolean sync, FileAttribute<?>... attrs)
      throws IOException {
    replaceThrough(target, sync, tmp -> writeNew(tmp, data, sync, attrs));
  }

  /** Writes the temporary file of a replacement. */
  @FunctionalInterface
  private interface TempWriter {
    void write(Path tmp) throws IOException;
  }

  /** The one replacement: temporary file, rename over the target, flush the folder. */
  private static void replaceThrough(Path target, boolean sync, TempWriter writer)
      throws IOException {
    Path tmp = tempSibling(target);
    try {
      writer.write(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp, e);
      throw e;
    }
    if (sync) {
      syncDirectory(target.toAbsolutePath().getParent());
    }
  }

  /** Observes the steps of a write, for stores whose tests cut a write between two steps. */
  public interface Steps {
    /** No observer. */
    Steps NONE = new Steps() {};

    /** The data is written to {@code file} (not yet flushed). */
    default void written(Path file) throws IOException {}

    /** {@code file} is flushed to the disk. */
    default void synced(Path file) throws IOException {}
  }

  /** Writes a file's content to a stream; for content too large to hold in memory. */
  @FunctionalInterface
  public interface Content {
    /** Writes the content to {@code out} (which the caller closes). */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code data} to a file that must not exist yet, flushing it when {@code sync}.
   *
   * @throws java.nio.file.FileAlreadyExistsException when it exists
   */
  public static void writeNew(Path file, byte[] data, boolean sync, FileAttribute<?>... attrs)
      throws IOException {
    writeNew(file, data, sync, Steps.NONE, attrs);
  }

  /**
   * Writes {@code data} to a file that must not exist yet, flushing it when {@code sync}, and tells
   * {@code steps} after each step.
   *
   * @throws java.nio.file.FileAlreadyExistsException when it exists
   */
  public static void writeNew(
      Path file, byte[] data, boolean sync, Steps steps, FileAttribute<?>... attrs)
      throws IOException {
    try (FileChannel ch = FileChannel.open(file, CREATE_NEW, attrs)) {
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      steps.written(file);
      if (sync) {
        ch.force(true);
        steps.synced(file);
      }
    }
  }

  /**
   * Replaces (or creates) {@code target} with what {@code content} writes, streamed to the
   * temporary file; otherwise as {@link #replace(Path, byte[], boolean, FileAttribute[])}.
   */
  public static void replace(Path target, boolean sync, Content content, FileAttribute<?>... attrs)
      throws IOException {
    replaceThrough(
        target,
        sync,
        tmp -> {
          try (FileChannel ch = FileChannel.open(tmp, CREATE_NEW, attrs)) {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            content.writeTo(out);
            out.flush();
            if (sync) {
              ch.force(true);
            }
          }
        });
  }

  /** Whether {@link #syncDirectory} flushes folders on the file system of {@code path}. */
  public static boolean canSyncDirectories(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /**
   * Flushes a folder's names (renames, new links, deletions) to the disk; does nothing where
   * folders cannot be opened (see the class comment).
   */
  public static void syncDirectory(Path dir) throws IOException {
    if (!canSyncDirectories(dir)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
