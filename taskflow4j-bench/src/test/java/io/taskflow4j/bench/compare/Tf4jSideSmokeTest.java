package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.bench.BenchStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The taskflow4j side of the harness at N = 10 on every backend it measures. */
class Tf4jSideSmokeTest {

  static Stream<Arguments> stores() {
    Stream<Arguments> both =
        Stream.of(
                Tf4jSide.NONE,
                Tf4jSide.MEMORY,
                Tf4jSide.dir("process"),
                Tf4jSide.dir("power"),
                Tf4jSide.sqlite("process"),
                Tf4jSide.sqlite("power"))
            .flatMap(s -> Stream.of(Arguments.of("chain", s), Arguments.of("fanout", s)));
    // The fan-out with 64 tasks in flight, where the harness runs it without a server.
    return Stream.concat(
        both, Stream.of(Arguments.of(Tf4jSide.FANOUT64, Tf4jSide.sqlite("power"))));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("stores")
  void measuresRunsAndResumes(String workload, Tf4jSide.Store store) {
    Result r = Tf4jSide.measure(workload, store, 10, 2, 60, false);
    check(r, workload, store);
  }

  @ParameterizedTest(name = "{0} on PostgreSQL")
  @ValueSource(strings = {"chain", "fanout", Tf4jSide.FANOUT64})
  void measuresOnPostgresql(String workload) {
    Tf4jSide.Store s = Tf4jSide.postgresql(BenchPostgres.SERVER, "power");
    Result r =
        BenchPostgres.orSkip(
            "the harness's smoke test", () -> Tf4jSide.measure(workload, s, 10, 2, 60, false));
    check(r, workload, s);
  }

  @Test
  void aRunLongEnoughForTheCpuClockHasItsCpuTimePerTask() {
    // 100,000 tasks with no store: a few tenths of a second of CPU, many ticks of the clock.
    Result r = Tf4jSide.measure("chain", Tf4jSide.NONE, 100_000, 1, 60, false);
    assertThat(r.cpuSeconds()).hasSize(1);
    assertThat(r.cpuSeconds().get(0)).isGreaterThanOrEqualTo(Result.MIN_CPU_SECONDS);
    assertThat(r.cpuMicrosPerTask()).isPositive();
    // No more than every core for the whole run, give or take a tick of the clock.
    int cores = Runtime.getRuntime().availableProcessors();
    assertThat(r.cpuSeconds().get(0)).isLessThanOrEqualTo(cores * r.runSeconds().get(0) + 0.02);
  }

  @Test
  void theStoreIsRemovedAfterwardsAndBadInputIsRefused() throws Exception {
    BenchStore s = BenchStore.create("dir://{tmp}?durability=process");
    Path dir = s.directory();
    assertThat(s.uri()).isEqualTo("dir://" + dir.toAbsolutePath() + "?durability=process");
    assertThat(Files.isDirectory(dir)).isTrue();
    s.close();
    assertThat(Files.exists(dir)).isFalse();
    assertThatThrownBy(() -> Tf4jSide.measure("spiral", Tf4jSide.NONE, 10, 1, 1, false))
        .hasMessageContaining("unknown workload 'spiral'");
    assertThat(Tf4jSide.flowOf(Tf4jSide.FANOUT64)).isEqualTo("fanout");
    assertThat(Tf4jSide.flowOf("chain")).isEqualTo("chain");
  }

  private static void check(Result r, String workload, Tf4jSide.Store store) {
    assertThat(r.system()).isEqualTo(Report.TF4J);
    assertThat(r.workload()).isEqualTo(workload);
    assertThat(r.backend()).isEqualTo(store.backend());
    assertThat(r.durability()).isEqualTo(store.durability());
    assertThat(r.n()).isEqualTo(10);
    assertThat(r.runSeconds()).hasSize(2).allSatisfy(t -> assertThat(t).isPositive());
    // The JVM's CPU time of each run (HotSpot tells it). Its clock ticks in 10 ms steps, so a run
    // of 10 tasks may well show none.
    assertThat(r.cpuSeconds()).hasSize(2).allSatisfy(t -> assertThat(t).isNotNegative());
    if (store.template() == null) {
      assertThat(r.resumeSeconds()).isEmpty();
    } else {
      assertThat(r.resumeSeconds()).hasSize(2).allSatisfy(t -> assertThat(t).isPositive());
    }
    assertThat(r.note()).isEmpty();
  }
}
