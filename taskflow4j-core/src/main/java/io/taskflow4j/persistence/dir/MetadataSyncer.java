package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.StorageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs the metadata files of atoms whose committed record was written over them in place after its
 * commit frame ({@link AtomMarker}, {@code durability=power}), on a thread of its own, so that the
 * writer's next commit does not wait for them: on this kind of disk a sync issued while another is
 * in flight mostly rides on the same flush of the disk's cache.
 *
 * <p>Until its metadata is synced, an atom's commit frame is the only durable copy of its record,
 * so the writer calls {@link #syncNow} before it overwrites the frame, and {@link #drain} before a
 * flow detail is written (a flow written finished has every record in TaskFlow's layout, durable)
 * and when the backend closes. A sync that fails in the background leaves its file pending: the
 * writer's own sync of it then reports the failure.
 *
 * <p><b>In batches.</b> Nothing waits for these syncs but a drain, so the thread gathers the files
 * that arrive within {@link #LINGER_NANOS} of the first (at most {@link #BATCH}) and syncs them at
 * once, as a drain does ({@link DirFiles#syncDataAll}): syncs issued together share the disk's
 * cache flushes, where one after another each cost one, beside the writer's own commit syncs. A
 * serial run of durable tasks made one such file per task.
 */
final class MetadataSyncer {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataSyncer.class);

  /** Pending files past which a commit waits for them: the background fell behind. */
  static final int MAX_PENDING = 4096;

  /**
   * How many of a batch the thread syncs at once: fewer than a drain, which the writer waits for,
   * as a crowd of background syncs delays the writer's own commit syncs behind them.
   */
  static final int BACKGROUND_PARALLELISM = 16;

  /** The most files the thread syncs at once. */
  static final int BATCH = 256;

  /** How long the thread waits after a file for others to sync with it. */
  static final long LINGER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);

  /** One file to sync; compared by identity (a later commit of the same atom is another). */
  private static final class Pending {
    final String uuid;
    final Path file;

    Pending(String uuid, Path file) {
      this.uuid = uuid;
      this.file = file;
    }
  }

  private static final Pending STOP = new Pending("", Path.of(""));

  private final DirFiles files;
  private final boolean background;
  private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private Thread thread; // guarded by this
  private boolean closed; // guarded by this

  MetadataSyncer(DirFiles files) {
    this(files, true);
  }

  /**
   * {@code background}: false only in tests, where files wait for {@link #syncNow}/{@link #drain}.
   */
  MetadataSyncer(DirFiles files, boolean background) {
    this.files = files;
    this.background = background;
  }

  /** After atom {@code uuid}'s record was written over {@code file} following its commit frame. */
  void add(String uuid, Path file) {
    Pending p = new Pending(uuid, file);
    pending.put(uuid, p);
    if (pending.size() > MAX_PENDING) {
      drain();
      return;
    }
    if (!background) {
      return;
    }
    if (start()) {
      queue.add(p);
    } else {
      syncNow(uuid); // closed: nothing syncs in the background any more
    }
  }

  /** Whether atom {@code uuid}'s metadata waits for its sync. */
  boolean isPending(String uuid) {
    return pending.containsKey(uuid);
  }

  int pendingCount() {
    return pending.size();
  }

  /**
   * Syncs atom {@code uuid}'s metadata now if it waits for it: before its commit frame is
   * overwritten. Called by the writer, with the store lock held.
   *
   * @throws StorageException when the sync fails
   */
  void syncNow(String uuid) {
    Pending p = pending.get(uuid);
    if (p != null) {
      sync(p, true);
    }
  }

  /**
   * Syncs every metadata file waiting for it, at once, and returns when all are synced; the hook
   * sees each from this thread.
   *
   * @throws StorageException the first failure, once the others are synced (those that failed stay
   *     pending)
   */
  void drain() {
    StorageException failed =
        syncAll(new ArrayList<>(pending.values()), DirFiles.SYNC_THREADS, true);
    if (failed != null) {
      throw failed;
    }
  }

  /**
   * Syncs {@code batch} at once and takes each synced file off the pending ones (a file written
   * again meanwhile stays, as its later write is another {@link Pending}); the hook sees each
   * synced file when {@code hooked}. Returns the first failure, or {@code null}.
   */
  private StorageException syncAll(List<Pending> batch, int parallelism, boolean hooked) {
    List<Path> paths = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      paths.add(p.file);
    }
    List<DirFiles.DataSync> outcomes = files.syncDataAll(paths, parallelism);
    StorageException failed = null;
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      DirFiles.DataSync o = outcomes.get(i);
      if (o.failure() != null) {
        failed = failed == null ? o.failure() : failed;
        continue;
      }
      if (hooked && o.synced()) {
        files.afterSynced(p.file);
      }
      pending.remove(p.uuid, p);
    }
    return failed;
  }

  /**
   * Drains, then stops the background thread. A sync that fails here is logged: the commit frames
   * still hold those records, and the next writer syncs them before overwriting a frame.
   */
  void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (thread != null) {
        queue.add(STOP);
      }
    }
    try {
      drain();
    } catch (StorageException e) {
      LOG.warn("could not sync every record written in place before closing: {}", e.getMessage());
    }
  }

  private synchronized boolean start() {
    if (closed) {
      return false;
    }
    if (thread == null) {
      thread = new Thread(this::run, "taskflow4j-dir-sync");
      thread.setDaemon(true);
      thread.start();
    }
    return true;
  }

  private void run() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      boolean stop;
      try {
        stop = gather(batch);
      } catch (InterruptedException e) {
        return;
      }
      batch.removeIf(p -> pending.get(p.uuid) != p); // synced by the writer, or written again
      if (!batch.isEmpty()) {
        StorageException failed = syncAll(batch, BACKGROUND_PARALLELISM, false);
        if (failed != null) {
          LOG.debug("background sync failed; left for the writer", failed);
        }
      }
      if (stop) {
        return;
      }
    }
  }

  /**
   * Waits for a file, then adds to {@code batch} the files that arrive within {@link #LINGER_NANOS}
   * of it, at most {@link #BATCH}; returns whether the thread is to stop after them.
   */
  private boolean gather(List<Pending> batch) throws InterruptedException {
    Pending first = queue.take();
    if (first == STOP) {
      return true;
    }
    batch.add(first);
    long deadline = System.nanoTime() + LINGER_NANOS;
    while (batch.size() < BATCH) {
      long left = deadline - System.nanoTime();
      Pending next =
          left <= 0 ? queue.poll() : queue.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (next == null) {
        return false;
      }
      if (next == STOP) {
        return true;
      }
      batch.add(next);
    }
    return false;
  }

  private void sync(Pending p, boolean hooked) {
    files.syncData(p.file, hooked);
    pending.remove(p.uuid, p);
  }
}
