package io.taskflow4j.flow;

import io.taskflow4j.persistence.TaskFlowException;
import java.util.List;

/** A flow's ordering (links or provides/requires) has a cycle, so it can never run. */
public class CyclicDependencyException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> cycle;

  /**
   * @param flowName the flow holding the cycle
   * @param cycle the elements on the cycle, in dependency order, the first repeated at the end
   */
  public CyclicDependencyException(String flowName, List<String> cycle) {
    super(
        "Flow '"
            + flowName
            + "' has a dependency cycle: "
            + String.join(" -> ", cycle)
            + " (remove a link, or rename a provided or required value to break it)");
    this.cycle = List.copyOf(cycle);
  }

  /** The elements on the cycle. */
  public List<String> cycle() {
    return cycle;
  }
}
