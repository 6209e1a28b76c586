package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One atom: its current detail and what lives only in memory about it. Writes of one atom
 * synchronise on its entry (a monitor costs no object per atom, unlike a lock, and taking it stores
 * no reference into an entry that is long-lived in a large flow).
 *
 * <p>An entry is also the {@link Provided} of a name it alone provides with its whole result, so
 * such a name (nearly every name of a large flow) needs no object of its own.
 */
final class AtomEntry implements Provided {
  final String name;
  final AtomKind kind;

  /**
   * The current detail; null until first read for an atom the private store made (see {@link
   * #detail()}): a large flow would otherwise keep a PENDING detail per atom alive until the atom
   * runs, for the collector to copy.
   */
  volatile AtomDetail detail;

  /**
   * How its result maps to provided names: a {@link ResultMapping}, or the provided name alone when
   * the whole result is provided under it (no mapping object per atom of a large flow).
   */
  private volatile Object mapping = ResultMapping.none();

  volatile Failure liveFailure;
  volatile Failure liveRevertFailure;
  volatile Map<String, Object> transientArgs = Map.of();

  /** Position in the flow detail, so failures can be listed in atom order cheaply. */
  final int ordinal;

  /** The uuid and version of the PENDING detail made on first read; null otherwise. */
  private final String freshUuid;

  private final String freshVersion;

  AtomEntry(String name, AtomKind kind, AtomDetail detail, int ordinal) {
    this.name = name;
    this.kind = kind;
    this.detail = Objects.requireNonNull(detail, "detail");
    this.ordinal = ordinal;
    this.freshUuid = null;
    this.freshVersion = null;
  }

  /** An entry whose PENDING detail (revision 1, as the private store writes it) is made later. */
  AtomEntry(String name, AtomKind kind, int ordinal, String uuid, String version) {
    this.name = name;
    this.kind = kind;
    this.ordinal = ordinal;
    this.freshUuid = uuid;
    this.freshVersion = version;
  }

  String name() {
    return name;
  }

  ResultMapping mapping() {
    Object m = mapping;
    return m instanceof String whole ? ResultMapping.whole(whole) : (ResultMapping) m;
  }

  void setMapping(ResultMapping m) {
    mapping = m.wholeName() != null ? m.wholeName() : m;
  }

  /** Whether the atom provides its whole result under one name (nothing can be missing). */
  boolean providesWhole() {
    return mapping instanceof String;
  }

  /** The current detail, made now if it is still the fresh PENDING one. */
  AtomDetail detail() {
    AtomDetail d = detail;
    if (d == null) {
      // Racing readers make equal values; whichever is kept, each is the same detail.
      d = freshDetail(kind, freshUuid, name, freshVersion, 1);
      detail = d;
    }
    return d;
  }

  String uuid() {
    AtomDetail d = detail;
    return d == null ? freshUuid : d.uuid();
  }

  AtomState state() {
    AtomDetail d = detail;
    return d == null ? AtomState.PENDING : d.state();
  }

  Intention intention() {
    AtomDetail d = detail;
    return d == null ? Intention.EXECUTE : d.intention();
  }

  /** Takes {@code written} as the current detail, keeping the live failures that still match. */
  void written(AtomDetail written, Failure liveExec, Failure liveRevert) {
    liveFailure = liveOrNull(written.failure(), liveExec, liveFailure);
    liveRevertFailure = liveOrNull(written.revertFailure(), liveRevert, liveRevertFailure);
    detail = written;
  }

  /** The execute failure of {@code d} (this entry's detail), the live one when known. */
  Failure executeFailure(AtomDetail d) {
    return live(d.failure(), liveFailure);
  }

  /** The revert failure of {@code d} (this entry's detail), the live one when known. */
  Failure revertFailure(AtomDetail d) {
    return live(d.revertFailure(), liveRevertFailure);
  }

  /** The task's results, or the retry's latest value ({@code null} before its first). */
  static Object lastResults(AtomDetail d) {
    if (d instanceof RetryDetail r) {
      return r.history().isEmpty() ? null : r.lastResults();
    }
    return ((TaskDetail) d).results();
  }

  /** A new PENDING detail. */
  static AtomDetail freshDetail(
      AtomKind kind, String uuid, String name, String version, long revision) {
    return kind == AtomKind.RETRY
        ? RetryDetail.of(name, uuid, version, revision)
        : TaskDetail.of(name, uuid, version, revision);
  }

  /** The live failure to keep for {@code stored}: a candidate that matches it, or null. */
  static Failure liveOrNull(Failure stored, Failure candidate, Failure previous) {
    if (stored == null) {
      return null;
    }
    if (stored.exception().isPresent()) {
      return stored;
    }
    if (candidate != null && candidate.exception().isPresent() && stored.matches(candidate)) {
      return candidate;
    }
    if (previous != null && stored.matches(previous)) {
      return previous;
    }
    return null;
  }

  private static Failure live(Failure stored, Failure live) {
    if (stored == null) {
      return null;
    }
    return live != null && stored.matches(live) ? live : stored;
  }

  // As the sole provider of a name, giving its whole result (see ResultIndex).

  @Override
  public List<String> defaults() {
    return List.of();
  }

  @Override
  public int atomCount() {
    return 1;
  }

  @Override
  public AtomEntry atom(int i) {
    return this;
  }

  @Override
  public Object key(int i) {
    return null;
  }

  @Override
  public int indexOf(String atomName) {
    return name.equals(atomName) ? 0 : -1;
  }
}
