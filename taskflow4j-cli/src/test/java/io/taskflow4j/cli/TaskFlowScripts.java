package io.taskflow4j.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The TaskFlow scripts of the backend modules' tests ({@code taskflow4j-core/src/test/python},
 * {@code taskflow4j-zookeeper/src/test/python}), run with Debian's {@code /usr/bin/python3} and its
 * {@code python3-taskflow} (and {@code python3-kazoo}), to make stores the way TaskFlow does.
 * Without them a test is skipped saying so, except on CI ({@code CI=true}), where it fails.
 */
final class TaskFlowScripts {
  static final Path PYTHON = Path.of("/usr/bin/python3");

  private TaskFlowScripts() {}

  /** A script, by its path from the repository root. */
  static Path script(String fromRepoRoot) {
    return Path.of(System.getProperty("taskflow4j.cli.repoRoot"), fromRepoRoot)
        .toAbsolutePath()
        .normalize();
  }

  /** Skips the test (fails it on CI) unless Python can import {@code modules}. */
  static void require(Path dir, String modules) throws Exception {
    String problem = null;
    if (!Files.isExecutable(PYTHON)) {
      problem = PYTHON + " is not installed";
    } else {
      Cli.Result r = Cli.runProcess(dir, List.of(PYTHON.toString(), "-c", "import " + modules));
      if (r.code() != 0) {
        problem = PYTHON + " cannot import " + modules;
      }
    }
    if (problem == null) {
      return;
    }
    String message =
        "these tests make stores with TaskFlow: "
            + problem
            + "; install it with 'apt-get install python3-taskflow python3-kazoo'";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " (CI=true: this test must run on CI)");
    }
    // Outside CI a developer may lack TaskFlow: skip, saying how to install it.
    Assumptions.abort(message);
  }

  /** Runs a script in {@code dir} and parses the JSON object it prints. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> runJson(Path dir, Path script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
    cmd.addAll(List.of(args));
    Cli.Result r = Cli.runProcess(dir, cmd);
    if (r.code() != 0) {
      throw new AssertionError(script.getFileName() + " failed (" + r.code() + "):\n" + r.err());
    }
    return (Map<String, Object>) Json.read(r.out());
  }
}
