package io.taskflow4j.workloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadsTest {

  @Test
  void chainComputesNAndLogsEachExecution(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("exec.log");
    Map<String, Object> out = Engines.run(Workloads.chain(50, log.toString()));
    assertThat(out).containsEntry("v50", 50).containsEntry("v1", 1);
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).hasSize(50).startsWith("t1", "t2").endsWith("t50");
  }

  @Test
  void fanoutRunsEveryTaskOnceInParallel(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("exec.log");
    Map<String, Object> out = Engines.load(Workloads.fanout(200, log.toString())).parallel(8).run();
    for (int i = 1; i <= 200; i++) {
      assertThat(out).containsEntry("v" + i, i);
    }
    assertThat(Files.readAllLines(log)).hasSize(200).doesNotHaveDuplicates();
  }

  @Test
  void aRecordedWorkloadIsRebuiltAndFinishedWithoutReExecuting(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("exec.log");
    try (Backend backend = Backends.open("memory://");
        Connection conn = backend.getConnection()) {
      var engine =
          Engines.loadFromFactory(
                  Workloads.factory(Workloads.CHAIN), List.of(20, log.toString()), Map.of())
              .backend(backend)
              .build();
      engine.run();
      FlowDetail fd = conn.getFlowDetails(engine.storage().flowUuid());
      assertThat(fd.state()).isEqualTo(FlowState.SUCCESS);
      Engines.loadFromDetail(fd, backend).run();
      assertThat(Files.readAllLines(log)).hasSize(20);
      FlowDetail again = conn.getFlowDetails(fd.uuid());
      assertThat(again.state()).isEqualTo(FlowState.SUCCESS);
      assertThat(again.findByName("t20").orElseThrow().lastResults()).isEqualTo(20);
    }
  }

  @Test
  void badArgumentsAreRefusedClearly() {
    assertThatThrownBy(() -> Workloads.factory("spiral"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown workload 'spiral'");
    assertThatThrownBy(() -> Workloads.chain(0, null)).hasMessageContaining("at least 1 task");
    assertThatThrownBy(() -> new Workloads.Fanout().create(List.of("x"), Map.of()))
        .hasMessageContaining("number of tasks");
  }
}
