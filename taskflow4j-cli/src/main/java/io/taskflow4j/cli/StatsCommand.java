package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.stats.AtomStats;
import io.taskflow4j.stats.FailureCount;
import io.taskflow4j.stats.SlowFlow;
import io.taskflow4j.stats.StatsCollector;
import io.taskflow4j.stats.StatsQuery;
import io.taskflow4j.stats.StoreStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j stats}: what the atoms of a store did, how long they took, what failed. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = {
      "Statistics of the flows a store recorded: per atom name, how often it ran, succeeded,"
          + " failed and was retried and its duration percentiles (p50, p95, p99, max); failures"
          + " by exception type and day (UTC); the slowest flows, by the time from their first"
          + " atom's start to their last atom's end.",
      "Failures include those a retry controller recorded before it tried again. Damaged"
          + " records are passed over and counted (exit code 9)."
    })
final class StatsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--since",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Only flows updated within this time before now: 30m, 12h, 7d, 2w, 1d12h (default: all).")
  Duration since;

  @Option(names = "--flow", paramLabel = "NAME", description = "Only flows of this name.")
  String flow;

  @Option(
      names = "--top",
      paramLabel = "N",
      defaultValue = "10",
      description = "How many of the slowest flows to list (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--json", description = "Print the statistics as one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    if (top < 0 || top > StatsQuery.MAX_TOP) {
      throw new CliException(
          ExitCodes.USAGE, "--top must be from 0 to " + StatsQuery.MAX_TOP + ", not " + top);
    }
    if (flow != null && flow.isEmpty()) {
      throw new CliException(ExitCodes.USAGE, "--flow must not be empty");
    }
    StatsQuery query =
        StatsQuery.all()
            .since(since == null ? null : Instant.now().minus(since))
            .flowName(flow)
            .top(top);
    StoreStats stats;
    try (Backend backend = Stores.readable(connection);
        Connection c = backend.getConnection()) {
      stats = StatsCollector.collect(c, query);
    }
    if (json) {
      main.printData(stats.toJson());
    } else {
      print(main, stats);
    }
    if (stats.damaged() > 0) {
      main.info(
          stats.damaged()
              + " damaged record(s) in "
              + Stores.mask(connection)
              + " were passed over; '"
              + Main.commandName()
              + " verify --connection ...' names them");
      return ExitCodes.DAMAGED;
    }
    return ExitCodes.OK;
  }

  private static void print(Main main, StoreStats s) {
    StringBuilder head = new StringBuilder();
    head.append(s.flows()).append(" flow(s), ").append(s.atoms()).append(" atom(s)");
    s.query().since().ifPresent(t -> head.append(", updated since ").append(t));
    s.query().flowName().ifPresent(n -> head.append(", flow name '").append(n).append('\''));
    main.printData(head.toString());
    main.printData("");
    int width = "ATOM".length();
    for (AtomStats a : s.atomStats()) {
      width = Math.max(width, a.name().length());
    }
    String row = "%-" + width + "s %8s %8s %8s %8s %9s %9s %9s %9s";
    main.printData(
        String.format(
            Locale.ROOT,
            row,
            "ATOM",
            "RUNS",
            "OK",
            "FAILED",
            "RETRIES",
            "P50",
            "P95",
            "P99",
            "MAX"));
    for (AtomStats a : s.atomStats()) {
      boolean timed = a.timed() > 0;
      main.printData(
          String.format(
              Locale.ROOT,
              row,
              a.name(),
              a.runs(),
              a.successes(),
              a.failures(),
              a.retries(),
              timed ? seconds(a.p50()) : "-",
              timed ? seconds(a.p95()) : "-",
              timed ? seconds(a.p99()) : "-",
              timed ? seconds(a.max()) : "-"));
    }
    main.printData("");
    main.printData("Failures by day (UTC) and exception type:");
    if (s.failures().isEmpty()) {
      main.printData("  none");
    }
    for (FailureCount f : s.failures()) {
      main.printData(
          String.format(
              Locale.ROOT,
              "  %-10s %6d  %s",
              f.day() == null ? "unknown" : f.day(),
              f.count(),
              f.exceptionType()));
    }
    main.printData("");
    main.printData("Slowest flows (first atom start to last atom end):");
    if (s.slowest().isEmpty()) {
      main.printData("  none");
    }
    for (SlowFlow f : s.slowest()) {
      main.printData(
          String.format(
              Locale.ROOT,
              "  %9s  %-14s %s %s (logbook %s)",
              seconds(f.wallSeconds()),
              f.state(),
              f.flowName(),
              f.flowUuid(),
              f.bookUuid()));
    }
  }

  /** Seconds as a short human length: 850us, 12.3ms, 1.234s, 12m03s, 5h02m. */
  static String seconds(double s) {
    if (s < 0.001) {
      return String.format(Locale.ROOT, "%.0fus", s * 1e6);
    }
    if (s < 1) {
      return String.format(Locale.ROOT, "%.1fms", s * 1e3);
    }
    if (s < 60) {
      return String.format(Locale.ROOT, "%.3fs", s);
    }
    long whole = Math.round(s);
    if (whole < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", whole / 60, whole % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", whole / 3600, whole % 3600 / 60);
  }
}
