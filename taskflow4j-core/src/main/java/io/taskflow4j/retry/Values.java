package io.taskflow4j.retry;

import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The value selection shared by the iterating retries (TaskFlow's {@code ForEachBase}). */
final class Values {
  private Values() {}

  /**
   * {@code values} as a list of JSON values (the form they have in the history after a reload).
   *
   * @throws IllegalArgumentException when they are not a collection or array of JSON-able values
   */
  @SuppressWarnings("unchecked") // Json.normalize turns a list into a List of JSON values
  static List<Object> normalise(String retry, Object values) {
    Collection<?> items;
    if (values instanceof Collection<?> c) {
      items = c;
    } else if (values instanceof Object[] a) {
      items = Arrays.asList(a);
    } else {
      throw new IllegalArgumentException(
          "retry '"
              + retry
              + "' needs a collection of values to try, not "
              + (values == null ? "null" : values.getClass().getName()));
    }
    try {
      return (List<Object>) Json.normalize(new ArrayList<>(items));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "retry '"
              + retry
              + "' records each value it tries, so the values must be JSON values: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The first of {@code values} not yet tried: each provided value uses up one equal element
   * (TaskFlow's {@code sequence_minus}, so repeated values are tried as often as they occur).
   *
   * @throws NotFoundException when every value was tried
   */
  static Object next(String retry, List<Object> values, List<Object> provided) {
    List<Object> remaining = remaining(values, provided);
    if (remaining.isEmpty()) {
      throw new NotFoundException(
          "No elements left in collection of iterable retry controller " + retry);
    }
    return remaining.get(0);
  }

  /** Whether a value is left to try. */
  static boolean hasNext(List<Object> values, List<Object> provided) {
    return !remaining(values, provided).isEmpty();
  }

  private static List<Object> remaining(List<Object> values, List<Object> provided) {
    List<Object> remaining = new ArrayList<>(values);
    for (Object p : provided) {
      for (Iterator<Object> it = remaining.iterator(); it.hasNext(); ) {
        if (same(it.next(), p)) {
          it.remove();
          break;
        }
      }
    }
    return remaining;
  }

  /** JSON equality: numbers by value, so 3 and 3L (as read back by a store) are one value. */
  static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      try {
        return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
      } catch (NumberFormatException e) {
        return x.equals(y); // NaN, infinities
      }
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (!x.keySet().equals(y.keySet())) {
        return false;
      }
      for (Object k : x.keySet()) {
        if (!same(x.get(k), y.get(k))) {
          return false;
        }
      }
      return true;
    }
    return Objects.equals(a, b);
  }
}
