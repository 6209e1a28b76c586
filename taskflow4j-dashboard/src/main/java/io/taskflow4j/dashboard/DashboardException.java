package io.taskflow4j.dashboard;

import io.taskflow4j.persistence.TaskFlowException;

/** A dashboard could not start: its settings are contradictory, or its address is unusable. */
public class DashboardException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what is wrong and what to do. */
  public DashboardException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public DashboardException(String message, Throwable cause) {
    super(message, cause);
  }
}
