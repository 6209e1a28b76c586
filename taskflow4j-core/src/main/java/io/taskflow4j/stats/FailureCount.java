package io.taskflow4j.stats;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How many executions failed with one exception type on one day.
 *
 * @param day the UTC date the execution ended (or, when its end is not recorded, started); {@code
 *     null} when the store recorded neither
 * @param exceptionType the most specific exception type name of the failure
 * @param count how many failed so
 */
public record FailureCount(LocalDate day, String exceptionType, long count) {
  public FailureCount {
    Objects.requireNonNull(exceptionType, "exceptionType");
  }

  /** The JSON form: {@code {"day": "2026-12-05" or null, "exception_type", "count"}}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("day", day == null ? null : day.toString());
    m.put("exception_type", exceptionType);
    m.put("count", count);
    return m;
  }
}
