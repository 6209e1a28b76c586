package io.taskflow4j.retry;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.storage.RetryHistory;
import java.util.Collection;
import java.util.List;

/**
 * Tries its scope with each of a fixed collection of values in turn (TaskFlow's {@code ForEach}):
 * each attempt's value is the first value not yet tried according to the (persisted) history, so a
 * resumed run continues where the last one stopped. When a failure leaves no value to try, it
 * reverts its scope ({@link Decision#REVERT}) or, with {@code revertAll}, everything. With no value
 * at all, {@code execute} fails with {@link io.taskflow4j.persistence.NotFoundException} ("No
 * elements left in collection of iterable retry controller …").
 *
 * <p>Values are JSON values (they are recorded in the history); a value that occurs twice is tried
 * twice.
 */
public final class ForEach extends Retry {
  private final List<Object> values;
  private final boolean revertAll;

  /**
   * Tries each of {@code values}, in iteration order, then reverts the scope.
   *
   * @throws IllegalArgumentException when a value is not a JSON value
   */
  public ForEach(String name, Collection<?> values) {
    this(name, values, false);
  }

  /**
   * Tries each of {@code values}, then reverts the scope, or everything when {@code revertAll}.
   *
   * @throws IllegalArgumentException when a value is not a JSON value
   */
  public ForEach(String name, Collection<?> values, boolean revertAll) {
    super(name);
    this.values = Values.normalise(name, values);
    this.revertAll = revertAll;
  }

  /** The values to try, as JSON values. */
  public List<Object> values() {
    return values;
  }

  /** Whether giving up reverts everything rather than the scope. */
  public boolean revertAll() {
    return revertAll;
  }

  /**
   * The first value not yet tried.
   *
   * @throws io.taskflow4j.persistence.NotFoundException when every value was tried
   */
  @Override
  public Object execute(Arguments args, RetryHistory history) {
    return Values.next(name(), values, history.providedValues());
  }

  @Override
  public Decision onFailure(RetryHistory history) {
    if (Values.hasNext(values, history.providedValues())) {
      return Decision.RETRY;
    }
    return revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }
}
