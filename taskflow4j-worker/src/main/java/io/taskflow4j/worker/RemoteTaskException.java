package io.taskflow4j.worker;

import io.taskflow4j.persistence.TaskFlowException;

/**
 * A remote task could not be run: no live worker serves it, or every dispatch was lost (worker
 * death, timeouts). The engine records it as the task's failure.
 */
public class RemoteTaskException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** With a message saying what happened and what to check. */
  public RemoteTaskException(String message) {
    super(message);
  }
}
