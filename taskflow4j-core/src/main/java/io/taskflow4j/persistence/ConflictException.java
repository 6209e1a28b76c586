package io.taskflow4j.persistence;

/**
 * A write was based on a stale revision: another writer changed the object first. Nothing was
 * stored; reload and retry.
 */
public class ConflictException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public ConflictException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public ConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
