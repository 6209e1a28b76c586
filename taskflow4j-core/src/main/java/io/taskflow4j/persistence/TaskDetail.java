package io.taskflow4j.persistence;

import io.taskflow4j.internal.Uuids;
import java.util.Map;
import java.util.Objects;

/**
 * The logbook record of a task. Immutable.
 *
 * @param results the task's result as a JSON value ({@code null} when none)
 */
public record TaskDetail(
    String uuid,
    String name,
    AtomState state,
    Intention intention,
    Object results,
    Failure failure,
    Object revertResults,
    Failure revertFailure,
    Map<String, Object> meta,
    String version,
    long revision)
    implements AtomDetail {

  public TaskDetail {
    requireUuid(uuid);
    requireId(name, "name");
    InvalidTextException.require(version, "the version");
    state = state == null ? AtomState.PENDING : state;
    intention = intention == null ? Intention.EXECUTE : intention;
    results = Json.normalize(results);
    revertResults = Json.normalize(revertResults);
    meta = Json.normalizeMap(meta);
    if (revision < 0) {
      throw new IllegalArgumentException("revision must be >= 0, was " + revision);
    }
  }

  static void requireId(String value, String what) {
    Objects.requireNonNull(value, () -> what + " must not be null");
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (InvalidTextException.loneSurrogate(value) >= 0) {
      // The description is made only here: ids are checked on every model value made.
      InvalidTextException.require(value, "the " + what + " '" + value + "'");
    }
  }

  /**
   * Checks a record id. Backends use ids as file, directory and znode names, so an id that could
   * escape its folder ({@code /}, {@code \}, {@code .}, {@code ..}) or holds control characters is
   * refused here, before it reaches any store.
   */
  static void requireUuid(String uuid) {
    if (uuid != null && uuid == lastUuid) {
      return; // every wither of a detail checks its uuid again: once is enough
    }
    requireId(uuid, "uuid");
    if (uuid.isBlank() || uuid.equals(".") || uuid.equals("..")) {
      throw new IllegalArgumentException("uuid '" + uuid + "' is not a usable id");
    }
    for (int i = 0; i < uuid.length(); i++) {
      char c = uuid.charAt(i);
      if (c == '/' || c == '\\' || Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "uuid '"
                + uuid.replaceAll("\\p{Cntrl}", "?")
                + "' must not contain '/', '\\' or control characters");
      }
    }
    lastUuid = uuid;
  }

  /**
   * The uuid {@link #requireUuid} accepted last. A racy cache on purpose: a string is immutable
   * (its fields are final, so any thread sees it whole), and a miss only checks again.
   */
  private static String lastUuid;

  /** A new PENDING task detail with a random uuid. */
  public static TaskDetail create(String name) {
    return of(name, Uuids.random());
  }

  /** A new PENDING task detail. */
  public static TaskDetail of(String name, String uuid) {
    return of(name, uuid, null, 0);
  }

  /**
   * A new PENDING task detail with a version (or {@code null}) and a revision, made in one step.
   */
  public static TaskDetail of(String name, String uuid, String version, long revision) {
    return new TaskDetail(
        uuid,
        name,
        AtomState.PENDING,
        Intention.EXECUTE,
        null,
        null,
        null,
        null,
        Map.of(),
        version,
        revision);
  }

  @Override
  public String typeName() {
    return TASK_DETAIL;
  }

  @Override
  public Object lastResults() {
    return results;
  }

  /** The result converted to {@code type}. */
  public <T> T results(Class<T> type) {
    return Json.convert(results, type);
  }

  @Override
  public TaskDetail withState(AtomState s) {
    return new TaskDetail(
        uuid,
        name,
        s,
        intention,
        results,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public TaskDetail withIntention(Intention i) {
    return new TaskDetail(
        uuid,
        name,
        state,
        i,
        results,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public TaskDetail withMeta(Map<String, ?> m) {
    return new TaskDetail(
        uuid,
        name,
        state,
        intention,
        results,
        failure,
        revertResults,
        revertFailure,
        Json.normalizeMap(m),
        version,
        revision);
  }

  @Override
  public TaskDetail withMetaEntries(Map<String, ?> entries) {
    return (TaskDetail) AtomDetail.super.withMetaEntries(entries);
  }

  @Override
  public TaskDetail withVersion(String v) {
    return new TaskDetail(
        uuid,
        name,
        state,
        intention,
        results,
        failure,
        revertResults,
        revertFailure,
        meta,
        v,
        revision);
  }

  @Override
  public TaskDetail withRevision(long r) {
    if (r == revision) {
      return this;
    }
    return new TaskDetail(
        uuid,
        name,
        state,
        intention,
        results,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        r);
  }

  /** A copy with another result. */
  public TaskDetail withResults(Object r) {
    return new TaskDetail(
        uuid,
        name,
        state,
        intention,
        r,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public TaskDetail withFailure(Failure f) {
    return new TaskDetail(
        uuid,
        name,
        state,
        intention,
        results,
        f,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public TaskDetail withRevertResults(Object r) {
    return new TaskDetail(
        uuid, name, state, intention, results, failure, r, revertFailure, meta, version, revision);
  }

  @Override
  public TaskDetail withRevertFailure(Failure f) {
    return new TaskDetail(
        uuid, name, state, intention, results, failure, revertResults, f, meta, version, revision);
  }

  @Override
  public TaskDetail put(AtomState s, Object result) {
    return put(s, result, meta);
  }

  @Override
  public TaskDetail put(AtomState s, Object result, Map<String, ?> newMeta) {
    Objects.requireNonNull(s, "state");
    Map<String, Object> m = newMeta == meta ? meta : Json.normalizeMap(newMeta);
    switch (s) {
      case REVERT_FAILURE:
        return new TaskDetail(
            uuid,
            name,
            s,
            intention,
            null,
            failure,
            null,
            asFailure(s, result),
            m,
            version,
            revision);
      case FAILURE:
        return new TaskDetail(
            uuid, name, s, intention, null, asFailure(s, result), null, null, m, version, revision);
      case SUCCESS:
        return new TaskDetail(
            uuid,
            name,
            s,
            intention,
            notAFailure(s, result),
            null,
            null,
            null,
            m,
            version,
            revision);
      case REVERTED:
        return new TaskDetail(
            uuid,
            name,
            s,
            intention,
            results,
            failure,
            notAFailure(s, result),
            null,
            m,
            version,
            revision);
      default:
        return new TaskDetail(
            uuid,
            name,
            s,
            intention,
            results,
            failure,
            revertResults,
            revertFailure,
            m,
            version,
            revision);
    }
  }

  static Failure asFailure(AtomState s, Object result) {
    if (result instanceof Failure f) {
      return f;
    }
    throw new IllegalArgumentException(
        "the result of state " + s + " must be a Failure, not " + describe(result));
  }

  /** A Failure given as a result would be stored as a plain value and never re-raised. */
  static Object notAFailure(AtomState s, Object result) {
    if (result instanceof Failure) {
      throw new IllegalArgumentException(
          "a Failure is recorded with state FAILURE (or REVERT_FAILURE for a revert), not " + s);
    }
    return result;
  }

  static String describe(Object o) {
    return o == null ? "null" : o.getClass().getName();
  }

  @Override
  public TaskDetail reset(AtomState s) {
    return new TaskDetail(
        uuid, name, s, Intention.EXECUTE, null, null, null, null, meta, version, revision);
  }
}
