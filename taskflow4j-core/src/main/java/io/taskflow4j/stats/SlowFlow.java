package io.taskflow4j.stats;

import io.taskflow4j.persistence.FlowState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One of the slowest flows: its wall time runs from the earliest start to the latest end recorded
 * among its atoms (so it includes waiting between them, and spans a crash and resume).
 *
 * @param bookUuid the uuid of the flow's logbook
 * @param bookName the logbook's name
 * @param flowUuid the flow detail's uuid
 * @param flowName the flow's name
 * @param state the flow's state
 * @param startedAt the earliest start of its atoms
 * @param endedAt the latest end of its atoms
 */
public record SlowFlow(
    String bookUuid,
    String bookName,
    String flowUuid,
    String flowName,
    FlowState state,
    Instant startedAt,
    Instant endedAt) {

  public SlowFlow {
    Objects.requireNonNull(flowUuid, "flowUuid");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(endedAt, "endedAt");
  }

  /** From the earliest start to the latest end. */
  public Duration wallTime() {
    return Duration.between(startedAt, endedAt);
  }

  /** The wall time in seconds. */
  public double wallSeconds() {
    Duration d = wallTime();
    return d.getSeconds() + d.getNano() / 1e9;
  }

  /** The JSON form: the fields by name (snake case), times ISO-8601, the wall time in seconds. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("book_uuid", bookUuid);
    m.put("book_name", bookName);
    m.put("flow_uuid", flowUuid);
    m.put("flow_name", flowName);
    m.put("state", state == null ? null : state.name());
    m.put("started_at", startedAt.toString());
    m.put("ended_at", endedAt.toString());
    m.put("wall_seconds", wallSeconds());
    return m;
  }
}
