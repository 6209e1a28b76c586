package io.taskflow4j.engine;

import io.taskflow4j.persistence.zookeeper.ZkTesting;
import java.nio.file.Path;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link CrashResumeTest} over ZooKeeper: the child process runs the 200-task chain against the
 * embedded server, is killed hard mid-run (its session dies with it), and a new engine in this
 * process resumes from the factory recorded in the flow detail, without running again any task
 * stored as SUCCESS.
 */
class ZkCrashResumeTest extends CrashResumeTest {
  private static TestingServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ZkTesting.startServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Override
  protected String storeUrl(Path store) {
    // Every write is acknowledged by the server (on its transaction log) before the next task.
    return "zookeeper://" + server.getConnectString() + ZkTesting.freshPath("crash");
  }
}
