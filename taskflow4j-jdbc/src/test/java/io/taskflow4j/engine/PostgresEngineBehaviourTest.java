package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Path;
import java.util.List;

/**
 * The engine's behaviour tests ({@link EngineBehaviourTest}) over PostgreSQL, in a database made
 * for this class (each test records its own logbooks).
 */
class PostgresEngineBehaviourTest extends EngineBehaviourTest {
  @PostgresDatabase private static String db;

  /** Hides {@link EngineBehaviourTest#cases()}: the two engine kinds over the PostgreSQL store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c, Path dir) {
    return EngineEnv.over(c, Backends.open(TestDatabases.postgresUrl(db)));
  }
}
