package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.tck.BackendContractTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance kit against an embedded ZooKeeper server (Curator's {@link TestingServer}, the
 * real server code), one server for the class and a fresh root path per test.
 *
 * <p>The kit stores 1 MiB values, several in one save, and a save is one ZooKeeper transaction: the
 * server runs with {@code jute.maxbuffer} = 8 MiB (set for the test JVM) and the backend with the
 * matching {@code max_value_bytes}. The refusal of values over the limit is tested in {@link
 * ZkBackendTest}.
 */
class ZkBackendContractTest extends BackendContractTest {
  @EmbeddedZooKeeper private static TestingServer server;
  private static CuratorFramework admin;
  private String path;

  @BeforeAll
  static void startServer() throws Exception {
    admin = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (admin != null) {
      admin.close();
    }
  }

  @Override
  protected Backend newBackend() {
    path = ZkTesting.freshPath("tck");
    return Backends.fetch(
        Map.of(
            "connection",
            "zookeeper://" + server.getConnectString() + path,
            "max_value_bytes",
            ZkTesting.MAX_VALUE_BYTES));
  }

  /** Sets the record's znode to a torn JSON text, as a client writing half a record would. */
  @Override
  protected void damage(CorruptRecordException.Kind kind, String uuid) throws Exception {
    String dir =
        switch (kind) {
          case LOGBOOK -> "/books/";
          case FLOW_DETAIL -> "/flow_details/";
          case ATOM_DETAIL -> "/atom_details/";
        };
    admin
        .setData()
        .forPath(path + dir + uuid, "{\"name\": \"torn".getBytes(StandardCharsets.UTF_8));
  }

  @Override
  protected void disposeStore() throws Exception {
    ZkTesting.deleteTree(admin, path);
  }
}
