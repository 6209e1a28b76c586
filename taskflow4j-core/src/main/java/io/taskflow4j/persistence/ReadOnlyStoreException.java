package io.taskflow4j.persistence;

/**
 * The store can be read but this process cannot write it: a backup, a snapshot, a read-only mount,
 * or files of another user that this one may only read. Every read works; a write fails. Thrown by
 * {@link Connection#validate()}, whose message names what cannot be written and how to fix it, so
 * that a program that only reads (a listing, an export, a consistency check) can go on and one that
 * writes can stop before its first write.
 */
public class ReadOnlyStoreException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what cannot be written and what to do. */
  public ReadOnlyStoreException(String message) {
    super(message);
  }
}
