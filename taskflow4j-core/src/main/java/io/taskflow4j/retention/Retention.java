package io.taskflow4j.retention;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.RetryDetail;

/**
 * What an engine does with its flow's logbook record once the run has finished and every listener
 * has heard of the final state ({@code Engines.Builder.retention}). TaskFlow's persistence
 * documentation names the choice: a finished logbook is typically discarded, unless it is kept for
 * triage, metrics, mining or forensics. A run that did not finish (suspended, stopped by an error,
 * crashed) is always kept, so it can be resumed. To keep records for a while and delete them later,
 * keep them here and {@link Pruner prune} the store.
 */
public enum Retention {
  /** Keep every record (the default). */
  KEEP,

  /**
   * Delete the record of a run that ended {@code SUCCESS}; keep {@code REVERTED} and {@code
   * FAILURE}.
   */
  DISCARD_ON_SUCCESS,

  /**
   * Keep only the records of runs in which something failed: delete the record of a run that ended
   * {@code SUCCESS} with every atom run once and no retry recording a failure; keep {@code
   * REVERTED}, {@code FAILURE} and the successes that needed a retry, a resume or a second attempt.
   */
  KEEP_FAILED;

  /**
   * Whether this policy deletes the record of a run that ended in {@code end}, whose flow detail
   * (with its atom details) is {@code flow}.
   */
  public boolean discards(FlowState end, FlowDetail flow) {
    if (this == KEEP || end != FlowState.SUCCESS) {
      return false;
    }
    return this == DISCARD_ON_SUCCESS || !hadTrouble(flow);
  }

  /** Whether an atom ran more than once, or a retry recorded a failure. */
  private static boolean hadTrouble(FlowDetail flow) {
    for (AtomDetail ad : flow.atoms()) {
      if (ad.meta().get(AtomDetail.META_ATTEMPT) instanceof Number n && n.longValue() > 1) {
        return true;
      }
      if (ad instanceof RetryDetail rd) {
        for (RetryDetail.Attempt a : rd.history()) {
          if (!a.failures().isEmpty()) {
            return true;
          }
        }
      }
      if (ad.failure() != null) {
        return true;
      }
    }
    return false;
  }
}
