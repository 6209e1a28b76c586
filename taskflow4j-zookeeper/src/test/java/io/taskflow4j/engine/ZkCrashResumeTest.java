package io.taskflow4j.engine;

import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import io.taskflow4j.persistence.zookeeper.ZkTesting;
import java.nio.file.Path;
import org.apache.curator.test.TestingServer;

/**
 * {@link CrashResumeTest} over ZooKeeper: the child process runs the 200-task chain against the
 * embedded server, is killed hard mid-run (its session dies with it), and a new engine in this
 * process resumes from the factory recorded in the flow detail, without running again any task
 * stored as SUCCESS.
 */
class ZkCrashResumeTest extends CrashResumeTest {
  @EmbeddedZooKeeper private static TestingServer server;

  @Override
  protected String storeUrl(Path store) {
    // Every write is acknowledged by the server (on its transaction log) before the next task.
    return "zookeeper://" + server.getConnectString() + ZkTesting.freshPath("crash");
  }
}
