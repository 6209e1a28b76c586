package io.taskflow4j.persistence;

/**
 * The store is readable but its structure is older than this code writes: a store that TaskFlow
 * created, or one from an earlier taskflow4j. Reads work; {@link Connection#upgrade()} adopts it
 * without losing a record. Thrown by {@link Connection#validate()}, whose message says what was
 * found (for example "a TaskFlow store, schema version 14b227e9d1b6").
 */
public class UpgradeRequiredException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what was found and that an upgrade adopts it. */
  public UpgradeRequiredException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public UpgradeRequiredException(String message, Throwable cause) {
    super(message, cause);
  }
}
