package io.taskflow4j.bench.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The comparison's table and goals, from the measured {@link Result}s: taskflow4j against TaskFlow
 * at equal durability, durable runs against the disk's sync rate F, and taskflow4j against Spring
 * Batch on the same database.
 */
public final class Report {
  /** The system names. */
  public static final String TF4J = "taskflow4j";

  /** TaskFlow (Python). */
  public static final String TASKFLOW = "taskflow";

  /** Spring Batch. */
  public static final String SPRING_BATCH = "spring-batch";

  /** A goal's or a part's status: reached. */
  public static final String MET = "met";

  /** A goal's or a part's status: measured and missed. */
  public static final String NOT_MET = "NOT met";

  /** A goal's or a part's status: not (completely) measured in this run. */
  public static final String NOT_MEASURED = "not measured";

  /**
   * The durable chain's goal per store: tasks/s as a fraction of the disk's sync rate F, at the
   * store's largest N ({@code durability=power}).
   */
  static final Map<String, Double> DURABLE_CHAIN_MIN =
      orderedMap("sqlite", 0.70, "postgresql", 0.50, "dir", 0.50);

  /** The durable fan-out's goal (default pool): tasks/s as a multiple of F, per store. */
  static final Map<String, Double> DURABLE_FANOUT_MIN =
      orderedMap("sqlite", 4.0, "postgresql", 4.0);

  /** The durable fan-out with 64 tasks in flight: tasks/s as a multiple of F, per store. */
  static final Map<String, Double> DURABLE_FANOUT64_MIN =
      orderedMap("sqlite", 8.0, "postgresql", 8.0);

  /** The directory store's chain at {@code durability=process}: at most this, µs per task. */
  static final double DIR_CHAIN_MAX_US = 150;

  /** The sizes at which the directory store's chain must be {@link #DIR_VS_TASKFLOW_MIN} faster. */
  static final List<Integer> DIR_VS_TASKFLOW_SIZES = List.of(100, 300, 1000);

  /** How many times faster than TaskFlow's directory store the chain must run on taskflow4j's. */
  static final double DIR_VS_TASKFLOW_MIN = 10;

  /** The workloads, in the order of the tables ({@code fanout64} is taskflow4j's alone). */
  private static final List<String> WORKLOADS = List.of("chain", "fanout", Tf4jSide.FANOUT64);

  /** The TaskFlow rows: taskflow4j's backend and durability matched with TaskFlow's. */
  private static final List<String[]> TASKFLOW_ROWS =
      List.of(
          new String[] {"none", "-", "-", "none"},
          new String[] {"memory", "-", "-", "memory"},
          // TaskFlow never syncs its files: compared with durability=process.
          new String[] {"dir", "process", "process", "dir (process)"},
          // TaskFlow's SQLite commits are synced (synchronous=FULL): compared with power.
          new String[] {"sqlite", "power", "power", "sqlite (power)"},
          // Shown for information: taskflow4j less durable than the peer here.
          new String[] {"sqlite", "process", "power", "sqlite (process)*"});

  private final List<Result> results;
  private final DiskSync.Rate sync;
  private final List<BareStores.Limit> bare;
  private final Map<String, Object> machine;

  /** A report over {@code results}; {@code sync} may be null when it was not measured. */
  public Report(List<Result> results, DiskSync.Rate sync, Map<String, Object> machine) {
    this(results, sync, List.of(), machine);
  }

  /**
   * A report over {@code results} with the stores' bare limits measured in the same run ({@link
   * BareStores}; empty when not measured); {@code sync} may be null when it was not measured.
   */
  public Report(
      List<Result> results,
      DiskSync.Rate sync,
      List<BareStores.Limit> bare,
      Map<String, Object> machine) {
    this.results = List.copyOf(results);
    this.sync = sync;
    this.bare = List.copyOf(bare);
    this.machine = machine == null ? Map.of() : new LinkedHashMap<>(machine);
  }

  /**
   * The bare limit of this store and durability, if any: the one measured last (just after
   * taskflow4j's chain on the store, when it was measured again there), else the run's start's.
   */
  public Optional<BareStores.Limit> bareLimit(String store, String durability) {
    return bare.stream()
        .filter(l -> l.store().equals(store) && l.durability().equals(durability))
        .max(java.util.Comparator.comparingInt(BareStores.Limit::afterN));
  }

  /**
   * A bare limit's tasks/s as a fraction of the sync rate it was measured at: the rate measured
   * around it, else the run's start's; NaN when neither is known.
   */
  double fractionOfF(BareStores.Limit l) {
    double f =
        !Double.isNaN(l.syncsPerSecond())
            ? l.syncsPerSecond()
            : sync == null ? Double.NaN : sync.syncsPerSecond();
    return l.tasksPerSecond() / f;
  }

