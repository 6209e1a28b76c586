package io.taskflow4j.bench.compare;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The measurement of one system on one workload, backend and size: the wall times of its timed runs
 * and of the resumes of those finished runs, or why it was not measured.
 *
 * @param system {@code taskflow4j}, {@code taskflow} or {@code spring-batch}
 * @param workload {@code chain} or {@code fanout}
 * @param backend {@code none}, {@code memory}, {@code dir}, {@code sqlite}, {@code postgresql}
 * @param durability {@code power}, {@code process}, or {@code -} where it does not apply
 * @param n the number of tasks
 * @param runSeconds the timed runs (empty when skipped)
 * @param resumeSeconds the resumes of finished runs (empty without a backend)
 * @param note why it was skipped or failed, else empty
 * @param cpuSeconds the CPU time this JVM spent during each timed run, all its threads (empty when
 *     not measured: another system, or a JVM that cannot tell)
 * @param syncsPerSecond the disk's sync rate F measured around this measurement: the higher of the
 *     rates just before and just after it ({@link DiskSync}); NaN when not measured there (a report
 *     then uses the rate of its start)
 */
public record Result(
    String system,
    String workload,
    String backend,
    String durability,
    int n,
    List<Double> runSeconds,
    List<Double> resumeSeconds,
    String note,
    List<Double> cpuSeconds,
    double syncsPerSecond) {

  /** The canonical constructor, copying the lists. */
  public Result {
    runSeconds = List.copyOf(runSeconds);
    resumeSeconds = List.copyOf(resumeSeconds);
    note = note == null ? "" : note;
    cpuSeconds = cpuSeconds == null ? List.of() : List.copyOf(cpuSeconds);
  }

  /** A result without a sync rate of its own. */
  public Result(
      String system,
      String workload,
      String backend,
      String durability,
      int n,
      List<Double> runSeconds,
      List<Double> resumeSeconds,
      String note,
      List<Double> cpuSeconds) {
    this(
        system,
        workload,
        backend,
        durability,
        n,
        runSeconds,
        resumeSeconds,
        note,
        cpuSeconds,
        Double.NaN);
  }

  /** A result without CPU times. */
  public Result(
      String system,
      String workload,
      String backend,
      String durability,
      int n,
      List<Double> runSeconds,
      List<Double> resumeSeconds,
      String note) {
    this(system, workload, backend, durability, n, runSeconds, resumeSeconds, note, List.of());
  }

  /** A configuration that was not measured, and why. */
  public static Result skipped(
      String system, String workload, String backend, String durability, int n, String why) {
    return new Result(system, workload, backend, durability, n, List.of(), List.of(), why);
  }

  /** This result with {@code rate} as the sync rate measured around it. */
  public Result withSyncRate(double rate) {
    return new Result(
        system,
        workload,
        backend,
        durability,
        n,
        runSeconds,
        resumeSeconds,
        note,
        cpuSeconds,
        rate);
  }

  /** Whether there is at least one timed run. */
  public boolean measured() {
    return !runSeconds.isEmpty();
  }

  /** The median run in seconds, or NaN. */
  public double runMedian() {
    return median(runSeconds);
  }

  /** The median resume in seconds, or NaN. */
  public double resumeMedian() {
    return median(resumeSeconds);
  }

  /** Milliseconds per task of the median run, or NaN. */
  public double msPerTask() {
    return runMedian() * 1000.0 / n;
  }

  /** Tasks per second of the median run, or NaN. */
  public double tasksPerSecond() {
    return n / runMedian();
  }

  /**
   * The least median CPU time that {@link #cpuMicrosPerTask} reports: the JVM's process CPU clock
   * advances in ticks of 10 ms on Linux, so a shorter run's figure would be mostly rounding.
   */
  static final double MIN_CPU_SECONDS = 0.1;

  /**
   * This JVM's CPU time per task in the median of the runs' CPU times, in µs; NaN when not measured
   * or when that median is below {@link #MIN_CPU_SECONDS}.
   */
  public double cpuMicrosPerTask() {
    double cpu = median(cpuSeconds);
    return cpu >= MIN_CPU_SECONDS ? cpu * 1e6 / n : Double.NaN;
  }

  /** The median of {@code values}, or NaN when empty. */
  public static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int m = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
  }
}
