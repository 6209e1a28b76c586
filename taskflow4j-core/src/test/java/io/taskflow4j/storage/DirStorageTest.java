package io.taskflow4j.storage;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** Storage over the directory backend (found by name, so no compile-time dependency). */
class DirStorageTest extends StorageBehaviourTest {
  @TempDir Path dir;

  @Override
  Backend newBackend() {
    return Backends.fetch(Map.of("connection", "dir", "path", dir.toString()));
  }
}
