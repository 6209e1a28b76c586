package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the command in this JVM or in a new one, capturing what it prints. */
final class Cli {
  private Cli() {}

  /** What a run printed and returned. */
  record Result(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }

    /** The last line of standard output parsed as JSON. */
    Object lastJson() {
      List<String> lines = out.lines().toList();
      return Json.read(lines.get(lines.size() - 1));
    }

    /** All of standard output parsed as JSON. */
    @SuppressWarnings("unchecked")
    Map<String, Object> json() {
      return (Map<String, Object>) Json.read(out);
    }

    Result expect(int expected) {
      assertThat(code).as("exit code; out:%n%s%nerr:%n%s", out, err).isEqualTo(expected);
      return this;
    }
  }

  /** Runs the command in this JVM. */
  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.execute(args, o, e);
    }
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs the command in a new JVM on this test's class path, in {@code dir}. */
  static Result runJvm(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    return runProcess(dir, cmd);
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs a process to its end (at most two minutes), capturing its output. */
  static Result runProcess(Path dir, List<String> cmd) throws IOException, InterruptedException {
    return runProcess(dir, cmd, Map.of());
  }

  /** As {@link #runProcess(Path, List)}, with these environment variables added. */
  static Result runProcess(Path dir, List<String> cmd, Map<String, String> env)
      throws IOException, InterruptedException {
    // Unique names even for processes started in the same nanosecond by two threads.
    File outFile = java.nio.file.Files.createTempFile(dir, "process-", ".out").toFile();
    File errFile = java.nio.file.Files.createTempFile(dir, "process-", ".err").toFile();
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectOutput(outFile)
            .redirectError(errFile);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the command did not finish within 2 minutes: " + cmd);
    }
    String out = java.nio.file.Files.readString(outFile.toPath());
    String err = java.nio.file.Files.readString(errFile.toPath());
    outFile.delete();
    errFile.delete();
    return new Result(p.exitValue(), out, err);
  }

  /** A SQLite connection string for an absolute file. */
  static String sqlite(Path file) {
    return "sqlite:///" + file.toAbsolutePath();
  }

  /** A directory connection string. */
  static String dir(Path dir) {
    return "dir://" + dir.toAbsolutePath();
  }
}
