package io.taskflow4j.bench;

import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.retention.PruneReport;
import io.taskflow4j.retention.Pruner;
import io.taskflow4j.workloads.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The post-run benchmarks of a large store (made by {@link LargeStore}): what a team running
 * taskflow4j for months does with its store, timed.
 *
 * <ol>
 *   <li>{@code list}: the first page of {@code logbooks list --state FAILURE} ({@code findFlows},
 *       100 flows), median of 15 after 5 warm-ups, in this JVM;
 *   <li>{@code unfinished}: finding every unfinished flow, as {@code resume --all} does;
 *   <li>{@code stats} and {@code export-jsonl}: the CLI's commands, in a child JVM with {@code
 *       -Xmx256m} and {@code -Xmx128m} (the memory bound is part of the result: a command that
 *       needs more fails);
 *   <li>{@code prune}: deleting the flows older than {@code --prune-days} while a serial chain of
 *       50 tasks runs again and again on the same store; its per-task cost during the prune is
 *       compared with its cost just before, in the same run.
 * </ol>
 *
 * <pre>
 * java -cp taskflow4j-bench/target/benchmarks.jar io.taskflow4j.bench.PostRunBench \
 *     --connection sqlite:///tmp/large.db --cli taskflow4j-cli/target/taskflow4j.jar \
 *     [--generate 100000] [--atoms 10] [--prune-days 6] [--skip stats,export-jsonl,prune]
 * </pre>
 *
 * Prints one line per measurement, then the results as JSON.
 */
