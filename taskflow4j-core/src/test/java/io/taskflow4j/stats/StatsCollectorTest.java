package io.taskflow4j.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.retry.Times;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatsCollectorTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final Backend backend = Backends.open("memory://");
  private final Connection c = backend.getConnection();

  @AfterEach
  void close() {
    c.close();
    backend.close();
  }

  private static TaskDetail ran(String name, Instant start, double seconds, int attempt) {
    Instant end = start.plusNanos(Math.round(seconds * 1e9));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put(AtomDetail.META_STARTED_AT, start.toString());
    meta.put(AtomDetail.META_ENDED_AT, end.toString());
    meta.put(AtomDetail.META_DURATION, seconds);
    meta.put(AtomDetail.META_ATTEMPT, attempt);
    return (TaskDetail) TaskDetail.create(name).put(AtomState.SUCCESS, "ok").withMeta(meta);
  }

  private static Failure failure(RuntimeException e) {
    return Failure.of(e).withoutException();
  }

  private void save(String flowName, AtomDetail... atoms) {
    FlowDetail fd =
        FlowDetail.create(flowName).withState(FlowState.SUCCESS).withAtoms(List.of(atoms));
    c.saveLogBook(LogBook.create("book " + flowName).withFlow(fd));
  }

  @Test
  void percentilesComeFromTheDurationsWithinTheHistogramsPrecision() {
    // 1,000 runs of 1 ms to 1,000 ms, in books of 100 flows
    for (int b = 0; b < 10; b++) {
      List<FlowDetail> flows = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        int ms = b * 100 + i;
        flows.add(
            FlowDetail.create("f")
                .withState(FlowState.SUCCESS)
                .withAtoms(List.of(ran("step", T0.plusSeconds(ms), ms / 1000.0, 1))));
      }
      c.saveLogBook(LogBook.create("b" + b).withFlows(flows));
    }
    StoreStats s = StatsCollector.collect(c, StatsQuery.all());
    assertThat(s.flows()).isEqualTo(1000);
    assertThat(s.atoms()).isEqualTo(1000);
    AtomStats step = s.atom("step").orElseThrow();
    assertThat(step.runs()).isEqualTo(1000);
    assertThat(step.successes()).isEqualTo(1000);
    assertThat(step.failures()).isZero();
    assertThat(step.retries()).isZero();
    assertThat(step.timed()).isEqualTo(1000);
    assertThat(step.p50()).isCloseTo(0.500, within(0.0005));
    assertThat(step.p95()).isCloseTo(0.950, within(0.00095));
    assertThat(step.p99()).isCloseTo(0.990, within(0.00099));
    assertThat(step.max()).isEqualTo(1.0);
    assertThat(s.failures()).isEmpty();
  }

  @Test
  void aFailureARetryRecordedCountsOnceWithItsTypeAndDay() {
    Failure timeout = failure(new IllegalStateException("gateway timeout"));
    String failedAt = "2026-03-01T23:59:59.500000Z";
    RetryDetail retry =
        RetryDetail.create("charge-retry")
            .withHistory(
                List.of(
                    new RetryDetail.Attempt(1, Map.of("charge", timeout)),
                    new RetryDetail.Attempt(2, Map.of())))
            .withState(AtomState.SUCCESS)
            .withMetaEntries(
                Map.of(
                    "attempts",
                    List.of(
                        Map.of("started_at", "2026-03-01T23:59:59Z", "ended_at", failedAt),
                        Map.of("started_at", "2026-03-02T00:00:01Z"))));
    // the successful second run, on the next day
    TaskDetail charge = ran("charge", Instant.parse("2026-03-02T00:00:01Z"), 0.25, 2);
    save("order", retry, charge);

    StoreStats s = StatsCollector.collect(c, StatsQuery.all());
    AtomStats a = s.atom("charge").orElseThrow();
    assertThat(a.runs()).isEqualTo(2);
    assertThat(a.successes()).isEqualTo(1);
    assertThat(a.failures()).isEqualTo(1);
    assertThat(a.retries()).isEqualTo(1);
    assertThat(a.timed()).isEqualTo(1);
    assertThat(a.max()).isEqualTo(0.25);
    assertThat(s.failures())
        .containsExactly(
            new FailureCount(LocalDate.parse("2026-03-01"), "java.lang.IllegalStateException", 1));
  }

  @Test
  void aRetryThatGaveUpIsNotCountedTwiceForItsLastFailure() {
    List<RetryDetail.Attempt> history = new ArrayList<>();
    Failure last = null;
    for (int i = 1; i <= 3; i++) {
      last = failure(new IllegalArgumentException("bad " + i));
      history.add(new RetryDetail.Attempt(i, Map.of("t", last)));
    }
    Map<String, Object> kept = new LinkedHashMap<>();
    kept.put("reverted_at", "2026-03-01T10:00:09Z");
    kept.put("history", TaskFlowFormat.historyToJson(history));
    RetryDetail retry =
        RetryDetail.create("r")
            .withState(AtomState.REVERTED)
            .withMetaEntries(Map.of(RetryDetail.META_REVERTED_HISTORY, kept));
    AtomDetail t =
        TaskDetail.create("t")
            .put(AtomState.FAILURE, last)
            .withState(AtomState.REVERTED)
            .withMeta(
                Map.of(
                    AtomDetail.META_ATTEMPT,
                    3,
                    AtomDetail.META_STARTED_AT,
                    "2026-03-01T10:00:05Z",
                    AtomDetail.META_ENDED_AT,
                    "2026-03-01T10:00:06Z",
                    AtomDetail.META_DURATION,
                    1.0));
    save("gives-up", retry, t);

    AtomStats a = StatsCollector.collect(c, StatsQuery.all()).atom("t").orElseThrow();
    assertThat(a.runs()).isEqualTo(3);
    assertThat(a.failures()).isEqualTo(3);
    assertThat(a.successes()).isZero();
    assertThat(a.retries()).isEqualTo(2);
  }

  @Test
  void aRealRunWithARetryReportsEveryAttempt() {
    LinearFlow flow =
        LinearFlow.of("retrying", new Times("r", 3).provides("attempt"))
            .add(
                Task.of(
                        "flaky",
                        Integer.class,
                        attempt -> {
                          if (attempt < 3) {
                            throw new IllegalStateException("boom " + attempt);
                          }
                          return attempt;
                        })
                    .requires("attempt"));
    try (Engine engine =
        Engines.load(flow).backend(backend).logBook(LogBook.create("run")).build()) {
      engine.run();
    }
    StoreStats s = StatsCollector.collect(c, StatsQuery.all());
    AtomStats flaky = s.atom("flaky").orElseThrow();
    assertThat(flaky.runs()).isEqualTo(3);
    assertThat(flaky.successes()).isEqualTo(1);
    assertThat(flaky.failures()).isEqualTo(2);
    assertThat(flaky.retries()).isEqualTo(2);
    assertThat(flaky.timed()).isEqualTo(1);
    assertThat(s.failures()).hasSize(1);
    assertThat(s.failures().get(0).exceptionType()).isEqualTo("java.lang.IllegalStateException");
    assertThat(s.failures().get(0).count()).isEqualTo(2);
    assertThat(s.failures().get(0).day()).isNotNull();
    assertThat(s.slowest())
        .singleElement()
        .satisfies(f -> assertThat(f.flowName()).isEqualTo("retrying"));
    // the JSON form reads back with the same numbers
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) Json.read(s.toJson());
    assertThat(json.get("flows")).isEqualTo(1);
    assertThat((List<?>) json.get("atom_stats"))
        .anySatisfy(
            m ->
                assertThat(m)
                    .isEqualTo(Json.read(Json.write(s.atom("flaky").orElseThrow().toMap()))));
  }

  @Test
  void theSlowestFlowsAreTheTopByWallTimeFromFirstStartToLastEnd() {
    for (int i = 1; i <= 5; i++) {
      // two atoms with a gap: wall time = i * 10 s, though each atom takes 1 s
      save("flow-" + i, ran("a", T0, 1, 1), ran("b", T0.plusSeconds(i * 10L - 1), 1, 1));
    }
    StoreStats s = StatsCollector.collect(c, StatsQuery.all().top(2));
    assertThat(s.slowest()).extracting(SlowFlow::flowName).containsExactly("flow-5", "flow-4");
    assertThat(s.slowest().get(0).wallTime()).isEqualTo(Duration.ofSeconds(50));
    assertThat(StatsCollector.collect(c, StatsQuery.all().top(0)).slowest()).isEmpty();
  }

  @Test
  void sinceAndFlowNameSelectFlowsByTheirRecordTimesAndExactName() {
    Instant old = Instant.now().minus(Duration.ofDays(30));
    FlowDetail aged =
        FlowDetail.create("nightly").withAtoms(List.of(ran("x", old, 1, 1))).withTimes(old, old);
    c.replaceLogBook(LogBook.create("old").withFlow(aged));
    save("nightly", ran("x", T0, 2, 1));
    save("nightly-extra", ran("x", T0, 3, 1));
    save("hourly", ran("y", T0, 4, 1));

    StoreStats recent =
        StatsCollector.collect(c, StatsQuery.all().since(Instant.now().minus(Duration.ofDays(7))));
    assertThat(recent.flows()).isEqualTo(3);
    assertThat(recent.atom("x").orElseThrow().runs()).isEqualTo(2);

    StoreStats nightly = StatsCollector.collect(c, StatsQuery.all().flowName("nightly"));
    assertThat(nightly.flows()).isEqualTo(2);
    assertThat(nightly.atom("y")).isEmpty();

    StoreStats both =
        StatsCollector.collect(
            c, StatsQuery.all().flowName("nightly").since(Instant.now().minus(Duration.ofDays(7))));
    assertThat(both.flows()).isEqualTo(1);
    assertThat(both.atom("x").orElseThrow().max()).isEqualTo(2.0);
    assertThat(StatsCollector.collect(c, StatsQuery.all()).flows()).isEqualTo(4);
  }

  @Test
  void aSelectiveFilterListsTheFlowsAndAWideOneScans() {
    Instant old = Instant.now().minus(Duration.ofDays(30));
    for (int i = 0; i < 7; i++) {
      FlowDetail aged =
          FlowDetail.create("nightly").withAtoms(List.of(ran("x", old, 1, 1))).withTimes(old, old);
      c.replaceLogBook(LogBook.create("old " + i).withFlow(aged));
    }
    save("nightly", ran("x", T0, 2, 1));
    StatsQuery lastWeek = StatsQuery.all().since(Instant.now().minus(Duration.ofDays(7)));
    FlowQuery selective = FlowQuery.all().updatedSince(lastWeek.since().orElseThrow());
    assertThat(StatsCollector.pagingPays(c, selective)).isTrue();
    assertThat(StatsCollector.pagingPays(c, FlowQuery.all().flowNamePrefix("night"))).isFalse();

    StoreStats recent = StatsCollector.collect(c, lastWeek.flowName("nightly"));
    assertThat(recent.flows()).isEqualTo(1);
    assertThat(recent.atom("x").orElseThrow().max()).isEqualTo(2.0);
    assertThat(StatsCollector.collect(c, StatsQuery.all().flowName("nightly")).flows())
        .isEqualTo(8);
  }

  @Test
  void anAtomThatNeverRanIsNotCounted() {
    save("f", TaskDetail.create("pending"), ran("done", T0, 1, 1));
    StoreStats s = StatsCollector.collect(c, StatsQuery.all());
    assertThat(s.atoms()).isEqualTo(2);
    assertThat(s.atomStats()).extracting(AtomStats::name).containsExactly("done");
  }

  @Test
  void theHolderOfInjectedValuesIsNoTask() {
    TaskDetail injector =
        TaskDetail.create(io.taskflow4j.storage.Storage.INJECTOR_NAME)
            .put(AtomState.SUCCESS, java.util.Map.of("x", 1));
    save("f", injector, ran("done", T0, 1, 1));
    StoreStats s = StatsCollector.collect(c, StatsQuery.all());
    assertThat(s.atoms()).isEqualTo(1);
    assertThat(s.atomStats()).extracting(AtomStats::name).containsExactly("done");
  }

  @Test
  void aQueryRefusesWhatItCannotDo() {
    assertThatThrownBy(() -> StatsQuery.all().top(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("from 0 to 10000");
    assertThatThrownBy(() -> StatsQuery.all().flowName(""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timesInOtherIsoFormsAreRead() {
    assertThat(StatsCollector.time("2026-03-01T10:00:00Z")).isEqualTo(T0);
    assertThat(StatsCollector.time("2026-03-01T10:00:00.123456Z"))
        .isEqualTo(T0.plusNanos(123_456_000));
    assertThat(StatsCollector.time("2026-03-01T11:00:00+01:00")).isEqualTo(T0);
    assertThat(StatsCollector.time("2026-02-30T10:00:00Z")).isNull();
    assertThat(StatsCollector.time("yesterday")).isNull();
    assertThat(StatsCollector.time(42)).isNull();
  }
}
