package io.taskflow4j.persistence;

/** No backend provider is registered for a connection string's scheme. */
public class BackendNotFoundException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public BackendNotFoundException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public BackendNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
