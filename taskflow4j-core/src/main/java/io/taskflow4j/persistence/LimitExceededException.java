package io.taskflow4j.persistence;

/**
 * A value does not fit the store it is meant for: a name longer than its column, a character the
 * store cannot keep, a time it cannot represent, a value over its size limit (see {@link
 * StoreLimits}). Thrown before anything is written; the message names the record, the field and the
 * limit.
 */
public class LimitExceededException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what does not fit, where, and what the limit is. */
  public LimitExceededException(String message) {
    super(message);
  }
}
