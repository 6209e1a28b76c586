package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bare loops run, count what they did, and leave nothing behind. */
class BareStoresTest {

  @TempDir Path dir;

  @Test
  void sqliteCommitsTheTwoRowsOfEachTaskAndRemovesItsFile() throws IOException {
    BareStores.Limit l = BareStores.sqlite(dir, 0.2);
    check(l, "sqlite", "power");
    assertThat(l.tasks()).isGreaterThan(1);
    assertThat(listing()).isEmpty();
  }

  @ParameterizedTest(name = "power={0}")
  @ValueSource(booleans = {false, true})
  void theDirectoryLoopRunsWholeChainsAndRemovesItsTree(boolean power) throws IOException {
    BareStores.Limit l = BareStores.dir(dir, power, 0.01, 50);
    check(l, "dir", power ? "power" : "process");
    // Chains are run whole, at least two: the atoms' making is counted in the per-task time, and
    // the rate is the best chain's (at least the average's).
    assertThat(l.tasks() % 50).isZero();
    assertThat(l.tasks()).isGreaterThanOrEqualTo(100);
    assertThat(listing()).isEmpty();
  }

  @Test
  void postgresqlRunsOneStatementPerTaskInAFreshDatabase() {
    BareStores.Limit l =
        BenchPostgres.orSkip(
            "the bare loop's test", () -> BareStores.postgresql(BenchPostgres.SERVER, 0.2));
    check(l, "postgresql", "power");
  }

  @Test
  void aConnectionStringBecomesAJdbcUrlWithoutItsCredentials() {
    assertThat(BareStores.jdbcUrl("postgresql://bob:secret@db.example:6543/tf"))
        .isEqualTo("jdbc:postgresql://db.example:6543/tf");
    assertThat(BareStores.jdbcUrl("postgresql://bob@127.0.0.1/tf"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/tf");
    assertThatThrownBy(() -> BareStores.jdbcUrl("postgresql://bad host/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("postgresql://user@host:port/db");
  }

  private static void check(BareStores.Limit l, String store, String durability) {
    assertThat(l.store()).isEqualTo(store);
    assertThat(l.durability()).isEqualTo(durability);
    assertThat(l.tasksPerSecond()).isPositive();
    assertThat(l.msPerTask())
        .isCloseTo(1000 / l.tasksPerSecond(), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(l.what()).isNotBlank();
  }

  private Stream<Path> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList().stream();
    }
  }
}
