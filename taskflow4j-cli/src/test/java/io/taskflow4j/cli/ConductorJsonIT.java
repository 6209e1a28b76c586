package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conductor --json} stopped by SIGTERM, as a service manager stops it: its lines went to
 * standard error, and its summary is the one JSON object on standard output.
 */
@Timeout(120)
class ConductorJsonIT {
  @TempDir Path dir;

  @Test
  void aConductorStoppedBySigtermPrintsItsSummaryAsOneJsonObject() throws Exception {
    String connection = Cli.dir(dir.resolve("board"));
    Cli.run("upgrade", "--connection", connection).expect(ExitCodes.OK);
    Path out = dir.resolve("conductor.out");
    Path err = dir.resolve("conductor.err");
    Process p =
        new ProcessBuilder(
                Cli.javaBinary(),
                "-jar",
                Jar.path().toString(),
                "conductor",
                "--connection",
                connection,
                "--name",
                "svc",
                "--json")
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(err).contains("Conductor svc")) {
        assertThat(p.isAlive()).as("the conductor runs: %s", Files.readString(err)).isTrue();
        assertThat(System.nanoTime()).as("the conductor started within 60 s").isLessThan(deadline);
        Thread.sleep(100);
      }
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the conductor stopped").isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).isEqualTo(143);
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).as("standard output").hasSize(1);
    @SuppressWarnings("unchecked")
    Map<String, Object> summary = (Map<String, Object>) Json.read(lines.get(0));
    assertThat(summary)
        .containsOnlyKeys(
            "conductor",
            "board",
            "completed",
            "released",
            "failed",
            "trashed",
            "dropped",
            "pruned_flows",
            "purged_trash")
        .containsEntry("completed", 0)
        .containsEntry("dropped", 0);
    assertThat((String) summary.get("conductor")).startsWith("svc");
    assertThat(Files.readString(err)).doesNotContain("\tat ");
  }
}
