package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's first use, by several calls at once (two terminals, a script starting commands in
 * parallel): one of them builds the command's jar, the others wait for it and then run that jar.
 * Two builds into the same folders broke each other (a compile error in one of them). Maven is
 * stood in for by a script that counts its calls, takes two seconds, and puts this build's shaded
 * jar where the launcher looks for it; the launcher is this repository's own, copied beside it.
 */
class LauncherBuildLockIT {
  private static final String BUILD_DIR = "target-lock-test";

  @TempDir Path root;

  @Test
  void threeCallsAtOnceBuildTheJarOnceWithFlock() throws Exception {
    if (!"true".equalsIgnoreCase(System.getenv("CI"))) {
      // A machine without util-linux (macOS): the launcher uses its lock folder there, which the
      // case below tests. CI runs on Debian, where flock always is: there this case must run.
      Assumptions.assumeTrue(
          onPath("flock") != null,
          "flock is not on this machine: the launcher's lock without it is tested by"
              + " threeCallsAtOnceBuildTheJarOnceWithoutFlock");
    }
    assertThat(onPath("flock")).as("flock (util-linux) is on this machine").isNotNull();
    threeCallsAtOnceBuildOnce(System.getenv("PATH"));
  }

  @Test
  void threeCallsAtOnceBuildTheJarOnceWithoutFlock() throws Exception {
    // A PATH of the tools the launcher and the stand-in use, flock left out (as on macOS).
    Path tools = Files.createDirectories(root.resolve("tools"));
    for (String tool :
        List.of(
            "bash", "sh", "java", "find", "sed", "mkdir", "cat", "rm", "sleep", "touch", "dirname",
            "cp", "mv")) {
      Path found = onPath(tool);
      assertThat(found).as("%s is on the PATH", tool).isNotNull();
      Files.createSymbolicLink(tools.resolve(tool), found);
    }
    threeCallsAtOnceBuildOnce(tools.toString());
  }

  private void threeCallsAtOnceBuildOnce(String path) throws Exception {
    Path repo = Path.of(System.getProperty("taskflow4j.cli.repoRoot")).toRealPath();
    Path launcher = root.resolve("taskflow4j");
    Files.copy(repo.resolve("taskflow4j"), launcher);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path pom = Files.writeString(root.resolve("pom.xml"), "<project/>\n");
    Files.setLastModifiedTime(pom, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    Files.createDirectories(root.resolve("taskflow4j-cli"));

    Path calls = root.resolve("mvn-calls");
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path mvn = bin.resolve("mvn");
    Files.writeString(
        mvn,
        String.join(
            "\n",
            "#!/bin/sh",
            "echo called >> \"$MVN_CALLS\"",
            "sleep 2",
            "mkdir -p taskflow4j-cli/" + BUILD_DIR,
            "cp \"$REAL_JAR\" taskflow4j-cli/" + BUILD_DIR + "/jar.tmp",
            "mv taskflow4j-cli/"
                + BUILD_DIR
                + "/jar.tmp taskflow4j-cli/"
                + BUILD_DIR
                + "/taskflow4j-cli-0-all.jar",
            ""));
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));

    Map<String, String> env =
        Map.of(
            "PATH",
            bin + ":" + path,
            "TASKFLOW4J_BUILD_DIR",
            BUILD_DIR,
            "MVN_CALLS",
            calls.toString(),
            "REAL_JAR",
            Jar.path().toString());
    int n = 3;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Cli.Result>> runs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Callable<Cli.Result> call =
            () -> {
              start.await();
              return Cli.runProcess(root, List.of(launcher.toString(), "--version"), env);
            };
        runs.add(pool.submit(call));
      }
      start.countDown();
      int built = 0;
      int waited = 0;
      for (Future<Cli.Result> run : runs) {
        Cli.Result r = run.get(3, TimeUnit.MINUTES);
        r.expect(ExitCodes.OK);
        assertThat(r.out()).as(r.err()).startsWith("taskflow4j ");
        if (r.err().contains("taskflow4j: building the command:")) {
          built++;
        }
        if (r.err().contains("another call is building the command; waiting for it")) {
          waited++;
        }
      }
      assertThat(Files.readAllLines(calls)).as("Maven's calls").hasSize(1);
      assertThat(built).isEqualTo(1);
      // the build takes two seconds and all three started together: the lock was waited for
      assertThat(waited).isGreaterThanOrEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    // the lock is let go: the next call runs the jar at once, without a build or a wait
    Cli.Result again = Cli.runProcess(root, List.of(launcher.toString(), "--version"), env);
    again.expect(ExitCodes.OK);
    assertThat(again.err()).doesNotContain("building").doesNotContain("waiting");
    assertThat(Files.readAllLines(calls)).hasSize(1);
  }

  private static Path onPath(String tool) {
    for (String d : System.getenv("PATH").split(":")) {
      Path p = Path.of(d, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
