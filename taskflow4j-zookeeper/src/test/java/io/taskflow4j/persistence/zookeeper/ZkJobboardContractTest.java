package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.tck.JobboardContractTest;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.BeforeEach;

/**
 * The jobboard kit against an embedded ZooKeeper server: every board is opened by connection string
 * (so through the registered provider) with its own session, on a fresh root per test. The server's
 * tick is 250 ms, so sessions (leases) of 0.5 to 5 s are granted.
 */
class ZkJobboardContractTest extends JobboardContractTest {
  @EmbeddedZooKeeper(tickMs = 250)
  private static TestingServer server;

  private String path;

  @BeforeEach
  void freshStore() {
    path = ZkTesting.freshPath("board");
  }

  @Override
  protected Jobboard openBoard(Duration leaseTime) {
    return Jobboards.open(
        Map.of(
            "connection",
            "zookeeper://" + server.getConnectString() + path,
            Jobboards.LEASE,
            leaseTime.toString()));
  }
}
