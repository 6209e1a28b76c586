package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.StorageException;

/**
 * A write was refused before anything was sent: a value, or the whole transaction, is larger than
 * the servers accept ({@code max_value_bytes}, which must match their {@code jute.maxbuffer}). The
 * message names the object and the limit. Nothing of the refused call was stored.
 */
public class ZkValueTooLargeException extends StorageException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  /** A refusal of {@code size} bytes against a limit of {@code limit} bytes. */
  public ZkValueTooLargeException(String message, long size, long limit) {
    super(message);
    this.size = size;
    this.limit = limit;
  }

  /** The size of what was refused, in bytes (as sent to ZooKeeper). */
  public long size() {
    return size;
  }

  /** The limit it was checked against, in bytes. */
  public long limit() {
    return limit;
  }
}
