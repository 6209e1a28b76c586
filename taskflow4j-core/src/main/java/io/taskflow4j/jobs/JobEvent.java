package io.taskflow4j.jobs;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened to a job on a board.
 *
 * @param kind what happened
 * @param jobUuid the job
 * @param owner the owner involved (claimer, releaser...), or {@code null}
 * @param at when the board saw it
 */
public record JobEvent(Kind kind, String jobUuid, String owner, Instant at) {
  /** What happened. */
  public enum Kind {
    /** A job was posted. */
    POSTED,
    /** A job was claimed. */
    CLAIMED,
    /** A claim was given back; the job can be claimed again. */
    RELEASED,
    /** A job was completed and removed from the board. */
    COMPLETED,
    /** A job was moved to the trash. */
    TRASHED,
    /** A claim held through this board was lost (lease lapsed, session lost, taken over). */
    LOST
  }

  /** Checks the fields. */
  public JobEvent {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(jobUuid, "jobUuid");
    Objects.requireNonNull(at, "at");
  }
}
