package io.taskflow4j.persistence;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of {@link Connection#findFlows}: the flows, newest first, and the cursor of the next
 * page when there may be one.
 *
 * @param flows the flows of this page (at most the query's limit); unmodifiable
 * @param nextCursor the cursor to pass to {@link FlowQuery#after(String)} for the next page, or
 *     {@code null} when this page is the last
 */
public record FlowPage(List<FlowSummary> flows, String nextCursor) {
  public FlowPage {
    flows = List.copyOf(Objects.requireNonNull(flows, "flows"));
  }

  /** The cursor of the next page, empty when this page is the last. */
  public Optional<String> next() {
    return Optional.ofNullable(nextCursor);
  }
}