public final class PostRunBench {
  private PostRunBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i], args[i + 1]);
    }
    String conn = o.get("--connection");
    if (conn == null) {
      System.err.println(
          "usage: PostRunBench --connection URI [--cli JAR] [--generate N] [--atoms 10]"
              + " [--prune-days 6] [--skip a,b]");
      System.exit(2);
    }
    List<String> skip = Arrays.asList(o.getOrDefault("--skip", "").split(","));
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("connection", conn.replaceAll("//[^@/]*@", "//***@"));
    if (o.containsKey("--generate")) {
      long t0 = System.nanoTime();
      int n = Integer.parseInt(o.get("--generate"));
      long atoms =
          LargeStore.generate(
              new LargeStore.Plan(
                  conn, n, Integer.parseInt(o.getOrDefault("--atoms", "10")), 10, 100, 60, 1));
      results.put("generated_flows", n + 10);
      results.put("generated_atoms", atoms);
      results.put("generate_s", secs(t0));
      say("generate", n + " flows, " + atoms + " atoms in " + results.get("generate_s") + " s");
    }
    try (Backend backend = Backends.fetch(conn);
        Connection c = backend.getConnection()) {
      Map<FlowState, Long> counts = c.countFlows(FlowQuery.all());
      results.put("flows_by_state", counts.toString());
      say("store", counts.toString());

      double[] page = new double[15];
      FlowQuery failed = FlowQuery.all().states(FlowState.FAILURE).limit(100);
      for (int i = 0; i < 5; i++) {
        c.findFlows(failed);
      }
      int got = 0;
      for (int i = 0; i < page.length; i++) {
        long t0 = System.nanoTime();
        got = c.findFlows(failed).flows().size();
        page[i] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(page);
      results.put("list_failure_first_page_ms", round(page[page.length / 2]));
      say(
          "list",
          "first page of FAILURE ("
              + got
              + " flows): "
              + round(page[page.length / 2])
              + " ms median");

      long t0 = System.nanoTime();
      int unfinished = 0;
      FlowQuery q = FlowQuery.unfinished().limit(FlowQuery.MAX_LIMIT);
      while (true) {
        FlowPage p = c.findFlows(q);
        unfinished += p.flows().size();
        if (p.next().isEmpty()) {
          break;
        }
        q = q.after(p.nextCursor());
      }
      results.put("find_unfinished_ms", round((System.nanoTime() - t0) / 1e6));
      say("unfinished", unfinished + " found in " + results.get("find_unfinished_ms") + " ms");
    }

    String cli = o.get("--cli");
    if (cli != null && !skip.contains("stats")) {
      results.put("stats", child(cli, "256m", "stats", "--connection", conn, "--json"));
    }
    if (cli != null && !skip.contains("export-jsonl")) {
      Path out = Files.createTempFile("tf4j-export", ".jsonl");
      try {
        Map<String, Object> r =
            child(
                cli,
                "128m",
                "export",
                "--connection",
                conn,
                "--format",
                "jsonl",
                "--output",
                out.toString());
        long lines;
        try (var s = Files.lines(out)) {
          lines = s.count();
        }
        r.put("lines", lines);
        r.put("bytes", Files.size(out));
        results.put("export_jsonl", r);
      } finally {
        Files.deleteIfExists(out);
      }
    }
    if (!skip.contains("prune")) {
      results.put("prune", prune(conn, Integer.parseInt(o.getOrDefault("--prune-days", "6"))));
    }
    System.out.println(io.taskflow4j.persistence.Json.write(results));
  }

  /** Runs the CLI in a child JVM with a small heap; its time, exit code and last output line. */
  private static Map<String, Object> child(String jar, String heap, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx" + heap, "-jar", jar));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("tf4j-child", ".out");
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    int exit = p.waitFor();
    double s = secs(t0);
    List<String> lines = Files.readAllLines(log);
    Files.deleteIfExists(log);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("heap", heap);
    r.put("seconds", s);
    r.put("exit", exit);
    r.put("output_lines", lines.size());
    say(args[0], "-Xmx" + heap + ": exit " + exit + " in " + s + " s");
    if (exit != 0) {
      r.put("tail", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
      say(args[0], String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
    }
    return r;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * Prunes what is older than {@code days} while a chain runs; the chain's cost before and during.
   */
  private static Map<String, Object> prune(String conn, int days) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    try (Backend backend = Backends.fetch(conn)) {
      chainCost(backend, 5); // warm-up: JIT, connection, caches
      double alone = chainCost(backend, 10);
      r.put("chain_alone_us_per_task", round(alone));
      say("prune", "chain alone: " + round(alone) + " us/task");
      AtomicBoolean pruning = new AtomicBoolean(true);
      List<Double> during = new ArrayList<>();
      Thread chains =
          new Thread(
              () -> {
                while (pruning.get()) {
                  during.add(chainCost(backend, 1));
                }
              },
              "chain-during-prune");
      PruneReport report;
      long t0 = System.nanoTime();
      chains.start();
      try (Connection c = backend.getConnection()) {
        report = Pruner.builder(c).olderThan(Duration.ofDays(days)).build().run();
      } finally {
        pruning.set(false);
        chains.join();
      }
      double took = secs(t0);
      double mean = during.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      r.put("flows_deleted", report.flowsDeleted());
      r.put("logbooks_deleted", report.booksDeleted());
      r.put("seconds", took);
      r.put("chain_during_us_per_task", round(mean));
      r.put("chain_runs_during", during.size());
      r.put("chain_slowdown", round(mean / alone));
      say(
          "prune",
          report.flowsDeleted()
              + " flows deleted in "
              + took
              + " s; chain during: "
              + round(mean)
              + " us/task ("
              + round(mean / alone)
              + "x, "
              + during.size()
              + " runs)");
    }
    return r;
  }

  /** The mean per-task cost of {@code runs} serial chains of 50 tasks on {@code backend}. */
  private static double chainCost(Backend backend, int runs) {
    double sum = 0;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      Engines.load(Workloads.chain(50, null)).backend(backend).run();
      sum += (System.nanoTime() - t0) / 1e3 / 50;
    }
    return sum / runs;
  }

  private static double secs(long t0) {
    return round((System.nanoTime() - t0) / 1e9);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static void say(String what, String line) {
    System.out.printf(Locale.ROOT, "%-12s %s%n", what, line);
  }
}
