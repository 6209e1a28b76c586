package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.StorageException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * Fencing tokens in ZooKeeper: one znode per key, {@code <root>/taskflow4j-fences/<key>}, holding
 * the highest token registered as a JSON number. A fenced write carries {@code check(fence node,
 * version)} in its transaction, with the node's version observed while it held the writer's token:
 * registering a higher token changes that version, so the check fails and nothing of the write
 * lands. Fence znodes are never deleted by the backend (a deleted and re-created node would start
 * again at version 0, which a stale writer could match).
 */
final class ZkFence {
  /** The directory of the fence znodes, under the store's root. */
  static final String DIR = "taskflow4j-fences";

  private final Fence fence;
  private final String path;
  private volatile int version = -1;

  ZkFence(String root, Fence fence) {
    this.fence = fence;
    this.path = path(root, fence.key());
  }

  Fence fence() {
    return fence;
  }

  String path() {
    return path;
  }

  /** The fence znode of {@code key}: the key URL-encoded into one path segment. */
  static String path(String root, String key) {
    String s = URLEncoder.encode(key, StandardCharsets.UTF_8);
    if (s.equals(".") || s.equals("..")) {
      s = s.replace(".", "%2E");
    }
    return root + "/" + DIR + "/" + s;
  }

  private static byte[] encode(long token) {
    return Long.toString(token).getBytes(StandardCharsets.US_ASCII);
  }

  private static long decode(byte[] data, String path) {
    try {
      return Long.parseLong(new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      throw new StorageException("fence znode " + path + " does not hold a token number", e);
    }
  }

  /** The token stored for {@code key}, or {@code null}. */
  static Long stored(ZooKeeper zk, String root, String key)
      throws KeeperException, InterruptedException {
    String p = path(root, key);
    try {
      return decode(zk.getData(p, false, null), p);
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  /**
   * Registers {@code fence}: creates its znode or raises its token with a conditional {@code
   * setData}; idempotent for the token stored.
   */
  static void advance(ZooKeeper zk, String root, Fence fence, List<ACL> acl)
      throws KeeperException, InterruptedException {
    String p = path(root, fence.key());
    while (true) {
      Stat stat = new Stat();
      long stored;
      try {
        stored = decode(zk.getData(p, false, stat), p);
      } catch (KeeperException.NoNodeException e) {
        try {
          zk.create(p, encode(fence.token()), acl, CreateMode.PERSISTENT);
          return;
        } catch (KeeperException.NodeExistsException raced) {
          continue;
        } catch (KeeperException.NoNodeException noDir) {
          try {
            zk.create(root + "/" + DIR, new byte[0], acl, CreateMode.PERSISTENT);
          } catch (KeeperException.NodeExistsException raced) {
            // made meanwhile
          } catch (KeeperException.NoNodeException noRoot) {
            throw new StorageException(
                "the store's root znode " + root + " is missing; call upgrade() first", noRoot);
          }
          continue;
        }
      }
      if (stored == fence.token()) {
        return;
      }
      if (stored > fence.token()) {
        throw new FencedException(
            "Cannot register token "
                + fence.token()
                + " for job '"
                + fence.key()
                + "': the store already holds the higher token "
                + stored
                + " (a peer claimed the job since)");
      }
      try {
        zk.setData(p, encode(fence.token()), stat.getVersion());
        return;
      } catch (KeeperException.BadVersionException | KeeperException.NoNodeException raced) {
        // another advance ran meanwhile: look again
      }
    }
  }

  /**
   * The {@code check} operation to put first in a fenced transaction. The fence's version is read
   * once, on first use; a token other than this fence's is refused at once.
   */
  Op check(ZooKeeper zk, String what) throws KeeperException, InterruptedException {
    int v = version;
    if (v < 0) {
      Stat stat = new Stat();
      long stored;
      try {
        stored = decode(zk.getData(path, false, stat), path);
      } catch (KeeperException.NoNodeException e) {
        throw FencedException.stale(fence, null, what);
      }
      if (stored != fence.token()) {
        throw FencedException.stale(fence, stored, what);
      }
      v = stat.getVersion();
      version = v;
    }
    return Op.check(path, v);
  }

  /** The version the checks expect, or -1 before the first write. */
  int version() {
    return version;
  }

  /** The refusal of a transaction whose fence check failed; reads the token now stored. */
  FencedException refused(ZooKeeper zk, String what) {
    Long stored;
    try {
      stored = decode(zk.getData(path, false, null), path);
    } catch (KeeperException | InterruptedException | StorageException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      stored = null;
    }
    return FencedException.stale(fence, stored, what);
  }

  /** Whether the store still holds this fence's token at the version the checks expect. */
  boolean current(ZooKeeper zk) throws KeeperException, InterruptedException {
    Stat stat = new Stat();
    try {
      long stored = decode(zk.getData(path, false, stat), path);
      int v = version;
      return stored == fence.token() && (v < 0 || v == stat.getVersion());
    } catch (KeeperException.NoNodeException e) {
      return false;
    }
  }
}
