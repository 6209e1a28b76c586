package io.taskflow4j.engine;

import io.taskflow4j.persistence.TaskFlowException;

/**
 * A flow cannot be rebuilt from its flow detail: no factory was recorded, or the recorded factory
 * cannot be found, instantiated or called.
 */
public class FlowFactoryException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  public FlowFactoryException(String message) {
    super(message);
  }

  public FlowFactoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
