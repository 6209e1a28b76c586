package io.taskflow4j.flow;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Retry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A named composition of atoms and other flows, optionally guarded by a {@link Retry} controller
 * that runs first and decides what happens when something inside fails.
 *
 * <p>Flows only describe structure; an engine compiles them ({@link io.taskflow4j.engine.Engines}).
 * Nesting is free: {@code LinearFlow.of("order").add(validate, UnorderedFlow.of("notify").add(mail,
 * sms), ship)}.
 */
public abstract class Flow implements FlowElement {
  /** How a flow orders its children. */
  public enum Kind {
    /** One after the other, in the order added. */
    LINEAR,
    /** In any order, possibly at the same time. */
    UNORDERED,
    /** As links (explicit or inferred from provides/requires) demand. */
    GRAPH
  }

  private final String name;
  private final Retry retry;
  private final List<FlowElement> children = new ArrayList<>();
  private final List<FlowElement> childrenView = Collections.unmodifiableList(children);

  protected Flow(String name, Retry retry) {
    Objects.requireNonNull(name, "flow name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a flow name must not be blank");
    }
    this.name = name;
    this.retry = retry;
  }

  @Override
  public final String name() {
    return name;
  }

  /** The retry controller guarding this flow, if any. */
  public final Optional<Retry> retry() {
    return Optional.ofNullable(retry);
  }

  /** The children in the order added. */
  public final List<FlowElement> children() {
    return childrenView;
  }

  /** The number of direct children. */
  public final int size() {
    return children.size();
  }

  /** How this flow orders its children. */
  public abstract Kind kind();

  /** Adds children (atoms or flows). */
  public Flow add(FlowElement... items) {
    Objects.requireNonNull(items, "items");
    for (FlowElement e : items) {
      Objects.requireNonNull(e, "a flow item must not be null");
      if (e == this) {
        throw new IllegalArgumentException("flow '" + name + "' cannot contain itself");
      }
      children.add(e);
    }
    return this;
  }

  /** Adds children (atoms or flows). */
  public Flow add(List<? extends FlowElement> items) {
    return add(items.toArray(new FlowElement[0]));
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "('" + name + "', " + children.size() + " children)";
  }
}
