package io.taskflow4j.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.storage.AttemptInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code ForEach([1, 2, 3])} run dies (a real process, halted) right after its first failed
 * attempt; a fresh process resumes it from the dir store. Overall the task gets 1, 2, 3 — not
 * TaskFlow's {@code [1, 1, 2, 3]} — and the store keeps the whole history.
 */
class ForEachChildJvmTest {
  @TempDir Path dir;

  private int runChild(String mode, Path store, Path log, Path uuid) throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                classpath,
                ForEachChildMain.class.getName(),
                mode,
                store.toString(),
                log.toString(),
                uuid.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(mode + ".out").toFile())
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child '" + mode + "' did not finish in time");
    }
    return p.exitValue();
  }

  private static List<String> values(Path log) throws Exception {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  @Test
  void resumedForEachInAFreshProcessTriesEachValueOnce() throws Exception {
    Path store = dir.resolve("store");
    Path log = dir.resolve("values.log");
    Path uuid = dir.resolve("flow.uuid");

    assertThat(runChild("crash", store, log, uuid))
        .as("crash child status (see crash.out)")
        .isEqualTo(ForEachChildMain.CRASHED);
    assertThat(values(log)).containsExactly("1");
    String flowUuid = Files.readString(uuid).trim();
    try (Backend backend = Backends.open("dir://" + store.toAbsolutePath());
        Connection c = backend.getConnection()) {
      FlowDetail crashed = c.getFlowDetails(flowUuid);
      assertThat(crashed.state()).isEqualTo(FlowState.RUNNING);
      RetryDetail r = (RetryDetail) crashed.findByName("r1").orElseThrow();
      assertThat(r.intention()).isEqualTo(Intention.RETRY);
      assertThat(r.history()).hasSize(1);
      assertThat(r.history().get(0).value()).isEqualTo(1);
    }

    assertThat(runChild("resume", store, log, uuid))
        .as("resume child status (see resume.out)")
        .isZero();
    assertThat(values(log)).containsExactly("1", "2", "3");

    try (Backend backend = Backends.open("dir://" + store.toAbsolutePath());
        Connection c = backend.getConnection()) {
      FlowDetail done = c.getFlowDetails(flowUuid);
      assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
      RetryDetail r = (RetryDetail) done.findByName("r1").orElseThrow();
      assertThat(r.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(r.history()).extracting(RetryDetail.Attempt::value).containsExactly(1, 2, 3);
      assertThat(r.history().get(0).failures()).containsOnlyKeys("t1");
      assertThat(r.history().get(1).failures()).containsOnlyKeys("t1");
      assertThat(r.history().get(2).failures()).isEmpty();
      List<?> infos = (List<?>) r.meta().get(AttemptInfo.META_ATTEMPTS);
      assertThat(infos).hasSize(3);
      assertThat(((Map<?, ?>) infos.get(0)).get("summary"))
          .isEqualTo("t1: IllegalStateException: not 1");
      assertThat(((Map<?, ?>) infos.get(1)).get("summary"))
          .isEqualTo("t1: IllegalStateException: not 2");
      assertThat(((Map<?, ?>) infos.get(2)).get("summary")).isNull();
    }
  }
}
