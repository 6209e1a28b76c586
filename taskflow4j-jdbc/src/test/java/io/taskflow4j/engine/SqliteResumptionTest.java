package io.taskflow4j.engine;

import io.taskflow4j.persistence.Backends;
import java.util.List;

/**
 * The engine's resumption table (§9.4, {@link ResumptionTest}) on the serial and parallel engines
 * over a SQLite file (a new file per test, in the test's temporary folder).
 */
class SqliteResumptionTest extends ResumptionTest {

  /** Hides {@link ResumptionTest#cases()}: the two engine kinds over the SQLite store. */
  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases(EngineEnv.Store.SUPPLIED).toList();
  }

  @Override
  protected EngineEnv newEnv(EngineEnv.Case c) {
    // Four slashes: SQLAlchemy's form of an absolute path.
    return EngineEnv.over(
        c, Backends.open("sqlite:///" + dir.resolve("flows.db").toAbsolutePath()));
  }
}
