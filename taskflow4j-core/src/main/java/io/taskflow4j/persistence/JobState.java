package io.taskflow4j.persistence;

import java.util.Objects;

/** The states of a job on a jobboard, with TaskFlow's transition table. */
public enum JobState {
  UNCLAIMED,
  CLAIMED,
  COMPLETE;

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
            || (from == CLAIMED && (to == UNCLAIMED || to == COMPLETE));
    if (!ok) {
      throw new InvalidStateException(
          "Job transition from '" + from + "' to '" + to + "' is not allowed");
    }
    return true;
  }
}