  /**
   * What {@code workload} can reach on {@code store} at {@code durability=power} on this machine,
   * as a multiple of F, or NaN when unknown: for the chain the store's bare limit over the rate F
   * it was measured at ({@link #fractionOfF}); for the fan-outs the same fan-out on no store at the
   * same size (the engine alone, which any store only slows) over {@code f}, the rate the durable
   * run was measured at.
   */
  double limitInF(String workload, String store, int n, double f) {
    if (workload.equals("chain")) {
      return bareLimit(store, "power").map(this::fractionOfF).orElse(Double.NaN);
    }
    return find(TF4J, workload, "none", "-", n)
        .filter(Result::measured)
        .map(r -> r.tasksPerSecond() / f)
        .orElse(Double.NaN);
  }

  /**
   * The disk's sync rate F that {@code r} is judged against: the rate measured around it when there
   * is one ({@link Result#syncsPerSecond}), else the rate of the run's start; NaN when neither was
   * measured.
   */
  public double syncRateOf(Result r) {
    if (!Double.isNaN(r.syncsPerSecond())) {
      return r.syncsPerSecond();
    }
    return sync == null ? Double.NaN : sync.syncsPerSecond();
  }

  /** The result of a configuration, if any. */
  public Optional<Result> find(
      String system, String workload, String backend, String durability, int n) {
    return of(system, workload, backend, durability).filter(r -> r.n() == n).findFirst();
  }

  /** The results of a system's workload on this store and durability, of every size. */
  private java.util.stream.Stream<Result> of(
      String system, String workload, String backend, String durability) {
    return results.stream()
        .filter(
            r ->
                r.system().equals(system)
                    && r.workload().equals(workload)
                    && r.backend().equals(backend)
                    && r.durability().equals(durability));
  }

  /** How many times faster {@code fast} ran than {@code slow} (median runs), or NaN. */
  public static double speedUp(Optional<Result> slow, Optional<Result> fast) {
    if (slow.isEmpty() || fast.isEmpty() || !slow.get().measured() || !fast.get().measured()) {
      return Double.NaN;
    }
    return slow.get().runMedian() / fast.get().runMedian();
  }

  /** As {@link #speedUp} for the median resumes. */
  public static double resumeSpeedUp(Optional<Result> slow, Optional<Result> fast) {
    if (slow.isEmpty() || fast.isEmpty()) {
      return Double.NaN;
    }
    return slow.get().resumeMedian() / fast.get().resumeMedian();
  }

  /**
   * The tasks/s this machine's cores allow at {@code r}'s CPU cost per task, as a multiple of F, or
   * NaN when the CPU time, the core count or F is unknown.
   */
  public double cpuBoundInF(Result r) {
    Object cores = machine.get("cores");
    if (!(cores instanceof Number c) || !r.measured()) {
      return Double.NaN;
    }
    return c.doubleValue() * 1e6 / r.cpuMicrosPerTask() / syncRateOf(r);
  }

  /**
   * {@code limit} as a goal part's limit, or NaN when taskflow4j's own {@code value} beat it: a
   * bare loop that taskflow4j outran on this machine did not show what the machine allows.
   */
  static double asLimit(double value, double limit, boolean atMost) {
    if (Double.isNaN(value) || Double.isNaN(limit)) {
      return limit;
    }
    return (atMost ? value < limit : value > limit) ? Double.NaN : limit;
  }

  /**
   * The fraction of the disk's sync limit a durable run reaches: tasks/s over the syncs/s it is
   * judged against ({@link #syncRateOf}).
   */
  public double syncFraction(Result r) {
    if (!r.measured()) {
      return Double.NaN;
    }
    return r.tasksPerSecond() / syncRateOf(r);
  }

  private TreeSet<Integer> sizes(String workload, String backend, String durability) {
    TreeSet<Integer> out = new TreeSet<>();
    for (Result r : results) {
      if (r.workload().equals(workload)
          && r.backend().equals(backend)
          && (r.system().equals(TF4J) ? r.durability().equals(durability) : true)) {
        out.add(r.n());
      }
    }
    return out;
  }

