package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.dir.DirWriteHook;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash points inside directory writes, for real: a child JVM halts ({@code Runtime.halt}, so no
 * finally block, shutdown hook or buffered write runs) right after a given step of a write — temp
 * file written, synced, link created, directory synced, renamed, removed, deleted. Afterwards every
 * record reads, every link resolves and no state disagrees, before any repair; what the interrupted
 * write left (an unlinked object, a temporary file) is only an orphan or leftover, which readers
 * skip and {@code upgrade()} removes, after which the store verifies clean. (The same steps cut by
 * an exception, in process: the TCK's {@code DirBackendCrashTest}.)
 */
class DirHaltTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "halt after {0} #{1} ({2})")
  @CsvSource({
    "TEMP_WRITTEN, 1, power",
    "TEMP_WRITTEN, 6, power",
    "FILE_SYNCED, 2, power",
    "LINK_CREATED, 2, power",
    "DIR_SYNCED, 3, power",
    "RENAMED, 1, power",
    "RENAMED, 5, power",
    "REMOVED, 1, power",
    "DELETED, 1, power",
    "MARKER_WRITTEN, 1, power",
    "RECORD_REWRITTEN, 1, process",
    "RECORD_REWRITTEN, 2, process",
    "RENAMED, 2, process"
  })
  void aHaltAfterAnyWriteStepLeavesAStoreThatReadsConsistently(
      String step, int at, String durability) throws Exception {
    DirWriteHook.Step.valueOf(step); // the step exists
    String url = "dir://" + dir.resolve("store") + "?durability=" + durability;
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                cp,
                HaltingDirWriter.class.getName(),
                url,
                step,
                String.valueOf(at))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.out").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as("the child halted at the crash point (see child.out)")
        .isEqualTo(77);

    // before any repair: readable, no dangling link, no duplicate, no state mismatch
    try (Backend b = Backends.fetch(url)) {
      Report before = StoreVerifier.verify(b);
      assertThat(before.problems())
          .extracting(Problem::kind)
          .as(before.toString())
          .allMatch(k -> k == Problem.Kind.ORPHAN || k == Problem.Kind.LEFTOVER);
      try (Connection c = b.getConnection()) {
        List<LogBook> books = c.getLogBooks();
        for (LogBook book : books) {
          assertThat(book.name()).isIn("halt", "doomed");
        }
      }
    }
    // after upgrade() (which every open does): clean
    try (Backend b = Backends.open(url)) {
      Report after = StoreVerifier.verify(b);
      assertThat(after.problems()).as(after.toString()).isEmpty();
    }
  }
}
