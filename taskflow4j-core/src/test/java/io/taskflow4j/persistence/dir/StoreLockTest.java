package io.taskflow4j.persistence.dir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.internal.FileLocks;
import io.taskflow4j.persistence.StorageException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLockTest {
  private static final FileAttribute<?>[] NO_ATTRS = new FileAttribute<?>[0];

  @TempDir Path dir;

  private StoreLock acquire() throws Exception {
    return StoreLock.acquire(dir.toRealPath(), ".lock", NO_ATTRS, null);
  }

  @Test
  void twoBackendsOnOneDirectoryExcludeEachOther() throws Exception {
    StoreLock a = acquire();
    StoreLock b = acquire();
    try {
      CountDownLatch inA = new CountDownLatch(1);
      CountDownLatch releaseA = new CountDownLatch(1);
      AtomicBoolean bRanWhileAHeld = new AtomicBoolean();
      AtomicBoolean aHolds = new AtomicBoolean();
      Thread t =
          new Thread(
              () ->
                  a.locked(
                      () -> {
                        aHolds.set(true);
                        inA.countDown();
                        try {
                          releaseA.await(5, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        aHolds.set(false);
                        return null;
                      }));
      t.start();
      assertThat(inA.await(5, TimeUnit.SECONDS)).isTrue();
      Thread other =
          new Thread(
              () ->
                  b.locked(
                      () -> {
                        bRanWhileAHeld.set(aHolds.get());
                        return null;
                      }));
      other.start();
      other.join(200);
      assertThat(other.isAlive()).as("b waits while a holds the lock").isTrue();
      releaseA.countDown();
      t.join(5_000);
      other.join(5_000);
      assertThat(other.isAlive()).isFalse();
      assertThat(bRanWhileAHeld).isFalse();
    } finally {
      a.release();
      b.release();
    }
  }

  @Test
  void closingOneBackendKeepsTheOthersLock() throws Exception {
    StoreLock a = acquire();
    StoreLock b = acquire();
    Path lockFile = dir.toRealPath().resolve(".lock");
    try {
      a.locked(
          () -> {
            b.release();
            assertThat(FileLocks.isOpen(lockFile)).isTrue();
            // a's share keeps the channel, and with it the lock, open.
            try (FileLocks.Handle h =
                FileLocks.open(
                    lockFile,
                    f -> {
                      throw new AssertionError("the lock file was closed");
                    })) {
              assertThat(h.channel().isOpen()).isTrue();
              assertThat(h.sharers()).isEqualTo(2);
            } catch (java.io.IOException e) {
              throw new AssertionError(e);
            }
            return null;
          });
      // a still works after b is gone.
      assertThat(a.locked(() -> "written")).isEqualTo("written");
    } finally {
      a.release();
    }
    assertThat(FileLocks.isOpen(lockFile)).as("the last release closes the file").isFalse();
  }

  @Test
  void anInterruptedWaiterDoesNotBreakTheLockForTheOthers() throws Exception {
    StoreLock a = acquire();
    try {
      Thread.currentThread().interrupt();
      try {
        assertThatThrownBy(() -> a.locked(() -> null)).isInstanceOf(StorageException.class);
      } finally {
        Thread.interrupted();
      }
      assertThat(a.locked(() -> "after")).isEqualTo("after");
    } finally {
      a.release();
    }
  }

  @Test
  void aStampReadsBackAsWrittenAndADamagedOneReadsAsNone() throws Exception {
    StoreLock l = acquire();
    try {
      for (long[] v :
          new long[][] {
            {0, 0},
            {1, -1},
            {Long.MAX_VALUE, Long.MIN_VALUE},
            {0x0123456789abcdefL, 0xfedcba9876543210L}
          }) {
        StoreLock.Stamp s = new StoreLock.Stamp(v[0], v[1]);
        assertThat(
                l.locked(
                    () -> {
                      l.writeStamp(s);
                      return l.readStamp();
                    }))
            .isEqualTo(s);
      }
      assertThat(java.nio.file.Files.readString(dir.resolve(".lock")))
          .as("the format earlier builds write and read")
          .isEqualTo(String.format("%016x %016x%n", 0x0123456789abcdefL, 0xfedcba9876543210L));
      for (String damaged :
          new String[] {
            "0123456789abcdeg fedcba9876543210\n",
            "0123456789ABCDEF fedcba9876543210\n",
            "0123456789abcdef-fedcba9876543210\n",
            "0123456789abcdef fedcba9876543210 ",
            "0123456789abcdef fedcba98765432\n"
          }) {
        java.nio.file.Files.writeString(dir.resolve(".lock"), damaged);
        assertThat(l.locked(l::readStamp)).as(damaged).isNull();
      }
    } finally {
      l.release();
    }
  }
}
