package io.taskflow4j.flow;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Retry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Runs its children in the order of a dependency graph. A child that requires a name another child
 * provides runs after it (links are inferred when the engine compiles the flow); {@link #link} adds
 * explicit ordering. A cycle is reported when the flow is compiled, before anything runs.
 */
public final class GraphFlow extends Flow {
  /** An explicit ordering: {@code from} runs before {@code to}. */
  public record Link(FlowElement from, FlowElement to) {}

  private final List<Link> links = new ArrayList<>();

  private GraphFlow(String name, Retry retry) {
    super(name, retry);
  }

  /** An empty graph flow. */
  public static GraphFlow of(String name) {
    return new GraphFlow(name, null);
  }

  /** An empty graph flow guarded by {@code retry}. */
  public static GraphFlow of(String name, Retry retry) {
    return new GraphFlow(name, retry);
  }

  @Override
  public Kind kind() {
    return Kind.GRAPH;
  }

  @Override
  public GraphFlow add(FlowElement... items) {
    super.add(items);
    return this;
  }

  @Override
  public GraphFlow add(List<? extends FlowElement> items) {
    super.add(items);
    return this;
  }

  /**
   * Makes {@code from} run before {@code to}; both must already be children of this flow.
   *
   * @throws IllegalArgumentException when either is not a child, or they are the same element
   */
  public GraphFlow link(FlowElement from, FlowElement to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (from == to) {
      throw new IllegalArgumentException(
          "cannot link '" + from.name() + "' to itself in flow '" + name() + "'");
    }
    requireChild(from);
    requireChild(to);
    for (Link l : links) {
      if (l.from() == from && l.to() == to) {
        return this;
      }
    }
    links.add(new Link(from, to));
    return this;
  }

  private void requireChild(FlowElement e) {
    for (FlowElement c : children()) {
      if (c == e) {
        return;
      }
    }
    throw new IllegalArgumentException(
        "'" + e.name() + "' is not a child of flow '" + name() + "'; add it before linking it");
  }

  /** The explicit links, in the order made. */
  public List<Link> links() {
    return Collections.unmodifiableList(links);
  }
}