  /** The printable table. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "taskflow4j vs TaskFlow 5 (median wall time per run / N; speed-up = TaskFlow /"
            + " taskflow4j)\n");
    String head =
        String.format(
            "%-8s %-18s %7s %12s %12s %9s %11s %11s %9s%n",
            "workload",
            "backend",
            "N",
            "tf4j ms/task",
            "TF ms/task",
            "speed-up",
            "tf4j resume",
            "TF resume",
            "speed-up");
    sb.append(head).append("-".repeat(head.length() - 1)).append('\n');
    for (String wl : WORKLOADS) {
      for (String[] row : TASKFLOW_ROWS) {
        for (int n : sizes(wl, row[0], row[1])) {
          Optional<Result> mine = find(TF4J, wl, row[0], row[1], n);
          Optional<Result> peer = find(TASKFLOW, wl, row[0], row[2], n);
          if (mine.isEmpty() && peer.isEmpty()) {
            continue;
          }
          sb.append(
              String.format(
                  "%-8s %-18s %7d %12s %12s %9s %11s %11s %9s%n",
                  wl,
                  row[3],
                  n,
                  msPerTask(mine),
                  msPerTask(peer),
                  times(speedUp(peer, mine)),
                  seconds(mine.map(Result::resumeMedian)),
                  seconds(peer.map(Result::resumeMedian)),
                  times(resumeSpeedUp(peer, mine))));
        }
      }
    }
    sb.append("* taskflow4j with durability=process against TaskFlow's synced SQLite commits.\n");
    sb.append(
        "fanout64: the fan-out with 64 tasks in flight (parallel engine of 64 workers);"
            + " taskflow4j only.\n");
    sb.append(
        "Resume: load the finished flow from the store, rebuild, compile, run nothing (s).\n");
    sb.append(notes(TASKFLOW));

    sb.append('\n');
    if (sync != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "Durable runs (durability=power) against the disk's sync limit F: %.0f syncs/s"
                  + " (%.3f ms each; overwrite+fsync %.0f/s, overwrite+fdatasync %.0f/s,"
                  + " append+fsync %.0f/s), measured in this run%n",
              sync.syncsPerSecond(),
              sync.msPerSync(),
              sync.fsyncsPerSecond(),
              sync.fdatasyncsPerSecond(),
              sync.appendSyncsPerSecond()));
    }
    String head2 =
        String.format(
            "%-8s %-12s %7s %10s %10s %8s %14s %8s %16s %12s %10s%n",
            "workload",
            "backend",
            "N",
            "ms/task",
            "tasks/s",
            "F",
            "% sync limit",
            "x F",
            "sync-times/task",
            "cpu us/task",
            "cpu x F");
    sb.append(head2).append("-".repeat(head2.length() - 1)).append('\n');
    for (String wl : WORKLOADS) {
      for (Result r : results) {
        if (r.system().equals(TF4J)
            && r.workload().equals(wl)
            && r.durability().equals("power")
            && r.measured()) {
          double f = syncFraction(r);
          double cpuBound = cpuBoundInF(r);
          sb.append(
              String.format(
                  Locale.ROOT,
                  "%-8s %-12s %7d %10.3f %10.0f %8.0f %13.0f%% %8.2f %16.2f %12s %10s%n",
                  r.workload(),
                  r.backend(),
                  r.n(),
                  r.msPerTask(),
                  r.tasksPerSecond(),
                  syncRateOf(r),
                  f * 100,
                  f,
                  1 / f,
                  Double.isNaN(r.cpuMicrosPerTask())
                      ? "-"
                      : String.format(Locale.ROOT, "%.1f", r.cpuMicrosPerTask()),
                  Double.isNaN(cpuBound) ? "-" : String.format(Locale.ROOT, "%.2f", cpuBound)));
        }
      }
    }
    sb.append(
        "F = the disk's syncs/s measured just before and just after the row (the higher of the"
            + " two; the rate of the run's start where not measured there); x F = tasks/s divided"
            + " by F; sync-times/task = the time of one task in syncs of this disk (1/fraction).\n");
    sb.append(
        "cpu us/task = this JVM's CPU time per task (all threads, kernel time of its syscalls"
            + " included; a database server's own is not; '-' where a run's CPU time is under"
            + " 0.1 s, too short for the 10 ms ticks of the clock); cpu x F = the tasks/s the"
            + " machine's cores allow at that cost, over F.\n");
    sb.append(bareTable());

    sb.append('\n');
    sb.append("taskflow4j vs Spring Batch 5 (chain, both durable, same database)\n");
    String head3 =
        String.format(
            "%-12s %7s %12s %12s %9s%n", "database", "N", "tf4j ms/task", "SB ms/task", "speed-up");
    sb.append(head3).append("-".repeat(head3.length() - 1)).append('\n');
    for (Result sb1 : results) {
      if (!sb1.system().equals(SPRING_BATCH)) {
        continue;
      }
      Optional<Result> mine = find(TF4J, "chain", sb1.backend(), "power", sb1.n());
      sb.append(
          String.format(
              "%-12s %7d %12s %12s %9s%n",
              sb1.backend(),
              sb1.n(),
              msPerTask(mine),
              msPerTask(Optional.of(sb1)),
              times(speedUp(Optional.of(sb1), mine))));
    }
    sb.append(notes(SPRING_BATCH));
    sb.append(notes(TF4J));

    sb.append('\n').append("Goals\n");
    for (Goal g : goals()) {
      sb.append(String.format("  [%s] %s: %s%n", g.status(), g.name(), g.detail()));
    }
    return sb.toString();
  }

  /** The stores' bare limits against F and taskflow4j's chain on each; empty when none. */
  private String bareTable() {
    if (bare.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder("\n");
    sb.append(
        "Bare limits: each store's own write path without taskflow4j, one chain task's writes in a"
            + " loop, measured at this run's start and again just after taskflow4j's chain at its"
            + " largest N on the same store (durability=power: each against the F measured with"
            + " it); the goals use the later\n");
    String head =
        String.format(
            "%-12s %-10s %-13s %10s %10s %8s %30s%n",
            "store",
            "durability",
            "measured",
            "ms/task",
            "tasks/s",
            "x F",
            "tf4j chain: % of bare");
    sb.append(head).append("-".repeat(head.length() - 1)).append('\n');
    for (BareStores.Limit l : bare) {
      Optional<Result> chain = largest("chain", l.store(), l.durability());
      double xF = fractionOfF(l);
      sb.append(
          String.format(
              Locale.ROOT,
              "%-12s %-10s %-13s %10.3f %10.0f %8s %30s%n",
              l.store(),
              l.durability(),
              l.afterN() == 0 ? "start" : "after N=" + l.afterN(),
              l.msPerTask(),
              l.tasksPerSecond(),
              Double.isNaN(xF) ? "-" : String.format(Locale.ROOT, "%.2f", xF),
              chain
                  .map(
                      r ->
                          String.format(
                              Locale.ROOT,
                              "%.0f%% (N=%d)%s",
                              100 * ofBare(r, l),
                              r.n(),
                              ofBare(r, l) > 1 ? " no limit" : ""))
                  .orElse("-")));
    }
    for (BareStores.Limit l : bare) {
      if (l.afterN() == 0) {
        sb.append("  ").append(l.store()).append(" (").append(l.durability()).append("): ");
        sb.append(l.what()).append('\n');
      }
    }
    sb.append(
        "  tf4j chain: % of bare = the chain's fraction of F over the bare loop's (at power each"
            + " against the F it was measured at); 'no limit': taskflow4j's chain outran the bare"
            + " loop, which then does not show what the machine allows; the goals leave it out.\n");
    return sb.toString();
  }

  /**
   * taskflow4j's chain {@code r} as a fraction of the bare loop {@code l}, each over the sync rate
   * it was measured at (each bare loop and each durable chain the rate measured around it, else the
   * run's start's); the plain ratio of their tasks/s when the rates are unknown.
   */
  private double ofBare(Result r, BareStores.Limit l) {
    double ratio = r.tasksPerSecond() / l.tasksPerSecond();
    double ofF = r.tasksPerSecond() / syncRateOf(r) / fractionOfF(l);
    return !l.durability().equals("power") || Double.isNaN(ofF) ? ratio : ofF;
  }

  /** taskflow4j's measured run of {@code workload} on this store at its largest N, if any. */
  private Optional<Result> largest(String workload, String backend, String durability) {
    return of(TF4J, workload, backend, durability)
        .filter(Result::measured)
        .max(java.util.Comparator.comparingInt(Result::n));
  }

  private String notes(String system) {
    StringBuilder sb = new StringBuilder();
    for (Result r : results) {
      if (r.system().equals(system) && !r.note().isEmpty()) {
        sb.append(
            String.format(
                "  %s %s %s%s N=%d: %s%n",
                system,
                r.workload(),
                r.backend(),
                r.durability().equals("-") ? "" : " (" + r.durability() + ")",
                r.n(),
                r.note()));
      }
    }
    return sb.toString();
  }

  /**
   * A goal of the project and whether this run met it.
   *
   * @param id a stable short name of the goal (for the JSON)
   * @param name the goal
   * @param status {@link #MET}, {@link #NOT_MET} or {@link #NOT_MEASURED}
   * @param detail the numbers behind the status
   * @param parts the measured figures the status was judged on, one per store or size (empty for
   *     the goals that do not list them)
   */
  public record Goal(String id, String name, String status, String detail, List<Part> parts) {
    /** The canonical constructor, copying the parts. */
    public Goal {
      parts = List.copyOf(parts);
    }

    /** A goal without listed parts. */
    public Goal(String id, String name, String status, String detail) {
      this(id, name, status, detail, List.of());
    }
  }

  /**
   * One figure of a goal: a store's or a size's value against the goal's threshold.
   *
   * @param label what was measured (a store, or a size)
   * @param n the number of tasks of the run judged, 0 when not measured
   * @param value the figure, NaN when not measured
   * @param unit the figure's unit: {@code x F} (tasks/s over the sync rate F), {@code us/task},
   *     {@code x TaskFlow}
   * @param atMost whether the goal is {@code value <= threshold} (else {@code >=})
   * @param threshold the goal's bound
   * @param limit what this machine allows, in the same unit, NaN when unknown: the store's bare
   *     limit ({@link BareStores}), or for a fan-out the engine alone on no store
   */
  public record Part(
      String label,
      int n,
      double value,
      String unit,
      boolean atMost,
      double threshold,
      double limit) {
    /** A part without a known limit. */
    public Part(String label, int n, double value, String unit, boolean atMost, double threshold) {
      this(label, n, value, unit, atMost, threshold, Double.NaN);
    }

    /**
     * Whether the goal's bound lies beyond what this machine allows ({@link #limit}): then no
     * client of the store can meet it here.
     */
    public boolean beyondLimit() {
      return !Double.isNaN(limit) && (atMost ? threshold < limit : threshold > limit);
    }

    /** {@link #MET}, {@link #NOT_MET}, or {@link #NOT_MEASURED} when the value is NaN. */
    public String status() {
      if (Double.isNaN(value)) {
        return NOT_MEASURED;
      }
      return (atMost ? value <= threshold : value >= threshold) ? MET : NOT_MET;
    }
  }

  /**
   * The status of a goal made of {@code parts}: met when every part was measured and met; NOT met
   * when a measured part missed; otherwise not measured (nothing measured, or only some parts and
   * those met: the goal cannot be called met without the rest).
   */
  static String verdict(List<Part> parts) {
    boolean anyMeasured = false;
    boolean allMeasured = true;
    boolean anyMissed = false;
    for (Part p : parts) {
      switch (p.status()) {
        case MET -> anyMeasured = true;
        case NOT_MET -> {
          anyMeasured = true;
          anyMissed = true;
        }
        default -> allMeasured = false;
      }
    }
    if (anyMissed) {
      return NOT_MET;
    }
    return anyMeasured && allMeasured ? MET : NOT_MEASURED;
  }

  /** A goal of this id, if judged. */
  public Optional<Goal> goal(String id) {
    return goals().stream().filter(g -> g.id().equals(id)).findFirst();
  }

  /** The goals, judged on this run's numbers. */
  public List<Goal> goals() {
    List<Goal> goals = new ArrayList<>();
    goals.add(
        ratioGoal(
            "chain_vs_taskflow_in_memory",
            "chain >= 100x TaskFlow, no or memory persistence, N=1000",
            100,
            new String[][] {{"none", "-", "-"}, {"memory", "-", "-"}}));
    goals.add(
        ratioGoal(
            "chain_vs_taskflow_stores",
            "chain >= 10x TaskFlow on dir and SQLite, N=1000",
            10,
            new String[][] {{"dir", "process", "process"}, {"sqlite", "power", "power"}}));
    goals.add(flatGoal());
    goals.add(
        durableGoal(
            "durable_chain",
            "durable chain (tasks/s) at each store's largest N: sqlite >= 70% of F,"
                + " postgresql >= 50%, dir >= 50%",
            "chain",
            DURABLE_CHAIN_MIN));
    goals.add(
        durableGoal(
            "durable_fanout",
            "durable fanout, default pool (tasks/s) at each store's largest N:"
                + " sqlite and postgresql >= 4x F",
            "fanout",
            DURABLE_FANOUT_MIN));
    goals.add(
        durableGoal(
            "durable_fanout64",
            "durable fanout with 64 tasks in flight (tasks/s) at each store's largest N:"
                + " sqlite and postgresql >= 8x F",
            Tf4jSide.FANOUT64,
            DURABLE_FANOUT64_MIN));
    goals.add(dirChainCostGoal());
    goals.add(dirVsTaskflowGoal());
    goals.add(springBatchGoal());
    return goals;
  }

  private Goal ratioGoal(String id, String name, double min, String[][] rows) {
    List<String> parts = new ArrayList<>();
    boolean all = true;
    boolean any = false;
    for (String[] row : rows) {
      double x =
          speedUp(
              find(TASKFLOW, "chain", row[0], row[2], 1000),
              find(TF4J, "chain", row[0], row[1], 1000));
      if (Double.isNaN(x)) {
        parts.add(row[0] + " not measured");
        all = false;
      } else {
        any = true;
        parts.add(row[0] + " " + times(x));
        all &= x >= min;
      }
    }
    return new Goal(id, name, !any ? NOT_MEASURED : all ? MET : NOT_MET, String.join(", ", parts));
  }

  private Goal flatGoal() {
    String name = "chain cost per task flat from N=1k to 100k (largest/smallest <= 1.5)";
    List<String> parts = new ArrayList<>();
    boolean all = true;
    boolean any = false;
    for (String backend : List.of("none", "memory")) {
      double lo = Double.MAX_VALUE;
      double hi = 0;
      int count = 0;
      int maxN = 0;
      for (Result r : results) {
        if (r.system().equals(TF4J)
            && r.workload().equals("chain")
            && r.backend().equals(backend)
            && r.n() >= 1000
            && r.measured()) {
          lo = Math.min(lo, r.msPerTask());
          hi = Math.max(hi, r.msPerTask());
          count++;
          maxN = Math.max(maxN, r.n());
        }
      }
      if (count < 2) {
        parts.add(backend + ": needs two sizes >= 1000");
        all = false;
        continue;
      }
      any = true;
      double spread = hi / lo;
      parts.add(String.format(Locale.ROOT, "%s: %.2fx over 1000..%d", backend, spread, maxN));
      all &= spread <= 1.5 && maxN >= 100_000;
    }
    return new Goal(
        "flat_chain", name, !any ? NOT_MEASURED : all ? MET : NOT_MET, String.join(", ", parts));
  }

  /**
   * A durable goal: taskflow4j's {@code workload} at {@code durability=power}, at each store's
   * largest measured N, in tasks/s as a multiple of the disk's sync rate F, at least the store's
   * value in {@code min}.
   */
  private Goal durableGoal(String id, String name, String workload, Map<String, Double> min) {
    List<Part> parts = new ArrayList<>();
    List<String> text = new ArrayList<>();
    for (Map.Entry<String, Double> e : min.entrySet()) {
      String store = e.getKey();
      double threshold = e.getValue();
      Result r = largest(workload, store, "power").orElse(null);
      Part p =
          new Part(
              store,
              r == null ? 0 : r.n(),
              r == null ? Double.NaN : syncFraction(r),
              "x F",
              false,
              threshold,
              r == null
                  ? Double.NaN
                  : asLimit(
                      syncFraction(r), limitInF(workload, store, r.n(), syncRateOf(r)), false));
      parts.add(p);
      // Below 1x F as a percentage of the limit, above as a multiple of it.
      boolean percent = threshold < 1;
      if (r == null) {
        text.add(store + " not measured");
      } else if (Double.isNaN(p.value())) {
        text.add(store + " N=" + r.n() + " not measured (no sync rate)");
      } else {
        String v =
            percent
                ? String.format(Locale.ROOT, "%.0f%%", p.value() * 100)
                : String.format(Locale.ROOT, "%.2fx F", p.value());
        String need =
            percent
                ? String.format(Locale.ROOT, "%.0f%%", threshold * 100)
                : String.format(Locale.ROOT, "%.0fx", threshold);
        String limit =
            Double.isNaN(p.limit())
                ? ""
                : (workload.equals("chain") ? "bare " + store : "no store")
                    + " "
                    + (percent
                        ? String.format(Locale.ROOT, "%.0f%%", p.limit() * 100)
                        : String.format(Locale.ROOT, "%.2fx F", p.limit()))
                    + (p.beyondLimit() ? ": beyond this machine" : "");
        List<String> notes = new ArrayList<>();
        if (p.status().equals(NOT_MET)) {
          notes.add("needs " + need);
        }
        if (!limit.isEmpty()) {
          notes.add(limit);
        }
        text.add(
            store
                + " N="
                + r.n()
                + " "
                + v
                + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")"));
      }
    }
    return new Goal(id, name, verdict(parts), String.join(", ", text), parts);
  }

