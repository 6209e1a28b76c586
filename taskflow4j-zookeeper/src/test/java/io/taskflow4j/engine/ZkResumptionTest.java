package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import io.taskflow4j.persistence.zookeeper.ZkTesting;
import java.util.List;
import org.apache.curator.test.TestingServer;

/**
 * The engine's resumption table (§9.4, {@link ResumptionTest}) on the serial and parallel engines
 * over ZooKeeper: an embedded server for the class, a fresh root path per test.
 */
class ZkResumptionTest extends ResumptionTest {
  @EmbeddedZooKeeper private static TestingServer server;

  /** Hides {@link ResumptionTest#cases()}: the two engine kinds over the ZooKeeper store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c) {
    return EngineEnv.over(
        c,
        Backends.open(
            "zookeeper://" + server.getConnectString() + ZkTesting.freshPath("resumption")));
  }
}
