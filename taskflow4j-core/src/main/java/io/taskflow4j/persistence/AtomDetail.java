package io.taskflow4j.persistence;

import java.util.Map;

/**
 * What the logbook records about one atom of a flow: a {@link TaskDetail} or a {@link RetryDetail}.
 * Immutable; every change makes a new value.
 *
 * <p>{@link #revision()} is the backend's revision of the stored record this value was read from or
 * last written as ({@code 0}: not known to be stored). A backend accepts an update only when the
 * revision matches what it holds, so concurrent writers are detected instead of merged; a value
 * with revision {@code 0} is written unconditionally (TaskFlow's last-writer-wins).
 */
public sealed interface AtomDetail permits TaskDetail, RetryDetail {

  /** TaskFlow's type tag of task details. */
  String TASK_DETAIL = "TASK_DETAIL";

  /** TaskFlow's type tag of retry details. */
  String RETRY_DETAIL = "RETRY_DETAIL";

  // The metadata an engine records about each execution. Dashboards, stats and post-mortems read
  // these names; they are part of the stored format and do not change.

  /**
   * Atom-meta key of when the latest execution started: ISO-8601 text in UTC (for example {@code
   * "2026-12-05T14:13:05.123456Z"}), written together with the RUNNING state.
   */
  String META_STARTED_AT = "started_at";

  /**
   * Atom-meta key of when the latest execution ended (ISO-8601 text in UTC), written together with
   * its outcome (SUCCESS or FAILURE). Absent while the atom runs, or when its process died.
   */
  String META_ENDED_AT = "ended_at";

  /**
   * Atom-meta key of how long the latest execution took, in seconds (a decimal number, measured
   * with a monotonic clock), written together with its outcome.
   */
  String META_DURATION = "duration";

  /**
   * Atom-meta key of which execution of the atom this is: 1 for the first, counting every run again
   * after a crash, a resume or a retry of its scope (a whole number).
   */
  String META_ATTEMPT = "attempt";

  /** Atom-meta key of the host name of the process that ran the latest execution. */
  String META_HOST = "host";

  /** Atom-meta key of the process id that ran the latest execution (a whole number). */
  String META_PID = "pid";

  /** Atom-meta key of the operating-system user that ran the latest execution. */
  String META_USER = "user";

  /** Atom-meta key of the task's progress (a number from 0 to 1). */
  String META_PROGRESS = "progress";

  /** Atom-meta key of the details of the last progress report. */
  String META_PROGRESS_DETAILS = "progress_details";

  /** Atom-meta key of persistent atom-scoped injected arguments. */
  String META_INJECTED = "injected";

  String uuid();

  String name();

  AtomState state();

  Intention intention();

  /** The failure of the last execution, or {@code null}. */
  Failure failure();

  /** The result of the last revert (a JSON value), or {@code null}. */
  Object revertResults();

  /** The failure of the last revert, or {@code null}. */
  Failure revertFailure();

  /** Free-form metadata (JSON values): progress, timings, injected arguments... */
  Map<String, Object> meta();

  /** The atom's version string, e.g. {@code "1.0"}, or {@code null}. */
  String version();

  /** The stored revision this value is based on ({@code 0} = unknown, write unconditionally). */
  long revision();

  /** {@link #TASK_DETAIL} or {@link #RETRY_DETAIL}. */
  String typeName();

  /**
   * The result most recently produced: a task's result ({@code null} when it has none), or a
   * retry's latest history value.
   *
   * @throws NotFoundException for a retry whose history is empty (one that has not run, or that was
   *     reverted; as in TaskFlow). Code that reads every atom checks {@code
   *     RetryDetail.history().isEmpty()} first; a reverted retry keeps what happened under {@link
   *     RetryDetail#META_REVERTED_HISTORY}.
   */
  Object lastResults();

  AtomDetail withState(AtomState state);

  AtomDetail withIntention(Intention intention);

  AtomDetail withMeta(Map<String, ?> meta);

  AtomDetail withVersion(String version);

  AtomDetail withRevision(long revision);

  AtomDetail withFailure(Failure failure);

  AtomDetail withRevertResults(Object revertResults);

  AtomDetail withRevertFailure(Failure revertFailure);

  /**
   * {@link #put(AtomState, Object)} with {@code meta} as the whole new meta, in one copy: a state
   * or outcome recorded together with the metadata that goes with it (such as an engine's start or
   * end stamps, merged into the old meta by the caller with {@link Json#merge}).
   *
   * @throws IllegalArgumentException as {@link #put(AtomState, Object)}, or when {@code meta}
   *     cannot be represented as JSON
   */
  default AtomDetail put(AtomState s, Object result, Map<String, ?> meta) {
    return put(s, result).withMeta(meta);
  }

  /** A copy whose meta is this meta with {@code entries} put over it. */
  default AtomDetail withMetaEntries(Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return this;
    }
    return withMeta(Json.merge(meta(), entries));
  }

  /**
   * Records an outcome, with TaskFlow's clearing rules: {@code SUCCESS} stores the result and
   * clears failures and revert results; {@code FAILURE} stores the failure and clears the rest;
   * {@code REVERTED} stores the revert result (keeping the execute result and failure); {@code
   * REVERT_FAILURE} stores the revert failure; any other state only changes the state.
   *
   * @param result a JSON-able value, or a {@link Failure} for the failure states
   * @throws IllegalArgumentException when a failure state gets no {@link Failure}, SUCCESS or
   *     REVERTED gets one, or the result cannot be represented as JSON
   */
  AtomDetail put(AtomState state, Object result);

  /** Back to {@code state} with intention EXECUTE and no results or failures. */
  AtomDetail reset(AtomState state);
}
