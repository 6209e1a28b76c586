package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.workloads.Workloads;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A three-server ensemble ({@link TestingCluster}, the real server code) loses the server the
 * backend is connected to in the middle of a 200-task chain: the client moves to another server
 * within its session, the interrupted operations are retried, and the run completes.
 */
class ZkClusterTest {
  private static final int TASKS = 200;

  @Test
  @Timeout(120)
  void aChainCompletesWhileTheConnectedServerIsStoppedMidRun() throws Exception {
    try (TestingCluster cluster = new TestingCluster(3)) {
      cluster.start();
      String url =
          "zookeeper://" + cluster.getConnectString() + "/cluster?session_timeout_ms=15000";
      try (Backend backend = Backends.open(url)) {
        AtomicReference<InstanceSpec> stopped = new AtomicReference<>();
        AtomicReference<Throwable> stopFailure = new AtomicReference<>();
        try (Engine engine =
            Engines.load(Workloads.chain(TASKS, null))
                .backend(backend)
                .store(java.util.Map.of("v0", 0))
                .build()) {
          engine.onAtomEvent(
              e -> {
                if (e.atomName().equals("t50") && e.state() == AtomState.SUCCESS) {
                  try {
                    InstanceSpec connected =
                        cluster.findConnectionInstance(((ZkBackend) backend).currentZooKeeper());
                    assertThat(cluster.killServer(connected)).isTrue();
                    stopped.set(connected);
                  } catch (Exception | AssertionError x) {
                    stopFailure.set(x);
                  }
                }
              });
          engine.run();

          assertThat(stopFailure.get()).isNull();
          assertThat(stopped.get()).as("a server was stopped mid-run").isNotNull();
          assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
          assertThat(engine.storage().fetch("v" + TASKS)).isEqualTo(TASKS);
          String flowUuid = engine.flowDetail().uuid();
          // The client now talks to one of the two servers left.
          InstanceSpec now =
              cluster.findConnectionInstance(((ZkBackend) backend).currentZooKeeper());
          assertThat(now).isNotEqualTo(stopped.get());

          // A new client, on the two servers left, reads the finished run.
          try (Backend reader = Backends.fetch(url);
              Connection c = reader.getConnection()) {
            FlowDetail fd = c.getFlowDetails(flowUuid);
            assertThat(fd.state()).isEqualTo(FlowState.SUCCESS);
            long tasks = fd.atoms().stream().filter(a -> a.name().startsWith("t")).count();
            assertThat(tasks).isEqualTo(TASKS);
            for (AtomDetail ad : fd.atoms()) {
              assertThat(ad.state()).as(ad.name()).isEqualTo(AtomState.SUCCESS);
            }
          }
        }
      }
    }
  }
}
