package io.taskflow4j.conductor;

import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Completes a conductor's jobs in batches: the claims of jobs that finish while a completion is
 * being stored go together in the next one ({@link Jobboard#completeAll}, one transaction on the
 * SQL board). A lone completion is stored at once: nothing waits for company, so batches form only
 * when completions arrive faster than the store takes them (group commit).
 */
final class CompletionBatcher {
  /** The most claims completed in one call. */
  static final int MAX_BATCH = 64;

  private record Pending(Claim claim, CompletableFuture<Void> done) {}

  /** Queued by {@link #stop()}: the thread ends once what was queued before it is done. */
  private static final Pending STOP = new Pending(null, null);

  private final Jobboard board;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean stopped;

  CompletionBatcher(Jobboard board, String name) {
    this.board = board;
    this.thread = DaemonThreads.create(name, this::loop);
    thread.start();
  }

  /**
   * Completes the claim's job and waits until it is done.
   *
   * @throws FencedException when the claim was no longer held
   * @throws TaskFlowException when the store failed (the claim is still held)
   */
  void complete(Claim claim) {
    if (stopped) {
      throw stoppedError(claim);
    }
    Pending p = new Pending(claim, new CompletableFuture<>());
    queue.add(p);
    if (stopped) {
      failPending(); // the thread may have ended before the add
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          p.done.get();
          return;
        } catch (InterruptedException e) {
          // the completion is in flight: its outcome decides what happened to the job
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new StorageException("Could not complete job " + claim.job().uuid(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** How many completions wait for the next batch (for tests). */
  int queued() {
    int n = 0;
    for (Pending p : queue) {
      if (p != STOP) {
        n++;
      }
    }
    return n;
  }

  /** Stops once the completions queued are done; later ones fail. */
  void stop() {
    stopped = true;
    queue.add(STOP);
  }

  private void loop() {
    List<Pending> batch = new ArrayList<>();
    boolean stopping = false;
    while (!stopping || !queue.isEmpty()) {
      Pending first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        continue; // nobody interrupts this thread but the JVM's end
      }
      if (first == STOP) {
        stopping = true;
        continue;
      }
      batch.add(first);
      queue.drainTo(batch, MAX_BATCH - 1);
      if (batch.remove(STOP)) {
        stopping = true;
      }
      run(batch);
      batch.clear();
    }
    failPending();
  }

  private void run(List<Pending> batch) {
    List<Claim> claims = new ArrayList<>(batch.size());
    batch.forEach(p -> claims.add(p.claim));
    Map<Claim, FencedException> refused;
    try {
      refused = board.completeAll(claims);
    } catch (RuntimeException e) {
      batch.forEach(p -> p.done.completeExceptionally(e));
      return;
    }
    for (Pending p : batch) {
      FencedException e = refused.get(p.claim);
      if (e == null) {
        p.done.complete(null);
      } else {
        p.done.completeExceptionally(e);
      }
    }
  }

  private void failPending() {
    for (Pending p; (p = queue.poll()) != null; ) {
      if (p == STOP) {
        continue;
      }
      p.done.completeExceptionally(stoppedError(p.claim));
    }
  }

  private static StorageException stoppedError(Claim claim) {
    return new StorageException(
        "Could not complete job " + claim.job().uuid() + ": the conductor stopped");
  }
}
