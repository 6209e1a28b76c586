package io.taskflow4j.stats;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Which flows {@link StatsCollector#collect} looks at and how many slow flows it keeps. Immutable:
 * every method returns a new query.
 */
public final class StatsQuery {
  /** How many of the slowest flows are kept unless told otherwise. */
  public static final int DEFAULT_TOP = 10;

  /** The most slow flows a query may ask for (they are held in memory while the store is read). */
  public static final int MAX_TOP = 10_000;

  private static final StatsQuery ALL = new StatsQuery(null, null, DEFAULT_TOP);

  private final Instant since;
  private final String flowName;
  private final int top;

  private StatsQuery(Instant since, String flowName, int top) {
    this.since = since;
    this.flowName = flowName;
    this.top = top;
  }

  /** Every flow of the store, the {@value #DEFAULT_TOP} slowest kept. */
  public static StatsQuery all() {
    return ALL;
  }

  /**
   * Only flows whose record was last written at or after {@code t} ({@code null}: no bound): the
   * flows that ran, or finished, since then (see {@code FlowDetail.updatedAt()}).
   */
  public StatsQuery since(Instant t) {
    return new StatsQuery(t == null ? null : t.truncatedTo(ChronoUnit.MICROS), flowName, top);
  }

  /** Only flows of this exact name ({@code null}: any name). */
  public StatsQuery flowName(String name) {
    if (name != null && name.isEmpty()) {
      throw new IllegalArgumentException("a flow name must not be empty; pass null for any name");
    }
    return new StatsQuery(since, name, top);
  }

  /**
   * Keep the {@code n} slowest flows.
   *
   * @throws IllegalArgumentException unless {@code 0 <= n <=} {@value #MAX_TOP}
   */
  public StatsQuery top(int n) {
    if (n < 0 || n > MAX_TOP) {
      throw new IllegalArgumentException(
          "the number of slowest flows must be from 0 to " + MAX_TOP + ", not " + n);
    }
    return new StatsQuery(since, flowName, n);
  }

  /** The earliest last-update time of the flows looked at. */
  public Optional<Instant> since() {
    return Optional.ofNullable(since);
  }

  /** The name of the flows looked at. */
  public Optional<String> flowName() {
    return Optional.ofNullable(flowName);
  }

  /** How many of the slowest flows are kept. */
  public int top() {
    return top;
  }

  /** Whether the query selects some flows only (and so is read through the flow listing). */
  boolean filtered() {
    return since != null || flowName != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StatsQuery q
        && Objects.equals(since, q.since)
        && Objects.equals(flowName, q.flowName)
        && top == q.top;
  }

  @Override
  public int hashCode() {
    return Objects.hash(since, flowName, top);
  }

  @Override
  public String toString() {
    return "StatsQuery{since=" + since + ", flowName=" + flowName + ", top=" + top + "}";
  }
}
