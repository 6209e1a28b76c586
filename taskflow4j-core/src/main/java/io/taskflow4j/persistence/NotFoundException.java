package io.taskflow4j.persistence;

/** A logbook, flow detail, atom detail or named value does not exist. */
public class NotFoundException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public NotFoundException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public NotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
