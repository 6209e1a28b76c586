package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSyncTest {

  @Test
  void measuresThreeLoopsTakesTheFastestAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
    DiskSync.Rate r = DiskSync.measure(dir, 0.3);
    assertThat(r.fsyncsPerSecond()).isPositive();
    assertThat(r.fdatasyncsPerSecond()).isPositive();
    assertThat(r.appendSyncsPerSecond()).isPositive();
    assertThat(r.syncsPerSecond())
        .isEqualTo(
            Math.max(
                r.fsyncsPerSecond(), Math.max(r.fdatasyncsPerSecond(), r.appendSyncsPerSecond())));
    assertThat(r.msPerSync()).isEqualTo(1000.0 / r.syncsPerSecond());
    assertThat(r.seconds()).isGreaterThanOrEqualTo(0.29);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s).isEmpty();
    }
  }
}
