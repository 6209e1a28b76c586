package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process running a 200-task chain against a dir store is killed hard; a new engine rebuilds the
 * flow from the factory recorded in the flow detail and finishes the run. No task recorded as
 * SUCCESS before the kill runs again; the chain's value is right.
 */
class CrashResumeTest {
  private static final int TASKS = 200;

  @TempDir Path dir;

  /**
   * The connection string of the store the child writes and this test resumes from. A subclass
   * running the test over another backend overrides it.
   */
  protected String storeUrl(Path store) {
    return "dir://" + store.toAbsolutePath();
  }

  @Test
  void killedRunResumesFromItsFactoryWithoutRepeatingRecordedWork() throws Exception {
    String storeUrl = storeUrl(dir.resolve("store"));
    Path log = dir.resolve("executions.log");
    Path uuidFile = dir.resolve("flow.uuid");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                classpath,
                CrashChainMain.class.getName(),
                storeUrl,
                log.toString(),
                String.valueOf(TASKS),
                "15",
                uuidFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.out").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (executed(log).size() < 40) {
        assertThat(child.isAlive()).as("child still running (see child.out)").isTrue();
        assertThat(System.nanoTime()).as("child made progress in time").isLessThan(deadline);
        Thread.sleep(20);
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    int loggedBeforeKill = executed(log).size();
    assertThat(loggedBeforeKill).isBetween(40, TASKS - 1);
    String flowUuid = Files.readString(uuidFile).trim();

    try (Backend backend = Backends.open(storeUrl)) {
      FlowDetail crashed;
      try (Connection c = backend.getConnection()) {
        crashed = c.getFlowDetails(flowUuid);
      }
      assertThat(crashed.state()).isEqualTo(FlowState.RUNNING);
      Set<String> succeededBeforeKill = new HashSet<>();
      for (AtomDetail ad : crashed.atoms()) {
        if (ad.state() == AtomState.SUCCESS && ad.name().startsWith("t")) {
          succeededBeforeKill.add(ad.name());
        }
      }
      assertThat(succeededBeforeKill).isNotEmpty();
      assertThat(crashed.meta().get("factory")).isInstanceOf(java.util.Map.class);

      try (Engine engine = Engines.loadFromDetail(crashed, backend)) {
        engine.run();
        assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
        assertThat(engine.storage().fetch("v" + TASKS)).isEqualTo(TASKS);
      }
      List<String> all = executed(log);
      List<String> afterKill = all.subList(loggedBeforeKill, all.size());
      assertThat(afterKill).doesNotContainAnyElementsOf(succeededBeforeKill);
      // Every task ran at least once; only the one in flight at the kill may have run twice.
      assertThat(new HashSet<>(all)).hasSize(TASKS);
      assertThat(all.size()).isLessThanOrEqualTo(TASKS + 1);
      try (Connection c = backend.getConnection()) {
        FlowDetail done = c.getFlowDetails(flowUuid);
        assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
        for (AtomDetail ad : done.atoms()) {
          assertThat(ad.state()).as(ad.name()).isEqualTo(AtomState.SUCCESS);
        }
      }
    }
  }

  private static List<String> executed(Path log) throws Exception {
    if (!Files.exists(log)) {
      return List.of();
    }
    String text = Files.readString(log);
    // Only complete lines: the child may have been killed mid-write.
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
  }

  @SuppressWarnings("unused")
  private static String pathSeparator() {
    return File.pathSeparator;
  }
}
