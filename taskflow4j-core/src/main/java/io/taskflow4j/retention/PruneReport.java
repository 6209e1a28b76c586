package io.taskflow4j.retention;

import io.taskflow4j.persistence.FlowState;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link Pruner} did.
 *
 * @param cutoff flows last updated before this instant were old enough
 * @param dryRun whether nothing was deleted (the counts say what would have been)
 * @param deleted flows deleted (or, in a dry run, to delete), by state; unmodifiable
 * @param booksDeleted logbooks deleted because the prune left them empty (0 in a dry run)
 * @param keptReferenced flows old enough but kept because a job refers to them
 * @param keptChanged flows kept because another process changed them meanwhile
 * @param elapsed how long the prune took
 */
public record PruneReport(
    Instant cutoff,
    boolean dryRun,
    Map<FlowState, Long> deleted,
    long booksDeleted,
    long keptReferenced,
    long keptChanged,
    Duration elapsed) {
  public PruneReport {
    EnumMap<FlowState, Long> copy = new EnumMap<>(FlowState.class);
    copy.putAll(deleted);
    deleted = Collections.unmodifiableMap(copy);
  }

  /** The number of flows deleted (or to delete, in a dry run). */
  public long flowsDeleted() {
    long n = 0;
    for (long c : deleted.values()) {
      n += c;
    }
    return n;
  }

  /** The report as a JSON-ready map (snake_case keys, times as ISO-8601 text). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cutoff", cutoff.toString());
    m.put("dry_run", dryRun);
    m.put("flows_deleted", flowsDeleted());
    Map<String, Object> byState = new LinkedHashMap<>();
    deleted.forEach((s, n) -> byState.put(s.name(), n));
    m.put("deleted_by_state", byState);
    m.put("logbooks_deleted", booksDeleted);
    m.put("kept_referenced_by_job", keptReferenced);
    m.put("kept_changed_meanwhile", keptChanged);
    m.put("elapsed_ms", elapsed.toMillis());
    return m;
  }
}