  /** The directory store's chain at {@code durability=process}, per task at its largest N. */
  private Goal dirChainCostGoal() {
    String name =
        String.format(
            Locale.ROOT,
            "dir (process) chain <= %.0f us per task at the largest N",
            DIR_CHAIN_MAX_US);
    Result largest = largest("chain", "dir", "process").orElse(null);
    Part p =
        new Part(
            "dir (process)",
            largest == null ? 0 : largest.n(),
            largest == null ? Double.NaN : largest.msPerTask() * 1000,
            "us/task",
            true,
            DIR_CHAIN_MAX_US,
            largest == null
                ? Double.NaN
                : asLimit(
                    largest.msPerTask() * 1000,
                    bareLimit("dir", "process").map(l -> l.msPerTask() * 1000).orElse(Double.NaN),
                    true));
    List<String> notes = new ArrayList<>();
    if (p.status().equals(NOT_MET)) {
      notes.add(String.format(Locale.ROOT, "needs <= %.0f", DIR_CHAIN_MAX_US));
    }
    if (!Double.isNaN(p.limit())) {
      notes.add(
          String.format(Locale.ROOT, "bare TaskFlow layout %.0f us/task", p.limit())
              + (p.beyondLimit() ? ": beyond this machine" : ""));
    }
    String detail =
        largest == null
            ? "not measured"
            : String.format(Locale.ROOT, "N=%d %.0f us/task", p.n(), p.value())
                + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
    return new Goal("dir_chain_per_task", name, p.status(), detail, List.of(p));
  }

