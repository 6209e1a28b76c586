package io.taskflow4j.bench.compare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's sync rate in a directory: loops that write a small file and force it to the device,
 * for a while each: overwriting 128 bytes with metadata ({@link FileChannel#force(boolean)
 * force(true)}, {@code fsync}), overwriting without ({@code force(false)}, {@code fdatasync}), and
 * appending 4 KiB pages with {@code fsync} (as a write-ahead log does). The fastest is the physical
 * limit of any store that makes each write durable before it returns.
 */
public final class DiskSync {
  private DiskSync() {}

  /**
   * The measured rate.
   *
   * @param syncsPerSecond syncs per second: the fastest of the three loops
   * @param fsyncsPerSecond overwrite and {@code force(true)}, per second
   * @param fdatasyncsPerSecond overwrite and {@code force(false)}, per second
   * @param appendSyncsPerSecond append 4 KiB and {@code force(true)}, per second
   * @param seconds over how long in all
   */
  public record Rate(
      double syncsPerSecond,
      double fsyncsPerSecond,
      double fdatasyncsPerSecond,
      double appendSyncsPerSecond,
      double seconds) {
    /** Milliseconds per fsync. */
    public double msPerSync() {
      return 1000.0 / syncsPerSecond;
    }
  }

  /** Syncs a small file in {@code dir} for about {@code seconds} and returns the rate. */
  public static Rate measure(Path dir, double seconds) {
    double[] full = measure(dir, seconds / 3, true, false);
    double[] data = measure(dir, seconds / 3, false, false);
    double[] append = measure(dir, seconds / 3, true, true);
    return new Rate(
        Math.max(full[0], Math.max(data[0], append[0])),
        full[0],
        data[0],
        append[0],
        full[1] + data[1] + append[1]);
  }

  /** {syncs per second, seconds}. */
  private static double[] measure(Path dir, double seconds, boolean metadata, boolean append) {
    Path file = dir.resolve("sync-rate.probe");
    ByteBuffer buf = ByteBuffer.allocate(append ? 4096 : 128);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      // A few untimed rounds first: the first fsync of a new file also writes its directory.
      for (int i = 0; i < 5; i++) {
        write(ch, buf, i, metadata, append);
      }
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      long start = System.nanoTime();
      long count = 0;
      long now;
      do {
        write(ch, buf, count, metadata, append);
        count++;
        now = System.nanoTime();
      } while (now < deadline);
      double elapsed = (now - start) / 1e9;
      return new double[] {count / elapsed, elapsed};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure the sync rate in " + dir, e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // best effort: the probe file is in the harness's own work directory
      }
    }
  }

  private static void write(
      FileChannel ch, ByteBuffer buf, long i, boolean metadata, boolean append) throws IOException {
    buf.clear();
    buf.putLong(0, i);
    ch.write(buf, append ? ch.size() : 0);
    ch.force(metadata);
  }
}
