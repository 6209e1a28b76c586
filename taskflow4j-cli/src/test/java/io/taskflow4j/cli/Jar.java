package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the shaded jar as a user does ({@code java -jar}), in integration tests (failsafe runs them
 * after {@code package}, so the jar exists), optionally as another user of the machine.
 */
final class Jar {
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  /** The user "nobody" of Linux systems, who owns nothing here. */
  private static final String OTHER_UID = "65534";

  private Jar() {}

  static Path path() {
    String buildDir = System.getProperty("taskflow4j.cli.buildDir");
    String version = System.getProperty("taskflow4j.cli.version");
    assertThat(buildDir).as("taskflow4j.cli.buildDir is set by the build").isNotNull();
    Path jar = Path.of(buildDir, "taskflow4j-cli-" + version + "-all.jar");
    assertThat(jar).as("the shaded jar").exists();
    return jar;
  }

  /** {@code java -jar taskflow4j-cli-VERSION-all.jar args...}, run in {@code dir}. */
  static Cli.Result run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Cli.javaBinary(), "-jar", path().toString()));
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd);
  }

  /**
   * As {@link #run}, as a user who does not own the files this test made: this process's own user
   * when it is not root (file modes stop it), or, under root (whom modes do not stop), the user
   * "nobody" through {@code setpriv}. Without {@code setpriv} under root the test is skipped,
   * saying so.
   */
  static Cli.Result runAsAnotherUser(Path dir, String... args)
      throws IOException, InterruptedException {
    if (!runningAsRoot(dir)) {
      return run(dir, args);
    }
    if (!Files.isExecutable(SETPRIV) && "true".equalsIgnoreCase(System.getenv("CI"))) {
      // CI runs as root on Debian, where util-linux always has setpriv: these tests must run there.
      org.junit.jupiter.api.Assertions.fail(
          SETPRIV + " is missing: CI=true needs it to run a command as another user");
    }
    // Outside CI, under root and without setpriv, there is no other user to be: skip, saying so.
    Assumptions.assumeTrue(
        Files.isExecutable(SETPRIV),
        "running as root, whom file modes do not stop, and without "
            + SETPRIV
            + " to run the command as another user");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                SETPRIV.toString(),
                "--reuid=" + OTHER_UID,
                "--regid=" + OTHER_UID,
                "--clear-groups",
                "--",
                Cli.javaBinary(),
                "-jar",
                path().toString()));
    cmd.addAll(List.of(args));
    return Cli.runProcess(dir, cmd);
  }

  /** Whether this process runs as root: the owner of {@code madeHere}, which it made, is user 0. */
  static boolean runningAsRoot(Path madeHere) throws IOException {
    return ((Integer) Files.getAttribute(madeHere, "unix:uid")) == 0;
  }
}