  /** The directory store's chain at {@code durability=process} against TaskFlow's, per size. */
  private Goal dirVsTaskflowGoal() {
    String name =
        String.format(
            Locale.ROOT,
            "dir (process) chain >= %.0fx TaskFlow's dir at N=%s",
            DIR_VS_TASKFLOW_MIN,
            String.join(", ", DIR_VS_TASKFLOW_SIZES.stream().map(String::valueOf).toList()));
    List<Part> parts = new ArrayList<>();
    List<String> text = new ArrayList<>();
    for (int n : DIR_VS_TASKFLOW_SIZES) {
      double x =
          speedUp(
              find(TASKFLOW, "chain", "dir", "process", n),
              find(TF4J, "chain", "dir", "process", n));
      Part p = new Part("N=" + n, n, x, "x TaskFlow", false, DIR_VS_TASKFLOW_MIN);
      parts.add(p);
      text.add(
          Double.isNaN(x)
              ? "N=" + n + " not measured"
              : "N="
                  + n
                  + " "
                  + times(x)
                  + (p.status().equals(NOT_MET)
                      ? " (needs " + times(DIR_VS_TASKFLOW_MIN) + ")"
                      : ""));
    }
    return new Goal("dir_chain_vs_taskflow", name, verdict(parts), String.join(", ", text), parts);
  }

