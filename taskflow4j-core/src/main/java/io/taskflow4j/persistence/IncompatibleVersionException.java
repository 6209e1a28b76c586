package io.taskflow4j.persistence;

/**
 * The store was written by a newer (or unknown) schema version than this code understands; it was
 * left untouched.
 */
public class IncompatibleVersionException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public IncompatibleVersionException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public IncompatibleVersionException(String message, Throwable cause) {
    super(message, cause);
  }
}
