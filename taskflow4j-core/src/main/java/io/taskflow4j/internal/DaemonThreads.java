package io.taskflow4j.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way taskflow4j makes its own threads: daemon threads (so a library thread never keeps a
 * JVM alive after the application's own threads end) with a name that says whose they are, so a
 * thread dump tells an operator what each one is doing.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** A factory whose threads are called {@code prefix1}, {@code prefix2}, ... */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> create(prefix + count.incrementAndGet(), r);
  }

  /** A factory whose threads are all called {@code name} (for single-thread executors). */
  public static ThreadFactory named(String name) {
    return r -> create(name, r);
  }

  /** A new, not yet started, daemon thread called {@code name} running {@code body}. */
  public static Thread create(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts a daemon thread called {@code name} running {@code body}. */
  public static Thread start(String name, Runnable body) {
    Thread t = create(name, body);
    t.start();
    return t;
  }
}
