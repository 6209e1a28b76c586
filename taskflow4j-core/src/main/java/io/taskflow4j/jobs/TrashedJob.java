package io.taskflow4j.jobs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A job of a board's trash with what the board recorded of its trashing ({@link
 * Jobboard#trashEntries}): what to look at before the trash is emptied ({@link
 * Jobboard#purgeTrash}).
 *
 * @param job the job, in state {@link io.taskflow4j.persistence.JobState#TRASHED}
 * @param trashedOn when it was trashed, by the board's record (see {@link Jobboard#purgeTrash}), or
 *     {@code null} when the board cannot tell
 * @param reason why, as given to {@link Claim#trash}, or {@code null} when the board cannot tell
 */
public record TrashedJob(Job job, Instant trashedOn, String reason) {
  /** Checks the job is there. */
  public TrashedJob {
    Objects.requireNonNull(job, "job");
  }

  /** The jobs of {@code entries}, in their order: {@link Jobboard#trashedJobs} from them. */
  public static List<Job> jobs(List<TrashedJob> entries) {
    List<Job> out = new ArrayList<>(entries.size());
    for (TrashedJob t : entries) {
      out.add(t.job());
    }
    return out;
  }
}
