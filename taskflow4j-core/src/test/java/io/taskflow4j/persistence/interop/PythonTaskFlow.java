package io.taskflow4j.persistence.interop;

import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.persistence.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the Python scripts of {@code src/test/python} with OpenStack TaskFlow ({@code
 * /usr/bin/python3}, Debian's {@code python3-taskflow}).
 *
 * <p>Where TaskFlow is missing, {@link #requireTaskFlow()} skips the calling test, except on CI
 * ({@code CI=true}), where a missing TaskFlow is a failure: the interoperability guarantee must not
 * silently stop being tested.
 */
final class PythonTaskFlow {
  /** The interpreter the Debian package installs TaskFlow for. */
  static final Path PYTHON = Path.of("/usr/bin/python3");

  /** Surefire runs with the module directory as working directory. */
  static final Path SCRIPTS = Path.of("src/test/python").toAbsolutePath();

  private static final String INSTALL_HINT =
      "install OpenStack TaskFlow for /usr/bin/python3 with"
          + " 'apt-get install python3-taskflow' (Debian/Ubuntu)";

  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(60);

  // Checked once per test run: starting Python takes a noticeable fraction of a second.
  private static final Supplier<String> PROBLEM = memoize(PythonTaskFlow::taskFlowProblem);

  private PythonTaskFlow() {}

  private static Supplier<String> memoize(Supplier<String> s) {
    return new Supplier<>() {
      private boolean done;
      private String value;

      @Override
      public synchronized String get() {
        if (!done) {
          value = s.get();
          done = true;
        }
        return value;
      }
    };
  }

  /**
   * Skips the test (fails it on CI) unless {@code /usr/bin/python3} can import TaskFlow's engines
   * and persistence backends.
   */
  static void requireTaskFlow() {
    String problem = PROBLEM.get();
    if (problem == null) {
      return;
    }
    String message =
        "TaskFlow interoperability tests need TaskFlow: " + problem + "; " + INSTALL_HINT;
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " (CI=true: this test must run on CI)");
    }
    // Outside CI a developer may run the suite without TaskFlow: skip, saying how to install it.
    Assumptions.abort(message);
  }

  private static String taskFlowProblem() {
    if (!Files.isExecutable(PYTHON)) {
      return PYTHON + " is not installed";
    }
    if (!Files.isDirectory(SCRIPTS)) {
      return "the scripts directory " + SCRIPTS + " is missing (run from the module directory)";
    }
    try {
      ProcessRun.Result r =
          ProcessRun.exec(
              CHECK_TIMEOUT,
              List.of(
                  PYTHON.toString(),
                  "-c",
                  "import taskflow.engines, taskflow.retry, taskflow.persistence.backends"));
      return r.exitCode() == 0 ? null : PYTHON + " cannot import taskflow: " + lastLine(r.stderr());
    } catch (IOException e) {
      return PYTHON + " could not be started: " + e.getMessage();
    }
  }

  /**
   * Runs a script with arguments and returns its standard output parsed as JSON.
   *
   * @throws AssertionError when the script fails, times out or prints no JSON; the message holds
   *     its standard error
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> runJson(Duration timeout, String script, String... args) {
    List<String> command = new ArrayList<>();
    command.add(PYTHON.toString());
    command.add(SCRIPTS.resolve(script).toString());
    command.addAll(List.of(args));
    ProcessRun.Result r;
    try {
      r = ProcessRun.exec(timeout, command);
    } catch (IOException e) {
      throw new AssertionError("could not run " + script + ": " + e.getMessage(), e);
    }
    if (r.exitCode() != 0) {
      throw new AssertionError(
          script + " failed (exit status " + r.exitCode() + "), stderr:\n" + r.stderr());
    }
    try {
      return (Map<String, Object>) Json.read(r.stdout());
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new AssertionError(
          script + " printed no JSON object: " + e.getMessage() + "\nstderr:\n" + r.stderr(), e);
    }
  }

  private static String lastLine(String text) {
    String t = text.strip();
    int nl = t.lastIndexOf('\n');
    return nl < 0 ? t : t.substring(nl + 1);
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      List<Path> all = paths.sorted(java.util.Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }
}
