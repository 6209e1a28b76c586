package io.taskflow4j.persistence;

import io.taskflow4j.internal.Uuids;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The logbook record of a retry controller. Its {@link #history()} holds one {@link Attempt} per
 * value the retry provided, each with the failures of the atoms in its scope during that attempt.
 * Immutable.
 */
public record RetryDetail(
    String uuid,
    String name,
    AtomState state,
    Intention intention,
    List<Attempt> history,
    Failure failure,
    Object revertResults,
    Failure revertFailure,
    Map<String, Object> meta,
    String version,
    long revision)
    implements AtomDetail {

  /**
   * Retry-meta key of what the retry went through before it gave up and was reverted: a reverted
   * retry starts afresh (its history is emptied, as TaskFlow does), so its attempts are kept here
   * for post-mortems: {@code {"reverted_at": ISO-8601 text, "history": [[value, {atom name: failure
   * dict}], ...], "attempts": [{"started_at", "ended_at", "summary"}, ...]}} ({@code history} in
   * TaskFlow's shape of {@code results}; {@code attempts} as the meta key {@code "attempts"}). The
   * latest revert replaces an earlier one.
   */
  public static final String META_REVERTED_HISTORY = "reverted_history";

  /**
   * One attempt of a retry: the value it provided and the failures (by atom name) of the atoms in
   * its scope. In TaskFlow's JSON form an attempt is the pair {@code [value, {name: failure}]}.
   */
  public record Attempt(Object value, Map<String, Failure> failures) {
    public Attempt {
      value = Json.normalize(value);
      failures = failures == null ? Map.of() : copyOrdered(failures);
    }

    private static Map<String, Failure> copyOrdered(Map<String, Failure> failures) {
      Map<String, Failure> copy = new LinkedHashMap<>(failures);
      for (Map.Entry<String, Failure> e : copy.entrySet()) {
        // both end up as JSON keys and failure dicts; a null would only fail later, in a backend
        Objects.requireNonNull(e.getKey(), "an attempt's failures must not have a null atom name");
        Objects.requireNonNull(
            e.getValue(), () -> "the failure of atom '" + e.getKey() + "' must not be null");
      }
      return java.util.Collections.unmodifiableMap(copy);
    }

    /** A copy with one more failure (replacing any failure of the same atom). */
    public Attempt withFailure(String atomName, Failure failure) {
      Map<String, Failure> copy = new LinkedHashMap<>(failures);
      copy.put(atomName, failure);
      return new Attempt(value, copy);
    }
  }

  public RetryDetail {
    TaskDetail.requireUuid(uuid);
    TaskDetail.requireId(name, "name");
    InvalidTextException.require(version, "the version");
    state = state == null ? AtomState.PENDING : state;
    intention = intention == null ? Intention.EXECUTE : intention;
    history = history == null ? List.of() : List.copyOf(history);
    revertResults = Json.normalize(revertResults);
    meta = Json.normalizeMap(meta);
    if (revision < 0) {
      throw new IllegalArgumentException("revision must be >= 0, was " + revision);
    }
  }

  /** A new PENDING retry detail with a random uuid. */
  public static RetryDetail create(String name) {
    return of(name, Uuids.random());
  }

  /** A new PENDING retry detail. */
  public static RetryDetail of(String name, String uuid) {
    return of(name, uuid, null, 0);
  }

  /**
   * A new PENDING retry detail with a version (or {@code null}) and a revision, made in one step.
   */
  public static RetryDetail of(String name, String uuid, String version, long revision) {
    return new RetryDetail(
        uuid,
        name,
        AtomState.PENDING,
        Intention.EXECUTE,
        List.of(),
        null,
        null,
        null,
        Map.of(),
        version,
        revision);
  }

  @Override
  public String typeName() {
    return RETRY_DETAIL;
  }

  /**
   * The latest attempt's value.
   *
   * @throws NotFoundException when the history is empty
   */
  @Override
  public Object lastResults() {
    if (history.isEmpty()) {
      throw new NotFoundException("Last results not found");
    }
    return history.get(history.size() - 1).value();
  }

  /**
   * The latest attempt's failures.
   *
   * @throws NotFoundException when the history is empty
   */
  public Map<String, Failure> lastFailures() {
    if (history.isEmpty()) {
      throw new NotFoundException("Last failures not found");
    }
    return history.get(history.size() - 1).failures();
  }

  @Override
  public RetryDetail withState(AtomState s) {
    return new RetryDetail(
        uuid,
        name,
        s,
        intention,
        history,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public RetryDetail withIntention(Intention i) {
    return new RetryDetail(
        uuid,
        name,
        state,
        i,
        history,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public RetryDetail withMeta(Map<String, ?> m) {
    return new RetryDetail(
        uuid,
        name,
        state,
        intention,
        history,
        failure,
        revertResults,
        revertFailure,
        Json.normalizeMap(m),
        version,
        revision);
  }

  @Override
  public RetryDetail withMetaEntries(Map<String, ?> entries) {
    return (RetryDetail) AtomDetail.super.withMetaEntries(entries);
  }

  @Override
  public RetryDetail withVersion(String v) {
    return new RetryDetail(
        uuid,
        name,
        state,
        intention,
        history,
        failure,
        revertResults,
        revertFailure,
        meta,
        v,
        revision);
  }

  @Override
  public RetryDetail withRevision(long r) {
    if (r == revision) {
      return this;
    }
    return new RetryDetail(
        uuid,
        name,
        state,
        intention,
        history,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        r);
  }

  /** A copy with another history. */
  public RetryDetail withHistory(List<Attempt> h) {
    return new RetryDetail(
        uuid,
        name,
        state,
        intention,
        h,
        failure,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  /**
   * A copy whose latest attempt also records {@code failure} of {@code atomName} (unchanged when it
   * is already recorded).
   *
   * @throws StorageException when there is no attempt to record it in
   */
  public RetryDetail withAttemptFailure(String atomName, Failure f) {
    Objects.requireNonNull(atomName, "atom name must not be null");
    Objects.requireNonNull(f, "failure must not be null");
    if (history.isEmpty()) {
      throw new StorageException(
          "Unable to fetch most recent retry failures of retry '"
              + name
              + "': it has no history yet");
    }
    Attempt last = history.get(history.size() - 1);
    if (f.matches(last.failures().get(atomName))) {
      return this;
    }
    List<Attempt> h = new ArrayList<>(history);
    h.set(h.size() - 1, last.withFailure(atomName, f));
    return withHistory(h);
  }

  @Override
  public RetryDetail withFailure(Failure f) {
    return new RetryDetail(
        uuid,
        name,
        state,
        intention,
        history,
        f,
        revertResults,
        revertFailure,
        meta,
        version,
        revision);
  }

  @Override
  public RetryDetail withRevertResults(Object r) {
    return new RetryDetail(
        uuid, name, state, intention, history, failure, r, revertFailure, meta, version, revision);
  }

  @Override
  public RetryDetail withRevertFailure(Failure f) {
    return new RetryDetail(
        uuid, name, state, intention, history, failure, revertResults, f, meta, version, revision);
  }

  /**
   * As {@link AtomDetail#put}, except that {@code SUCCESS} appends a new attempt with the result to
   * the history, and no state clears the history.
   */
  @Override
  public RetryDetail put(AtomState s, Object result) {
    Objects.requireNonNull(s, "state");
    switch (s) {
      case SUCCESS:
        {
          List<Attempt> h = new ArrayList<>(history.size() + 1);
          h.addAll(history);
          h.add(new Attempt(TaskDetail.notAFailure(s, result), Map.of()));
          return new RetryDetail(
              uuid, name, s, intention, h, null, null, null, meta, version, revision);
        }
      case FAILURE:
        return new RetryDetail(
            uuid,
            name,
            s,
            intention,
            history,
            TaskDetail.asFailure(s, result),
            null,
            null,
            meta,
            version,
            revision);
      case REVERT_FAILURE:
        return new RetryDetail(
            uuid,
            name,
            s,
            intention,
            history,
            failure,
            null,
            TaskDetail.asFailure(s, result),
            meta,
            version,
            revision);
      case REVERTED:
        return new RetryDetail(
            uuid,
            name,
            s,
            intention,
            history,
            failure,
            TaskDetail.notAFailure(s, result),
            null,
            meta,
            version,
            revision);
      default:
        return withState(s);
    }
  }

  @Override
  public RetryDetail reset(AtomState s) {
    return new RetryDetail(
        uuid, name, s, Intention.EXECUTE, List.of(), null, null, null, meta, version, revision);
  }
}
