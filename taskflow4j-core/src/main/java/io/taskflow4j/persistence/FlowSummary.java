package io.taskflow4j.persistence;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Connection#findFlows} reports of one flow detail: enough to list, filter and prune
 * flows without reading their atom details.
 *
 * @param bookUuid the uuid of the logbook holding the flow
 * @param bookName the logbook's name
 * @param flowUuid the flow detail's uuid
 * @param flowName the flow detail's name
 * @param state the flow's state
 * @param createdAt when the store first saved the flow detail
 * @param updatedAt when the store last wrote the flow detail's own record (never {@code null}: a
 *     record never updated reports its creation time)
 * @param revision the flow detail's revision, for a conditional {@link
 *     Connection#destroyFlowDetail(String, long) delete}
 * @param atomCounts how many atom details the flow has in each state (states with none are left
 *     out); unmodifiable
 */
public record FlowSummary(
    String bookUuid,
    String bookName,
    String flowUuid,
    String flowName,
    FlowState state,
    Instant createdAt,
    Instant updatedAt,
    long revision,
    Map<AtomState, Integer> atomCounts) {

  public FlowSummary {
    Objects.requireNonNull(bookUuid, "bookUuid");
    Objects.requireNonNull(flowUuid, "flowUuid");
    Objects.requireNonNull(flowName, "flowName");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(updatedAt, "updatedAt");
    createdAt = createdAt == null ? updatedAt : createdAt;
    EnumMap<AtomState, Integer> counts = new EnumMap<>(AtomState.class);
    if (atomCounts != null) {
      atomCounts.forEach(
          (s, n) -> {
            if (n != null && n > 0) {
              counts.merge(s, n, Integer::sum);
            }
          });
    }
    atomCounts = Collections.unmodifiableMap(counts);
  }

  /** The summary of a flow detail read with its atom details, in the book {@code book}. */
  public static FlowSummary of(LogBook book, FlowDetail flow) {
    EnumMap<AtomState, Integer> counts = new EnumMap<>(AtomState.class);
    for (AtomDetail ad : flow.atoms()) {
      counts.merge(ad.state(), 1, Integer::sum);
    }
    Instant updated = flow.updatedAt();
    if (updated == null) {
      updated = book.updatedAt() != null ? book.updatedAt() : book.createdAt();
    }
    Instant created = flow.createdAt() != null ? flow.createdAt() : book.createdAt();
    return new FlowSummary(
        book.uuid(),
        book.name(),
        flow.uuid(),
        flow.name(),
        flow.state(),
        created,
        updated,
        flow.revision(),
        counts);
  }

  /**
   * This summary with these atom counts: how a backend that lists flows without reading their atom
   * details completes the flows of a page.
   */
  public FlowSummary withAtomCounts(Map<AtomState, Integer> counts) {
    return new FlowSummary(
        bookUuid, bookName, flowUuid, flowName, state, createdAt, updatedAt, revision, counts);
  }

  /** The number of atom details of the flow. */
  public int atoms() {
    int n = 0;
    for (int c : atomCounts.values()) {
      n += c;
    }
    return n;
  }

  /** How many atom details are in {@code s}. */
  public int atoms(AtomState s) {
    return atomCounts.getOrDefault(s, 0);
  }

  /** The cursor that continues a listing after this flow ({@link FlowQuery#after(String)}). */
  public String cursor() {
    return FlowQuery.cursorOf(updatedAt, flowUuid);
  }
}
