package io.taskflow4j.retention;

import io.taskflow4j.persistence.FlowSummary;

/** Hears what a {@link Pruner} does, flow by flow, on the pruning thread (for progress). */
public interface PruneListener {
  /** A listener that does nothing. */
  PruneListener NONE = new PruneListener() {};

  /** Why a flow old enough to prune was kept. */
  enum Reason {
    /** A job on one of the boards refers to it. */
    REFERENCED_BY_JOB,
    /** Another process changed it after the pruner listed it (a resume, say). */
    CHANGED
  }

  /** {@code flow} was deleted (in a dry run: would be). */
  default void deleted(FlowSummary flow) {}

  /** {@code flow} was old enough but kept, for {@code reason}. */
  default void kept(FlowSummary flow, Reason reason) {}

  /** The logbook {@code bookUuid} was deleted: the prune left it empty. */
  default void bookDeleted(String bookUuid) {}
}
