package io.taskflow4j.chaos;

import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AbstractConductorProcessTest} on ZooKeeper: one real server for the class (Curator's
 * {@link TestingServer}, in this JVM, on a loopback port) that the conductor processes connect to;
 * the ZooKeeper jobboard and the fenced ZooKeeper logbooks under a fresh root per run. The lease is
 * the board's session timeout: the server ticks every 200 ms, so it grants sessions of 0.4 to 4 s.
 */
@Timeout(300)
class ZkConductorProcessTest extends AbstractConductorProcessTest {
  @EmbeddedZooKeeper(tickMs = 200)
  private static TestingServer server;

  @Override
  protected String newStore() {
    return "zookeeper://127.0.0.1:" + server.getPort() + "/" + boardName("tf");
  }

  @Override
  protected String label() {
    return "zookeeper";
  }

  /**
   * Fewer jobs than on PostgreSQL: the ZooKeeper board ran 10-12 jobs/s here (loaded 2-core VM), so
   * 1,000 jobs would take minutes.
   */
  @Override
  protected int fewJobs() {
    return 100;
  }

  @Override
  protected int manyJobs() {
    return 200;
  }
}
