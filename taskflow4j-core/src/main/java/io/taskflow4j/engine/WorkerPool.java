package io.taskflow4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A parallel run's own pool of at most {@code max} worker threads, started as jobs arrive (as a
 * fixed thread pool starts them). A worker that finds no job waiting runs {@code idle} before it
 * waits for one: a finished task's result that its worker held back to share the commit of the
 * worker's next RUNNING marker ({@link io.taskflow4j.storage.Storage#saveLater}) is written there
 * when no next job comes, so a held result never waits for work that is not coming.
 *
 * <p>Unlike a {@link java.util.concurrent.ThreadPoolExecutor}, {@link #shutdown} never interrupts a
 * worker: an interrupt could land in a store's I/O (a file channel closes when its thread is
 * interrupted). The workers finish the jobs queued, then end.
 */
final class WorkerPool implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(ActionEngine.class);

  /** Queued once per worker by {@link #shutdown}, behind every job: the worker ends there. */
  private static final Runnable END = () -> {};

  private final int max;
  private final ThreadFactory threads;
  private final Runnable idle;
  private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
  private final List<Thread> started = new ArrayList<>(); // guarded by this
  private boolean shut; // guarded by this

  WorkerPool(int max, ThreadFactory threads, Runnable idle) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    this.max = max;
    this.threads = threads;
    this.idle = idle;
  }

  @Override
  public void execute(Runnable job) {
    synchronized (this) {
      if (shut) {
        throw new RejectedExecutionException("the run's worker pool is shut down");
      }
      queue.add(job);
      if (started.size() < max) {
        Thread t = threads.newThread(this::work);
        started.add(t);
        t.start();
      }
    }
  }

  /** Lets the workers finish the queued jobs, then end; new jobs are refused. */
  void shutdown() {
    synchronized (this) {
      if (shut) {
        return;
      }
      shut = true;
      for (int i = 0; i < started.size(); i++) {
        queue.add(END);
      }
    }
  }

  /** The threads started so far (for tests). */
  synchronized int threadsStarted() {
    return started.size();
  }

  private void work() {
    while (true) {
      Runnable job = queue.poll();
      if (job == null) {
        runIdle();
        job = takeUninterruptibly();
      }
      if (job == END) {
        runIdle();
        return;
      }
      try {
        job.run();
      } catch (RuntimeException | Error e) {
        // A job reports its own outcome (FlowRun#report); this is only a last resort.
        LOG.error("A job of a parallel run failed outside its report", e);
      }
    }
  }

  private void runIdle() {
    try {
      idle.run();
    } catch (RuntimeException | Error e) {
      // The write's failure went to the job whose result it was (Storage#saveLater's ifLost);
      // the worker stays, or the jobs still queued could wait for ever.
      LOG.debug("Writing a held result while idle failed", e);
    }
  }

  /** The next job; an interrupt (no one but a stray caller sends one) does not end a worker. */
  private Runnable takeUninterruptibly() {
    while (true) {
      try {
        return queue.take();
      } catch (InterruptedException e) {
        // Cleared: the next job must not start interrupted.
      }
    }
  }
}
