package io.taskflow4j.conductor;

import io.taskflow4j.jobs.Job;
import io.taskflow4j.persistence.FlowState;
import java.time.Duration;

/**
 * How a conductor finished with one claimed job.
 *
 * @param job the job as claimed
 * @param token the claim's fencing token
 * @param kind what the conductor did with the job
 * @param flowState the flow's state when its engine stopped, or {@code null} if it never ran
 * @param reason why, for anything but a completion
 * @param took from claim to settlement
 */
public record JobOutcome(
    Job job, long token, Kind kind, FlowState flowState, String reason, Duration took) {

  /** What the conductor did with the job. */
  public enum Kind {
    /** The flow ended (SUCCESS, REVERTED or FAILURE): the job was completed. */
    COMPLETED,
    /** The flow was suspended (stop, lost claim) or storage failed for a while: given back. */
    RELEASED,
    /** The job could not be started (no flow detail, no factory...): given back, counted. */
    FAILED,
    /** The job failed to start too often: moved to the trash. */
    TRASHED,
    /** The claim was lost (a peer took over): the job was left alone, nothing written. */
    DROPPED
  }
}
