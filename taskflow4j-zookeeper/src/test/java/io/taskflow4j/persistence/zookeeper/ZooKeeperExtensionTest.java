package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The servers {@link ZooKeeperExtension} starts answer while their scope runs and are closed after.
 */
class ZooKeeperExtensionTest {
  /** The port of every server a scope below had: {@link #allWereClosed()} checks each is shut. */
  private static final List<Integer> PORTS_SEEN = new ArrayList<>();

  @EmbeddedZooKeeper private static String forTheClass;

  @EmbeddedZooKeeper private static TestingServer sameServer;

  @EmbeddedZooKeeper(tickMs = 200)
  private TestingServer forThisTest;

  @AfterAll
  static void allWereClosed() {
    for (int port : PORTS_SEEN) {
      assertThatThrownBy(() -> connect(port))
          .as("port %d after its scope", port)
          .isInstanceOf(ConnectException.class);
    }
  }

  @Test
  void aStaticFieldGetsAServerForTheClassThatAnswers() throws Exception {
    assertThat(forTheClass).isEqualTo(sameServer.getConnectString());
    try (CuratorFramework c = ZkTesting.plainClient(forTheClass)) {
      c.create().forPath("/answered", new byte[] {1});
      assertThat(c.getData().forPath("/answered")).containsExactly(1);
    }
  }

  @Test
  void anInstanceFieldGetsItsOwnServerWithItsTick() throws Exception {
    assertThat(forThisTest.getConnectString()).isNotEqualTo(forTheClass);
    assertThat(forThisTest.getTempDirectory()).exists();
    connect(forThisTest.getPort());
    PORTS_SEEN.add(forThisTest.getPort());
  }

  @Test
  void aParameterGetsItsOwnServer(@EmbeddedZooKeeper TestingServer own) throws Exception {
    assertThat(own.getConnectString()).isNotEqualTo(forTheClass);
    connect(own.getPort());
    PORTS_SEEN.add(own.getPort());
  }

  /** A nested class's server ends with that class, before the outer class's {@code @AfterAll}. */
  @Nested
  class ANestedClass {
    @EmbeddedZooKeeper static TestingServer forTheNestedClass;

    @Test
    void outerAndNestedServersBothAnswer() throws Exception {
      connect(sameServer.getPort());
      connect(forTheNestedClass.getPort());
      PORTS_SEEN.add(forTheNestedClass.getPort());
    }
  }

  private static void connect(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    }
  }
}
