package io.taskflow4j.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the store recorded of the atoms of one name, over the flows looked at.
 *
 * <p>An atom detail keeps its latest execution only, plus the attempt count; the earlier failures
 * of an atom under a retry controller are in that retry's history. So {@code runs} counts every
 * execution (the {@code attempt} meta), while {@code successes} and {@code failures} count the
 * outcomes the store knows: the latest execution's, and each failure a retry history recorded. A
 * run whose outcome was not kept (an earlier attempt that succeeded before its scope was retried,
 * one cut short by a crash) is in {@code runs} only.
 *
 * @param name the atom's name
 * @param runs how many times atoms of this name were executed
 * @param successes how many latest executions succeeded (the atom may have been reverted since)
 * @param failures how many executions failed
 * @param retries how many executions were not the first of their atom (a retry, a resume)
 * @param timed how many executions have a recorded duration (the latest of each atom)
 * @param p50 the median duration in seconds ({@code 0} when {@code timed} is 0), within 0.1%
 * @param p95 the 95th percentile of durations in seconds, within 0.1%
 * @param p99 the 99th percentile of durations in seconds, within 0.1%
 * @param max the longest duration in seconds, exact
 */
public record AtomStats(
    String name,
    long runs,
    long successes,
    long failures,
    long retries,
    long timed,
    double p50,
    double p95,
    double p99,
    double max) {

  public AtomStats {
    Objects.requireNonNull(name, "name");
  }

  /** The JSON form: the fields by name; the durations {@code null} when none was recorded. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("runs", runs);
    m.put("successes", successes);
    m.put("failures", failures);
    m.put("retries", retries);
    m.put("timed", timed);
    m.put("p50", timed == 0 ? null : p50);
    m.put("p95", timed == 0 ? null : p95);
    m.put("p99", timed == 0 ? null : p99);
    m.put("max", timed == 0 ? null : max);
    return m;
  }
}
