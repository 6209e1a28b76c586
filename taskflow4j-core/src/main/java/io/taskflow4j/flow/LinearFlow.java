package io.taskflow4j.flow;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Retry;
import java.util.List;

/** Runs its children one after the other, in the order added; reverts them in reverse. */
public final class LinearFlow extends Flow {
  private LinearFlow(String name, Retry retry) {
    super(name, retry);
  }

  /** An empty linear flow. */
  public static LinearFlow of(String name) {
    return new LinearFlow(name, null);
  }

  /** An empty linear flow guarded by {@code retry}. */
  public static LinearFlow of(String name, Retry retry) {
    return new LinearFlow(name, retry);
  }

  @Override
  public Kind kind() {
    return Kind.LINEAR;
  }

  @Override
  public LinearFlow add(FlowElement... items) {
    super.add(items);
    return this;
  }

  @Override
  public LinearFlow add(List<? extends FlowElement> items) {
    super.add(items);
    return this;
  }
}
