package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * Session expiry for the chaos tests, in the backend's package for its test hook ({@link
 * ZkBackend#currentZooKeeper()}): the server itself ends the backend's session, as it does when a
 * client stays away past the session timeout.
 */
public final class ZkSessions {
  private ZkSessions() {}

  /** The id of the ZooKeeper session {@code backend} (a ZooKeeper backend) currently uses. */
  public static long sessionId(Backend backend) throws Exception {
    return ((ZkBackend) backend).currentZooKeeper().getSessionId();
  }

  /**
   * Expires the current session of {@code backend} on the server: a second client joins the session
   * (same id and password) and closes it, so the server drops the session and the backend's next
   * request is told {@code SESSIONEXPIRED} (ZooKeeper's own way of expiring a session in tests).
   *
   * @return the id of the session expired
   */
  public static long expire(Backend backend, String connectString) throws Exception {
    ZooKeeper zk = ((ZkBackend) backend).currentZooKeeper();
    long id = zk.getSessionId();
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper twin =
        new ZooKeeper(
            connectString,
            zk.getSessionTimeout(),
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
            },
            id,
            zk.getSessionPasswd());
    try {
      if (!connected.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("could not join session 0x" + Long.toHexString(id));
      }
    } finally {
      twin.close();
    }
    return id;
  }
}
