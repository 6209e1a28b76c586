package io.taskflow4j.jobs;

import io.taskflow4j.internal.FileLocks;
import io.taskflow4j.persistence.StorageException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The file board's locks: a claim or a registration is an OS lock on a lock file, held as long as
 * the claim, which the kernel drops when the process dies.
 *
 * <p>File locks belong to the whole JVM, and on POSIX closing any channel of a file drops all of
 * the JVM's locks on it. So every channel goes through {@link FileLocks} (one shared channel per
 * file, closed with its last user: a probe can never close the channel under a held lock), and this
 * class keeps which lock files boards of this JVM hold, so that two boards in one JVM exclude each
 * other like two processes (a second lock on the channel would throw instead).
 *
 * <p>A holder locks two byte ranges of the file: {@code CLAIM} and {@code ALIVE}. A probe ("is it
 * held?") takes a shared lock on {@code ALIVE} alone for an instant, so a probe never makes a
 * claimer's try on {@code CLAIM} fail.
 */
final class FileClaimLocks {
  private static final Set<StandardOpenOption> LOCK_OPEN =
      EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  private static final Set<StandardOpenOption> PROBE_OPEN =
      EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
  private static final long CLAIM = 0;
  private static final long ALIVE = 1;
  private static final long PROBE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  // The lock files held by this JVM's boards, by real path (guarded by itself).
  private static final Map<Path, Held> HELD = new HashMap<>();
  private static final Map<Path, ReentrantLock> BOARD_MUTEXES = new ConcurrentHashMap<>();

  private FileClaimLocks() {}

  /** A lock file locked by this JVM. */
  static final class Held {
    final Path file;
    private final FileLocks.Handle handle;
    private final FileLock claim;
    private final FileLock alive;
    volatile long token;
    volatile Path posting; // of a claimed job

    private Held(Path file, FileLocks.Handle handle, FileLock claim, FileLock alive) {
      this.file = file;
      this.handle = handle;
      this.claim = claim;
      this.alive = alive;
    }

    /** Whether the lock is still this JVM's (an interrupt closes the channel, dropping it). */
    boolean isValid() {
      return handle.channel().isOpen();
    }
  }

  /** Locks a lock file (made if missing) for this JVM, or {@code null} when someone holds it. */
  static Held tryLock(Path file) {
    synchronized (HELD) {
      if (HELD.containsKey(file)) {
        return null;
      }
      FileLocks.Handle h = null;
      try {
        h = FileLocks.open(file, LOCK_OPEN);
        FileLock claim = h.channel().tryLock(CLAIM, 1, false);
        if (claim == null) {
          h.close();
          return null;
        }
        FileLock alive = lockAlive(h.channel());
        if (alive == null) {
          claim.release();
          h.close();
          return null;
        }
        Held held = new Held(file, h, claim, alive);
        HELD.put(file, held);
        return held;
      } catch (IOException e) {
        if (h != null) {
          h.close();
        }
        throw FilePostings.failure("lock", file, e);
      }
    }
  }

  /** Takes the ALIVE range once CLAIM is ours: only a peer's instant probe can stand in the way. */
  private static FileLock lockAlive(FileChannel ch) throws IOException {
    long deadline = System.nanoTime() + PROBE_WAIT_NANOS;
    FileLock alive;
    while ((alive = ch.tryLock(ALIVE, 1, false)) == null) {
      if (System.nanoTime() > deadline) {
        return null; // a prober stopped mid-probe: treat the job as busy
      }
      LockSupport.parkNanos(100_000);
    }
    return alive;
  }

  /** Whether a lock file is held by this JVM or another process. */
  static boolean isLocked(Path file) {
    synchronized (HELD) {
      if (HELD.containsKey(file)) {
        return true;
      }
      try (FileLocks.Handle h = FileLocks.open(file, PROBE_OPEN)) {
        FileLock probe = h.channel().tryLock(ALIVE, 1, true);
        if (probe == null) {
          return true;
        }
        probe.release();
        return false;
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException e) {
        throw FilePostings.failure("probe the lock", file, e);
      }
    }
  }

  /**
   * Releases a lock of this JVM. While a lock file is held no probe of this JVM opens it (see
   * {@link #isLocked}), so the holder's handle is its last and closing it closes the channel; the
   * locks are released first all the same, so that they never outlive the claim.
   */
  static void unlock(Held h) {
    synchronized (HELD) {
      HELD.remove(h.file, h);
      try {
        h.alive.release();
        h.claim.release();
      } catch (IOException ignored) {
        // a closed channel has dropped them already
      }
      h.handle.close();
    }
  }

  /** Runs {@code body} holding the board lock: a JVM mutex plus the lock of {@code .board.lock}. */
  static <T> T boardLocked(Path dir, Supplier<T> body) {
    ReentrantLock mutex = BOARD_MUTEXES.computeIfAbsent(dir, k -> new ReentrantLock());
    mutex.lock();
    Path file = dir.resolve(".board.lock");
    try (FileLocks.Handle h = FileLocks.open(file, LOCK_OPEN);
        FileLock ignored = h.channel().lock()) {
      return body.get();
    } catch (ClosedChannelException e) {
      throw new StorageException("interrupted while waiting for the board lock " + file, e);
    } catch (IOException e) {
      throw FilePostings.failure("lock", file, e);
    } finally {
      mutex.unlock();
    }
  }
}
