package io.taskflow4j.persistence;

/**
 * A backend could not read or write: I/O failure, lost connection, corrupt record. The cause is
 * kept.
 */
public class StorageException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public StorageException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
