package io.taskflow4j.persistence.zookeeper;

import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.interop.ProcessRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the TaskFlow scripts of {@code src/test/python} with Debian's {@code /usr/bin/python3}
 * ({@code python3-taskflow}, {@code python3-kazoo}). Without them a test is skipped with a message,
 * except on CI ({@code CI=true}), where that is a failure.
 */
final class TaskFlowPython {
  static final Path PYTHON = Path.of("/usr/bin/python3");

  private TaskFlowPython() {}

  /** Surefire runs with the module directory as working directory. */
  static Path script(String name) {
    return Path.of("src/test/python", name).toAbsolutePath();
  }

  /** Why TaskFlow's ZooKeeper code cannot be run, or {@code null} when it can. */
  static String problem(Path script) {
    if (!Files.isExecutable(PYTHON)) {
      return PYTHON + " is not installed";
    }
    if (!Files.isRegularFile(script)) {
      return "the script " + script + " is missing (run from the module directory)";
    }
    try {
      Result r =
          exec(
              List.of(
                  PYTHON.toString(),
                  "-c",
                  "import kazoo.client, taskflow.persistence.backends.impl_zookeeper,"
                      + " taskflow.jobs.backends.impl_zookeeper"));
      return r.exit() == 0 ? null : PYTHON + " cannot import TaskFlow's zookeeper modules";
    } catch (IOException e) {
      return PYTHON + " could not be started: " + e.getMessage();
    }
  }

  /** Skips the test (fails it on CI) when {@code problem} is not null. */
  static void require(String problem) {
    if (problem == null) {
      return;
    }
    String message =
        "TaskFlow interoperability tests need TaskFlow and kazoo: "
            + problem
            + "; install them with 'apt-get install python3-taskflow python3-kazoo'";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " (CI=true: this test must run on CI)");
    }
    // Outside CI a developer may lack TaskFlow or kazoo: skip, saying how to install them.
    Assumptions.abort(message);
  }

  record Result(int exit, String out, String err) {}

  static Result exec(List<String> command) throws IOException {
    ProcessRun.Result r = ProcessRun.exec(Duration.ofSeconds(120), command);
    return new Result(r.exitCode(), r.stdout(), r.stderr());
  }

  /** Runs {@code script} with {@code args} and parses what it prints as JSON. */
  static Object runJson(Path script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
    command.addAll(List.of(args));
    Result r = exec(command);
    if (r.exit() != 0) {
      throw new AssertionError(
          "TaskFlow failed (exit " + r.exit() + "): " + String.join(" ", args) + "\n" + r.err());
    }
    return Json.read(r.out());
  }
}
