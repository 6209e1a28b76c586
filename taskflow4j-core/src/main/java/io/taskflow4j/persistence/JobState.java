package io.taskflow4j.persistence;

import java.util.Objects;

/**
 * The states of a job, with TaskFlow's transition table and one state TaskFlow lacks: {@link
 * #TRASHED}.
 */
public enum JobState {
  /** On the board, waiting for a conductor. */
  UNCLAIMED,
  /** On the board, held by a conductor. */
  CLAIMED,
  /** Done: its flow ended and the job left the board. */
  COMPLETE,
  /**
   * In the board's trash, put there by its holder ({@code Claim.trash}), for people to look at:
   * never claimed again. TaskFlow has no state of its own for this (its boards leave a trashed
   * job's state to be read as COMPLETE, which would pass it for done).
   */
  TRASHED;

  /**
   * {@code true} for an allowed transition, {@code false} for the same state.
   *
   * @throws InvalidStateException for any other transition
   */
  public static boolean checkTransition(JobState from, JobState to) {
    Objects.requireNonNull(from, "from state must not be null");
    Objects.requireNonNull(to, "to state must not be null");
    if (from == to) {
      return false;
    }
    boolean ok =
        (from == UNCLAIMED && to == CLAIMED)
            || (from == CLAIMED && (to == UNCLAIMED || to == COMPLETE || to == TRASHED));
    if (!ok) {
      throw new InvalidStateException(
          "Job transition from '" + from + "' to '" + to + "' is not allowed");
    }
    return true;
  }
}
