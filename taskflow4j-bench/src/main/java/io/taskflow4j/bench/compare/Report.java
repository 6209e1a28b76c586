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
 * at equal durability, durable runs against the disk's sync rate, and taskflow4j against Spring
 * Batch on the same database.
 */
public final class Report {
  /** The system names. */
  public static final String TF4J = "taskflow4j";

  /** TaskFlow (Python). */
  public static final String TASKFLOW = "taskflow";

  /** Spring Batch. */
  public static final String SPRING_BATCH = "spring-batch";

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
  private final Map<String, Object> machine;

  /** A report over {@code results}; {@code sync} may be null when it was not measured. */
  public Report(List<Result> results, DiskSync.Rate sync, Map<String, Object> machine) {
    this.results = List.copyOf(results);
    this.sync = sync;
    this.machine = machine == null ? Map.of() : new LinkedHashMap<>(machine);
  }

  /** The result of a configuration, if any. */
  public Optional<Result> find(
      String system, String workload, String backend, String durability, int n) {
    return results.stream()
        .filter(
            r ->
                r.system().equals(system)
                    && r.workload().equals(workload)
                    && r.backend().equals(backend)
                    && r.durability().equals(durability)
                    && r.n() == n)
        .findFirst();
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

  /** The fraction of the disk's sync limit a durable run reaches: tasks/s over syncs/s. */
  public double syncFraction(Result r) {
    if (sync == null || !r.measured()) {
      return Double.NaN;
    }
    return r.tasksPerSecond() / sync.syncsPerSecond();
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
    for (String wl : List.of("chain", "fanout")) {
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
        "Resume: load the finished flow from the store, rebuild, compile, run nothing (s).\n");
    sb.append(notes(TASKFLOW));

    sb.append('\n');
    if (sync != null) {
      sb.append(
          String.format(
              Locale.ROOT,
              "Durable runs (durability=power) against the disk's sync limit: %.0f syncs/s"
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
            "%-8s %-12s %7s %10s %10s %14s %16s%n",
            "workload", "backend", "N", "ms/task", "tasks/s", "% sync limit", "sync-times/task");
    sb.append(head2).append("-".repeat(head2.length() - 1)).append('\n');
    for (Result r : results) {
      if (r.system().equals(TF4J) && r.durability().equals("power") && r.measured()) {
        double f = syncFraction(r);
        sb.append(
            String.format(
                Locale.ROOT,
                "%-8s %-12s %7d %10.3f %10.0f %13.0f%% %16.2f%n",
                r.workload(),
                r.backend(),
                r.n(),
                r.msPerTask(),
                r.tasksPerSecond(),
                f * 100,
                1 / f));
      }
    }
    sb.append("sync-times/task = the time of one task in fsyncs of this disk (1/fraction).\n");

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
   * A goal of the benchmark issue and whether this run met it.
   *
   * @param name the goal
   * @param status {@code met}, {@code NOT met} or {@code not measured}
   * @param detail the numbers behind the status
   */
  public record Goal(String name, String status, String detail) {}

  /** The goals, judged on this run's numbers. */
  public List<Goal> goals() {
    List<Goal> goals = new ArrayList<>();
    goals.add(
        ratioGoal(
            "chain >= 100x TaskFlow, no or memory persistence, N=1000",
            100,
            new String[][] {{"none", "-", "-"}, {"memory", "-", "-"}}));
    goals.add(
        ratioGoal(
            "chain >= 10x TaskFlow on dir and SQLite, N=1000",
            10,
            new String[][] {{"dir", "process", "process"}, {"sqlite", "power", "power"}}));
    goals.add(flatGoal());
    goals.add(durableGoal());
    goals.add(springBatchGoal());
    return goals;
  }

  private Goal ratioGoal(String name, double min, String[][] rows) {
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
    return new Goal(
        name, !any ? "not measured" : all ? "met" : "NOT met", String.join(", ", parts));
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
        name, !any ? "not measured" : all ? "met" : "NOT met", String.join(", ", parts));
  }

  private Goal durableGoal() {
    String name =
        "durable chain >= 50% of the disk's sync limit (tasks/s), at each store's largest N";
    Map<String, Result> largest = new LinkedHashMap<>();
    for (Result r : results) {
      if (r.system().equals(TF4J)
          && r.workload().equals("chain")
          && r.durability().equals("power")
          && r.measured()) {
        Result prev = largest.get(r.backend());
        if (prev == null || r.n() > prev.n()) {
          largest.put(r.backend(), r);
        }
      }
    }
    List<String> parts = new ArrayList<>();
    double best = Double.NaN;
    for (Result r : largest.values()) {
      double f = syncFraction(r);
      parts.add(String.format(Locale.ROOT, "%s N=%d %.0f%%", r.backend(), r.n(), f * 100));
      if (Double.isNaN(best) || f > best) {
        best = f;
      }
    }
    String status = Double.isNaN(best) ? "not measured" : best >= 0.5 ? "met" : "NOT met";
    return new Goal(name, status, parts.isEmpty() ? "-" : String.join(", ", parts));
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
        name, !any ? "not measured" : all ? "met" : "NOT met", String.join(", ", parts));
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
        if (r.durability().equals("power") && sync != null) {
          m.put("sync_limit_fraction", syncFraction(r));
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

  @Override
  public String toString() {
    return Objects.toString(table());
  }
}
