package io.taskflow4j.retry;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.storage.RetryHistory;
import java.util.List;

/**
 * As {@link ForEach}, with the values taken from its argument {@value #VALUES} (injected, or
 * provided by an atom before it; rebind it to read another name), TaskFlow's {@code
 * ParameterizedForEach}. The argument is a collection (or array) of JSON values.
 */
public final class ParameterizedForEach extends Retry {
  /** The name of the argument holding the values to try. */
  public static final String VALUES = "values";

  private final boolean revertAll;

  /** Tries each of the values of argument {@value #VALUES}, then reverts the scope. */
  public ParameterizedForEach(String name) {
    this(name, false);
  }

  /**
   * As {@link #ParameterizedForEach(String)}; giving up reverts everything when {@code revertAll}.
   */
  public ParameterizedForEach(String name, boolean revertAll) {
    super(name);
    this.revertAll = revertAll;
    requires(VALUES);
  }

  /** Whether giving up reverts everything rather than the scope. */
  public boolean revertAll() {
    return revertAll;
  }

  /**
   * The first of the argument's values not yet tried.
   *
   * @throws io.taskflow4j.persistence.NotFoundException when every value was tried
   * @throws IllegalArgumentException when the argument is not a collection of JSON values
   */
  @Override
  public Object execute(Arguments args, RetryHistory history) {
    return Values.next(name(), values(args), history.providedValues());
  }

  @Override
  public Decision onFailure(Arguments args, RetryHistory history) {
    if (Values.hasNext(values(args), history.providedValues())) {
      return Decision.RETRY;
    }
    return revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }

  /**
   * Needs the values: engines call {@link #onFailure(Arguments, RetryHistory)}.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Decision onFailure(RetryHistory history) {
    throw new UnsupportedOperationException(
        "retry '"
            + name()
            + "' decides from its values argument; call onFailure(args, history) instead");
  }

  private List<Object> values(Arguments args) {
    return Values.normalise(name(), args.get(VALUES));
  }
}
