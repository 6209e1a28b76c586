package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowSummary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.UnaryOperator;

/**
 * Builds one page of a flow listing from summaries offered in any order, holding at most the
 * query's limit plus one of them: for a backend that answers {@link
 * io.taskflow4j.persistence.Connection#findFlows} by scanning. Offer every flow (the collector
 * applies the query's filters and cursor), then take the {@link #page()}. A backend that counts
 * atom details only for the flows of the page offers summaries without counts and completes them in
 * {@link #page(UnaryOperator)}. Not thread-safe.
 */
public final class FlowPageCollector {
  private final FlowQuery query;
  // The newest limit + 1 flows seen, the oldest of them at the head (to be dropped first).
  private final PriorityQueue<FlowSummary> kept;

  /** A collector of the page {@code query} asks for. */
  public FlowPageCollector(FlowQuery query) {
    this.query = Objects.requireNonNull(query, "query");
    this.kept =
        new PriorityQueue<>(Math.min(query.limit() + 1, 1024), FlowQuery.NEWEST_FIRST.reversed());
  }

  /** Whether {@code f} passes the query's filters and cursor; no summary is kept. */
  public boolean accepts(FlowSummary f) {
    return query.matches(f) && query.isAfterCursor(f);
  }

  /**
   * Would a flow last updated at {@code updatedAt} with this uuid still make the page? Lets a scan
   * skip reading a record that cannot (a cheap test before the record is parsed).
   */
  public boolean couldKeep(java.time.Instant updatedAt, String flowUuid) {
    if (kept.size() <= query.limit()) {
      return true;
    }
    FlowSummary oldest = kept.peek();
    int c = updatedAt.compareTo(oldest.updatedAt());
    return c > 0 || (c == 0 && flowUuid.compareTo(oldest.flowUuid()) > 0);
  }

  /** Takes {@code f} into account: kept if it passes the query and is among the newest so far. */
  public void offer(FlowSummary f) {
    if (!accepts(f)) {
      return;
    }
    kept.add(f);
    if (kept.size() > query.limit() + 1) {
      kept.poll();
    }
  }

  /** The page: the newest flows offered, and a cursor when more flows passed the query. */
  public FlowPage page() {
    return page(UnaryOperator.identity());
  }

  /**
   * The page, each of its flows passed through {@code complete} (to add what the scan left out,
   * such as atom counts) in the page's order.
   */
  public FlowPage page(UnaryOperator<FlowSummary> complete) {
    List<FlowSummary> newest = new ArrayList<>(kept);
    newest.sort(FlowQuery.NEWEST_FIRST);
    boolean more = newest.size() > query.limit();
    if (more) {
      newest = newest.subList(0, query.limit());
    }
    List<FlowSummary> out = new ArrayList<>(newest.size());
    for (FlowSummary f : newest) {
      out.add(complete.apply(f));
    }
    String next = more ? newest.get(newest.size() - 1).cursor() : null;
    return new FlowPage(Collections.unmodifiableList(out), next);
  }
}
