package io.taskflow4j.stats;

import io.taskflow4j.internal.Timestamps;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.Stamp;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeMap;
import org.HdrHistogram.PackedHistogram;

/**
 * Computes {@link StoreStats} over a store, reading it a part at a time so that what it holds does
 * not grow with the store.
 *
 * <p><b>How the store is read.</b> Statistics need every atom detail of the flows looked at, so the
 * choice is how to reach them with few round trips and bounded memory:
 *
 * <ul>
 *   <li>Without a filter, with {@link Connection#forEachLogBook}: the backend's own scan, which on
 *       SQL reads a page of books with all their flows and atoms in three queries and hands them
 *       over one at a time (on a directory or ZooKeeper, a book at a time). This is the fewest
 *       round trips per atom of any read, and what is held is one page of the scan.
 *   <li>With {@link StatsQuery#since} or {@link StatsQuery#flowName}, with {@link
 *       Connection#findFlows} pages of {@value #PAGE} flow summaries ({@code updatedSince}, {@code
 *       flowNamePrefix}: an indexed query on SQL, which reads no atom), then each flow of the page
 *       with {@link Connection#getFlowDetails(String)} (one indexed query per flow on SQL). A
 *       filter usually selects a small, recent part of a large store, which this reads without
 *       touching the rest; a scan would read the whole store to keep that part.
 *   <li>But with the same scan as without a filter, keeping the selected flows, when the backend
 *       does not answer {@code findFlows} itself (the interface's default scans the whole store for
 *       each page) or when its own {@link Connection#countFlows} says the filter selects more than
 *       a quarter of the flows (then one point read per flow costs more than the scan).
 * </ul>
 *
 * <p>What is kept while reading: one counter set and one {@link PackedHistogram} of durations per
 * atom name (a packed histogram holds only the buckets it uses: a few kilobytes), one counter per
 * exception type and day, and a heap of the {@code top} slowest flows. Percentiles come from the
 * histograms (three significant digits: within 0.1%), never from sorting the durations.
 *
 * <p>Damaged records are passed over and counted ({@link StoreStats#damaged()}); flows deleted
 * while the store is read are left out. Thread-safe: it keeps no state between calls.
 */
public final class StatsCollector {
  /** Flows per {@link Connection#findFlows} page of a filtered read. */
  static final int PAGE = 1_000;

  private StatsCollector() {}

