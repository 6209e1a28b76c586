package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Starts {@link ConductorChild} processes (each its own JVM, tuned to be light) and watches them:
 * their standard output line by line, their witness file, and signals (SIGKILL, SIGSTOP, SIGCONT).
 * Closing it kills whatever still runs.
 */
final class ConductorProcesses implements AutoCloseable {
  private final Path dir;
  private final List<Child> children = new ArrayList<>();

  /** Children write their standard error to {@code dir/<name>.err}. */
  ConductorProcesses(Path dir) {
    this.dir = dir;
  }

  /**
   * JVM options of a child in a test: quick to start and small (the C1 compiler only), since a test
   * starts up to eight at once on two cores.
   */
  static final List<String> TEST_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1");

  /** Starts a conductor named {@code name} on {@code connection}; does not wait for it. */
  Child start(String connection, String name, int maxJobs, Duration lease) throws IOException {
    return start(connection, name, maxJobs, lease, TEST_JVM);
  }

  /** The same with other JVM options ({@code jvm}) than a test's. */
  Child start(String connection, String name, int maxJobs, Duration lease, List<String> jvm)
      throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xss256k", "-Xmx128m"));
    cmd.addAll(jvm);
    cmd.addAll(
        List.of(
            // logback's start-up chatter would go to standard output, the child's protocol
            "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
            "-cp",
            KillCampaign.childClassPath(),
            ConductorChild.class.getName(),
            connection,
            name,
            String.valueOf(maxJobs),
            String.valueOf(lease.toMillis() / 1000.0)));
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".err").toFile()))
            .start();
    Child c = new Child(name, p, dir.resolve(name + ".err"));
    synchronized (children) {
      children.add(c);
    }
    return c;
  }

  /** Starts the conductors, waits until every one printed READY, then lets them all go. */
  List<Child> startAll(String connection, List<String> names, int maxJobs, Duration lease)
      throws IOException {
    List<Child> started = new ArrayList<>();
    for (String n : names) {
      started.add(start(connection, n, maxJobs, lease));
    }
    for (Child c : started) {
      c.awaitReady();
    }
    for (Child c : started) {
      c.go();
    }
    return started;
  }

  @Override
  public void close() {
    synchronized (children) {
      for (Child c : children) {
        c.process.destroyForcibly(); // SIGKILL ends stopped processes too
      }
      for (Child c : children) {
        try {
          c.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** One conductor process and what it printed. */
  static final class Child {
    final String name;
    final Process process;
    private final Path errLog;
    private final List<String> lines = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger outcomeCount =
        new java.util.concurrent.atomic.AtomicInteger();

    private Child(String name, Process process, Path errLog) {
      this.name = name;
      this.process = process;
      this.errLog = errLog;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l; (l = r.readLine()) != null; ) {
                    if (l.startsWith("OUTCOME ")) {
                      outcomeCount.incrementAndGet();
                    }
                    synchronized (lines) {
                      lines.add(l);
                      lines.notifyAll();
                    }
                  }
                } catch (IOException e) {
                  // the process died: what it printed is kept
                }
              },
              "stdout-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    long pid() {
      return process.pid();
    }

    /** What the process printed so far. */
    List<String> lines() {
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }

    /** The outcomes it printed so far. */
    List<Outcome> outcomes() {
      return lines().stream().filter(l -> l.startsWith("OUTCOME ")).map(Outcome::parse).toList();
    }

    /** How many outcomes it printed so far (cheap to poll, unlike {@link #outcomes}). */
    int outcomeCount() {
      return outcomeCount.get();
    }

    /** Waits for a line matching {@code p}; fails after {@code timeout}, showing the output. */
    String awaitLine(Predicate<String> p, Duration timeout, String what) {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lines) {
        while (true) {
          Optional<String> l = lines.stream().filter(p).findFirst();
          if (l.isPresent()) {
            return l.get();
          }
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            throw new AssertionError(
                name + ": no " + what + " within " + timeout + "; output " + lines + "; " + err());
          }
          try {
            lines.wait(Math.min(left, 200));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
          }
        }
      }
    }

    /** Lets the conductor start claiming. */
    void go() throws IOException {
      send("GO");
    }

    /** Sends a command line to the conductor ({@link ConductorChild}: GO, PAUSE, RESUME). */
    void send(String command) throws IOException {
      process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }

    void awaitReady() {
      // generous: eight JVMs starting at once on two busy cores take their time
      awaitLine(l -> l.startsWith("READY "), Duration.ofSeconds(120), "READY");
    }

    /** Waits for the outcome of the job named {@code jobName}. */
    Outcome awaitOutcome(String jobName, Duration timeout) {
      return Outcome.parse(
          awaitLine(
              l -> l.startsWith("OUTCOME ") && Outcome.parse(l).jobName().equals(jobName),
              timeout,
              "outcome of " + jobName));
    }

    void signal(String sig) throws IOException, InterruptedException {
      Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(pid())).inheritIO().start();
      assertThat(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0)
          .as("kill -%s %s", sig, pid())
          .isTrue();
    }

    /** Closes standard input: the conductor stops gracefully; waits for it to exit. */
    void stopGracefully() throws IOException, InterruptedException {
      process.getOutputStream().close();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(name + " stopped").isTrue();
    }

    /** The tail of its standard error, for failure messages. */
    String err() {
      try {
        String s = Files.readString(errLog);
        return "stderr: " + (s.length() > 4000 ? s.substring(s.length() - 4000) : s);
      } catch (IOException e) {
        return "no stderr";
      }
    }
  }

  /**
   * An {@code OUTCOME} line of a child.
   *
   * @param millis when it was printed
   * @param jobUuid the job
   * @param jobName its name (the witness's job key)
   * @param token the claim's token
   * @param kind COMPLETED, RELEASED, FAILED, TRASHED or DROPPED
   * @param flowState the flow's state, or "null"
   * @param reason why, "-" if none
   */
  record Outcome(
      long millis,
      String jobUuid,
      String jobName,
      long token,
      String kind,
      String flowState,
      String reason) {
    static Outcome parse(String line) {
      String[] f = line.split(" ", 8);
      return new Outcome(Long.parseLong(f[1]), f[2], f[3], Long.parseLong(f[4]), f[5], f[6], f[7]);
    }
  }

  /** The lines of a witness file (none if it does not exist yet). */
  static List<WitnessFlow.Line> witness(Path file) {
    try {
      List<WitnessFlow.Line> out = new ArrayList<>();
      for (String l : Files.readAllLines(file)) {
        if (!l.isEmpty()) {
          out.add(WitnessFlow.Line.parse(l));
        }
      }
      return out;
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new AssertionError("cannot read the witness " + file, e);
    }
  }

  /** Polls {@code condition} every 20 ms until it holds; fails after {@code timeout}. */
  static void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
