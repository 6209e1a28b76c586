package io.taskflow4j.jobs;

import io.taskflow4j.persistence.Fence;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * A claim on one job: a lease, renewed by the board while it is held, with a fencing token that
 * grows with every claim of the job. Give {@link #fence()} to the engine's persistence ({@code
 * connection.advanceFence(fence)} once, then {@code connection.fenced(fence)} for every write) so
 * that once the claim is lost nothing more of this owner's lands.
 *
 * <p>{@link #complete()}, {@link #release()} and {@link #trash(String)} are fenced as well: after
 * the claim was lost they throw {@link io.taskflow4j.persistence.FencedException} and change
 * nothing.
 */
public interface Claim extends AutoCloseable {

  /** The job as it was when claimed. */
  Job job();

  /** Who holds the claim. */
  OwnerId owner();

  /** The fencing token: greater than every earlier claim's on this job. */
  long token();

  /** The fence to hand to persistence: the job's uuid and {@link #token()}. */
  default Fence fence() {
    return new Fence(job().uuid(), token());
  }

  /**
   * When the lease ends unless renewed, as last renewed (boards whose lease is a session, like
   * ZooKeeper's, report the session timeout from the last contact).
   */
  Instant expiresAt();

  /** Whether the claim is still held: not lost, completed, released or trashed. */
  boolean isHeld();

  /**
   * Whether the claim ended with its job completed: by {@link #complete()}, by {@link
   * Jobboard#completeAll}, or with the write of its flow's final state ({@link
   * Jobboard#fencedCompleting}). The default, for claims that keep no such record, is {@code
   * false}.
   */
  default boolean isCompleted() {
    return false;
  }

  /**
   * Completes with the reason when the claim is lost (the lease lapsed or could not be renewed, the
   * session expired, a peer took the job); never completes if the claim ends by {@link
   * #complete()}, {@link #release()} or {@link #trash(String)}. Stop working on the job when it
   * does.
   */
  CompletionStage<String> lost();

  /** Removes the job from the board for good: its work is done (whatever the flow's outcome). */
  void complete();

  /** Gives the job back: it can be claimed again at once. */
  void release();

  /**
   * Gives the job back after a failure that will not go away by itself (the job's {@code failures}
   * count grows by one); {@code reason} is kept for people.
   */
  void releaseAfterFailure(String reason);

  /** Moves the job to the board's trash, for people to look at; {@code reason} says why. */
  void trash(String reason);

  /** Releases the claim if it is still held; otherwise does nothing. */
  @Override
  void close();
}
