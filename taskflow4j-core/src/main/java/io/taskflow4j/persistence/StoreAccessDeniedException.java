package io.taskflow4j.persistence;

/**
 * The store exists, or may, but this process is not allowed to use it: the operating system refused
 * it the store's files (another user's directory store), or the server refused its credentials or
 * found they lack permission (a ZooKeeper ACL). Nothing was read or written. The message names what
 * refused access, to whom (the user, never a password) and what to do: run as the user owning the
 * store, give this one access, or fix the credentials. Unlike a store that does not exist, creating
 * one ({@code upgrade()}) cannot help.
 */
public class StoreAccessDeniedException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what refused access to whom, and what to do. */
  public StoreAccessDeniedException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause (a driver's or the file system's). */
  public StoreAccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
