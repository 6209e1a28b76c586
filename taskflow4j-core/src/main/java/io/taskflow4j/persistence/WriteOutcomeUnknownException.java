package io.taskflow4j.persistence;

/**
 * A write failed so late (its commit, or the reply to it, was lost with the connection) that the
 * backend cannot tell whether it was stored. A backend that {@link
 * Connection#retriesTransientErrors() retries its own transient errors} throws this instead of
 * retrying the write blindly; {@code Storage} then reads the record back once and, when the store
 * holds exactly what was written, takes the write as made.
 */
public class WriteOutcomeUnknownException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says which write and why its outcome is unknown. */
  public WriteOutcomeUnknownException(String message, Throwable cause) {
    super(message, cause);
  }
}
