package io.taskflow4j.stats;

import io.taskflow4j.persistence.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The statistics {@link StatsCollector#collect} computed. Immutable.
 *
 * @param query what was looked at
 * @param flows how many flows were looked at
 * @param atoms how many atom details they hold
 * @param damaged how many damaged records were passed over (their flows are not counted)
 * @param atomStats per atom name, by name
 * @param failures failures by day (earliest first, unknown day last), then by count (largest first)
 *     and exception type
 * @param slowest the slowest flows, slowest first (at most {@code query.top()})
 */
public record StoreStats(
    StatsQuery query,
    long flows,
    long atoms,
    long damaged,
    List<AtomStats> atomStats,
    List<FailureCount> failures,
    List<SlowFlow> slowest) {

  public StoreStats {
    Objects.requireNonNull(query, "query");
    atomStats = List.copyOf(atomStats);
    failures = List.copyOf(failures);
    slowest = List.copyOf(slowest);
  }

  /** The statistics of the atoms of this name, if any ran. */
  public java.util.Optional<AtomStats> atom(String name) {
    for (AtomStats a : atomStats) {
      if (a.name().equals(name)) {
        return java.util.Optional.of(a);
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * The JSON form: {@code {"since", "flow_name", "flows", "atoms", "damaged", "atom_stats": [...],
   * "failures": [...], "slowest": [...]}}, durations in seconds, times ISO-8601 UTC.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("since", query.since().map(Object::toString).orElse(null));
    m.put("flow_name", query.flowName().orElse(null));
    m.put("flows", flows);
    m.put("atoms", atoms);
    m.put("damaged", damaged);
    List<Object> a = new ArrayList<>(atomStats.size());
    atomStats.forEach(s -> a.add(s.toMap()));
    m.put("atom_stats", a);
    List<Object> f = new ArrayList<>(failures.size());
    failures.forEach(s -> f.add(s.toMap()));
    m.put("failures", f);
    List<Object> s = new ArrayList<>(slowest.size());
    slowest.forEach(x -> s.add(x.toMap()));
    m.put("slowest", s);
    return m;
  }

  /** {@link #toMap()} as compact JSON text. */
  public String toJson() {
    return Json.write(toMap());
  }
}
