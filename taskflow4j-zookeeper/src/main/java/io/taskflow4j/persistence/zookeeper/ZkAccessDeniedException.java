package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.StorageException;

/**
 * ZooKeeper refused an operation because of the znodes' ACL: no credentials were given, or other
 * ones than those the store was written with. The message names the znode and the user, never the
 * password.
 */
public class ZkAccessDeniedException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** An access refusal with its message and ZooKeeper's exception. */
  public ZkAccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
