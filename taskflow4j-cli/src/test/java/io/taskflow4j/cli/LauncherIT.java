package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's first run, when it builds the jar: standard output holds the command's output
 * alone, with no terminal codes. A cold Maven build takes minutes, so Maven is played by a fake
 * {@code mvn} on the PATH that writes terminal codes and chatter to both of its streams, as Maven
 * does ({@code ESC[0m} even with {@code -B} and {@code style.color=never}), and "builds" the jar by
 * copying the one this build made.
 */
class LauncherIT {
  private static final char ESC = '\u001b';

  @TempDir Path dir;

  private Path root;
  private Path bin;
  private Path calls;

  @BeforeEach
  void aCheckoutWithoutTheJar() throws Exception {
    root = Files.createDirectories(dir.resolve("checkout"));
    Path launcher = Path.of(System.getProperty("taskflow4j.cli.repoRoot"), "taskflow4j");
    Files.copy(launcher, root.resolve("taskflow4j"), StandardCopyOption.COPY_ATTRIBUTES);
    bin = Files.createDirectories(dir.resolve("bin"));
    calls = dir.resolve("mvn-calls");
  }

  /** A fake mvn: terminal codes and chatter on both streams, then the jar (or exit 1). */
  private void fakeMaven(boolean succeeds) throws Exception {
    fakeMaven(succeeds, false);
  }

  /**
   * As {@link #fakeMaven(boolean)}; {@code keepsAnUpToDateJar}: like Maven when nothing the command
   * is built from changed, a jar already there is left as it is (its time too).
   */
  private void fakeMaven(boolean succeeds, boolean keepsAnUpToDateJar) throws Exception {
    String jarName = Jar.path().getFileName().toString();
    String script =
        "#!/bin/sh\n"
            + "echo \"$*\" >> '"
            + calls
            + "'\n"
            + "printf '\\033[0m\\033[1m[INFO] Building taskflow4j\\033[m\\n'\n"
            + "printf '\\033[1;33m[WARNING] something\\033[0m\\n' >&2\n"
            + (succeeds
                ? (keepsAnUpToDateJar ? "[ -f taskflow4j-cli/target/" + jarName + " ] || " : "")
                    + "{ mkdir -p taskflow4j-cli/target && cp '"
                    + Jar.path()
                    + "' taskflow4j-cli/target/"
                    + jarName
                    + "; }\n"
                    + "printf '\\033[0m\\033[0m'\n"
                : "printf '\\033[1;31m[ERROR] BUILD FAILURE\\033[0m\\n'\nexit 1\n");
    Path mvn = bin.resolve("mvn");
    Files.writeString(mvn, script);
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwx------"));
  }

  private Cli.Result launch(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(root.resolve("taskflow4j").toString()));
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd, Map.of("PATH", bin + ":" + System.getenv("PATH")));
  }

  @Test
  void theFirstRunBuildsTheJarAndPrintsOnlyTheCommandsOutputOnStandardOutput() throws Exception {
    fakeMaven(true);
    Cli.Result first = launch("--version");
    first.expect(ExitCodes.OK);
    assertThat(first.out().indexOf(ESC))
        .as("an ESC on standard output: %s", first.out())
        .isNegative();
    assertThat(first.out().lines().toList())
        .containsExactly(
            "taskflow4j " + System.getProperty("taskflow4j.cli.version"),
            "Java " + System.getProperty("java.version"));
    // Maven's chatter went to standard error, without its terminal codes
    assertThat(first.err())
        .contains("taskflow4j: building the command")
        .contains("[INFO] Building taskflow4j")
        .contains("[WARNING] something");
    assertThat(first.err().indexOf(ESC))
        .as("an ESC on standard error: %s", first.err())
        .isNegative();
    // built quietly, in batch mode, without colours, without javadoc, sources or SBOM
    List<String> builds = Files.readAllLines(calls);
    assertThat(builds).hasSize(1);
    assertThat(builds.get(0).split(" "))
        .contains("-B", "-q", "-Dstyle.color=never", "-Dtf.publish.skip=true", "package");

    Cli.Result second = launch("--version");
    second.expect(ExitCodes.OK);
    assertThat(second.out()).isEqualTo(first.out());
    assertThat(second.err()).isEmpty();
    assertThat(Files.readAllLines(calls)).as("the jar is built once").hasSize(1);
  }

  @Test
  void aSourceChangedAfterTheBuildBuildsTheJarAgainOnce() throws Exception {
    fakeMaven(true);
    launch("--version").expect(ExitCodes.OK);
    Path jar = root.resolve("taskflow4j-cli/target/" + Jar.path().getFileName());
    Path source =
        Files.createDirectories(root.resolve("taskflow4j-core/src/main/java"))
            .resolve("Changed.java");
    Files.writeString(source, "class Changed {}\n");
    // newer than the jar (a pull or an edit after the build)
    Files.setLastModifiedTime(
        source,
        java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 1));

    Cli.Result again = launch("--version");
    again.expect(ExitCodes.OK);
    assertThat(again.err()).contains("the sources changed since the command was built");
    assertThat(again.out().indexOf(ESC)).isNegative();
    assertThat(Files.readAllLines(calls)).as("built again").hasSize(2);

    launch("--version").expect(ExitCodes.OK);
    assertThat(Files.readAllLines(calls)).as("and only once").hasSize(2);
  }

  /**
   * A source of a module the command is not built from (a test tool, a benchmark) changed: Maven
   * finds the jar up to date and leaves it as it was, older than that source. One build must be
   * enough all the same, not one at every call.
   */
  @Test
  void aChangeTheJarDoesNotUseBuildsOnceNotAtEveryCall() throws Exception {
    fakeMaven(true, true);
    launch("--version").expect(ExitCodes.OK);
    Path jar = root.resolve("taskflow4j-cli/target/" + Jar.path().getFileName());
    Path source =
        Files.createDirectories(root.resolve("taskflow4j-chaos/src/main/java"))
            .resolve("Changed.java");
    Files.writeString(source, "class Changed {}\n");
    Files.setLastModifiedTime(
        source,
        java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 1));

    launch("--version").expect(ExitCodes.OK);
    assertThat(Files.readAllLines(calls)).as("built again").hasSize(2);
    Cli.Result next = launch("--version");
    next.expect(ExitCodes.OK);
    assertThat(next.err()).isEmpty();
    assertThat(Files.readAllLines(calls)).as("and only once").hasSize(2);
  }

  @Test
  void aFailedBuildSaysSoOnStandardErrorAndPrintsNothingOnStandardOutput() throws Exception {
    fakeMaven(false);
    Cli.Result r = launch("--version");
    r.expect(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("[ERROR] BUILD FAILURE")
        .contains("taskflow4j: error: building the command failed");
    assertThat(r.err().indexOf(ESC)).isNegative();
  }
}
