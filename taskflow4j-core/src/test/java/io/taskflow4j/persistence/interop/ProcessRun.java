package io.taskflow4j.persistence.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command for an interoperability test (TaskFlow's Python scripts), its output
 * captured in files, with Python's bytecode cache off and UTF-8 I/O. Shared through core's test-jar
 * by the other modules' interoperability tests.
 */
public final class ProcessRun {
  private ProcessRun() {}

  /** What a finished command left. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code command} in a fresh temporary directory (removed afterwards) and waits for it.
   *
   * @throws AssertionError when it does not finish within {@code timeout} (it is killed)
   */
  public static Result exec(Duration timeout, List<String> command) throws IOException {
    // Output goes to files, so a chatty script can never block on a full pipe.
    Path work = Files.createTempDirectory("tf-interop-run");
    try {
      Path out = work.resolve("stdout");
      Path err = work.resolve("stderr");
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(work.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      // No __pycache__ next to the scripts in the source tree; UTF-8 whatever the locale.
      pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
      pb.environment().put("PYTHONIOENCODING", "utf-8");
      Process p = pb.start();
      boolean done;
      try {
        done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while running " + command, e);
      }
      if (!done) {
        p.destroyForcibly();
        throw new AssertionError(
            String.join(" ", command)
                + " did not finish within "
                + timeout.toSeconds()
                + " s, stderr so far:\n"
                + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      PythonTaskFlow.deleteTree(work);
    }
  }
}
