package io.taskflow4j.bench.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.taskflow4j.bench.BenchStore;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The side-by-side comparison: taskflow4j, TaskFlow 5 and Spring Batch on the same workloads, on
 * the same machine, in one run. Prints a table of per-task times and speed-ups, and writes every
 * number as JSON.
 *
 * <ul>
 *   <li>taskflow4j (the measuring JVM, {@link #heapFlags}): the chain and the fan-out of {@code
 *       io.taskflow4j.workloads} with no backend, {@code memory://}, a directory and a SQLite file
 *       (each with {@code durability=process} and {@code power}), the chain on PostgreSQL ({@code
 *       process} and {@code power}) and the fan-out on PostgreSQL ({@code power}); and {@code
 *       fanout64}, the fan-out with 64 tasks in flight (a parallel engine of 64 workers), on SQLite
 *       and PostgreSQL at {@code durability=power}. JIT warm-up first, then the median of up to 5
 *       runs (3 at N = 10,000, 1 at 100,000); each run with a backend is followed by a resume of
 *       the finished flow.
 *   <li>TaskFlow 5 (Python, {@code taskflow_compare.py}): the same workloads on none, memory, dir
 *       and SQLite; a size is skipped when the smaller sizes predict a run over {@code
 *       --max-peer-seconds} (60): by their growth exponent, or from one size by the exponent of the
 *       reference measurement ({@link #taskflowGrowth}).
 *   <li>Spring Batch 5 (its own JVM, {@link SpringBatchChain}): the chain as a job of N tasklet
 *       steps with its JDBC job repository on SQLite and on PostgreSQL.
 *   <li>The disk's fsync rate in the work directory, for the durable runs, and each store's bare
 *       limit ({@link BareStores}): one chain task's writes in a loop straight through SQLite,
 *       PostgreSQL and TaskFlow's directory layout, without taskflow4j, at the start and again just
 *       after taskflow4j's chain at its largest N on the same store ({@link #bareAfter}). The rate
 *       is measured again just before and just after each durable measurement, which is judged
 *       against the higher of the two ({@link #AROUND_SYNC_SECONDS}): a virtual disk's rate can
 *       fall several-fold within minutes, so the rate of the run's start says little about a
 *       measurement twenty minutes later.
 * </ul>
 *
 * <p>Options: {@code --quick} (N = 100, 300 and 1,000 only), {@code --sizes 100,300,1000,10000}
 * (the default), {@code --tf4j-sizes 100000} (extra sizes for taskflow4j alone, default 100000
 * unless quick), {@code --out FILE} (JSON, default {@code compare-results.json}), {@code --work
 * DIR}, {@code --python PATH}, {@code --postgresql postgresql://user@host:port} (a database is
 * created there and dropped), {@code --no-taskflow}, {@code --no-spring-batch}, {@code
 * --no-postgresql}, {@code --workloads chain,fanout,fanout64} (the default), {@code
 * --max-peer-seconds S}, {@code --extra-store NAME=CONNECTION} (another backend for taskflow4j
 * alone, e.g. {@code zookeeper=zookeeper://127.0.0.1:2181/{db}}; repeatable), {@code --no-fork}
 * (measure in this JVM as it was started; by default the harness runs itself again in a JVM with a
 * fixed heap, touched first, unless this one has one: {@link #heapFlags}).
 */
public final class Compare {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The harness's options. */
  static final class Options {
    boolean quick;
    List<Integer> sizes = List.of(100, 300, 1000, 10000);
    List<Integer> tf4jSizes = List.of(100_000);
    Path out = Path.of("compare-results.json");
    Path work;
    String python =
        Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    String postgresql = "postgresql://postgres@127.0.0.1:5432";
    boolean taskflow = true;
    boolean springBatch = true;
    boolean pg = true;
    List<String> workloads = Tf4jSide.WORKLOADS;
    double maxPeerSeconds = 60;
    double syncSeconds = 3;
    boolean warmUp = true;
    boolean fork = true;
    List<Tf4jSide.Store> extraStores = new ArrayList<>();

    static Options parse(String... args) {
      Options o = new Options();
      boolean tf4jSizesGiven = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--quick" -> o.quick = true;
          case "--sizes" -> o.sizes = ints(value(args, ++i, a));
          case "--tf4j-sizes" -> {
            String v = value(args, ++i, a);
            o.tf4jSizes = v.isBlank() || v.equals("none") ? List.of() : ints(v);
            tf4jSizesGiven = true;
          }
          case "--out" -> o.out = Path.of(value(args, ++i, a));
          case "--work" -> o.work = Path.of(value(args, ++i, a));
          case "--python" -> o.python = value(args, ++i, a);
          case "--postgresql" -> o.postgresql = value(args, ++i, a).replaceAll("/+$", "");
          case "--no-taskflow" -> o.taskflow = false;
          case "--no-spring-batch" -> o.springBatch = false;
          case "--no-postgresql" -> o.pg = false;
          case "--workloads" -> o.workloads = List.of(value(args, ++i, a).split(","));
          case "--max-peer-seconds" -> o.maxPeerSeconds = Double.parseDouble(value(args, ++i, a));
          case "--sync-seconds" -> o.syncSeconds = Double.parseDouble(value(args, ++i, a));
          case "--no-warmup" -> o.warmUp = false;
          case "--no-fork" -> o.fork = false;
          case "--extra-store" -> {
            String v = value(args, ++i, a);
            int eq = v.indexOf('=');
            if (eq < 1 || eq == v.length() - 1) {
              throw new IllegalArgumentException(
                  "--extra-store takes NAME=CONNECTION, e.g."
                      + " zookeeper=zookeeper://127.0.0.1:2181/{db}, not '"
                      + v
                      + "'");
            }
            o.extraStores.add(new Tf4jSide.Store(v.substring(0, eq), "-", v.substring(eq + 1)));
          }
          case "-h", "--help" -> throw new IllegalArgumentException("help");
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
      }
      if (o.quick) {
        o.sizes = o.sizes.stream().filter(n -> n <= 1000).toList();
        if (!tf4jSizesGiven) {
          o.tf4jSizes = List.of();
        }
      }
      for (String w : o.workloads) {
        if (!Tf4jSide.WORKLOADS.contains(w)) {
          throw new IllegalArgumentException(
              "unknown workload '" + w + "': use " + String.join(", ", Tf4jSide.WORKLOADS));
        }
      }
      return o;
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static List<Integer> ints(String csv) {
      try {
        List<Integer> out =
            Arrays.stream(csv.split(","))
                .map(String::strip)
                .map(Integer::parseInt)
                .sorted()
                .toList();
        if (out.stream().anyMatch(n -> n < 1)) {
          throw new IllegalArgumentException("sizes must be at least 1: " + csv);
        }
        return out;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a comma-separated list of sizes: '" + csv + "'");
      }
    }
  }

  private final Options opt;
  private final List<Result> results = new ArrayList<>();

  /**
   * The bare loops measured again just after taskflow4j's chain at its largest N ({@link
   * #bareAfter}).
   */
  private final List<BareStores.Limit> bareAfter = new ArrayList<>();

  Compare(Options opt) {
    this.opt = opt;
  }

  /** Runs the comparison; see the class comment for the options. */
  public static void main(String[] args) throws Exception {
    Options opt;
    try {
      opt = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage().equals("help") ? "" : "compare: " + e.getMessage());
      System.err.println(
          "usage: Compare [--quick] [--sizes 100,300,1000,10000] [--tf4j-sizes 100000]"
              + " [--out FILE] [--work DIR] [--python PATH]"
              + " [--postgresql postgresql://user@host:port] [--no-taskflow] [--no-spring-batch]"
              + " [--no-postgresql] [--workloads chain,fanout,fanout64] [--max-peer-seconds 60]"
              + " [--extra-store NAME=CONNECTION] [--no-fork]");
      System.exit(2);
      return;
    }
    if (opt.fork && !heapFixed() && !Boolean.getBoolean(FORKED)) {
      System.exit(runForked(args));
      return;
    }
    Path work;
    try {
      work = opt.work != null ? opt.work : Files.createTempDirectory("tf4j-compare");
      Files.createDirectories(work);
    } catch (IOException e) {
      System.err.println(
          "compare: cannot use "
              + (opt.work != null ? opt.work : "a temporary directory")
              + " as the work directory ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "): give --work a directory that can be made and written");
      System.exit(2);
      return;
    }
    Path trash = work.resolve("discarded");
    BenchStore.deferDeletes(trash); // nothing deleted until everything is measured
    Compare c = new Compare(opt);
    Report report = c.run(work);
    System.out.println();
    System.out.println(report.table());
    Path out = opt.out.toAbsolutePath();
    JSON.writeValue(out.toFile(), report.toJson());
    System.out.println("JSON: " + out);
    BenchStore.deferDeletes(null);
    BenchStore.deleteTree(trash); // after the report: deleting the stores can take minutes
    if (opt.work == null) {
      BenchStore.deleteTree(work);
    }
    System.exit(0);
  }

  /**
   * The flags of the JVM the harness measures in: a heap of fixed size, touched before the first
   * measurement. In a JVM whose heap grows as it goes, a run that grows it pays for the kernel
   * zeroing the new pages: the chain on {@code memory://} spent 28% of its samples in the kernel's
   * {@code clear_page_erms} at N = 10,000 and ran at 16 µs per task, against 2.5 in a JVM started
   * with these flags; the sizes measured later, on a grown heap, did not pay it, which made the
   * flatness figure a measure of the heap's growth. (JMH forks its measurements for the same kind
   * of reason.)
   */
  static List<String> heapFlags(long physicalBytes) {
    long mb = forkHeapMb(physicalBytes);
    return List.of("-Xms" + mb + "m", "-Xmx" + mb + "m", "-XX:+AlwaysPreTouch");
  }

  /**
   * Set in the child JVM ({@link #childCommand}): it measures whatever its heap turned out to be,
   * and never starts another.
   */
  static final String FORKED = "taskflow4j.compare.forked";

  /** The fixed heap of the measuring JVM: 4 GB, or a quarter of the machine's memory if less. */
  static long forkHeapMb(long physicalBytes) {
    long quarter = physicalBytes <= 0 ? 4096 : physicalBytes / 4 / (1024 * 1024);
    return Math.max(512, Math.min(4096, quarter));
  }

  /** Whether this JVM's heap is fixed and touched ({@link #heapFlags}): then it measures. */
  static boolean heapFixed() {
    List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return args.contains("-XX:+AlwaysPreTouch") && heap.getInit() == heap.getMax();
  }

  /**
   * The command that runs the harness again in a JVM with {@link #heapFlags}: this JVM's own
   * options except its heap's size and touching, this class path, the same arguments.
   */
  static List<String> childCommand(
      String javaHome,
      List<String> jvmArgs,
      String classPath,
      long physicalBytes,
      List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(javaHome, "bin", "java").toString());
    for (String a : jvmArgs) {
      if (!a.startsWith("-Xms")
          && !a.startsWith("-Xmx")
          && !a.startsWith("-XX:InitialHeapSize=")
          && !a.startsWith("-XX:MaxHeapSize=")
          && !a.equals("-XX:-AlwaysPreTouch")) {
        cmd.add(a);
      }
    }
    cmd.addAll(heapFlags(physicalBytes));
    cmd.add("-D" + FORKED + "=true");
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(Compare.class.getName());
    cmd.addAll(args);
    return cmd;
  }

  /** Runs the harness in a child JVM ({@link #childCommand}) and returns its exit code. */
  private static int runForked(String[] args) throws IOException, InterruptedException {
    long physical =
        ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getTotalMemorySize()
            : 0;
    List<String> cmd =
        childCommand(
            System.getProperty("java.home"),
            ManagementFactory.getRuntimeMXBean().getInputArguments(),
            System.getProperty("java.class.path"),
            physical,
            List.of(args));
    log(
        "measuring in a JVM with a fixed heap, touched first: "
            + String.join(" ", heapFlags(physical))
            + " (--no-fork: measure in this one)");
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    // A harness stopped by a signal stops its measuring JVM too.
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    return p.waitFor();
  }

  /** Runs every measurement the options ask for, in {@code work}. */
  Report run(Path work) throws IOException {
    Map<String, Object> machine = machine(work, opt);
    log("machine: " + machine);
    log("measuring the disk's sync rate in the work directory ...");
    DiskSync.Rate sync = DiskSync.measure(work, opt.syncSeconds);
    log(
        String.format(
            Locale.ROOT,
            "  overwrite+fsync %.0f/s, overwrite+fdatasync %.0f/s, append+fsync %.0f/s",
            sync.fsyncsPerSecond(),
            sync.fdatasyncsPerSecond(),
            sync.appendSyncsPerSecond()));
    List<BareStores.Limit> bare = bareLimits(work);
    runTaskflow4j(work);
    if (opt.taskflow) {
      runTaskFlow(work);
    }
    if (opt.springBatch) {
      runSpringBatch(work);
    }
    machine.put(
        "load_average_end", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    List<BareStores.Limit> limits = new ArrayList<>(bare);
    limits.addAll(bareAfter);
    return new Report(results, sync, limits, machine);
  }

  /**
   * The stores' bare limits ({@link BareStores}) in {@code work}: SQLite, the directory at both
   * durabilities (each its best chain) and PostgreSQL when a server is there. A loop that fails is
   * logged and left out.
   */
  private List<BareStores.Limit> bareLimits(Path work) {
    log("measuring the stores' bare limits (their own write paths, no taskflow4j) ...");
    List<BareStores.Limit> out = new ArrayList<>();
    String[][] loops = {{"sqlite", "power"}, {"dir", "process"}, {"dir", "power"}};
    List<String[]> all = new ArrayList<>(List.of(loops));
    if (opt.pg) {
      all.add(new String[] {"postgresql", "power"});
    }
    for (String[] loop : all) {
      try {
        BareStores.Limit l = bareLoop(work, loop[0], loop[1], opt.pg).get();
        log(
            String.format(
                Locale.ROOT,
                "  %s (%s): %.0f tasks/s (%.3f ms/task)",
                l.store(),
                l.durability(),
                l.tasksPerSecond(),
                l.msPerTask()));
        out.add(l);
      } catch (RuntimeException e) {
        log("  a bare loop failed, left out: " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * The bare loop ({@link BareStores}) of a store of the harness, measured for {@link
   * Options#syncSeconds} when called, or {@code null} when the store has none: SQLite and
   * PostgreSQL at {@code power} (PostgreSQL only when {@code pg}), the directory at both
   * durabilities.
   */
  private java.util.function.Supplier<BareStores.Limit> bareLoop(
      Path work, String backend, String durability, boolean pg) {
    boolean power = durability.equals("power");
    double seconds = opt.syncSeconds;
    return switch (backend) {
      case "sqlite" -> power ? () -> BareStores.sqlite(work, seconds) : null;
      case "dir" ->
          power || durability.equals("process") ? () -> BareStores.dir(work, power, seconds) : null;
      case "postgresql" ->
          power && pg ? () -> BareStores.postgresql(opt.postgresql, seconds) : null;
      default -> null;
    };
  }

  /**
   * The bare loop of {@code s} ({@link #bareLoop}) measured again just after taskflow4j's chain at
   * its largest N, {@code n}, with the disk's sync rate just before and after it at {@code power}
   * ({@link #aroundSyncRate}): the loops of the run's start may have met the disk, or the file
   * system, in another state than the chain twenty minutes later (the directory's bare loop ran at
   * 557 µs per task at one run's start, after a deletion, and the chain at 134 µs later). Empty for
   * a store without a bare loop, or when the loop fails.
   */
  private java.util.Optional<BareStores.Limit> bareAfter(
      Path work, Tf4jSide.Store s, int n, boolean pgUp) {
    java.util.function.Supplier<BareStores.Limit> loop =
        bareLoop(work, s.backend(), s.durability(), pgUp);
    if (loop == null) {
      return java.util.Optional.empty(); // no bare loop, or an extra store of the caller's
    }
    log(String.format("  %s (%s): its bare loop again ...", s.backend(), s.durability()));
    try {
      BareStores.Limit out =
          aroundSyncRate(work, s, () -> loop.get().after(n, Double.NaN), (l, f) -> l.after(n, f));
      log(
          String.format(
              Locale.ROOT, "  %.0f tasks/s (%.3f ms/task)", out.tasksPerSecond(), out.msPerTask()));
      return java.util.Optional.of(out);
    } catch (RuntimeException e) {
      log("  the bare loop failed, left out: " + e.getMessage());
      return java.util.Optional.empty();
    }
  }

  static Map<String, Object> machine(Path work, Options opt) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", Instant.now().toString());
    m.put("mode", opt.quick ? "quick" : "full");
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    m.put("heap_fixed", heapFixed());
    m.put(
        "jdk",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    m.put(
        "load_average_start", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    try {
      var store = Files.getFileStore(work);
      m.put("work_filesystem", store.type() + " on " + store.name());
    } catch (IOException e) {
      m.put("work_filesystem", "unknown");
    }
    return m;
  }

  // ---- taskflow4j ----------------------------------------------------------------------------

  /**
   * The warm-up before the first size of each workload and store, in seconds: until the store's
   * code is compiled (see {@link Tf4jSide#measure(String, Tf4jSide.Store, int, int, double,
   * double)}).
   */
  static final double FIRST_WARM_UP_SECONDS = 8;

  /** The tasks the timed runs at one size of a store without a disk add up to (at most). */
  static final int IN_MEMORY_TASKS = 100_000;

  /**
   * How many timed runs measure {@code store} at size {@code n} (fewer once 20 s are spent). A
   * store on a disk: 5 up to N = 1,000, 3 up to 10,000, then 1. Without a disk (none, {@code
   * memory://}) a run at N = 1,000 takes a few milliseconds, and the median of 5 such runs moved by
   * 2–3x from one harness run to the next, which is what the flatness goal divides by: so as many
   * runs as add up to {@link #IN_MEMORY_TASKS} tasks (100 at N = 1,000), at least 5, and 3 at N =
   * 100,000. (Not more tasks than that: a {@code memory://} store keeps every run's flow, and more
   * of them would slow the later runs.)
   */
  static int timedRuns(Tf4jSide.Store store, int n) {
    if (store.template() == null || store.template().startsWith("memory:")) {
      return n >= IN_MEMORY_TASKS ? 3 : Math.max(5, IN_MEMORY_TASKS / n);
    }
    return n <= 1000 ? 5 : n <= 10_000 ? 3 : 1;
  }

  /**
   * How long the disk's sync rate is measured just before and just after each durable
   * (durability=power) measurement, in seconds. On the harness's virtual machines the rate fell
   * from about 9,000 to about 1,500 syncs/s within fifteen minutes of syncing and stayed there (the
   * disk's burst allowance spent, apparently): against the rate of the run's start, a later
   * measurement read as a small fraction of a limit the disk no longer had.
   */
  static final double AROUND_SYNC_SECONDS = 1;

  /**
   * Measures {@code what} and, for a durable store, the disk's sync rate just before and just after
   * it in {@code work}: what it measured, given the higher of the two by {@code withRate} (the
   * stricter for the goals).
   */
  private <T> T aroundSyncRate(
      Path work,
      Tf4jSide.Store s,
      java.util.function.Supplier<T> what,
      java.util.function.BiFunction<T, Double, T> withRate) {
    if (!s.durability().equals("power")) {
      return what.get();
    }
    double before = DiskSync.measure(work, AROUND_SYNC_SECONDS).syncsPerSecond();
    T r = what.get();
    double after = DiskSync.measure(work, AROUND_SYNC_SECONDS).syncsPerSecond();
    log(
        String.format(
            Locale.ROOT, "  sync rate around it: %.0f/s before, %.0f/s after", before, after));
    return withRate.apply(r, Math.max(before, after));
  }

  private void runTaskflow4j(Path work) {
    if (opt.warmUp) {
      log("taskflow4j: JIT warm-up ...");
      // fanout64 runs the fan-out's code: warmed once, with the fan-out.
      for (String wl : opt.workloads.stream().map(Tf4jSide::flowOf).distinct().toList()) {
        Tf4jSide.measure(wl, Tf4jSide.NONE, 1000, 20, 5, false);
        Tf4jSide.measure(wl, Tf4jSide.MEMORY, 1000, 10, 5, false);
      }
    }
    boolean pgUp = opt.pg && postgresAvailable();
    for (String wl : opt.workloads) {
      for (Tf4jSide.Store s : stores(wl, pgUp ? opt.postgresql : null, opt.extraStores)) {
        boolean first = true;
        List<Integer> sizes = tf4jSizes(s);
        for (int n : sizes) {
          int runs = timedRuns(s, n);
          log(String.format("taskflow4j %s %s (%s) N=%d ...", wl, s.backend(), s.durability(), n));
          // The store's code compiled before its first size; the later ones only need a touch.
          double warmUp = !opt.warmUp ? 0 : first ? FIRST_WARM_UP_SECONDS : 1;
          first = false;
          Result r;
          try {
            r =
                aroundSyncRate(
                    work,
                    s,
                    () -> Tf4jSide.measure(wl, s, n, runs, 20, warmUp),
                    Result::withSyncRate);
          } catch (RuntimeException e) {
            r =
                Result.skipped(
                    Report.TF4J, wl, s.backend(), s.durability(), n, "failed: " + e.getMessage());
          }
          log("  " + summary(r));
          results.add(r);
          if (wl.equals("chain") && n == Collections.max(sizes) && r.measured()) {
            bareAfter(work, s, n, pgUp).ifPresent(bareAfter::add);
          }
        }
      }
    }
  }

  /**
   * The stores taskflow4j runs {@code workload} on: the chain and the fan-out on no backend, {@code
   * memory://}, a directory and a SQLite file at both durabilities; the chain on PostgreSQL at both
   * and the fan-out at {@code power}; {@code fanout64} on SQLite and PostgreSQL at {@code power}
   * only (what its goal is about), and on no backend (the engine alone: the ceiling of that goal).
   * {@code postgresql} is the server, or null when there is none; the extra stores come with every
   * workload.
   */
  static List<Tf4jSide.Store> stores(
      String workload, String postgresql, List<Tf4jSide.Store> extraStores) {
    List<Tf4jSide.Store> out = new ArrayList<>();
    if (workload.equals(Tf4jSide.FANOUT64)) {
      // No store: what the engine alone does, the ceiling of the durable runs' goal.
      out.add(Tf4jSide.NONE);
      out.add(Tf4jSide.sqlite("power"));
    } else {
      out.add(Tf4jSide.NONE);
      out.add(Tf4jSide.MEMORY);
      out.add(Tf4jSide.dir("process"));
      out.add(Tf4jSide.sqlite("process"));
      out.add(Tf4jSide.dir("power"));
      out.add(Tf4jSide.sqlite("power"));
    }
    out.addAll(extraStores);
    if (postgresql != null) {
      if (workload.equals("chain")) {
        out.add(Tf4jSide.postgresql(postgresql, "process"));
      }
      out.add(Tf4jSide.postgresql(postgresql, "power"));
    }
    return out;
  }

  /** The sizes taskflow4j runs on a store: all, plus the extra ones where a run stays short. */
  private List<Integer> tf4jSizes(Tf4jSide.Store s) {
    List<Integer> out = new ArrayList<>(opt.sizes);
    boolean durable = s.durability().equals("power") || s.backend().equals("postgresql");
    for (int n : opt.tf4jSizes) {
      // The durable stores cost an fsync or a commit per write: 100,000 tasks take minutes there.
      if (!durable && !out.contains(n)) {
        out.add(n);
      }
    }
    if (durable) {
      out.removeIf(n -> n > 10_000);
    }
    return out;
  }

  private boolean postgresAvailable() {
    try (BenchStore s = BenchStore.create(opt.postgresql + "/{db}")) {
      return true;
    } catch (RuntimeException e) {
      log("PostgreSQL skipped: " + e.getMessage());
      results.add(
          Result.skipped(
              Report.TF4J, "chain", "postgresql", "power", 0, "no server: " + e.getMessage()));
      return false;
    }
  }

  // ---- TaskFlow ------------------------------------------------------------------------------

  private void runTaskFlow(Path work) throws IOException {
    Path script = work.resolve("taskflow_compare.py");
    try (InputStream in = Compare.class.getResourceAsStream("/taskflow_compare.py")) {
      if (in == null) {
        throw new IllegalStateException("taskflow_compare.py is missing from the classpath");
      }
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
    }
    PeerProcess.Outcome probe =
        PeerProcess.run(
            List.of(opt.python, "-c", "import json, taskflow; print(json.dumps({'ok': 1}))"),
            work,
            60);
    if (probe.json() == null) {
      String why =
          "TaskFlow not importable with "
              + opt.python
              + " ("
              + probe.error()
              + "); install python3-taskflow";
      log(why);
      results.add(Result.skipped(Report.TASKFLOW, "chain", "none", "-", 0, why));
      return;
    }
    for (String wl : opt.workloads) {
      if (wl.equals(Tf4jSide.FANOUT64)) {
        continue; // taskflow4j only: TaskFlow's parallel engine is run with its default pool
      }
      for (String backend : List.of("none", "memory", "dir", "sqlite")) {
        String durability =
            backend.equals("dir") ? "process" : backend.equals("sqlite") ? "power" : "-";
        List<Result> done = new ArrayList<>();
        for (int n : opt.sizes) {
          double est = estimate(done, n, taskflowGrowth(wl, backend));
          if (est > opt.maxPeerSeconds) {
            Result r =
                Result.skipped(
                    Report.TASKFLOW,
                    wl,
                    backend,
                    durability,
                    n,
                    String.format(Locale.ROOT, "skipped: a run would take about %.0f s", est));
            log("TaskFlow " + wl + " " + backend + " N=" + n + ": " + r.note());
            results.add(r);
            continue;
          }
          int runs = opt.quick || !(est < 10) ? 1 : 3;
          log(
              String.format(
                  "TaskFlow %s %s N=%d (%d run%s) ...", wl, backend, n, runs, runs > 1 ? "s" : ""));
          Path dir = work.resolve("taskflow-" + wl + "-" + backend + "-" + n);
          double limit = Math.max(120, 4 * opt.maxPeerSeconds * runs);
          PeerProcess.Outcome o =
              PeerProcess.run(
                  List.of(
                      opt.python,
                      script.toString(),
                      "--workload",
                      wl,
                      "--backend",
                      backend,
                      "--n",
                      Integer.toString(n),
                      "--runs",
                      Integer.toString(runs),
                      "--keep",
                      "--dir",
                      dir.toString()),
                  work,
                  limit);
          Result r =
              o.json() == null
                  ? Result.skipped(
                      Report.TASKFLOW, wl, backend, durability, n, "failed: " + o.error())
                  : new Result(
                      Report.TASKFLOW,
                      wl,
                      backend,
                      durability,
                      n,
                      o.doubles("run_s"),
                      o.doubles("resume_s"),
                      "");
          log("  " + summary(r));
          results.add(r);
          if (r.measured()) {
            done.add(r);
          }
          BenchStore.discard(dir);
        }
      }
    }
  }

  /**
   * The expected seconds of a run of {@code n} tasks from the runs of smaller sizes: with two,
   * their growth exponent (between 1 and 3); with one, {@code prior}, the exponent seen in the
   * reference measurements; with none, 0.
   */
  static double estimate(List<Result> done, int n, double prior) {
    if (done.isEmpty()) {
      return 0;
    }
    Result last = done.get(done.size() - 1);
    double exponent = prior;
    if (done.size() >= 2) {
      Result prev = done.get(done.size() - 2);
      exponent =
          Math.log(last.runMedian() / prev.runMedian()) / Math.log((double) last.n() / prev.n());
    }
    exponent = Math.max(1, Math.min(3, exponent));
    return last.runMedian() * Math.pow((double) n / last.n(), exponent);
  }

  /**
   * How TaskFlow's run time grew from N = 100 to 1,000 in its reference measurement: the engine is
   * O(N²) on the chain, which dominates without persistence; per-call costs dominate elsewhere.
   */
  static double taskflowGrowth(String workload, String backend) {
    if (!workload.equals("chain")) {
      return 1.2;
    }
    return switch (backend) {
      case "none", "memory" -> 1.9;
      case "dir" -> 1.3;
      default -> 1.15;
    };
  }

  /** How Spring Batch's run time grew from N = 100 to 1,000 in its reference measurement. */
  static final double SPRING_BATCH_GROWTH = 1.15;

  // ---- Spring Batch --------------------------------------------------------------------------

  private void runSpringBatch(Path work) {
    List<String> dbs = new ArrayList<>(List.of("sqlite"));
    if (opt.pg && results.stream().noneMatch(r -> r.note().startsWith("no server"))) {
      dbs.add("postgresql");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    for (String db : dbs) {
      List<Result> done = new ArrayList<>();
      for (int n : opt.sizes) {
        if (n > 10_000) {
          continue;
        }
        double est = estimate(done, n, SPRING_BATCH_GROWTH);
        if (est > opt.maxPeerSeconds) {
          Result r =
              Result.skipped(
                  Report.SPRING_BATCH,
                  "chain",
                  db,
                  "power",
                  n,
                  String.format(Locale.ROOT, "skipped: a run would take about %.0f s", est));
          log("Spring Batch " + db + " N=" + n + ": " + r.note());
          results.add(r);
          continue;
        }
        int runs = opt.quick || !(est < 10) ? 1 : 3;
        int warmup = est < 20 ? 1 : 0;
        log(String.format("Spring Batch %s N=%d (%d warm-up, %d timed) ...", db, n, warmup, runs));
        Path dir = work.resolve("springbatch-" + db + "-" + n);
        Result r;
        BenchStore pg = null;
        try {
          Files.createDirectories(dir);
          List<String> cmd =
              new ArrayList<>(
                  List.of(
                      java,
                      "-Xmx2g",
                      "-cp",
                      cp,
                      SpringBatchChain.class.getName(),
                      "--db",
                      db,
                      "--n",
                      Integer.toString(n),
                      "--warmup",
                      Integer.toString(warmup),
                      "--runs",
                      Integer.toString(runs)));
          if (db.equals("sqlite")) {
            cmd.addAll(List.of("--url", "jdbc:sqlite:" + dir.resolve("sb.db").toAbsolutePath()));
          } else {
            pg = BenchStore.create(opt.postgresql + "/{db}");
            URI u = URI.create(pg.uri());
            cmd.addAll(
                List.of(
                    "--url",
                    "jdbc:postgresql://"
                        + u.getHost()
                        + ":"
                        + (u.getPort() < 0 ? 5432 : u.getPort())
                        + u.getPath()));
            if (u.getUserInfo() != null) {
              cmd.addAll(List.of("--user", u.getUserInfo().split(":", 2)[0]));
            }
          }
          double limit = Math.max(180, 4 * opt.maxPeerSeconds * (runs + warmup));
          PeerProcess.Outcome o = PeerProcess.run(cmd, dir, limit);
          r =
              o.json() == null
                  ? Result.skipped(
                      Report.SPRING_BATCH, "chain", db, "power", n, "failed: " + o.error())
                  : new Result(
                      Report.SPRING_BATCH,
                      "chain",
                      db,
                      "power",
                      n,
                      o.doubles("run_s"),
                      List.of(),
                      "");
        } catch (IOException | RuntimeException e) {
          r =
              Result.skipped(
                  Report.SPRING_BATCH, "chain", db, "power", n, "failed: " + e.getMessage());
        } finally {
          if (pg != null) {
            pg.close();
          }
          BenchStore.discard(dir);
        }
        log("  " + summary(r));
        results.add(r);
        if (r.measured()) {
          done.add(r);
        }
      }
    }
  }

  private static String summary(Result r) {
    if (!r.measured()) {
      return r.note();
    }
    String resume =
        r.resumeSeconds().isEmpty()
            ? ""
            : String.format(Locale.ROOT, ", resume %.4f s", r.resumeMedian());
    return String.format(
        Locale.ROOT,
        "%d run(s), median %.4f s = %.4f ms/task%s",
        r.runSeconds().size(),
        r.runMedian(),
        r.msPerTask(),
        resume);
  }

  private static void log(String s) {
    System.err.println(s);
    System.err.flush();
  }
}
