package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar and the launcher, as a user runs them: demo → crash → resume → show, and a bad
 * connection string. Runs after {@code package} (failsafe), so the jar always exists here.
 */
class ShadedJarIT {
  @TempDir Path dir;

  private Cli.Result java(String... args) throws Exception {
    return Jar.run(dir, args);
  }

  @Test
  void demoCrashResumeShowThroughTheLauncherAndTheShadedJar() throws Exception {
    Path root = Path.of(System.getProperty("taskflow4j.cli.repoRoot")).toRealPath();
    Path launcher = root.resolve("taskflow4j");
    assertThat(Files.isExecutable(launcher)).as("%s is executable", launcher).isTrue();

    // the launcher runs the jar, and the command it prints for resuming names the launcher
    Cli.Result crashed = runLauncher(launcher, "demo", "--delay", "0", "--crash-after", "2");
    crashed.expect(ExitCodes.CRASHED);
    Matcher m =
        Pattern.compile(
                Pattern.quote(launcher.toString())
                    + " resume --connection (\\S+) --flow ([0-9a-f-]{36})")
            .matcher(crashed.err());
    assertThat(m.find()).as(crashed.err()).isTrue();
    assertThat(m.group(1)).isEqualTo("sqlite:///taskflow4j-demo.db");
    assertThat(Files.exists(dir.resolve("taskflow4j-demo.db"))).isTrue();
    Matcher book = Pattern.compile("Logbook ([0-9a-f-]{36}), flow ").matcher(crashed.out());
    assertThat(book.find()).as(crashed.out()).isTrue();

    Cli.Result resumed = java("resume", "--connection", m.group(1), "--flow", m.group(2));
    resumed.expect(ExitCodes.OK);
    assertThat(resumed.out()).contains("finished: SUCCESS").doesNotContain("fetch-order");

    Cli.Result show = java("logbooks", "show", book.group(1), "--connection", m.group(1), "--json");
    show.expect(ExitCodes.OK);
    Map<String, Object> flow = DemoCrashResumeTest.flowOf(show.json());
    assertThat(flow).containsEntry("uuid", m.group(2)).containsEntry("state", "SUCCESS");
    assertThat(DemoCrashResumeTest.atomStates(show.json()).values())
        .hasSize(6)
        .containsOnly("SUCCESS");
  }

  @Test
  void everyBackendIsRegisteredInTheShadedJar() throws Exception {
    Cli.Result r = java("logbooks", "list", "--all", "--connection", "foo://x");
    r.expect(ExitCodes.USAGE);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err())
        .contains("known backends: dir, file, jdbc, mariadb, memory, mysql")
        .contains("postgresql")
        .contains("sqlite")
        .contains("zookeeper");
  }

  private Cli.Result runLauncher(Path launcher, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
    cmd.addAll(List.of(args));
    // the build folder of this build, so the launcher finds the jar instead of building one
    return Cli.runProcess(
        dir,
        cmd,
        Map.of("TASKFLOW4J_BUILD_DIR", System.getProperty("taskflow4j.cli.buildDirName")));
  }
}
