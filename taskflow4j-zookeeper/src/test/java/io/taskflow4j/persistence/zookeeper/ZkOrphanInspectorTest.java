package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** {@link ZkOrphanInspector}: silent on a sound store, names unlinked flow and atom znodes. */
class ZkOrphanInspectorTest {

  @Test
  void storeVerifierReportsUnlinkedZnodesOnlyWhenThereAreSome(
      @EmbeddedZooKeeper TestingServer server) throws Exception {
    try (Backend backend =
        Backends.open("zookeeper://127.0.0.1:" + server.getPort() + "/orphans")) {
      try (Connection c = backend.getConnection()) {
        c.saveLogBook(
            LogBook.create("sound")
                .withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t"))));
      }
      assertThat(StoreVerifier.verify(backend).problems()).isEmpty();

      ZooKeeper zk = ((ZkBackend) backend).currentZooKeeper();
      String flow = UUID.randomUUID().toString();
      String atom = UUID.randomUUID().toString();
      byte[] junk = "{}".getBytes(StandardCharsets.UTF_8);
      zk.create(
          "/orphans/flow_details/" + flow,
          junk,
          ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT);
      zk.create(
          "/orphans/atom_details/" + atom,
          junk,
          ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT);

      assertThat(StoreVerifier.verify(backend).problems())
          .extracting(Problem::kind, Problem::location)
          .containsExactlyInAnyOrder(
              Tuple.tuple(Problem.Kind.ORPHAN, "flow detail " + flow),
              Tuple.tuple(Problem.Kind.ORPHAN, "atom detail " + atom));
    }
  }
}
