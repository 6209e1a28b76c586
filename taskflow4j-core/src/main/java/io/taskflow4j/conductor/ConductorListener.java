package io.taskflow4j.conductor;

import io.taskflow4j.jobs.Claim;

/** Told what a conductor does. Called on the conductor's threads: return quickly, don't throw. */
public interface ConductorListener {

  /** A job was claimed and is about to run. */
  default void claimed(Claim claim) {}

  /**
   * A claimed job's engine is built and about to run, on the thread that runs it: the place to
   * attach engine listeners (metrics, tracing) to every flow a conductor runs. Listeners attached
   * here need no closing: the engine is dropped when the job is settled. Return quickly; an
   * exception is logged and ignored.
   */
  default void engineStarting(Claim claim, io.taskflow4j.engine.Engine engine) {}

  /** A job was settled. */
  default void settled(JobOutcome outcome) {}

  /**
   * A periodic prune of the conductor's retention ({@link Conductor.Builder#retention}) finished,
   * on the conductor's pruning thread.
   */
  default void pruned(io.taskflow4j.retention.PruneReport report) {}

  /**
   * After a periodic prune, the board's trash was emptied of the {@code jobs} trashed before {@code
   * trashedBefore} (the same cut-off as the prune's; see {@link
   * io.taskflow4j.jobs.Jobboard#purgeTrash}), on the conductor's pruning thread.
   */
  default void trashPurged(long jobs, java.time.Instant trashedBefore) {}
}
