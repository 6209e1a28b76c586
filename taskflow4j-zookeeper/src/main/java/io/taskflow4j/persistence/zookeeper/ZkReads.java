package io.taskflow4j.persistence.zookeeper;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Pipelined reads: many {@code getData}/{@code exists}/{@code getChildren} requests sent at once on
 * the session and awaited together, so reading a flow of N atoms costs one round trip per level of
 * the tree rather than N.
 */
final class ZkReads {
  private ZkReads() {}

  /** What to read. */
  enum Kind {
    DATA,
    EXISTS,
    CHILDREN
  }

  /** One read and, once done, its result. */
  static final class Read {
    final Kind kind;
    final String path;
    int rc;
    byte[] data;
    Stat stat;
    List<String> children;

    Read(Kind kind, String path) {
      this.kind = kind;
      this.path = path;
    }

    boolean found() {
      return rc == Code.OK.intValue() && (kind != Kind.EXISTS || stat != null);
    }
  }

  static Read data(String path) {
    return new Read(Kind.DATA, path);
  }

  static Read exists(String path) {
    return new Read(Kind.EXISTS, path);
  }

  static Read children(String path) {
    return new Read(Kind.CHILDREN, path);
  }

  /** Requests sent before waiting for the replies: bounds the client's queue. */
  private static final int WINDOW = 2_000;

  /**
   * Runs every read. A missing znode is a result ({@link Read#found()} false); any other error is
   * thrown as the {@link KeeperException} of the first read that failed.
   */
  static void run(ZooKeeper zk, List<Read> reads, long timeoutMs)
      throws KeeperException, InterruptedException {
    for (int from = 0; from < reads.size(); from += WINDOW) {
      List<Read> chunk = reads.subList(from, Math.min(reads.size(), from + WINDOW));
      CountDownLatch done = new CountDownLatch(chunk.size());
      for (Read r : chunk) {
        switch (r.kind) {
          case DATA ->
              zk.getData(
                  r.path,
                  false,
                  (rc, path, ctx, data, stat) -> {
                    r.rc = rc;
                    r.data = data;
                    r.stat = stat;
                    done.countDown();
                  },
                  null);
          case EXISTS ->
              zk.exists(
                  r.path,
                  false,
                  (rc, path, ctx, stat) -> {
                    r.rc = rc;
                    r.stat = stat;
                    done.countDown();
                  },
                  null);
          case CHILDREN ->
              zk.getChildren(
                  r.path,
                  false,
                  (rc, path, ctx, children, stat) -> {
                    r.rc = rc;
                    r.children = children;
                    r.stat = stat;
                    done.countDown();
                  },
                  null);
        }
      }
      if (!done.await(timeoutMs, TimeUnit.MILLISECONDS)) {
        throw KeeperException.create(Code.OPERATIONTIMEOUT, chunk.get(0).path);
      }
      for (Read r : chunk) {
        Code code = Code.get(r.rc);
        if (code != Code.OK && code != Code.NONODE) {
          throw KeeperException.create(code, r.path);
        }
        if (code == Code.NONODE) {
          r.data = null;
          r.stat = null;
          r.children = null;
        }
      }
    }
  }
}
