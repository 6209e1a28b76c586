package io.taskflow4j.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one JVM-wide registry of lock files. Two facts of Java's file locks shape it: a lock belongs
 * to the whole JVM (a second lock on an overlapping range, even from another channel, throws {@code
 * OverlappingFileLockException}), and on POSIX closing <em>any</em> channel of a file drops every
 * lock the JVM holds on it. So each lock file is opened once per JVM, by whichever user comes
 * first, shared by every other user in this JVM through {@link #open}, and closed when the last
 * {@link Handle} is closed. Users in one JVM take turns with a mutex: their own, or the one every
 * handle of the file shares ({@link Handle#mutex}). A channel closed under its users (an interrupt
 * closes a channel a thread was blocked on) is reopened in place for all of them ({@link
 * Handle#reopen}), so one interrupted thread never leaves the file broken for the others.
 *
 * <p>Paths are the caller's key: pass a real path ({@link Path#toRealPath}) or one built from it,
 * so that two spellings of one file share one entry.
 */
public final class FileLocks {
  private static final Map<Path, Entry> OPEN = new HashMap<>(); // guarded by itself

  private FileLocks() {}

  /** An opener of the lock file's channel, for the first user. */
  @FunctionalInterface
  public interface Opener {
    /** Opens the channel of the file. */
    FileChannel open(Path file) throws IOException;
  }

  /** A user's share of an open lock file. */
  public static final class Handle implements AutoCloseable {
    private final Entry entry;
    private boolean closed;

    private Handle(Entry entry) {
      this.entry = entry;
    }

    /**
     * The shared channel. Close it only to drop this JVM's locks after a failure (then {@link
     * #reopen} it), never to give back the share.
     */
    public FileChannel channel() {
      return entry.channel;
    }

    /**
     * The shared channel, opened again (with the first user's opener) if it was closed, for every
     * handle of the file.
     */
    public FileChannel reopen() throws IOException {
      synchronized (OPEN) {
        if (closed) {
          throw new IllegalStateException("this share of " + entry.file + " was closed");
        }
        if (!entry.channel.isOpen()) {
          entry.channel = entry.opener.open(entry.file);
        }
        return entry.channel;
      }
    }

    /**
     * The mutex every handle of this file in this JVM shares, for users that take turns with each
     * other (the file lock excludes other processes only).
     */
    public ReentrantLock mutex() {
      return entry.mutex;
    }

    /** The file. */
    public Path file() {
      return entry.file;
    }

    /** How many handles of this JVM share the file (this one included). */
    public int sharers() {
      synchronized (OPEN) {
        return entry.refs;
      }
    }

    /** Gives back this share; the last one closes the channel (dropping this JVM's locks). */
    @Override
    public void close() {
      synchronized (OPEN) {
        if (closed) {
          return;
        }
        closed = true;
        if (--entry.refs == 0) {
          OPEN.remove(entry.file, entry);
          try {
            entry.channel.close();
          } catch (IOException ignored) {
            // Closing a lock file cannot lose data.
          }
        }
      }
    }
  }

  private static final class Entry {
    final Path file;
    final Opener opener;
    final ReentrantLock mutex = new ReentrantLock();
    volatile FileChannel channel; // written with OPEN held
    int refs; // guarded by OPEN

    Entry(Path file, Opener opener, FileChannel channel) {
      this.file = file;
      this.opener = opener;
      this.channel = channel;
    }
  }

  /**
   * A share of the lock file {@code file}, opening it with {@code opener} when no user of this JVM
   * has it open (or its channel was closed, for example by an interrupt).
   */
  public static Handle open(Path file, Opener opener) throws IOException {
    synchronized (OPEN) {
      Entry e = OPEN.get(file);
      if (e == null) {
        e = new Entry(file, opener, opener.open(file));
        OPEN.put(file, e);
      } else if (!e.channel.isOpen()) {
        e.channel = e.opener.open(file);
      }
      e.refs++;
      return new Handle(e);
    }
  }

  /** A share of {@code file} opened with these options and attributes when first needed. */
  public static Handle open(Path file, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    return open(file, f -> FileChannel.open(f, options, attrs));
  }

  /** Whether a user of this JVM has {@code file} open through this registry. */
  public static boolean isOpen(Path file) {
    synchronized (OPEN) {
      Entry e = OPEN.get(file);
      return e != null && e.channel.isOpen();
    }
  }
}
