package io.taskflow4j.persistence;

/**
 * Root of every exception taskflow4j throws. Unchecked, so callers catch only what they can handle.
 *
 * <p>Subclasses are deliberately shallow: {@link StorageException} for backend I/O trouble (it
 * wraps the real cause; {@link CorruptRecordException} names a damaged record), {@link
 * NotFoundException}, {@link DuplicateException}, {@link InvalidStateException}, {@link
 * ConflictException}, {@link IncompatibleVersionException} and {@link BackendNotFoundException}.
 */
public class TaskFlowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public TaskFlowException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public TaskFlowException(String message, Throwable cause) {
    super(message, cause);
  }
}
