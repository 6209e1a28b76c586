package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The engine's behaviour tests ({@link EngineBehaviourTest}) over a SQLite file per test. */
class SqliteEngineBehaviourTest extends EngineBehaviourTest {

  /** Hides {@link EngineBehaviourTest#cases()}: the two engine kinds over the SQLite store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c, Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return EngineEnv.over(
        c, Backends.open("sqlite:///" + dir.resolve("flows.db").toAbsolutePath()));
  }
}
