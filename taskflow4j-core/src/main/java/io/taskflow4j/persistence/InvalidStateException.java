package io.taskflow4j.persistence;

/** A state transition that the state machine forbids. */
public class InvalidStateException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public InvalidStateException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public InvalidStateException(String message, Throwable cause) {
    super(message, cause);
  }
}
