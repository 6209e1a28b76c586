package io.taskflow4j.bench;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fills a store with a production-like history, for the post-run benchmarks (queries, stats,
 * export, prune): {@code --flows} finished flows of {@code --atoms} tasks each, spread evenly over
 * the last {@code --days} days, most of them SUCCESS, some FAILURE and REVERTED with failures, some
 * successes that needed a second attempt, plus {@code --unfinished} RUNNING flows; every atom with
 * the timing metadata an engine records (started/ended, duration, attempt, host). Books of {@code
 * --per-book} flows are written each in one replacement, so the record times are the generated ones
 * (a store written by an engine would carry the same, just slower to make).
 *
 * <pre>
 * java -cp taskflow4j-bench/target/benchmarks.jar io.taskflow4j.bench.LargeStore \
 *     --connection sqlite:///tmp/large.db --flows 100000 --atoms 10
 * </pre>
 *
 * Deterministic for a given {@code --seed}. Prints one progress line per 10%.
 */
public final class LargeStore {
  private LargeStore() {}

  /** What to make. */
  record Plan(
      String connection, int flows, int atoms, int unfinished, int perBook, int days, long seed) {}

  public static void main(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    if (!opts.containsKey("--connection")) {
      System.err.println(
          "usage: LargeStore --connection URI [--flows 100000] [--atoms 10] [--unfinished 10]"
              + " [--per-book 100] [--days 60] [--seed 1]");
      System.exit(2);
    }
    Plan p =
        new Plan(
            opts.get("--connection"),
            Integer.parseInt(opts.getOrDefault("--flows", "100000")),
            Integer.parseInt(opts.getOrDefault("--atoms", "10")),
            Integer.parseInt(opts.getOrDefault("--unfinished", "10")),
            Integer.parseInt(opts.getOrDefault("--per-book", "100")),
            Integer.parseInt(opts.getOrDefault("--days", "60")),
            Long.parseLong(opts.getOrDefault("--seed", "1")));
    long t0 = System.nanoTime();
    long written = generate(p);
    System.out.printf(
        "LargeStore: %d flows, %d atoms written to %s in %.1f s%n",
        p.flows() + p.unfinished(),
        written,
        p.connection().replaceAll("//[^@/]*@", "//***@"),
        (System.nanoTime() - t0) / 1e9);
  }

  /** Writes the store; returns the number of atom details written. */
  static long generate(Plan p) {
    SplittableRandom rnd = new SplittableRandom(p.seed());
    Instant now = Instant.now();
    long span = Duration.ofDays(p.days()).toMillis();
    long atoms = 0;
    int total = p.flows() + p.unfinished();
    int lastDecile = -1;
    try (Backend backend = Backends.fetch(p.connection());
        Connection c = backend.getConnection()) {
      c.upgrade();
      List<FlowDetail> flows = new ArrayList<>(p.perBook());
      int book = 0;
      for (int i = 0; i < total; i++) {
        boolean unfinished = i >= p.flows();
        // evenly spread, oldest first; the unfinished ones are recent
        Instant ended =
            unfinished
                ? now.minusSeconds(60 + rnd.nextInt(3600))
                : now.minusMillis(span - (span * i) / Math.max(1, p.flows()));
        flows.add(flow(rnd, i, p.atoms(), ended, unfinished));
        atoms += p.atoms();
        if (flows.size() == p.perBook() || i == total - 1) {
          LogBook b =
              LogBook.of(
                  java.util.UUID.randomUUID().toString(),
                  "orders-" + (book++),
                  flows.get(0).createdAt(),
                  flows.get(flows.size() - 1).updatedAt(),
                  Map.of(),
                  flows);
          c.replaceLogBook(b);
          flows = new ArrayList<>(p.perBook());
        }
        int decile = (int) (10L * (i + 1) / total);
        if (decile != lastDecile) {
          lastDecile = decile;
          System.out.printf("LargeStore: %d%% (%d flows)%n", decile * 10, i + 1);
        }
      }
    }
    return atoms;
  }

  private static final String[] TASKS = {
    "fetch-order",
    "check-stock",
    "charge-card",
    "reserve-stock",
    "pack",
    "label",
    "ship",
    "notify",
    "invoice",
    "archive"
  };

  private static FlowDetail flow(
      SplittableRandom rnd, int i, int atoms, Instant end, boolean unfinished) {
    // 90% succeed; 4% succeed after a second attempt of one task; 3% FAILURE, 3% REVERTED
    int roll = rnd.nextInt(100);
    FlowState state =
        unfinished
            ? FlowState.RUNNING
            : roll < 94 ? FlowState.SUCCESS : roll < 97 ? FlowState.FAILURE : FlowState.REVERTED;
    int troubled = roll >= 90 ? rnd.nextInt(atoms) : -1;
    List<AtomDetail> ads = new ArrayList<>(atoms);
    // walk back from the end: each task took its own time
    long[] micros = new long[atoms];
    long sum = 0;
    for (int a = 0; a < atoms; a++) {
      // log-normal-ish: mostly tens of ms, a slow tail; charge-card is the slow one
      double base = a == 2 ? 250_000 : 20_000;
      micros[a] = (long) (base * Math.exp(rnd.nextDouble() * 1.5)) + rnd.nextInt(5_000);
      sum += micros[a];
    }
    Instant t = end.minusNanos(sum * 1000);
    Instant created = t.minusMillis(5);
    int runTo = unfinished ? atoms / 2 : atoms;
    for (int a = 0; a < atoms; a++) {
      String name = a < TASKS.length ? TASKS[a] : "task-" + a;
      TaskDetail td = TaskDetail.create(name);
      if (a >= runTo) {
        ads.add(td);
        continue;
      }
      Instant started = t;
      t = t.plusNanos(micros[a] * 1000);
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put(AtomDetail.META_STARTED_AT, started.toString());
      boolean failedHere = a == troubled && state != FlowState.SUCCESS;
      boolean retriedHere = a == troubled && state == FlowState.SUCCESS;
      meta.put(AtomDetail.META_ATTEMPT, retriedHere ? 2 : 1);
      meta.put(AtomDetail.META_HOST, "worker-" + (i % 8));
      if (unfinished && a == runTo - 1) {
        ads.add(td.withState(AtomState.RUNNING).withMeta(meta));
        continue;
      }
      meta.put(AtomDetail.META_ENDED_AT, t.toString());
      meta.put(AtomDetail.META_DURATION, micros[a] / 1e6);
      if (failedHere) {
        Failure f =
            Failure.of(
                new IllegalStateException(
                    name + " failed: gateway timeout after 5 s (order " + i + ")"));
        td = td.withState(AtomState.FAILURE).withFailure(f).withMeta(meta);
        if (state == FlowState.REVERTED) {
          td = td.withState(AtomState.REVERTED);
        }
        ads.add(td);
        // the rest never ran
        for (int b = a + 1; b < atoms; b++) {
          ads.add(TaskDetail.create(b < TASKS.length ? TASKS[b] : "task-" + b));
        }
        break;
      }
      ads.add(td.put(AtomState.SUCCESS, Map.of("order", i, "step", a)).withMeta(meta));
    }
    return FlowDetail.create("order-" + (i % 3 == 0 ? "express" : "standard"))
        .withState(state)
        .withAtoms(ads)
        .withTimes(created, t);
  }
}
