package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/** The PostgreSQL server the harness's tests measure on, and what they do when there is none. */
final class BenchPostgres {
  private BenchPostgres() {}

  private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  /** The server: {@code TF4J_BENCH_PG}, else the local one. */
  static final String SERVER =
      System.getenv().getOrDefault("TF4J_BENCH_PG", "postgresql://postgres@127.0.0.1:5432");

  /**
   * What {@code measure} returns; when it finds no server, the test fails in CI (naming {@code
   * what} needs it) and is skipped elsewhere, saying so.
   */
  static <T> T orSkip(String what, Supplier<T> measure) {
    try {
      return measure.get();
    } catch (IllegalStateException e) {
      assertThat(e.getMessage()).startsWith("the database server at");
      if (CI) {
        fail("PostgreSQL is needed in CI for " + what + ": " + e.getMessage());
      }
      // Outside CI a developer may lack a server: skip, saying so; CI fails above instead.
      Assumptions.abort(e.getMessage() + "; skipping (set CI=true to make this a failure)");
      throw e; // not reached: abort throws
    }
  }
}
