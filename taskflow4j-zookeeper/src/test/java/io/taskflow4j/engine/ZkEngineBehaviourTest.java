package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import io.taskflow4j.persistence.zookeeper.ZkTesting;
import java.nio.file.Path;
import java.util.List;
import org.apache.curator.test.TestingServer;

/** The engine's behaviour tests ({@link EngineBehaviourTest}) over ZooKeeper, a path per test. */
class ZkEngineBehaviourTest extends EngineBehaviourTest {
  @EmbeddedZooKeeper private static TestingServer server;

  /** Hides {@link EngineBehaviourTest#cases()}: the two engine kinds over the ZooKeeper store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c, Path dir) {
    return EngineEnv.over(
        c,
        Backends.open("zookeeper://" + server.getConnectString() + ZkTesting.freshPath("engine")));
  }
}