  /**
   * The statistics of the flows {@code query} selects.
   *
   * @throws io.taskflow4j.persistence.StorageException when the store cannot be read
   */
  public static StoreStats collect(Connection connection, StatsQuery query) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(query, "query");
    Accumulator acc = new Accumulator(query.top());
    if (!query.filtered()) {
      connection.forEachLogBook(
          false,
          book -> {
            for (FlowDetail fd : book.flows()) {
              acc.flow(book.uuid(), book.name(), fd);
            }
          },
          damaged -> acc.damaged++);
      return acc.result(query);
    }
    FlowQuery fq =
        FlowQuery.all()
            .updatedSince(query.since().orElse(null))
            .flowNamePrefix(query.flowName().orElse(null))
            .limit(PAGE);
    String name = query.flowName().orElse(null);
    if (!pagingPays(connection, fq)) {
      connection.forEachLogBook(
          false,
          book -> {
            for (FlowDetail fd : book.flows()) {
              if (fq.matches(FlowSummary.of(book, fd))
                  && (name == null || name.equals(fd.name()))) {
                acc.flow(book.uuid(), book.name(), fd);
              }
            }
          },
          damaged -> acc.damaged++);
    } else {
      FlowPage page = connection.findFlows(fq);
      while (true) {
        for (FlowSummary s : page.flows()) {
          if (name != null && !name.equals(s.flowName())) {
            continue; // the listing filters by prefix
          }
          FlowDetail fd;
          try {
            fd = connection.getFlowDetails(s.flowUuid());
          } catch (NotFoundException deletedMeanwhile) {
            continue;
          } catch (CorruptRecordException e) {
            acc.damaged++;
            continue;
          }
          acc.flow(s.bookUuid(), s.bookName(), fd);
        }
        if (page.next().isEmpty()) {
          break;
        }
        page = connection.findFlows(fq.after(page.nextCursor()));
      }
    }
    return acc.result(query);
  }

  /**
   * Whether listing the selected flows and reading each is cheaper than one scan: only when the
   * backend answers {@link Connection#findFlows} itself (the interface's default scans the whole
   * store for every page), and, when it counts natively too, when the filter selects at most a
   * quarter of the flows (a point read per flow costs more than its share of a scan).
   */
  static boolean pagingPays(Connection connection, FlowQuery filter) {
    if (!overrides(connection, "findFlows", FlowQuery.class, java.util.function.Consumer.class)
        && !overrides(connection, "findFlows", FlowQuery.class)) {
      return false;
    }
    if (!overrides(connection, "countFlows", FlowQuery.class)) {
      return true;
    }
    long selected = sum(connection.countFlows(filter));
    long all = sum(connection.countFlows(FlowQuery.all()));
    return selected * 4 <= all;
  }

  private static boolean overrides(Connection connection, String method, Class<?>... params) {
    try {
      return connection.getClass().getMethod(method, params).getDeclaringClass()
          != Connection.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static long sum(Map<?, Long> counts) {
    long n = 0;
    for (long c : counts.values()) {
      n += c;
    }
    return n;
  }

  // ---- accumulating ----

  /** One failure a retry history recorded for an atom, and when its attempt ended. */
  private record RecordedFailure(Failure failure, Instant endedAt) {}

  private record FailureKey(LocalDate day, String type) {}

  /** The counters of one atom name. */
  private static final class PerName {
    long runs;
    long successes;
    long failures;
    long retries;
    long timed;
    double max;
    // Microseconds, three significant digits; packed: only the buckets used take memory.
    final PackedHistogram durations = new PackedHistogram(3);
  }

  private static final class Accumulator {
    private static final Comparator<SlowFlow> BY_WALL_TIME =
        Comparator.comparing(SlowFlow::wallTime).thenComparing(SlowFlow::flowUuid);

    private final int top;
    private final Map<String, PerName> byName = new HashMap<>();
    private final Map<FailureKey, long[]> failures = new HashMap<>();
    private final PriorityQueue<SlowFlow> slowest = new PriorityQueue<>(BY_WALL_TIME);
    long flows;
    long atoms;
    long damaged;

    Accumulator(int top) {
      this.top = top;
    }

    void flow(String bookUuid, String bookName, FlowDetail fd) {
      flows++;
      Map<String, List<RecordedFailure>> recorded = recordedFailures(fd);
      Instant first = null;
      Instant last = null;
      for (AtomDetail ad : fd.atoms()) {
        if (ad.name().equals(io.taskflow4j.storage.Storage.INJECTOR_NAME)) {
          continue; // the holder of injected values (TaskFlow's too), not a task that ran
        }
        atoms++;
        Map<String, Object> meta = ad.meta();
        Instant started = time(meta.get(AtomDetail.META_STARTED_AT));
        Instant ended = time(meta.get(AtomDetail.META_ENDED_AT));
        if (started != null && (first == null || started.isBefore(first))) {
          first = started;
        }
        if (ended != null && (last == null || ended.isAfter(last))) {
          last = ended;
        }
        atom(ad, started, ended, recorded.getOrDefault(ad.name(), List.of()));
      }
      if (top > 0 && first != null && last != null && !last.isBefore(first)) {
        slowest.add(
            new SlowFlow(bookUuid, bookName, fd.uuid(), fd.name(), fd.state(), first, last));
        if (slowest.size() > top) {
          slowest.poll();
        }
      }
    }

    private void atom(
        AtomDetail ad, Instant started, Instant ended, List<RecordedFailure> recorded) {
      Map<String, Object> meta = ad.meta();
      long attempt = whole(meta.get(AtomDetail.META_ATTEMPT));
      Failure latest = ad.failure();
      AtomState state = ad.state();
      boolean ran =
          attempt > 0
              || started != null
              || latest != null
              || state == AtomState.SUCCESS
              || state == AtomState.FAILURE;
      if (!ran && recorded.isEmpty()) {
        return;
      }
      long failed = 0;
      boolean latestRecorded = false;
      for (RecordedFailure r : recorded) {
        failed++;
        latestRecorded |= latest != null && latest.matches(r.failure());
        failure(r.failure(), r.endedAt() != null ? r.endedAt() : ended != null ? ended : started);
      }
      if (latest != null && !latestRecorded) {
        failed++;
        failure(latest, ended != null ? ended : started);
      }
      boolean succeeded =
          latest == null
              && (state == AtomState.SUCCESS
                  || (ended != null
                      && (state == AtomState.REVERTING
                          || state == AtomState.REVERTED
                          || state == AtomState.REVERT_FAILURE)));
      // Every known outcome was a run; a store written without attempt counts still counts them.
      long runs = Math.max(Math.max(attempt, ran ? 1 : 0), failed + (succeeded ? 1 : 0));
      PerName p = byName.computeIfAbsent(ad.name(), k -> new PerName());
      p.runs += runs;
      p.retries += runs - 1;
      p.failures += failed;
      p.successes += succeeded ? 1 : 0;
      double seconds = seconds(meta.get(AtomDetail.META_DURATION));
      if (seconds >= 0) {
        p.timed++;
        p.max = Math.max(p.max, seconds);
        p.durations.recordValue(Math.round(seconds * 1e6));
      }
    }

    private void failure(Failure f, Instant when) {
      LocalDate day = when == null ? null : LocalDate.ofInstant(when, ZoneOffset.UTC);
      failures.computeIfAbsent(new FailureKey(day, f.typeName()), k -> new long[1])[0]++;
    }

    StoreStats result(StatsQuery query) {
      List<AtomStats> atomStats = new ArrayList<>(byName.size());
      for (Map.Entry<String, PerName> e : new TreeMap<>(byName).entrySet()) {
        PerName p = e.getValue();
        atomStats.add(
            new AtomStats(
                e.getKey(),
                p.runs,
                p.successes,
                p.failures,
                p.retries,
                p.timed,
                percentile(p, 50),
                percentile(p, 95),
                percentile(p, 99),
                p.max));
      }
      List<FailureCount> failureCounts = new ArrayList<>(failures.size());
      failures.forEach((k, n) -> failureCounts.add(new FailureCount(k.day(), k.type(), n[0])));
      failureCounts.sort(
          Comparator.comparing(
                  FailureCount::day, Comparator.nullsLast(Comparator.<LocalDate>naturalOrder()))
              .thenComparing(FailureCount::count, Comparator.reverseOrder())
              .thenComparing(FailureCount::exceptionType));
      List<SlowFlow> slow = new ArrayList<>(slowest);
      slow.sort(BY_WALL_TIME.reversed());
      return new StoreStats(query, flows, atoms, damaged, atomStats, failureCounts, slow);
    }

    private static double percentile(PerName p, double percentile) {
      if (p.timed == 0) {
        return 0;
      }
      // The histogram reports a bucket's upper bound; the exact maximum bounds every percentile.
      return Math.min(p.durations.getValueAtPercentile(percentile) / 1e6, p.max);
    }
  }

  /**
   * The failures the retry controllers of {@code fd} recorded, by atom name: of their current
   * history and of the history they kept when they were reverted, each with its attempt's end.
   */
  private static Map<String, List<RecordedFailure>> recordedFailures(FlowDetail fd) {
    Map<String, List<RecordedFailure>> out = null;
    for (AtomDetail ad : fd.atoms()) {
      if (!(ad instanceof RetryDetail r)) {
        continue;
      }
      if (out == null) {
        out = new HashMap<>();
      }
      collect(r.history(), r.meta().get("attempts"), out);
      if (r.meta().get(RetryDetail.META_REVERTED_HISTORY) instanceof Map<?, ?> kept) {
        try {
          collect(TaskFlowFormat.historyFromJson(kept.get("history")), kept.get("attempts"), out);
        } catch (IllegalArgumentException | ClassCastException malformed) {
          // a post-mortem record a person edited: the current history still counts
        }
      }
    }
    return out == null ? Map.of() : out;
  }

  private static void collect(
      List<RetryDetail.Attempt> history, Object attempts, Map<String, List<RecordedFailure>> out) {
    List<?> infos = attempts instanceof List<?> l ? l : List.of();
    for (int i = 0; i < history.size(); i++) {
      Map<String, Failure> failed = history.get(i).failures();
      if (failed.isEmpty()) {
        continue;
      }
      Instant ended =
          i < infos.size() && infos.get(i) instanceof Map<?, ?> info
              ? time(info.get("ended_at"))
              : null;
      for (Map.Entry<String, Failure> e : failed.entrySet()) {
        out.computeIfAbsent(e.getKey(), k -> new ArrayList<>(2))
            .add(new RecordedFailure(e.getValue(), ended));
      }
    }
  }

  // ---- reading meta values ----

  /** A whole number of the meta, or 0. */
  private static long whole(Object v) {
    if (v instanceof Number n) {
      return Math.max(0, n.longValue());
    }
    if (v instanceof String s) {
      try {
        return Math.max(0, Long.parseLong(s.strip()));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  /** A duration in seconds, or -1 when there is none (or it is not a number of seconds). */
  private static double seconds(Object v) {
    double d = -1;
    if (v instanceof Number n) {
      d = n.doubleValue();
    } else if (v instanceof String s) {
      try {
        d = Double.parseDouble(s.strip());
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return d >= 0 && Double.isFinite(d) ? d : -1;
  }

  /** An instant of the meta (ISO-8601 text, or a {@link Stamp} in memory), or null. */
  static Instant time(Object v) {
    if (v instanceof Stamp s) {
      return s.instant();
    }
    if (!(v instanceof String s)) {
      return null;
    }
    Instant fast = utc(s);
    if (fast != null) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}, the form every engine writes, parsed without a
   * formatter (a million atoms carry two each); null for any other form.
   */
  private static Instant utc(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(n - 1) != 'Z' || s.charAt(10) != 'T') {
      return null;
    }
    return Timestamps.parseLocal(s, n - 1);
  }
}
