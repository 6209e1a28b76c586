package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.StoreAccessDeniedException;

/**
 * ZooKeeper refused an operation: the znode's ACL does not grant the session's credentials what the
 * operation needs (no credentials were given, or other ones than those the store was written with,
 * a wrong password included: NOAUTH), or the server refused the credentials themselves
 * (AUTHFAILED). The message says which, and names the znode and the user, never the password.
 */
public class ZkAccessDeniedException extends StoreAccessDeniedException {
  private static final long serialVersionUID = 1L;

  /** An access refusal with its message and ZooKeeper's exception. */
  public ZkAccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
