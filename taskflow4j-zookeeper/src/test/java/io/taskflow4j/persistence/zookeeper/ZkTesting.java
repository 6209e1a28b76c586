package io.taskflow4j.persistence.zookeeper;

import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** Helpers of the tests: an embedded server, unique store paths, a plain client. */
public final class ZkTesting {
  /** The servers' and the backends' request limit in the tests (see the surefire setup). */
  public static final int MAX_VALUE_BYTES = 8 * 1024 * 1024;

  private ZkTesting() {}

  /** Starts an embedded ZooKeeper server (the real server code) on a free port. */
  public static TestingServer startServer() throws Exception {
    return new TestingServer(true);
  }

  /**
   * Starts an embedded server whose tick is {@code tickMs}: it grants session timeouts from 2 to 20
   * ticks, so that tests can use short leases.
   */
  public static TestingServer startServer(int tickMs) throws Exception {
    return new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, tickMs, -1), true);
  }

  /** A fresh store path, so tests sharing one server never see each other's data. */
  public static String freshPath(String prefix) {
    return "/" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A plain, unauthenticated Curator client, started and connected. */
  public static CuratorFramework plainClient(String connectString) throws InterruptedException {
    CuratorFramework c =
        CuratorFrameworkFactory.newClient(connectString, 10_000, 5_000, new RetryOneTime(100));
    c.start();
    if (!c.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)) {
      c.close();
      throw new IllegalStateException("no connection to " + connectString);
    }
    return c;
  }

  /** Deletes a znode tree if it exists. */
  public static void deleteTree(CuratorFramework c, String path) throws Exception {
    if (c.checkExists().forPath(path) != null) {
      c.delete().deletingChildrenIfNeeded().forPath(path);
    }
  }
}
