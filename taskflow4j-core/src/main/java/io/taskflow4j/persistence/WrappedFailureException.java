package io.taskflow4j.persistence;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Carries one or more {@link Failure}s whose live exceptions are not available (they were read back
 * from a store), or several failures of one run. {@link #check} asks whether any of them is of a
 * given type.
 */
public class WrappedFailureException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  private final transient List<Failure> failures;

  /**
   * Wraps failures; a failure whose live exception is itself a {@code WrappedFailureException} is
   * replaced by the failures it carries (as TaskFlow's {@code WrappedFailure} flattens).
   *
   * @throws NullPointerException when the list or one of its failures is null
   */
  public WrappedFailureException(List<Failure> failures) {
    this(flatten(failures), true);
  }

  private WrappedFailureException(List<Failure> flat, boolean flattened) {
    super(message(flat));
    this.failures = flat;
  }

  private static List<Failure> flatten(List<Failure> failures) {
    Objects.requireNonNull(failures, "failures must not be null");
    List<Failure> out = new ArrayList<>(failures.size());
    for (Failure f : failures) {
      Objects.requireNonNull(f, "failures must not contain null");
      if (f.exception().orElse(null) instanceof WrappedFailureException w) {
        // already flat: its constructor flattened it
        out.addAll(w.failures());
      } else {
        out.add(f);
      }
    }
    return List.copyOf(out);
  }

  private static String message(List<Failure> failures) {
    if (failures.size() == 1) {
      return failures.get(0).pformat(false);
    }
    StringBuilder sb = new StringBuilder("WrappedFailure: [");
    for (int i = 0; i < failures.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(failures.get(i).pformat(false));
    }
    return sb.append(']').toString();
  }

  /** The failures carried, in order. */
  public List<Failure> failures() {
    return failures;
  }

  /** The first failure of one of the given types (classes or names), or {@code null}. */
  public Failure check(Object... types) {
    for (Failure f : failures) {
      if (f.check(types) != null) {
        return f;
      }
    }
    return null;
  }
}
