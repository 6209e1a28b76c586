package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.StorageException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write lock of one store directory: a JVM-wide mutex plus an advisory lock on the store's
 * {@code .lock} file for other processes.
 *
 * <p>Why one shared instance per store per JVM: file locks belong to the whole JVM (a second lock
 * on the same file from another channel throws {@code OverlappingFileLockException}), and on POSIX
 * closing <em>any</em> channel on the file drops every lock the process holds on it. So all
 * backends of this JVM on the same directory share one channel, opened once and closed when the
 * last of them closes, and take turns through {@link #mutex}.
 */
final class StoreLock {
  // Guarded by itself. Keyed by the store's real path, so two spellings of one directory share.
  private static final Map<Path, StoreLock> REGISTRY = new HashMap<>();
  private static final Set<StandardOpenOption> OPEN_OPTIONS =
      EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);

  private final Path key;
  private final Path lockFile;
  private final FileAttribute<?>[] fileAttributes;
  private final Set<PosixFilePermission> chmod;
  private final ReentrantLock mutex = new ReentrantLock();
  private FileChannel channel; // guarded by mutex
  private int refs; // guarded by REGISTRY

  private StoreLock(
      Path key, Path lockFile, FileAttribute<?>[] fileAttributes, Set<PosixFilePermission> chmod) {
    this.key = key;
    this.lockFile = lockFile;
    this.fileAttributes = fileAttributes;
    this.chmod = chmod;
  }

  /** The lock of the store whose real path is {@code realRoot}; {@link #release()} it once. */
  static StoreLock acquire(
      Path realRoot,
      String lockName,
      FileAttribute<?>[] fileAttributes,
      Set<PosixFilePermission> chmod) {
    synchronized (REGISTRY) {
      StoreLock l =
          REGISTRY.computeIfAbsent(
              realRoot, k -> new StoreLock(k, k.resolve(lockName), fileAttributes, chmod));
      l.refs++;
      return l;
    }
  }

  /** Gives back one {@link #acquire}; the last one closes the lock file. */
  void release() {
    boolean last;
    synchronized (REGISTRY) {
      last = --refs == 0;
      if (last) {
        REGISTRY.remove(key);
      }
    }
    if (last) {
      mutex.lock();
      try {
        closeChannel();
      } finally {
        mutex.unlock();
      }
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
      try {
        return body.run();
      } finally {
        try {
          fileLock.release();
        } catch (IOException e) {
          // The lock goes with the channel anyway; reopen on next use rather than fail the write.
          closeChannel();
        }
      }
    } finally {
      mutex.unlock();
    }
  }

  private FileLock lockFile() {
    for (int attempt = 0; ; attempt++) {
      try {
        if (channel == null || !channel.isOpen()) {
          channel = FileChannel.open(lockFile, OPEN_OPTIONS, fileAttributes);
          if (chmod != null) {
            Files.setPosixFilePermissions(lockFile, chmod);
          }
        }
        return channel.lock();
      } catch (ClosedChannelException e) {
        // An interrupt closes the channel (ClosedByInterruptException): never leave it broken
        // for the other threads; report the interrupt to this one.
        closeChannel();
        if (Thread.currentThread().isInterrupted() || attempt > 0) {
          throw new StorageException("interrupted while waiting for the write lock " + lockFile, e);
        }
      } catch (IOException e) {
        throw new StorageException("could not lock " + lockFile + ": " + DirStore.describe(e), e);
      }
    }
  }

  private void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closing a lock file cannot lose data.
      }
      channel = null;
    }
  }
}
