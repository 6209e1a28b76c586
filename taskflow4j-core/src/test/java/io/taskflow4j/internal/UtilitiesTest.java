package io.taskflow4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UtilitiesTest {
  @TempDir Path dir;

  @Test
  void backoffDoublesUpToItsCap() {
    Backoff b = Backoff.exponential(Duration.ofMillis(50), Duration.ofMillis(300));
    assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(50));
    assertThat(b.delay(2)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delay(3)).isEqualTo(Duration.ofMillis(200));
    assertThat(b.delay(4)).isEqualTo(Duration.ofMillis(300));
    assertThat(b.delay(1000)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void jitteredBackoffStaysBetweenHalfAndAll() {
    Backoff b = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1)).withJitter();
    for (int i = 0; i < 200; i++) {
      Duration d = b.delay(3);
      assertThat(d).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
    }
  }

  @Test
  void backoffRefusesAnInitialWaitAboveItsCap() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initial <= max");
  }

  @Test
  void daemonThreadsAreDaemonsNamedForTheirOwner() {
    ThreadFactory f = DaemonThreads.numbered("taskflow4j-test-");
    Thread a = f.newThread(() -> {});
    Thread b = f.newThread(() -> {});
    assertThat(a.isDaemon()).isTrue();
    assertThat(a.getName()).isEqualTo("taskflow4j-test-1");
    assertThat(b.getName()).isEqualTo("taskflow4j-test-2");
    assertThat(DaemonThreads.named("one").newThread(() -> {}).getName()).isEqualTo("one");
  }

  @Test
  void atomicReplaceLeavesTheNewContentAndNoTemporaryFile() throws Exception {
    Path target = dir.resolve("record.json");
    AtomicFiles.replace(target, "old".getBytes(), true);
    AtomicFiles.replace(target, "new".getBytes(), true);
    assertThat(Files.readString(target)).isEqualTo("new");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void writeNewRefusesAnExistingFile() throws Exception {
    Path f = dir.resolve("f");
    AtomicFiles.writeNew(f, new byte[] {1}, false);
    assertThatThrownBy(() -> AtomicFiles.writeNew(f, new byte[] {2}, false))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(f)).containsExactly(1);
  }

  @Test
  void hostIdentityNamesThisProcess() {
    assertThat(HostIdentity.hostName()).isNotBlank();
    assertThat(HostIdentity.pid()).isEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void aLockFileIsOpenedOncePerJvmAndClosedWithItsLastShare() throws Exception {
    Path f = dir.resolve(".lock");
    Set<StandardOpenOption> opts = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLocks.Handle a = FileLocks.open(f, opts);
    FileLocks.Handle b = FileLocks.open(f, opts);
    assertThat(b.channel()).isSameAs(a.channel());
    assertThat(b.sharers()).isEqualTo(2);
    var lock = a.channel().lock();
    b.close();
    assertThat(lock.isValid()).as("closing one share keeps the JVM's lock").isTrue();
    assertThat(FileLocks.isOpen(f)).isTrue();
    a.close();
    assertThat(lock.isValid()).isFalse();
    assertThat(FileLocks.isOpen(f)).isFalse();
  }

  @Test
  void streamedReplaceWritesWholeOrLeavesTheOldFile() throws Exception {
    Path target = dir.resolve("export.json");
    AtomicFiles.replace(target, false, out -> out.write("first".getBytes()));
    assertThatThrownBy(
            () ->
                AtomicFiles.replace(
                    target,
                    true,
                    out -> {
                      out.write("half".getBytes());
                      throw new java.io.IOException("disk full");
                    }))
        .hasMessage("disk full");
    assertThat(Files.readString(target)).isEqualTo("first");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void writeNewTellsItsStepsInOrder() throws Exception {
    Path f = dir.resolve("f");
    java.util.List<String> steps = new java.util.ArrayList<>();
    AtomicFiles.writeNew(
        f,
        new byte[] {1},
        true,
        new AtomicFiles.Steps() {
          @Override
          public void written(Path file) {
            steps.add("written " + file.getFileName());
          }

          @Override
          public void synced(Path file) {
            steps.add("synced " + file.getFileName());
          }
        });
    assertThat(steps).containsExactly("written f", "synced f");
  }

  @Test
  void aClosedLockFileIsReopenedForEveryShareAndTheSharesShareOneMutex() throws Exception {
    Path f = dir.resolve(".lock");
    Set<StandardOpenOption> opts = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try (FileLocks.Handle a = FileLocks.open(f, opts);
        FileLocks.Handle b = FileLocks.open(f, opts)) {
      assertThat(b.mutex()).isSameAs(a.mutex());
      a.channel().close(); // as an interrupt would
      var reopened = b.reopen();
      assertThat(reopened.isOpen()).isTrue();
      assertThat(a.channel()).isSameAs(reopened);
      assertThat(a.sharers()).isEqualTo(2);
    }
    assertThat(FileLocks.isOpen(f)).isFalse();
  }
}
