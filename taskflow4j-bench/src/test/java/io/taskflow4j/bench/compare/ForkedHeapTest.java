package io.taskflow4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The harness measures in a JVM with a fixed heap, touched first ({@link Compare#heapFlags}). */
class ForkedHeapTest {
  private static final long GB = 1024L * 1024 * 1024;

  @Test
  void theChildKeepsThisJvmsOptionsButItsHeapAndRunsTheSameArguments() {
    List<String> cmd =
        Compare.childCommand(
            "/opt/jdk",
            List.of("-Xmx4g", "-Dx=1", "-Xms64m", "-XX:-AlwaysPreTouch", "-XX:+UseG1GC"),
            "a.jar:b.jar",
            32 * GB,
            List.of("--sizes", "1000", "--no-taskflow"));
    assertThat(cmd)
        .containsExactly(
            Path.of("/opt/jdk", "bin", "java").toString(),
            "-Dx=1",
            "-XX:+UseG1GC",
            "-Xms4096m",
            "-Xmx4096m",
            "-XX:+AlwaysPreTouch",
            "-D" + Compare.FORKED + "=true", // the child never forks again
            "-cp",
            "a.jar:b.jar",
            Compare.class.getName(),
            "--sizes",
            "1000",
            "--no-taskflow");
  }

  @Test
  void theHeapIsFourGigabytesOrAQuarterOfASmallerMachine() {
    assertThat(Compare.forkHeapMb(32 * GB)).isEqualTo(4096);
    assertThat(Compare.forkHeapMb(8 * GB)).isEqualTo(2048);
    assertThat(Compare.forkHeapMb(GB)).isEqualTo(512); // never below 512 MB
    assertThat(Compare.forkHeapMb(0)).isEqualTo(4096); // size unknown
  }

  @Test
  void noForkIsAnOption() {
    assertThat(Compare.Options.parse().fork).isTrue();
    assertThat(Compare.Options.parse("--no-fork").fork).isFalse();
  }

  @Test
  void aJvmStartedWithTheFlagsCountsAsFixedAndOneWithoutDoesNot() throws Exception {
    assertThat(heapFixedIn(Compare.heapFlags(2 * GB))).isEqualTo("true");
    assertThat(heapFixedIn(List.of("-Xmx512m"))).isEqualTo("false");
    assertThat(heapFixedIn(List.of("-Xms512m", "-Xmx512m"))).isEqualTo("false"); // not touched
    assertThat(heapFixedIn(List.of("-Xmx512m", "-XX:+AlwaysPreTouch"))).isEqualTo("false"); // grows
  }

  @Test
  void theHarnessForksOnceAndTheChildNeverForksAgain() throws Exception {
    // A work directory that cannot be made: the harness stops right after deciding where to run.
    Outcome parent = harness(List.of());
    assertThat(parent.out()).contains("measuring in a JVM with a fixed heap");
    assertThat(parent.out()).containsOnlyOnce("cannot use /dev/null/x as the work directory");
    assertThat(parent.exit()).as(parent.out()).isEqualTo(2); // the child's exit code
    Outcome child = harness(List.of("-D" + Compare.FORKED + "=true"));
    assertThat(child.out()).doesNotContain("measuring in a JVM with a fixed heap");
    assertThat(child.out()).contains("cannot use /dev/null/x as the work directory");
    assertThat(child.out()).doesNotContain("\tat "); // a message, not a stack trace
    assertThat(child.exit()).as(child.out()).isEqualTo(2);
  }

  private record Outcome(int exit, String out) {}

  /** Runs the harness with {@code --work /dev/null/x} in a JVM started with {@code flags}. */
  private static Outcome harness(List<String> flags) throws IOException, InterruptedException {
    return java(flags, Compare.class, "--work", "/dev/null/x");
  }

  /** What {@link Compare#heapFixed} says in a JVM started with {@code flags}. */
  private static String heapFixedIn(List<String> flags) throws IOException, InterruptedException {
    Outcome o = java(flags, HeapFixedMain.class);
    assertThat(o.exit()).as(o.out()).isZero();
    return o.out().strip();
  }

  /** Runs {@code main} of this class path in a JVM started with {@code flags}. */
  private static Outcome java(List<String> flags, Class<?> main, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(flags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Outcome(p.exitValue(), out);
  }

  /** Prints {@link Compare#heapFixed} of its JVM. */
  static final class HeapFixedMain {
    public static void main(String[] args) {
      System.out.println(Compare.heapFixed());
    }
  }
}
