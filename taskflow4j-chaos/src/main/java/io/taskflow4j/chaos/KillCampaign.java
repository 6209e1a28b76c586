package io.taskflow4j.chaos;

import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kill campaign: for each backend, runs the chain workload in a child process ({@link
 * ChainChild}), kills it with SIGKILL at a random moment, starts it again to resume, and so on
 * until the flow ends; then audits the store and the exec log. Rounds (a new logbook each) follow
 * one another until the backend has taken the number of kills asked for.
 *
 * <p>The audit of a round checks that the flow is SUCCESS, that every task {@code ti} is SUCCESS
 * with the value {@code i} (so the final value is N), that every task ran at least once, that no
 * task ran again after its SUCCESS was recorded (after each {@code #resume k} marker of the exec
 * log no {@code tj} with {@code j <= k} appears), that each restart re-ran at most one task (the
 * one in flight when it was killed), that a task ran at most {@code kills + 1} times and all
 * re-executions together are at most the number of kills; and that {@link StoreVerifier} finds the
 * store consistent.
 *
 * <p>Kill moments: most kills wait for the child's {@code started} line, then until a random number
 * of further executions (uniform over the tasks left) is in the exec log, then a random part of one
 * task's time, so a kill lands anywhere in a task's write sequence; a share of kills lands earlier,
 * while the child opens the store and loads the flow. Every random choice comes from one seeded
 * generator per backend; the seed is printed so a failing campaign can be replayed.
 *
 * <p><b>Concurrent chains</b> ({@link Builder#chains(int)} with K &gt;= 2): each child runs K
 * chains at once, chain {@code k} in logbook {@code <book>-k} with exec log {@code <log>-k}, each
 * by its own serial engine in its own thread on one shared backend, so that their writes share the
 * SQL backend's group commits and kills land inside groups. The kill point is chosen as above over
 * the tasks left in all chains, counting the executions logged by all chains; the random part of a
 * task's time is that of one chain's task. Each chain is audited as the single chain is (values,
 * every task ran, no re-run after its recorded SUCCESS by the {@code #resume k} markers of its own
 * exec log, at most one re-execution of that chain per restart and re-executions of the chain
 * bounded by the kills of the round), and {@link StoreVerifier} checks the whole store once per
 * round. On a backend without group commit (directory, ZooKeeper) it is still a valid campaign with
 * concurrent writers.
 *
 * <p><b>Parallel fan-out</b> ({@link Builder#fanOut(int)} with W workers): each child runs the
 * fan-out workload (N independent tasks, {@code ti} giving {@code i}) on a parallel engine of W
 * workers, whose workers write each task's result with their next task's RUNNING marker, so kills
 * land inside those joint writes and inside the writes of results a worker held. The audit is the
 * chain's with the recorded SUCCESS set (the {@code #resume k} prefix and its {@code #extra} list)
 * in place of the prefix: no task of it runs again; a restart may re-run up to W tasks (those in
 * flight), re-executions are bounded by W per kill.
 *
 * <p>Command line: {@code KillCampaign [--kills K] [--tasks N] [--chains C] [--fan-out W] [--seed
 * S] [--work DIR] [--parallel P] label=connection ...}, e.g. {@code KillCampaign --kills 250
 * dir=dir:///tmp/c/store sqlite=sqlite:////tmp/c/store.db}.
 */
public final class KillCampaign {
  private static final Logger LOG = LoggerFactory.getLogger(KillCampaign.class);

  /** Placeholder of the child command template: the connection string. */
  public static final String CONNECTION = "{connection}";

  /** Placeholder of the child command template: the logbook name. */
  public static final String BOOK = "{book}";

  /** Placeholder of the child command template: the number of tasks. */
  public static final String TASKS = "{tasks}";

  /** Placeholder of the child command template: the exec log path. */
  public static final String EXEC_LOG = "{log}";

  /**
   * Placeholder of the child command template: the number of chains the child runs at once ({@code
   * 1} in the single-chain mode).
   */
  public static final String CHAINS = "{chains}";

  /** The child's argument for the fan-out mode: {@code fanout=W}. */
  static final String FAN_OUT_ARG = "fanout=";

  /** The number of chains of the concurrent-chains mode when none is given. */
  public static final int DEFAULT_CONCURRENT_CHAINS = 4;

  /** A backend to campaign against. */
  public record Target(String label, String connection) {
    /** Checks both parts. */
    public Target {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(connection, "connection");
    }

    @Override
    public String toString() {
      return label + " (" + io.taskflow4j.persistence.BackendConf.mask(connection) + ")";
    }
  }

  /**
   * What a backend's campaign did and found.
   *
   * @param target the backend
   * @param chains chains per child (1: the single-chain mode)
   * @param seed the seed of its random choices
   * @param kills the kills that landed on a live child
   * @param earlyKills of those, kills before the child reported {@code started}
   * @param groupedKills of those, kills of a child whose last group commit report showed groups
   *     forming (more writes than groups since the report before; concurrent chains on a SQL
   *     backend only)
   * @param rounds flows run to the end
   * @param starts child processes started
   * @param reexecutions task executions beyond the first, over all rounds (and chains)
   * @param groups group commits the children reported (last report of each child; 0 when the
   *     backend has no group commit)
   * @param groupWrites the writes those group commits carried
   * @param millis wall time
   * @param problems every audit failure (empty when the backend passed)
   */
  public record Result(
      Target target,
      int chains,
      long seed,
      int kills,
      int earlyKills,
      int groupedKills,
      int rounds,
      int starts,
      int reexecutions,
      long groups,
      long groupWrites,
      long millis,
      List<String> problems) {
    /** Copies the problem list. */
    public Result {
      problems = List.copyOf(problems);
    }

    /** Whether the audit found nothing. */
    public boolean ok() {
      return problems.isEmpty();
    }

    @Override
    public String toString() {
      return String.format(
          "%-12s %sseed=%d kills=%d (early %d%s) rounds=%d starts=%d re-executions=%d%s time=%ds %s",
          target.label(),
          chains > 1 ? "chains=" + chains + " " : "",
          seed,
          kills,
          earlyKills,
          groups > 0 ? ", amid groups " + groupedKills : "",
          rounds,
          starts,
          reexecutions,
          groups > 0
              ? String.format(" groups=%d writes/group=%.2f", groups, groupWrites / (double) groups)
              : "",
          millis / 1000,
          problems.isEmpty() ? "OK" : "FAILED: " + problems);
    }
  }

  private final int killsPerBackend;
  private final int tasks;
  private final int chains;
  private final int workers; // 0: the chain; W: the fan-out on W parallel workers
  private final long seed;
  private final Path workDir;
  private final List<String> childCommand;
  private final double earlyKillShare;
  private final long childTimeoutMillis;

  private KillCampaign(Builder b) {
    this.killsPerBackend = b.kills;
    this.tasks = b.tasks;
    this.chains = b.chains;
    this.workers = b.workers;
    this.seed = b.seed;
    this.workDir = Objects.requireNonNull(b.workDir, "workDir");
    this.childCommand = List.copyOf(b.childCommand);
    this.earlyKillShare = b.earlyKillShare;
    this.childTimeoutMillis = b.childTimeoutMillis;
  }

  /** A campaign writing its exec logs and child outputs under {@code workDir}. */
  public static Builder builder(Path workDir) {
    return new Builder(workDir);
  }

  /** Configures a {@link KillCampaign}. */
  public static final class Builder {
    private final Path workDir;
    private int kills = 20;
    private int tasks = 300;
    private int chains = 1;
    private int workers;
    private long seed = System.nanoTime();
    private List<String> childCommand = defaultChildCommand();
    private double earlyKillShare = 0.15;
    private long childTimeoutMillis = 120_000;

    private Builder(Path workDir) {
      this.workDir = workDir;
    }

    /** Kills each backend must take (default 20). */
    public Builder kills(int kills) {
      this.kills = kills;
      return this;
    }

    /** Tasks of the chain (default 300). */
    public Builder tasks(int tasks) {
      this.tasks = tasks;
      return this;
    }

    /**
     * Chains each child runs at once (default 1, the single-chain mode); {@code K >= 2} is the
     * concurrent-chains mode (see the class comment; {@link #DEFAULT_CONCURRENT_CHAINS} is the
     * usual K). {@link #tasks(int)} is then the length of each chain.
     */
    public Builder chains(int chains) {
      this.chains = chains;
      return this;
    }

    /**
     * Runs the fan-out workload of {@link #tasks(int)} independent tasks on a parallel engine of
     * {@code workers} workers instead of the chain (see the class comment); single flow only.
     */
    public Builder fanOut(int workers) {
      this.workers = workers;
      return this;
    }

    /** The seed of the random choices (default: from the clock; printed either way). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The child command, with the placeholders {@link #CONNECTION}, {@link #BOOK}, {@link #TASKS}
     * and {@link #EXEC_LOG} (and {@link #CHAINS}, needed by the concurrent-chains mode); it must
     * print {@code started ...} when it runs the flow and exit 0 when the flow ended SUCCESS (see
     * {@link ChainChild}). Default: {@link ChainChild} in a JVM on the current class path.
     */
    public Builder childCommand(List<String> template) {
      this.childCommand = List.copyOf(template);
      return this;
    }

    /** The share of kills aimed before the child reports {@code started} (default 0.15). */
    public Builder earlyKillShare(double share) {
      this.earlyKillShare = share;
      return this;
    }

    /** How long one child may run before the campaign gives up on it (default 120 s). */
    public Builder childTimeoutMillis(long millis) {
      this.childTimeoutMillis = millis;
      return this;
    }

    /** Makes the campaign. */
    public KillCampaign build() {
      if (kills < 0 || tasks < 1 || chains < 1 || workers < 0) {
        throw new IllegalArgumentException(
            "kills must be >= 0, tasks >= 1, chains >= 1 and fan-out workers >= 0");
      }
      if (workers > 0 && chains > 1) {
        throw new IllegalArgumentException("the fan-out mode runs one flow per child, not chains");
      }
      if ((chains > 1 || workers > 0) && childCommand.stream().noneMatch(a -> a.contains(CHAINS))) {
        throw new IllegalArgumentException(
            "the concurrent-chains and fan-out modes need a child command with the placeholder "
                + CHAINS);
      }
      return new KillCampaign(this);
    }
  }

  /** {@link ChainChild} in a JVM tuned to start fast, on this JVM's class path. */
  public static List<String> defaultChildCommand() {
    String cp = childClassPath();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return List.of(
        java,
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-Xshare:auto",
        "-Xmx256m",
        "-cp",
        cp,
        ChainChild.class.getName(),
        CONNECTION,
        BOOK,
        TASKS,
        EXEC_LOG,
        CHAINS);
  }

  /**
   * This JVM's class path (the test class path under surefire) with absolute entries, so that a
   * child JVM started on it may run in any directory.
   */
  static String childClassPath() {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    StringBuilder abs = new StringBuilder();
    for (String e : cp.split(java.io.File.pathSeparator)) {
      if (!e.isEmpty()) {
        abs.append(abs.length() == 0 ? "" : java.io.File.pathSeparator)
            .append(Path.of(e).toAbsolutePath());
      }
    }
    return abs.toString();
  }

  /**
   * {@link #defaultChildCommand()} on a private copy of the class path under {@code into}, so the
   * children of a long campaign keep running the same code even if the jars it was started from are
   * rebuilt or reinstalled meanwhile. The copy's class directories are packed into jars, and one
   * short run of a child on a scratch SQLite store dumps a class-data archive of what a child loads
   * ({@code -XX:ArchiveClassesAtExit}); every child then maps it ({@code -XX:SharedArchiveFile})
   * instead of loading and verifying those classes again, about a fifth of a child's start. Should
   * the archive not be made, the children start without it.
   */
  public static List<String> snapshotChildCommand(Path into) throws IOException {
    List<String> cmd = new ArrayList<>(defaultChildCommand());
    int cpAt = cmd.indexOf("-cp") + 1;
    StringBuilder cp = new StringBuilder();
    int i = 0;
    Files.createDirectories(into);
    for (String e : cmd.get(cpAt).split(java.io.File.pathSeparator)) {
      Path src = Path.of(e);
      if (!Files.exists(src)) {
        continue;
      }
      Path dst =
          into.resolve((i++) + "-" + src.getFileName() + (Files.isDirectory(src) ? ".jar" : ""));
      if (Files.isDirectory(src)) {
        jar(src, dst);
      } else {
        Files.copy(src, dst);
      }
      cp.append(cp.length() == 0 ? "" : java.io.File.pathSeparator).append(dst);
    }
    cmd.set(cpAt, cp.toString());
    Path archive = into.resolve("child.jsa");
    if (dumpClassArchive(cmd, archive, into.resolve("archive-run"))) {
      cmd.add(1, "-XX:SharedArchiveFile=" + archive);
    }
    return cmd;
  }

  /** Packs the files under {@code dir} into the jar {@code jar} (stored, not compressed). */
  private static void jar(Path dir, Path jar) throws IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(dir);
        java.util.jar.JarOutputStream out =
            new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      out.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
      for (Path p : walk.sorted().toList()) {
        String name = dir.relativize(p).toString().replace(java.io.File.separatorChar, '/');
        if (name.isEmpty()) {
          continue;
        }
        boolean isDir = Files.isDirectory(p);
        out.putNextEntry(new java.util.jar.JarEntry(isDir ? name + "/" : name));
        if (!isDir) {
          Files.copy(p, out);
        }
        out.closeEntry();
      }
    }
  }

  /**
   * Runs {@code command} once to its end, a 20-task chain on a SQLite file under {@code work},
   * dumping the classes it loaded into {@code archive}; true when the archive was made.
   */
  private static boolean dumpClassArchive(List<String> command, Path archive, Path work)
      throws IOException {
    Files.createDirectories(work);
    List<String> cmd =
        filled(
            command,
            "sqlite:///" + work.resolve("archive.db").toAbsolutePath(),
            "archive-run",
            20,
            work.resolve("exec.log"),
            "1");
    cmd.add(1, "-XX:ArchiveClassesAtExit=" + archive);
    Process p =
        new ProcessBuilder(cmd)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("output.txt").toFile())
            .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return false;
    }
    return p.exitValue() == 0 && Files.size(archive) > 0;
  }

  /** The seed this campaign uses (backend {@code i} uses {@code seed + i}). */
  public long seed() {
    return seed;
  }

  /** Runs the campaign on every target, {@code parallel} at a time; results in target order. */
  public List<Result> run(List<Target> targets, int parallel) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel));
    try {
      List<Future<Result>> futures = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        Target t = targets.get(i);
        long s = seed + i;
        futures.add(pool.submit(() -> run(t, s)));
      }
      List<Result> out = new ArrayList<>();
      for (Future<Result> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException("the campaign failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs the campaign on one backend with one seed. */
  public Result run(Target target, long seed) throws IOException, InterruptedException {
    LOG.info(
        "kill campaign on {}: seed {}, {} kills, {} tasks, {}",
        target,
        seed,
        killsPerBackend,
        tasks,
        workers > 0 ? "fan-out on " + workers + " workers" : chains + " chain(s)");
    Random rng = new Random(seed);
    long t0 = System.nanoTime();
    List<String> problems = new ArrayList<>();
    Stats st = new Stats();
    int round = 0;
    do {
      round++;
      String book = "chaos-" + target.label() + "-" + seed + "-r" + round;
      Path log = workDir.resolve(target.label() + "-" + seed + "-r" + round + ".log");
      List<Path> logs = execLogs(log);
      for (Path l : logs) {
        Files.deleteIfExists(l);
      }
      int killsBefore = st.kills;
      String failure = runRound(target, book, log, logs, rng, st);
      if (failure != null) {
        problems.add("round " + round + ": " + failure);
        break;
      }
      List<String> found =
          chains == 1
              ? audit(target, book, log, st.kills - killsBefore, st)
              : auditChains(target, book, log, st.kills - killsBefore, st);
      for (String p : found) {
        problems.add("round " + round + ": " + p);
      }
      if (!problems.isEmpty()) {
        break;
      }
    } while (st.kills < killsPerBackend);
    Result r =
        new Result(
            target,
            chains,
            seed,
            st.kills,
            st.earlyKills,
            st.groupedKills,
            round,
            st.starts,
            st.reexecutions,
            st.groups,
            st.groupWrites,
            (System.nanoTime() - t0) / 1_000_000,
            problems);
    LOG.info("{}", r);
    return r;
  }

  /** Mutable counters of one backend's campaign. */
  static final class Stats {
    int kills;
    int earlyKills;
    int groupedKills;
    int starts;
    int reexecutions;
    long groups;
    long groupWrites;
    double msPerTask = 3.0;
    long startupMillis = 800;
  }

  /** The exec logs of a round: {@code log} itself, or {@code <log>-k} for each chain k. */
  private List<Path> execLogs(Path log) {
    if (chains == 1) {
      return List.of(log);
    }
    List<Path> out = new ArrayList<>();
    for (int k = 1; k <= chains; k++) {
      out.add(Path.of(ChainChild.chainLog(log.toString(), k)));
    }
    return out;
  }

  /**
   * Starts, kills and restarts the child until the flow (every chain's) ends; a failure message or
   * null.
   */
  private String runRound(
      Target target, String book, Path log, List<Path> logs, Random rng, Stats st)
      throws IOException, InterruptedException {
    int roundKills = 0;
    while (true) {
      boolean mayKill = roundKills < Math.max(3 * killsPerBackend, 30);
      boolean early = mayKill && rng.nextDouble() < earlyKillShare;
      long earlyDelay = early ? (long) (rng.nextDouble() * st.startupMillis) : 0;
      double fraction = rng.nextDouble();
      double jitter = rng.nextDouble();
      Child child = Child.start(command(target, book, log), workDir, book + "-" + st.starts);
      st.starts++;
      boolean killed = false;
      try {
        if (early) {
          if (!child.process.waitFor(earlyDelay, TimeUnit.MILLISECONDS)) {
            killed = kill(child);
            if (killed) {
              st.earlyKills++;
            }
          }
        } else {
          String started = child.awaitStarted(childTimeoutMillis);
          if (started == null) {
            if (child.process.isAlive()) {
              kill(child);
              return "child did not start in "
                  + childTimeoutMillis
                  + " ms; output:\n"
                  + child.output();
            }
          } else if (mayKill) {
            st.startupMillis = (st.startupMillis * 3 + child.startedAfterMillis()) / 4;
            int remaining = Integer.parseInt(started.split(" ")[1]);
            // Aim at a random task of those left: wait until that many more executions are
            // logged, then a random part of one task's time, so the kill lands anywhere in the
            // write sequence of a task (before, during or after its result is recorded).
            // With concurrent chains, `remaining` counts the tasks left in all chains and the
            // executions are counted in all exec logs; one chain's task takes about `chains`
            // times the interval between two logged executions.
            int aim = 1 + (int) (fraction * Math.max(1, remaining));
            killed = killAfter(child, logs, aim, (long) (jitter * 2 * st.msPerTask * chains), st);
          }
        }
        if (!killed) {
          if (!child.process.waitFor(childTimeoutMillis, TimeUnit.MILLISECONDS)) {
            kill(child);
            return "child did not end in time; output:\n" + child.output();
          }
          int exit = child.process.exitValue();
          if (exit != 0) {
            return "child exited with status " + exit + "; output:\n" + child.output();
          }
          return null;
        }
        roundKills++;
        st.kills++;
        if (child.groupsFormingAtKill()) {
          st.groupedKills++;
        }
      } finally {
        child.close();
        child.addGroupCounts(st);
      }
    }
  }

  /**
   * Waits until {@code executions} more task lines are in the exec log (or the child ends), then
   * {@code jitterMillis}, then kills; true when the kill landed on a live child.
   */
  private static boolean killAfter(
      Child child, List<Path> logs, int executions, long jitterMillis, Stats st)
      throws IOException, InterruptedException {
    LogCounter counter = new LogCounter(logs);
    int base = counter.count();
    long last = System.nanoTime();
    int seen = base;
    while (child.process.isAlive() && seen - base < executions) {
      Thread.sleep(1);
      int now = counter.count();
      if (now > seen) {
        long t = System.nanoTime();
        double per = (t - last) / 1e6 / (now - seen);
        st.msPerTask = st.msPerTask * 0.9 + per * 0.1;
        last = t;
        seen = now;
      }
    }
    if (jitterMillis > 0 && child.process.waitFor(jitterMillis, TimeUnit.MILLISECONDS)) {
      return false;
    }
    return child.process.isAlive() && kill(child);
  }

  /** Counts the task lines of growing exec logs (all chains'), reading only what was appended. */
  private static final class LogCounter {
    private final List<OneLog> logs = new ArrayList<>();

    LogCounter(List<Path> logs) {
      for (Path l : logs) {
        this.logs.add(new OneLog(l));
      }
    }

    int count() throws IOException {
      int n = 0;
      for (OneLog l : logs) {
        n += l.count();
      }
      return n;
    }
  }

  /** Counts the task lines of one growing exec log, reading only what was appended. */
  private static final class OneLog {
    private final Path log;
    private long offset;
    private int count;

    OneLog(Path log) {
      this.log = log;
    }

    int count() throws IOException {
      if (!Files.exists(log)) {
        return count;
      }
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log)) {
        long size = ch.size();
        if (size <= offset) {
          return count;
        }
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - offset));
        ch.read(buf, offset);
        buf.flip();
        int lastNewline = -1;
        boolean lineStart = true;
        boolean taskLine = false;
        for (int i = 0; i < buf.limit(); i++) {
          byte c = buf.get(i);
          if (lineStart) {
            taskLine = c == 't';
            lineStart = false;
          }
          if (c == '\n') {
            if (taskLine) {
              count++;
            }
            lastNewline = i;
            lineStart = true;
          }
        }
        offset += lastNewline + 1;
        return count;
      }
    }
  }

  /** SIGKILLs the child; true when it was still running (the kill landed). */
  private static boolean kill(Child child) throws InterruptedException {
    child.process.destroyForcibly();
    child.process.waitFor(30, TimeUnit.SECONDS);
    // A child that ended on its own in the meantime exited 0 (or with its own error status).
    return child.process.exitValue() == 137 || child.process.exitValue() == 128 + 9;
  }

  private List<String> command(Target target, String book, Path log) {
    return filled(
        childCommand,
        target.connection(),
        book,
        tasks,
        log,
        workers > 0 ? FAN_OUT_ARG + workers : String.valueOf(chains));
  }

  /** A child command {@code template} with its placeholders replaced. */
  static List<String> filled(
      List<String> template, String connection, String book, int tasks, Path log, String chains) {
    List<String> cmd = new ArrayList<>(template.size());
    for (String s : template) {
      cmd.add(
          s.replace(CONNECTION, connection)
              .replace(BOOK, book)
              .replace(TASKS, String.valueOf(tasks))
              .replace(EXEC_LOG, log.toString())
              .replace(CHAINS, chains));
    }
    return cmd;
  }

  /** Checks a finished round; returns what is wrong (empty when nothing). */
  List<String> audit(Target target, String book, Path log, int kills, Stats st) throws IOException {
    List<String> out = new ArrayList<>();
    try (Backend backend = Backends.fetch(target.connection());
        Connection c = backend.getConnection()) {
      if (!auditFlow(c, book, out)) {
        return out;
      }
      verifyStore(c, out);
    }
    auditLog(Files.readAllLines(log, StandardCharsets.UTF_8), kills, st, out);
    return out;
  }

  /**
   * Checks a finished round of the concurrent-chains mode: each chain {@code k} (logbook {@code
   * <book>-k}, exec log {@code <log>-k}) as {@link #audit} checks the single chain, the {@code
   * kills} of the round bounding each chain's re-executions, and the whole store once; returns what
   * is wrong (empty when nothing), each problem of a chain prefixed with {@code chain k: }.
   */
  List<String> auditChains(Target target, String book, Path log, int kills, Stats st)
      throws IOException {
    List<String> out = new ArrayList<>();
    try (Backend backend = Backends.fetch(target.connection());
        Connection c = backend.getConnection()) {
      for (int k = 1; k <= chains; k++) {
        List<String> chainOut = new ArrayList<>();
        auditFlow(c, ChainChild.chainBook(book, k), chainOut);
        for (String p : chainOut) {
          out.add("chain " + k + ": " + p);
        }
      }
      verifyStore(c, out);
    }
    List<List<String>> logs = new ArrayList<>();
    for (int k = 1; k <= chains; k++) {
      Path l = Path.of(ChainChild.chainLog(log.toString(), k));
      if (Files.exists(l)) {
        logs.add(Files.readAllLines(l, StandardCharsets.UTF_8));
      } else {
        out.add("chain " + k + ": no exec log " + l.getFileName());
        logs.add(List.of());
      }
    }
    auditChainLogs(logs, kills, st, out);
    return out;
  }

  /**
   * The exec log checks of each chain of a concurrent-chains round ({@code logs.get(k - 1)} is
   * chain k's), each with the round's {@code kills}: a restart may re-run one task of every chain,
   * so each chain's re-executions are bounded by the kills, not their sum.
   */
  void auditChainLogs(List<List<String>> logs, int kills, Stats st, List<String> out) {
    for (int k = 1; k <= logs.size(); k++) {
      List<String> chainOut = new ArrayList<>();
      auditLog(logs.get(k - 1), kills, st, chainOut);
      for (String p : chainOut) {
        out.add("chain " + k + ": " + p);
      }
    }
  }

  /**
   * The store checks of one chain's flow (logbook {@code book}): problems go to {@code out}; false
   * when there is no flow to check further.
   */
  private boolean auditFlow(Connection c, String book, List<String> out) {
    LogBook found = null;
    for (LogBook b : c.getLogBooks(true)) {
      if (b.name().equals(book)) {
        if (found != null) {
          out.add("two logbooks named " + book);
        }
        found = b;
      }
    }
    if (found == null) {
      out.add("no logbook named " + book);
      return false;
    }
    List<FlowDetail> flows = c.getFlowsForBook(found.uuid());
    if (flows.size() != 1) {
      out.add("logbook " + book + " holds " + flows.size() + " flow details, not 1");
      if (flows.isEmpty()) {
        return false;
      }
    }
    FlowDetail fd = flows.get(0);
    if (fd.state() != FlowState.SUCCESS) {
      out.add("flow is " + fd.state() + ", not SUCCESS");
    }
    // the chain's tasks, beside which the engine may keep the atom holding stored values
    long chainAtoms = fd.atoms().stream().filter(a -> a.name().matches("t[0-9]+")).count();
    if (chainAtoms != tasks) {
      out.add("flow has " + chainAtoms + " chain tasks, not " + tasks);
    }
    for (int i = 1; i <= tasks; i++) {
      String name = "t" + i;
      AtomDetail ad = fd.findByName(name).orElse(null);
      if (ad == null) {
        out.add(name + " is not recorded");
        continue;
      }
      if (ad.state() != AtomState.SUCCESS) {
        out.add(name + " is " + ad.state() + ", not SUCCESS");
      }
      Object v = ad instanceof TaskDetail td ? td.results() : null;
      if (!(v instanceof Number n) || n.longValue() != i) {
        out.add(name + " recorded the value " + v + ", not " + i);
      }
    }
    return true;
  }

  private static void verifyStore(Connection c, List<String> out) {
    Report report = StoreVerifier.verify(c);
    if (!report.ok()) {
      out.add("store verification: " + report);
    }
  }

  /**
   * The exec log checks (see the class comment). The chain records its tasks in order, so a start
   * finds a prefix done and re-runs at most the one task in flight when the start before it was
   * killed. The fan-out records any set of them ({@code #extra} after the prefix), and a kill may
   * lose at most the tasks in flight, one per worker: of the tasks a start ran, at most that many
   * are not recorded when the next start looks. (A restart may re-run more than that: the tasks a
   * start killed early re-ran and lost again, with those it lost of its own.)
   */
  void auditLog(List<String> lines, int kills, Stats st, List<String> out) {
    Map<Integer, Integer> runs = new HashMap<>();
    int segment = -1;
    int recordedPrefix = 0;
    java.util.Set<Integer> recorded = java.util.Set.of(); // what the current start found done
    int segmentRepeats = 0;
    int total = 0;
    int inFlight = Math.max(1, workers);
    List<java.util.Set<Integer>> ranPerStart = new ArrayList<>();
    List<java.util.Set<Integer>> recordedPerStart = new ArrayList<>();
    for (int ln = 0; ln < lines.size(); ln++) {
      String line = lines.get(ln);
      if (line.startsWith("#resume ")) {
        segment++;
        recordedPrefix = Integer.parseInt(line.substring(8).trim());
        segmentRepeats = 0;
        ranPerStart.add(new java.util.HashSet<>());
        recorded = new java.util.HashSet<>();
        for (int k = 1; k <= recordedPrefix; k++) {
          recorded.add(k);
        }
        recordedPerStart.add(recorded);
        continue;
      }
      if (line.startsWith("#extra ")) {
        if (workers == 0) {
          out.add("line " + (ln + 1) + ": tasks recorded SUCCESS out of chain order: " + line);
        } else if (segment >= 0) {
          for (String t : line.substring(7).trim().split(",")) {
            recorded.add(Integer.parseInt(t));
          }
        }
        continue;
      }
      if (!line.matches("t[0-9]+")) {
        out.add("line " + (ln + 1) + " of the exec log is not a task name: '" + line + "'");
        continue;
      }
      int i = Integer.parseInt(line.substring(1));
      if (i < 1 || i > tasks) {
        out.add("line " + (ln + 1) + ": unknown task " + line);
        continue;
      }
      total++;
      if (segment < 0) {
        out.add("line " + (ln + 1) + ": an execution before any start marker");
      }
      if (recorded.contains(i)) {
        out.add(
            "line "
                + (ln + 1)
                + ": "
                + line
                + " ran again after its SUCCESS was recorded (start "
                + segment
                + " found t1..t"
                + recordedPrefix
                + (recorded.size() == recordedPrefix
                    ? ""
                    : " and " + (recorded.size() - recordedPrefix) + " more")
                + " done)");
      }
      if (segment >= 0) {
        ranPerStart.get(segment).add(i);
      }
      int before = runs.merge(i, 1, Integer::sum) - 1;
      if (before > 0 && workers == 0) {
        segmentRepeats++;
        if (segmentRepeats > 1) {
          out.add("start " + segment + " re-ran more than one task (" + line + " is the second)");
        }
      }
    }
    for (int s = 0; workers > 0 && s + 1 < ranPerStart.size(); s++) {
      java.util.Set<Integer> lost = new java.util.TreeSet<>(ranPerStart.get(s));
      lost.removeAll(recordedPerStart.get(s + 1));
      if (lost.size() > workers) {
        out.add(
            "start "
                + s
                + " lost "
                + lost.size()
                + " tasks it ran to its kill, more than one per worker ("
                + workers
                + "): "
                + lost);
      }
    }
    for (int i = 1; i <= tasks; i++) {
      int n = runs.getOrDefault(i, 0);
      if (n == 0) {
        out.add("t" + i + " never ran");
      } else if (n - 1 > kills) {
        out.add("t" + i + " ran " + n + " times with only " + kills + " kills");
      }
    }
    int re = total - runs.size();
    if (re > (long) kills * inFlight) {
      out.add(
          re
              + " re-executions with only "
              + kills
              + " kills"
              + (workers > 0 ? " of " + workers + " tasks in flight" : ""));
    }
    st.reexecutions += re;
  }

  /** A running child with its output captured line by line. */
  private static final class Child implements AutoCloseable {
    final Process process;
    final long startNanos = System.nanoTime();
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<String> started = new CompletableFuture<>();
    volatile long startedNanos;
    final Thread reader;

    private Child(Process p) {
      this.process = p;
      this.reader =
          DaemonThreads.start(
              "chaos-child-reader",
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("started ") && !started.isDone()) {
                      startedNanos = System.nanoTime();
                      started.complete(line);
                    }
                  }
                } catch (IOException e) {
                  // the child was killed: its pipe closed
                } finally {
                  started.complete(null);
                }
              });
    }

    static Child start(List<String> command, Path workDir, String name) throws IOException {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.directory(workDir.toFile());
      return new Child(pb.start());
    }

    String awaitStarted(long timeoutMillis) throws InterruptedException {
      try {
        return started.get(timeoutMillis, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        return null;
      }
    }

    long startedAfterMillis() {
      return (startedNanos - startNanos) / 1_000_000;
    }

    String output() throws InterruptedException {
      reader.join(5_000);
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    /**
     * Whether the killed child's last group commit report showed groups forming: more writes than
     * group commits since the report before (or since the backend opened). The reports come every
     * 100 ms, so this says groups were forming just before the kill, not that one was cut.
     */
    boolean groupsFormingAtKill() throws InterruptedException {
      reader.join(5_000);
      long[] prev = {0, 0};
      long[] last = null;
      synchronized (lines) {
        for (String l : lines) {
          long[] r = parseGroups(l);
          if (r != null) {
            prev = last != null ? last : prev;
            last = r;
          }
        }
      }
      return last != null && last[1] - prev[1] > last[0] - prev[0];
    }

    /** {@code [groups, writes]} of a {@code groups <groups> <writes>} line, or null. */
    private static long[] parseGroups(String line) {
      if (!line.startsWith("groups ")) {
        return null;
      }
      String[] f = line.split(" ");
      if (f.length != 3) {
        return null;
      }
      try {
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
      } catch (NumberFormatException e) {
        return null; // a line cut by the kill
      }
    }

    /**
     * Adds the child's last group commit report ({@code groups <groups> <writes>}, printed by a
     * concurrent-chains child on a SQL backend) to the campaign's counts.
     */
    void addGroupCounts(Stats st) throws InterruptedException {
      reader.join(5_000);
      long[] last = null;
      synchronized (lines) {
        for (String l : lines) {
          long[] r = parseGroups(l);
          if (r != null) {
            last = r;
          }
        }
      }
      if (last != null) {
        st.groups += last[0];
        st.groupWrites += last[1];
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  /**
   * Runs a campaign from the command line and exits 0 when every backend passed.
   *
   * @param args {@code [--kills K] [--tasks N] [--chains C] [--fan-out W] [--seed S] [--work DIR]
   *     [--parallel P] label=connection ...}
   */
  public static void main(String[] args) throws IOException {
    int kills = 20;
    int tasks = 300;
    int chains = 1;
    int workers = 0;
    Long seed = null;
    Path work = null;
    int parallel = 1;
    Map<String, String> targets = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--kills" -> kills = Integer.parseInt(args[++i]);
        case "--tasks" -> tasks = Integer.parseInt(args[++i]);
        case "--chains" -> chains = Integer.parseInt(args[++i]);
        case "--fan-out" -> workers = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--parallel" -> parallel = Integer.parseInt(args[++i]);
        default -> {
          int eq = args[i].indexOf('=');
          if (eq <= 0) {
            System.err.println(
                "usage: KillCampaign [--kills K] [--tasks N] [--chains C] [--fan-out W] [--seed S]"
                    + " [--work DIR] [--parallel P] label=connection ...");
            System.exit(2);
          }
          targets.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
      }
    }
    if (work == null) {
      work = Files.createTempDirectory("taskflow4j-chaos");
    }
    Files.createDirectories(work);
    Builder b = builder(work).kills(kills).tasks(tasks).chains(chains).fanOut(workers);
    if (seed != null) {
      b.seed(seed);
    }
    KillCampaign campaign = b.build();
    System.out.println("kill campaign: seed " + campaign.seed() + ", work " + work);
    List<Target> list = new ArrayList<>();
    targets.forEach((k, v) -> list.add(new Target(k, v)));
    boolean ok = true;
    for (Result r : campaign.run(list, parallel)) {
      System.out.println(r);
      ok &= r.ok();
    }
    System.exit(ok ? 0 : 1);
  }
}
