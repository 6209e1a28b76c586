package io.taskflow4j.worker.transport;

import io.taskflow4j.persistence.TaskFlowException;

/** The message transport failed: cannot connect, closed, or refused an operation. */
public class TransportException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** With a message saying what failed and what to do. */
  public TransportException(String message) {
    super(message);
  }

  /** With a message and the underlying cause. */
  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
