package io.taskflow4j.flow;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Retry;
import java.util.List;

/**
 * Runs its children in no particular order (at the same time on a parallel engine). Children do not
 * see each other's results.
 */
public final class UnorderedFlow extends Flow {
  private UnorderedFlow(String name, Retry retry) {
    super(name, retry);
  }

  /** An empty unordered flow. */
  public static UnorderedFlow of(String name) {
    return new UnorderedFlow(name, null);
  }

  /** An empty unordered flow guarded by {@code retry}. */
  public static UnorderedFlow of(String name, Retry retry) {
    return new UnorderedFlow(name, retry);
  }

  @Override
  public Kind kind() {
    return Kind.UNORDERED;
  }

  @Override
  public UnorderedFlow add(FlowElement... items) {
    super.add(items);
    return this;
  }

  @Override
  public UnorderedFlow add(List<? extends FlowElement> items) {
    super.add(items);
    return this;
  }
}
