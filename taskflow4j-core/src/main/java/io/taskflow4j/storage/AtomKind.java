package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.RetryDetail;

/** The two kinds of atom the logbook records: tasks and retry controllers. */
public enum AtomKind {
  /** A task: recorded as a {@link io.taskflow4j.persistence.TaskDetail}. */
  TASK,
  /** A retry controller: recorded as a {@link RetryDetail}. */
  RETRY;

  /** The kind of atom a detail records. */
  public static AtomKind of(AtomDetail detail) {
    return detail instanceof RetryDetail ? RETRY : TASK;
  }
}
