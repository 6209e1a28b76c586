package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import java.nio.file.Path;
import java.util.Map;

/** Directory backends for this package's tests: upgraded, with a write hook. */
final class TestDirBackends {
  private TestDirBackends() {}

  /** A backend on the store in {@code dir} of this durability, its store made. */
  static DirBackend open(Path dir, String durability, DirWriteHook hook) {
    DirBackend b =
        DirBackend.builder(
                BackendConf.of(
                    Map.of("connection", "dir", "path", dir.toString(), "durability", durability)))
            .writeHook(hook)
            .build();
    try (Connection c = b.getConnection()) {
      c.upgrade();
    }
    return b;
  }
}
