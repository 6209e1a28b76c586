package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.util.List;

/**
 * The engine's resumption table (§9.4, {@link ResumptionTest}) on the serial and parallel engines
 * over PostgreSQL, in a database made for this class (each test seeds its own logbook).
 */
class PostgresResumptionTest extends ResumptionTest {
  @PostgresDatabase private static String db;

  /** Hides {@link ResumptionTest#cases()}: the two engine kinds over the PostgreSQL store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c) {
    return EngineEnv.over(c, Backends.open(TestDatabases.postgresUrl(db)));
  }
}