  private Goal springBatchGoal() {
    String name = "faster than Spring Batch on the same database";
    List<String> parts = new ArrayList<>();
    boolean all = true;
    boolean any = false;
    for (Result r : results) {
      if (!r.system().equals(SPRING_BATCH) || !r.measured()) {
        continue;
      }
      double x = speedUp(Optional.of(r), find(TF4J, "chain", r.backend(), "power", r.n()));
      if (Double.isNaN(x)) {
        continue;
      }
      any = true;
      parts.add(r.backend() + " N=" + r.n() + " " + times(x));
      all &= x > 1;
    }
    return new Goal(
        "vs_spring_batch",
        name,
        !any ? NOT_MEASURED : all ? MET : NOT_MET,
        String.join(", ", parts));
  }

  /** The whole report as a JSON-ready tree. */
  public Map<String, Object> toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("machine", machine);
    if (sync != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("syncs_per_s", sync.syncsPerSecond());
      s.put("ms_per_sync", sync.msPerSync());
      s.put("fsyncs_per_s", sync.fsyncsPerSecond());
      s.put("fdatasyncs_per_s", sync.fdatasyncsPerSecond());
      s.put("append_fsyncs_per_s", sync.appendSyncsPerSecond());
      s.put("seconds", sync.seconds());
      root.put("disk_sync", s);
    }
    if (!bare.isEmpty()) {
      List<Map<String, Object>> ls = new ArrayList<>();
      for (BareStores.Limit l : bare) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", l.store());
        m.put("durability", l.durability());
        m.put("tasks_per_s", l.tasksPerSecond());
        m.put("ms_per_task", l.msPerTask());
        m.put("tasks", l.tasks());
        m.put("measured", l.afterN() == 0 ? "start" : "after_chain");
        if (l.afterN() > 0) {
          m.put("after_n", l.afterN());
        }
        if (!Double.isNaN(l.syncsPerSecond())) {
          m.put("syncs_per_s", l.syncsPerSecond());
        }
        if (!Double.isNaN(fractionOfF(l))) {
          m.put("sync_limit_fraction", fractionOfF(l));
        }
        m.put("what", l.what());
        ls.add(m);
      }
      root.put("bare_limits", ls);
    }
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Result r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("system", r.system());
      m.put("workload", r.workload());
      m.put("backend", r.backend());
      m.put("durability", r.durability());
      m.put("n", r.n());
      m.put("run_s", r.runSeconds());
      m.put("resume_s", r.resumeSeconds());
      if (r.measured()) {
        m.put("run_median_s", r.runMedian());
        m.put("ms_per_task", r.msPerTask());
        m.put("tasks_per_s", r.tasksPerSecond());
        if (!r.resumeSeconds().isEmpty()) {
          m.put("resume_median_s", r.resumeMedian());
        }
        if (r.durability().equals("power") && !Double.isNaN(syncRateOf(r))) {
          // tasks/s over the sync rate F: a fraction, or read as a multiple of F ("x F").
          m.put("sync_limit_fraction", syncFraction(r));
          m.put("syncs_per_s", syncRateOf(r));
        }
        if (!r.cpuSeconds().isEmpty()) {
          m.put("cpu_s", r.cpuSeconds());
        }
        if (!Double.isNaN(r.cpuMicrosPerTask())) {
          m.put("cpu_us_per_task", r.cpuMicrosPerTask());
          double bound = cpuBoundInF(r);
          if (!Double.isNaN(bound)) {
            m.put("cpu_bound_x_f", bound);
          }
        }
      }
      if (!r.note().isEmpty()) {
        m.put("note", r.note());
      }
      rs.add(m);
    }
    root.put("results", rs);
    List<Map<String, Object>> cmp = new ArrayList<>();
    for (Result peer : results) {
      if (peer.system().equals(TF4J) || !peer.measured()) {
        continue;
      }
      String tf4jDurability = peer.system().equals(SPRING_BATCH) ? "power" : peer.durability();
      Optional<Result> mine = find(TF4J, peer.workload(), peer.backend(), tf4jDurability, peer.n());
      double x = speedUp(Optional.of(peer), mine);
      if (Double.isNaN(x)) {
        continue;
      }
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("peer", peer.system());
      c.put("workload", peer.workload());
      c.put("backend", peer.backend());
      c.put("durability", tf4jDurability);
      c.put("n", peer.n());
      c.put("speed_up", x);
      double rx = resumeSpeedUp(Optional.of(peer), mine);
      if (!Double.isNaN(rx)) {
        c.put("resume_speed_up", rx);
      }
      cmp.add(c);
    }
    root.put("comparisons", cmp);
    List<Map<String, Object>> gs = new ArrayList<>();
    for (Goal g : goals()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("goal", g.name());
      m.put("status", g.status());
      m.put("detail", g.detail());
      m.put("id", g.id());
      if (!g.parts().isEmpty()) {
        List<Map<String, Object>> ps = new ArrayList<>();
        for (Part p : g.parts()) {
          Map<String, Object> pm = new LinkedHashMap<>();
          pm.put("label", p.label());
          if (p.n() > 0) {
            pm.put("n", p.n());
          }
          if (!Double.isNaN(p.value())) {
            pm.put("value", p.value());
          }
          pm.put("unit", p.unit());
          pm.put(p.atMost() ? "at_most" : "at_least", p.threshold());
          pm.put("status", p.status());
          if (!Double.isNaN(p.limit())) {
            pm.put("limit", p.limit());
            pm.put("beyond_limit", p.beyondLimit());
          }
          ps.add(pm);
        }
        m.put("parts", ps);
      }
      gs.add(m);
    }
    root.put("goals", gs);
    return root;
  }

  static String msPerTask(Optional<Result> r) {
    if (r.isEmpty()) {
      return "-";
    }
    if (!r.get().measured()) {
      return "skipped";
    }
    double ms = r.get().msPerTask();
    return String.format(Locale.ROOT, ms < 0.1 ? "%.4f" : ms < 10 ? "%.3f" : "%.1f", ms);
  }

  static String seconds(Optional<Double> s) {
    if (s.isEmpty() || Double.isNaN(s.get())) {
      return "-";
    }
    double v = s.get();
    return String.format(Locale.ROOT, v < 0.01 ? "%.5f" : v < 10 ? "%.3f" : "%.1f", v);
  }

  static String times(double x) {
    if (Double.isNaN(x)) {
      return "-";
    }
    return String.format(Locale.ROOT, x < 10 ? "%.1fx" : "%.0fx", x);
  }

  private static Map<String, Double> orderedMap(Object... kv) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Double) kv[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  @Override
  public String toString() {
    return Objects.toString(table());
  }
}
