package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill campaign's child command on a snapshot of the class path: class directories packed into
 * jars, and a class-data archive that every child maps.
 */
class SnapshotChildCommandTest {
  @TempDir Path dir;

  @Test
  void childrenMapAClassDataArchiveOfTheSnapshot() throws Exception {
    List<String> cmd = KillCampaign.snapshotChildCommand(dir.resolve("classpath"));
    String cp = cmd.get(cmd.indexOf("-cp") + 1);
    for (String e : cp.split(java.io.File.pathSeparator)) {
      assertThat(Path.of(e)).as("a class path entry of the snapshot").isRegularFile();
      assertThat(e).startsWith(dir.resolve("classpath").toString());
    }
    String archiveArg =
        cmd.stream().filter(a -> a.startsWith("-XX:SharedArchiveFile=")).findFirst().orElse(null);
    assertThat(archiveArg).as("the children map the archive: " + cmd).isNotNull();
    Path archive = Path.of(archiveArg.substring("-XX:SharedArchiveFile=".length()));
    assertThat(Files.size(archive)).isPositive();

    // -Xshare:on refuses to start a JVM that cannot map the archive: a child that runs its chain
    // to the end with it used the archive.
    List<String> strict =
        new ArrayList<>(
            KillCampaign.filled(
                cmd, "sqlite:///" + dir.resolve("s.db"), "b", 5, dir.resolve("exec.log"), "1"));
    strict.replaceAll(a -> a.equals("-Xshare:auto") ? "-Xshare:on" : a);
    assertThat(strict).contains("-Xshare:on");
    Process p = new ProcessBuilder(strict).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(Files.readAllLines(dir.resolve("exec.log"))).as("the tasks it ran").isNotEmpty();
  }
}
