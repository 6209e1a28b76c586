package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.StorageException;
import java.nio.file.Path;
import java.util.ArrayList;
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
 */
final class MetadataSyncer {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataSyncer.class);

  /** Pending files past which a commit waits for them: the background fell behind. */
  static final int MAX_PENDING = 4096;

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

  /** Syncs every metadata file waiting for it, in this thread. */
  void drain() {
    for (Pending p : new ArrayList<>(pending.values())) {
      sync(p, true);
    }
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
    while (true) {
      Pending p;
      try {
        p = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (p == STOP) {
        return;
      }
      if (pending.get(p.uuid) != p) {
        continue; // synced by the writer, or written again since (queued again)
      }
      try {
        sync(p, false);
      } catch (StorageException e) {
        LOG.debug("background sync failed; left for the writer", e);
      }
    }
  }

  private void sync(Pending p, boolean hooked) {
    files.syncData(p.file, hooked);
    pending.remove(p.uuid, p);
  }
}
