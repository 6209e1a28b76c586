package io.taskflow4j.persistence.zookeeper;

import org.apache.zookeeper.KeeperException;

/**
 * Observes the two sides of every logbook write transaction of one ZooKeeper backend: just before
 * its multi-operation is sent and just after the server applied it. A testing seam for crash
 * points: a hook that throws before the send makes the write fail as if the process had died there
 * (nothing is stored); one that throws after it makes the caller see a failed write although it is
 * stored, as when the reply is lost. Installed per backend with {@link
 * ZkBackendProvider#create(io.taskflow4j.persistence.BackendConf, ZkWriteHook)}; never global.
 */
public interface ZkWriteHook {

  /** The hook that does nothing. */
  ZkWriteHook NONE =
      new ZkWriteHook() {
        @Override
        public void beforeWrite(String what) {}

        @Override
        public void afterWrite(String what) {}
      };

  /**
   * Called before a write transaction is sent.
   *
   * @param what the operation, e.g. {@code a logbook write}
   * @throws KeeperException to fail the write there (a connection loss is retried like a real one)
   */
  void beforeWrite(String what) throws KeeperException;

  /**
   * Called right after the server applied a write transaction.
   *
   * @throws KeeperException to make the caller see a failed write (it is stored)
   */
  void afterWrite(String what) throws KeeperException;
}
