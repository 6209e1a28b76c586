package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file board and the dir store's fences across real processes: a claim dies with its process
 * (taken over at once, with a higher token) and survives its process being paused; a fence advanced
 * by one process stops another's writes.
 */
@Timeout(120)
@EnabledOnOs({OS.LINUX, OS.MAC})
class FileJobboardProcessTest {
  @TempDir Path tmp;
  private Process child;
  private final List<Process> children = new ArrayList<>();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private String store() {
    return tmp.resolve("store").toString();
  }

  @AfterEach
  void killChild() throws InterruptedException {
    for (Process p : children) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The other process: claims a job and holds it, or writes under a fence until refused. */
  public static final class Child {
    private Child() {}

    /**
     * Arguments: {@code claim <store> <job>}, {@code drain <store>} (claim and complete until the
     * board is empty) or {@code write <store> <job> <token> <atom>}.
     */
    public static void main(String[] args) throws Exception {
      String mode = args[0];
      String path = args[1];
      if (mode.equals("drain")) {
        try (Jobboard board =
            Jobboards.open(
                Map.of("connection", "dir", "path", path, "lease", Duration.ofSeconds(5)))) {
          System.out.println("READY");
          System.out.flush();
          OwnerId me = OwnerId.generate("child");
          for (Optional<Claim> c = board.claimNext(me); c.isPresent(); c = board.claimNext(me)) {
            System.out.println("DID " + c.get().job().uuid());
            c.get().complete();
          }
          System.out.println("DRAINED");
        }
      } else if (mode.equals("claim")) {
        Jobboard board =
            Jobboards.open(
                Map.of("connection", "dir", "path", path, "lease", Duration.ofSeconds(1)));
        Claim c = board.claim(args[2], OwnerId.generate("child")).orElseThrow();
        System.out.println("CLAIMED " + c.token() + " " + c.owner().id());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
      } else {
        try (Backend b = Backends.open(Map.of("connection", "dir", "path", path));
            Connection c = b.getConnection()) {
          Connection fenced = c.fenced(new Fence(args[2], Long.parseLong(args[3])));
          for (long i = 0; ; i++) {
            AtomDetail cur = c.getAtomDetails(args[4]);
            try {
              fenced.updateAtomDetails(cur.withMeta(Map.of("i", i)));
            } catch (FencedException e) {
              System.out.println("FENCED " + i);
              return;
            }
            System.out.println("WROTE " + i);
          }
        }
      }
    }
  }

  private Process start(String... args) throws IOException {
    return start(lines, args);
  }

  private Process start(BlockingQueue<String> out, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String[] cmd = new String[args.length + 6];
    cmd[0] = java;
    cmd[1] = "-XX:TieredStopAtLevel=1";
    cmd[2] = "-XX:+UseSerialGC";
    cmd[3] = "-cp";
    cmd[4] = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    cmd[5] = Child.class.getName();
    System.arraycopy(args, 0, cmd, 6, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    children.add(p);
    child = p;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                  out.add(l);
                }
              } catch (IOException ignored) {
                // the child was killed
              }
            },
            "child-output");
    reader.setDaemon(true);
    reader.start();
    return p;
  }

  /** The next line of the child starting with {@code prefix} (others skipped). */
  private String expect(String prefix) throws InterruptedException {
    return expect(lines, prefix);
  }

  private static String expect(BlockingQueue<String> lines, String prefix)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    StringBuilder seen = new StringBuilder();
    while (System.nanoTime() < deadline) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null && l.startsWith(prefix)) {
        return l;
      }
      if (l != null && seen.length() < 4000) {
        seen.append(l).append('\n');
      }
    }
    throw new AssertionError("the child never printed '" + prefix + "'; it printed:\n" + seen);
  }

  private Jobboard board() {
    return Jobboards.open(
        Map.of("connection", "dir", "path", store(), "lease", Duration.ofSeconds(1)));
  }

  private static void signal(Process p, String sig) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertThat(k.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(k.exitValue()).as("kill -%s", sig).isZero();
  }

  @Test
  void aKilledOwnersJobIsTakenOverWithinASecondWithAHigherToken() throws Exception {
    try (Jobboard board = board()) {
      Job job = board.post(JobSpec.of("j", null, "f"));
      start("claim", store(), job.uuid());
      String[] claimed = expect("CLAIMED ").split(" ");
      long childToken = Long.parseLong(claimed[1]);
      assertThat(board.claim(job.uuid(), OwnerId.generate("parent"))).isEmpty();
      assertThat(board.job(job.uuid()).orElseThrow().owner()).isEqualTo(claimed[2]);

      long killed = System.nanoTime();
      child.destroyForcibly();
      Optional<Claim> taken = Optional.empty();
      while (taken.isEmpty() && System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(1)) {
        taken = board.claim(job.uuid(), OwnerId.generate("parent"));
        if (taken.isEmpty()) {
          Thread.sleep(2);
        }
      }
      long tookMicros = (System.nanoTime() - killed) / 1000;
      assertThat(taken).as("taken over within 1 s of SIGKILL").isPresent();
      assertThat(taken.get().token()).isGreaterThan(childToken);
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      System.out.println(
          "takeover after SIGKILL: " + tookMicros + " us (from kill request to claim)");
      taken.get().complete();
    }
  }

  @Test
  void aPausedOwnerKeepsItsClaimPastItsLeaseUntilItResumes() throws Exception {
    try (Jobboard board = board()) {
      Job job = board.post(JobSpec.of("j", null, "f"));
      start("claim", store(), job.uuid());
      String[] claimed = expect("CLAIMED ").split(" ");
      signal(child, "STOP");
      try {
        // three lease times paused: a lease-based board would hand the job out by now
        long until = System.nanoTime() + board.leaseTime().multipliedBy(3).toNanos();
        int attempts = 0;
        while (System.nanoTime() < until) {
          assertThat(board.claim(job.uuid(), OwnerId.generate("parent"))).isEmpty();
          assertThat(board.claimNext(OwnerId.generate("parent"))).isEmpty();
          attempts++;
          assertThat(board.awaitWork(Duration.ofMillis(100))).isFalse();
        }
        assertThat(attempts).isGreaterThan(5);
        Job seen = board.job(job.uuid()).orElseThrow();
        assertThat(seen.state()).isEqualTo(JobState.CLAIMED);
        assertThat(seen.owner()).isEqualTo(claimed[2]);
      } finally {
        signal(child, "CONT");
      }
      assertThat(board.claim(job.uuid(), OwnerId.generate("parent"))).isEmpty();
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Claim taken = board.claim(job.uuid(), OwnerId.generate("parent")).orElseThrow();
      assertThat(taken.token()).isGreaterThan(Long.parseLong(claimed[1]));
      taken.complete();
    }
  }

  @Test
  void aFenceAdvancedByOneProcessStopsAnothersWritesAtOnce() throws Exception {
    TaskDetail atom = TaskDetail.create("a");
    String job = java.util.UUID.randomUUID().toString();
    try (Backend b = Backends.open(Map.of("connection", "dir", "path", store()));
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(atom)));
      c.advanceFence(new Fence(job, 1));
      start("write", store(), job, "1", atom.uuid());
      expect("WROTE 20");
      c.advanceFence(new Fence(job, 2));
      Object atAdvance = c.getAtomDetails(atom.uuid()).meta().get("i");
      String fenced = expect("FENCED ");
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Object last = c.getAtomDetails(atom.uuid()).meta().get("i");
      assertThat(last).as("no write landed after the advance returned").isEqualTo(atAdvance);
      assertThat(Long.parseLong(fenced.split(" ")[1])).isEqualTo(((Number) last).longValue() + 1);
      assertThat(c.fenceToken(job)).hasValue(2);
    }
  }

  @Test
  void processesDrainingOneBoardTogetherNeverRunAJobTwice() throws Exception {
    int jobs = 60;
    Set<String> posted = new HashSet<>();
    try (Jobboard board = board()) {
      for (int i = 0; i < jobs; i++) {
        posted.add(board.post(JobSpec.of("j" + i, null, "f")).uuid());
      }
      List<BlockingQueue<String>> outs =
          List.of(new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>());
      List<Process> drainers = new ArrayList<>();
      for (BlockingQueue<String> out : outs) {
        drainers.add(start(out, "drain", store()));
        expect(out, "READY");
      }
      long started = System.nanoTime();
      List<String> done = new ArrayList<>();
      List<Integer> perProcess = new ArrayList<>();
      OwnerId me = OwnerId.generate("parent");
      for (Optional<Claim> c = board.claimNext(me); c.isPresent(); c = board.claimNext(me)) {
        done.add(c.get().job().uuid());
        c.get().complete();
      }
      perProcess.add(done.size());
      for (int i = 0; i < drainers.size(); i++) {
        assertThat(drainers.get(i).waitFor(60, TimeUnit.SECONDS)).isTrue();
        for (String l : outs.get(i)) {
          if (l.startsWith("DID ")) {
            done.add(l.substring(4));
          }
        }
        assertThat(outs.get(i)).contains("DRAINED");
        perProcess.add(done.size() - perProcess.stream().mapToInt(Integer::intValue).sum());
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(done).doesNotHaveDuplicates();
      assertThat(new HashSet<>(done)).isEqualTo(posted);
      assertThat(board.jobs()).isEmpty();
      System.out.println(
          "3 processes drained "
              + jobs
              + " jobs (claim + complete) in "
              + ms
              + " ms, per process "
              + perProcess);
    }
  }
}
