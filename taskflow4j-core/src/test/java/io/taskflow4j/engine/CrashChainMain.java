package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Child process of {@link CrashResumeTest}: runs a chain over a dir store until it is killed.
 * Arguments: store (a directory, or a connection string such as {@code sqlite:////abs/flows.db}),
 * execution log, number of tasks, sleep per task (ms), file to write the flow detail uuid to.
 */
public final class CrashChainMain {
  private CrashChainMain() {}

  public static void main(String[] args) throws Exception {
    String store = args[0].contains("://") ? args[0] : "dir://" + Path.of(args[0]).toAbsolutePath();
    String log = args[1];
    int n = Integer.parseInt(args[2]);
    long sleepMs = Long.parseLong(args[3]);
    Path uuidFile = Path.of(args[4]);
    try (Backend backend = Backends.open(store)) {
      Engine engine =
          Engines.loadFromFactory(
                  ChainFlows.class, List.of(n), Map.of("log", log, "sleep_ms", sleepMs))
              .backend(backend)
              .store(Map.of("v0", 0))
              .build();
      Files.writeString(
          uuidFile.resolveSibling(uuidFile.getFileName() + ".tmp"), engine.flowDetail().uuid());
      Files.move(uuidFile.resolveSibling(uuidFile.getFileName() + ".tmp"), uuidFile);
      engine.run();
    }
  }
}
