package io.taskflow4j.persistence.dir;

import io.taskflow4j.internal.FileLocks;
import io.taskflow4j.persistence.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One backend's share of the write lock of a store directory: a JVM-wide mutex plus an advisory
 * lock on the store's {@code .lock} file for other processes.
 *
 * <p>Why the lock file is shared through {@link FileLocks}: file locks belong to the whole JVM (a
 * second lock on the same file from another channel throws {@code OverlappingFileLockException}),
 * and on POSIX closing <em>any</em> channel on the file drops every lock the process holds on it.
 * So all backends of this JVM on the same directory share one channel, opened once and closed when
 * the last of them closes, and take turns through the file's shared mutex.
 */
final class StoreLock {
  private static final Set<StandardOpenOption> OPEN_OPTIONS =
      EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);

  // The write stamp kept in the lock file: "<generation> <writer>\n", both 16 hex digits.
  private static final int STAMP_LENGTH = 34;

  private final FileLocks.Handle handle;
  private final ReentrantLock mutex;
  private final Path lockFile;

  // The channel whose file lock the current holder of the mutex holds; null when not held.
  private FileChannel held; // guarded by mutex

  /**
   * What the last writer of a store wrote into its lock file: a generation counter, raised by every
   * hold of the write lock, and the id of that writer (one per backend instance). A backend that
   * finds its own stamp on taking the lock knows nothing else has written the store through this
   * lock since its last write, so what it remembers of the store is still true.
   */
  record Stamp(long generation, long writer) {}

  private StoreLock(FileLocks.Handle handle) {
    this.handle = handle;
    this.mutex = handle.mutex();
    this.lockFile = handle.file();
  }

  /**
   * A share of the lock of the store whose real path is {@code realRoot} (so that two spellings of
   * one directory share); {@link #release()} it once.
   */
  static StoreLock acquire(
      Path realRoot,
      String lockName,
      FileAttribute<?>[] fileAttributes,
      Set<PosixFilePermission> chmod) {
    Path lockFile = realRoot.resolve(lockName);
    try {
      return new StoreLock(
          FileLocks.open(
              lockFile,
              f -> {
                FileChannel ch = FileChannel.open(f, OPEN_OPTIONS, fileAttributes);
                if (chmod != null) {
                  try {
                    Files.setPosixFilePermissions(f, chmod);
                  } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                  }
                }
                return ch;
              }));
    } catch (IOException e) {
      throw new StorageException("could not lock " + lockFile + ": " + DirFiles.describe(e), e);
    }
  }

  /** Gives back this share, after a write of it in progress; the last one closes the lock file. */
  void release() {
    mutex.lock();
    try {
      handle.close();
    } finally {
      mutex.unlock();
    }
  }

  /** A unit of work run with the store locked against this JVM and other processes. */
  interface Body<T> {
    T run();
  }

  /** Runs {@code body} holding the in-JVM mutex and the exclusive file lock. */
  <T> T locked(Body<T> body) {
    mutex.lock();
    try {
      FileLock fileLock = lockFile();
      held = fileLock.channel();
      try {
        return body.run();
      } finally {
        held = null;
        try {
          fileLock.release();
        } catch (IOException e) {
          // The lock goes with the channel anyway; reopen on next use rather than fail the write.
          closeChannel(fileLock.channel());
        }
      }
    } finally {
      mutex.unlock();
    }
  }

  private FileLock lockFile() {
    for (int attempt = 0; ; attempt++) {
      FileChannel channel = handle.channel();
      try {
        if (!channel.isOpen()) {
          channel = handle.reopen();
        }
        return channel.lock();
      } catch (ClosedChannelException e) {
        // An interrupt closes the channel (ClosedByInterruptException): never leave it broken
        // for the other threads (the next lock reopens it); report the interrupt to this one.
        closeChannel(channel);
        if (Thread.currentThread().isInterrupted() || attempt > 0) {
          throw new StorageException("interrupted while waiting for the write lock " + lockFile, e);
        }
      } catch (IOException e) {
        throw new StorageException("could not lock " + lockFile + ": " + DirFiles.describe(e), e);
      }
    }
  }

  private static void closeChannel(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing a lock file cannot lose data.
    }
  }

  /**
   * The stamp in the lock file, or {@code null} when there is none or it is unreadable (an empty
   * lock file, an earlier build, damage). Only inside {@link #locked}.
   */
  Stamp readStamp() {
    FileChannel ch = requireHeld();
    ByteBuffer buf = ByteBuffer.allocate(STAMP_LENGTH);
    try {
      while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
        // reads until full or at the end of the file
      }
    } catch (IOException | NonReadableChannelException e) {
      return null; // treated as "someone else wrote": what this backend remembers is dropped
    }
    if (buf.position() != STAMP_LENGTH) {
      return null;
    }
    byte[] b = buf.array();
    if (b[16] != ' ' || b[33] != '\n' || !isHex(b, 0) || !isHex(b, 17)) {
      return null;
    }
    return new Stamp(parseHex(b, 0), parseHex(b, 17));
  }

  // A stamp is read and written on every hold of the lock: its hex by hand, as String.format and
  // Long.parseUnsignedLong cost more than the system calls that carry it.

  /** Whether the 16 bytes at {@code from} are lower-case hex digits, as writeStamp writes them. */
  private static boolean isHex(byte[] b, int from) {
    for (int i = from; i < from + 16; i++) {
      if (!(b[i] >= '0' && b[i] <= '9') && !(b[i] >= 'a' && b[i] <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static long parseHex(byte[] b, int from) {
    long v = 0;
    for (int i = from; i < from + 16; i++) {
      v = (v << 4) | (b[i] <= '9' ? b[i] - '0' : b[i] - 'a' + 10);
    }
    return v;
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private static void putHex(byte[] out, int from, long v) {
    for (int i = from + 15; i >= from; i--) {
      out[i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  /**
   * Writes {@code stamp} into the lock file, in place (the file's length never changes once
   * written; nothing reads it but other holders of this lock). Only inside {@link #locked}.
   *
   * @throws StorageException when it cannot be written: the caller must then forget what it
   *     remembers, as other processes may not learn of its write
   */
  void writeStamp(Stamp stamp) {
    FileChannel ch = requireHeld();
    byte[] line = new byte[STAMP_LENGTH]; // "%016x %016x\n"
    putHex(line, 0, stamp.generation());
    line[16] = ' ';
    putHex(line, 17, stamp.writer());
    line[33] = '\n';
    ByteBuffer buf = ByteBuffer.wrap(line);
    try {
      while (buf.hasRemaining()) {
        ch.write(buf, buf.position());
      }
    } catch (IOException e) {
      throw new StorageException(
          "could not write the lock file " + lockFile + ": " + DirFiles.describe(e), e);
    }
  }

  private FileChannel requireHeld() {
    if (!mutex.isHeldByCurrentThread() || held == null) {
      throw new IllegalStateException("the store lock of " + lockFile + " is not held");
    }
    return held;
  }
}
