package io.taskflow4j.conductor;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Completes a conductor's jobs in batches: the claims of jobs that finish while a completion is
 * being stored go together in the next one ({@link Jobboard#completeAll}, one transaction on the
 * SQL board). A lone completion is stored at once, on the caller's own thread: nothing waits for
 * company, so batches form only when completions arrive faster than the store takes them (group
 * commit).
 *
 * <p>Leader and followers: a caller that finds nobody storing becomes the leader and stores
 * whatever is queued, batch after batch, until the queue is empty; callers that arrive meanwhile
 * queue their claim and wait. A leader looks at the queue again after giving up the lead, so a
 * claim queued just before that is never left behind.
 */
final class CompletionBatcher {
  /** The most claims completed in one call. */
  static final int MAX_BATCH = 64;

  private record Pending(Claim claim, CompletableFuture<Void> done) {}

  private final Jobboard board;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock lead = new ReentrantLock();
  private volatile boolean stopped;

  CompletionBatcher(Jobboard board) {
    this.board = board;
  }

  /**
   * Completes the claim's job and returns once that is stored.
   *
   * @throws FencedException when the claim was no longer held
   * @throws TaskFlowException when the store failed (the claim is still held), or the batcher was
   *     stopped
   */
  void complete(Claim claim) {
    if (stopped) {
      throw stoppedError(claim);
    }
    Pending p = new Pending(claim, new CompletableFuture<>());
    queue.add(p);
    while (lead.tryLock()) {
      try {
        for (List<Pending> batch = next(); !batch.isEmpty(); batch = next()) {
          store(batch);
        }
      } finally {
        lead.unlock();
      }
      if (queue.isEmpty()) {
        break;
      }
    }
    await(p);
  }

  /** How many completions wait to be stored (for tests). */
  int queued() {
    return queue.size();
  }

  /** Refuses completions from now on ({@link StorageException}); those under way finish. */
  void stop() {
    stopped = true;
  }

  private List<Pending> next() {
    List<Pending> batch = new ArrayList<>();
    for (Pending p; batch.size() < MAX_BATCH && (p = queue.poll()) != null; ) {
      batch.add(p);
    }
    return batch;
  }

  private void store(List<Pending> batch) {
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

  private static void await(Pending p) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          p.done.get();
          return;
        } catch (InterruptedException e) {
          // the completion is under way: its outcome decides what happened to the job
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new StorageException(
              "Could not complete job " + p.claim.job().uuid(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static StorageException stoppedError(Claim claim) {
    return new StorageException(
        "Could not complete job " + claim.job().uuid() + ": the conductor stopped");
  }
}
