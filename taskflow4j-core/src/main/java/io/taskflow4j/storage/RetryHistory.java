package io.taskflow4j.storage;

import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.RetryDetail.Attempt;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a retry controller has done so far: one {@link Attempt} per value it provided, each with the
 * failures of the atoms in its scope, plus the retry's own failure. Immutable.
 */
public final class RetryHistory {
  private final List<Attempt> attempts;
  private final Failure failure;
  private final List<AttemptInfo> infos;

  /** A history of these attempts, oldest first; {@code failure} is the retry's own, or null. */
  public RetryHistory(List<Attempt> attempts, Failure failure) {
    this(attempts, failure, null);
  }

  /**
   * A history of these attempts with their {@link AttemptInfo}s (aligned by index; missing ones are
   * {@link AttemptInfo#UNKNOWN}, extra ones are ignored).
   */
  public RetryHistory(List<Attempt> attempts, Failure failure, List<AttemptInfo> infos) {
    this.attempts = List.copyOf(Objects.requireNonNull(attempts, "attempts"));
    this.failure = failure;
    List<AttemptInfo> aligned = new ArrayList<>(this.attempts.size());
    for (int i = 0; i < this.attempts.size(); i++) {
      AttemptInfo info = infos != null && i < infos.size() ? infos.get(i) : null;
      aligned.add(info == null ? AttemptInfo.UNKNOWN : info);
    }
    this.infos = Collections.unmodifiableList(aligned);
  }

  /**
   * When attempt {@code index} started and ended and what failed in it (a negative index counts
   * from the end). Beyond TaskFlow, which records only values and failures.
   *
   * @throws IndexOutOfBoundsException when there is no such attempt
   */
  public AttemptInfo attemptInfo(int index) {
    return infos.get(normalise(index));
  }

  /** The {@link AttemptInfo} of every attempt, oldest first (aligned with {@link #attempts}). */
  public List<AttemptInfo> attemptInfos() {
    return infos;
  }

  /** The retry controller's own failure, or {@code null}. */
  public Failure failure() {
    return failure;
  }

  /** The number of attempts. */
  public int size() {
    return attempts.size();
  }

  /** Whether there was no attempt yet. */
  public boolean isEmpty() {
    return attempts.isEmpty();
  }

  /**
   * Attempt {@code index}, oldest first; a negative index counts from the end ({@code -1} is the
   * latest).
   *
   * @throws IndexOutOfBoundsException when there is no such attempt
   */
  public Attempt get(int index) {
    return attempts.get(normalise(index));
  }

  private int normalise(int index) {
    int i = index < 0 ? attempts.size() + index : index;
    if (i < 0 || i >= attempts.size()) {
      throw new IndexOutOfBoundsException(
          "attempt " + index + " does not exist; the history has " + attempts.size());
    }
    return i;
  }

  /** Every attempt, oldest first. */
  public List<Attempt> attempts() {
    return attempts;
  }

  /** The values the retry provided, oldest first (TaskFlow's {@code provided_iter}). */
  public List<Object> providedValues() {
    List<Object> values = new ArrayList<>(attempts.size());
    for (Attempt a : attempts) {
      values.add(a.value());
    }
    return Collections.unmodifiableList(values);
  }

  /**
   * The (atom name, failure) pairs of attempt {@code index}, or of every attempt when {@code index}
   * is {@code null} (TaskFlow's {@code outcomes_iter}).
   */
  public List<Map.Entry<String, Failure>> outcomes(Integer index) {
    List<Attempt> selected = index == null ? attempts : List.of(get(index));
    List<Map.Entry<String, Failure>> out = new ArrayList<>();
    for (Attempt a : selected) {
      for (Map.Entry<String, Failure> e : a.failures().entrySet()) {
        out.add(Map.entry(e.getKey(), e.getValue()));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * The first failure caused by {@code type} (a {@link Class} or a type name, fully qualified or
   * simple): the retry's own failure first when {@code includeRetry}, then the failures of attempt
   * {@code index} (every attempt when {@code null}). {@code null} when none is.
   */
  public Failure causedBy(Object type, Integer index, boolean includeRetry) {
    Objects.requireNonNull(type, "type");
    if (includeRetry && failure != null && failure.check(type) != null) {
      return failure;
    }
    for (Map.Entry<String, Failure> e : outcomes(index)) {
      if (e.getValue().check(type) != null) {
        return e.getValue();
      }
    }
    return null;
  }

  /** Whether {@link #causedBy} finds a failure. */
  public boolean isCausedBy(Object type, Integer index, boolean includeRetry) {
    return causedBy(type, index, includeRetry) != null;
  }

  /**
   * Equal when the attempts and the retry's failure are; the {@link AttemptInfo}s (times) are not
   * compared.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof RetryHistory h
        && attempts.equals(h.attempts)
        && Objects.equals(failure, h.failure);
  }

  @Override
  public int hashCode() {
    return attempts.hashCode();
  }

  @Override
  public String toString() {
    return "RetryHistory{attempts=" + attempts + ", failure=" + failure + '}';
  }
}
