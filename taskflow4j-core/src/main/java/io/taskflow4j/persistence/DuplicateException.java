package io.taskflow4j.persistence;

/** Something that must be unique already exists (an atom name of another kind, a stored object). */
public class DuplicateException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public DuplicateException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public DuplicateException(String message, Throwable cause) {
    super(message, cause);
  }
}
