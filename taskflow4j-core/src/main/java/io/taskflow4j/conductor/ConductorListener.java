package io.taskflow4j.conductor;

import io.taskflow4j.jobs.Claim;

/** Told what a conductor does. Called on the conductor's threads: return quickly, don't throw. */
public interface ConductorListener {

  /** A job was claimed and is about to run. */
  default void claimed(Claim claim) {}

  /** A job was settled. */
  default void settled(JobOutcome outcome) {}

  /**
   * A periodic prune of the conductor's retention ({@link Conductor.Builder#retention}) finished,
   * on the conductor's pruning thread.
   */
  default void pruned(io.taskflow4j.retention.PruneReport report) {}
}
