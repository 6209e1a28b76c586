package io.taskflow4j;

/**
 * Something a flow can contain: an {@link Atom} (a task or a retry controller) or another flow
 * ({@link io.taskflow4j.flow.Flow}).
 */
public interface FlowElement {

  /** The element's name; atom names must be unique within everything an engine runs. */
  String name();
}
