package io.taskflow4j.worker;

import io.taskflow4j.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Tasks for the worker-process tests, by remote name: {@code hold} (logs its start and end to the
 * file in argument {@code log}, sleeping {@code ms} between), {@code slow-once} (the first
 * execution, which creates the file in argument {@code marker}, sleeps {@code ms}), {@code sleep}
 * (sleeps {@code ms}, returns {@code i}). Each returns or logs the worker's name.
 */
public final class TestTasks implements TaskProvider {
  /** Used by {@code WorkerMain --tasks}. */
  public TestTasks() {}

  @Override
  public void register(TaskRegistry registry, Map<String, String> options) {
    String worker = options.getOrDefault("name", "unnamed");
    registry.register(
        "hold",
        atom ->
            Task.of(
                    atom,
                    args -> {
                      Path log = Path.of(args.get("log", String.class));
                      append(log, "start " + worker + " " + atom);
                      Thread.sleep(args.get("ms", Long.class));
                      append(log, "end " + worker + " " + atom);
                      return worker;
                    })
                .requires("log", "ms"));
    registry.register(
        "slow-once",
        atom ->
            Task.of(
                    atom,
                    args -> {
                      Path marker = Path.of(args.get("marker", String.class));
                      try {
                        Files.createFile(marker);
                      } catch (java.nio.file.FileAlreadyExistsException e) {
                        return "fast:" + worker;
                      }
                      Thread.sleep(args.get("ms", Long.class));
                      return "slow:" + worker;
                    })
                .requires("marker", "ms"));
    registry.register(
        "sleep",
        atom ->
            Task.of(
                    atom,
                    args -> {
                      Thread.sleep(args.get("ms", Long.class));
                      return args.get("i", Long.class);
                    })
                .requires("ms", "i"));
  }

  static synchronized void append(Path file, String line) throws IOException {
    Files.writeString(
        file,
        line + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }
}
