package io.taskflow4j.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.EngineEnv;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.storage.AtomSpec;
import io.taskflow4j.storage.AttemptInfo;
import io.taskflow4j.storage.RetryHistory;
import io.taskflow4j.storage.Storage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Beyond TaskFlow: each attempt of a retry records when it started and ended and what failed, in
 * the retry's meta ({@code attempts}), aligned with the history, which keeps TaskFlow's shape.
 */
class RetryAttemptInfoTest {
  @TempDir Path dir;

  static List<EngineEnv.Case> cases() {
    return EngineEnv.cases().toList();
  }

  /** A clock that moves one second forward per reading, so times are ordered and distinct. */
  static final class Ticking extends Clock {
    private final AtomicLong seconds = new AtomicLong();

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seconds.incrementAndGet());
    }
  }

  private static LinearFlow flow() {
    return LinearFlow.of("flow-1", new Times("r1", 3).provides("attempt"))
        .add(
            Task.of(
                    "bad",
                    Integer.class,
                    attempt -> {
                      if (attempt < 3) {
                        throw new IllegalStateException("boom " + attempt + "\nsecond line");
                      }
                      return attempt;
                    })
                .requires("attempt"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachAttemptRecordsItsTimesAndWhatFailed(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(flow()).clock(new Ticking()).build()) {
      engine.run();
      RetryHistory h = engine.storage().getRetryHistory("r1");
      assertThat(h.providedValues()).containsExactly(1, 2, 3);
      assertThat(h.attemptInfos()).hasSize(3);
      AttemptInfo a0 = h.attemptInfo(0);
      AttemptInfo a1 = h.attemptInfo(1);
      AttemptInfo last = h.attemptInfo(-1);
      assertThat(a0.summary()).isEqualTo("bad: IllegalStateException: boom 1 second line");
      assertThat(a1.summary()).isEqualTo("bad: IllegalStateException: boom 2 second line");
      assertThat(a0.failed()).isTrue();
      Instant s0 = Instant.parse(a0.startedAt());
      Instant e0 = Instant.parse(a0.endedAt());
      Instant s1 = Instant.parse(a1.startedAt());
      Instant e1 = Instant.parse(a1.endedAt());
      assertThat(s0).isBefore(e0);
      assertThat(e0).isBefore(s1);
      assertThat(s1).isBefore(e1);
      assertThat(Instant.parse(last.startedAt())).isAfter(e1);
      // The successful attempt ended when everything the retry guards had succeeded.
      assertThat(last.endedAt()).isNotNull();
      assertThat(Instant.parse(last.endedAt())).isAfter(Instant.parse(last.startedAt()));
      assertThat(last.summary()).isNull();
      assertThat(last.failed()).isFalse();

      // A post-mortem from the store alone reads the same story.
      FlowDetail fd = env.reload(engine.flowDetail().uuid());
      RetryDetail stored = (RetryDetail) fd.findByName("r1").orElseThrow();
      assertThat(stored.meta().get(AttemptInfo.META_ATTEMPTS))
          .asList()
          .hasSize(3)
          .first()
          .isEqualTo(
              Map.of(
                  "started_at", a0.startedAt(),
                  "ended_at", a0.endedAt(),
                  "summary", a0.summary()));
      try (Connection conn = env.backend.getConnection()) {
        RetryHistory reread = new Storage(fd, conn).getRetryHistory("r1");
        assertThat(reread.attemptInfos()).isEqualTo(h.attemptInfos());
        assertThat(reread).isEqualTo(h);
      }

      // TaskFlow's results shape is untouched: [[value, {atom: failure}], ...].
      Object results = TaskFlowFormat.atomToMap(stored).get("results");
      assertThat(results).asList().hasSize(3);
      List<?> first = (List<?>) ((List<?>) results).get(0);
      assertThat(first).hasSize(2);
      assertThat(first.get(0)).isEqualTo(1);
      assertThat(((Map<?, ?>) first.get(1)).keySet()).isEqualTo(java.util.Set.of("bad"));
      assertThat(((List<?>) results).get(2)).isEqualTo(List.of(3, Map.of()));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void attemptInfosAreWipedWithTheHistoryWhenTheRetryReverts(EngineEnv.Case c) {
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine =
            env.load(
                    LinearFlow.of("flow-1", new Times("r1", 2))
                        .add(
                            Task.of(
                                "bad",
                                () -> {
                                  throw new IllegalStateException("always");
                                })))
                .build()) {
      assertThatThrownBy(engine::run).hasMessage("always");
      assertThat(engine.storage().getRetryHistory("r1").attemptInfos()).isEmpty();
      RetryDetail stored =
          (RetryDetail) env.reload(engine.flowDetail().uuid()).findByName("r1").orElseThrow();
      assertThat(stored.meta().get(AttemptInfo.META_ATTEMPTS)).isEqualTo(List.of());
      // A rerun starts a new, aligned story.
      assertThatThrownBy(engine::run).hasMessage("always");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void nestedAttemptsEndWhenTheirOwnScopeSucceedsInnerFirst(EngineEnv.Case c) {
    LinearFlow inner =
        LinearFlow.of("inner", new Times("r-in", 2))
            .add(Task.of("a", () -> 1).provides("x"), Task.of("b", () -> 2));
    LinearFlow outer =
        LinearFlow.of("outer", new Times("r-out", 2)).add(inner, Task.of("c", () -> 3));
    try (EngineEnv env = new EngineEnv(c, dir);
        Engine engine = env.load(outer).clock(new Ticking()).build()) {
      engine.run();
      AttemptInfo in = engine.storage().getRetryHistory("r-in").attemptInfo(-1);
      AttemptInfo out = engine.storage().getRetryHistory("r-out").attemptInfo(-1);
      assertThat(in.endedAt()).isNotNull();
      assertThat(out.endedAt()).isNotNull();
      // The inner scope (a, b) is done before the outer one (inner flow, then c).
      assertThat(Instant.parse(in.endedAt())).isBefore(Instant.parse(out.endedAt()));
      assertThat(Instant.parse(out.startedAt())).isBefore(Instant.parse(in.startedAt()));
      RetryDetail stored =
          (RetryDetail) env.reload(engine.flowDetail().uuid()).findByName("r-out").orElseThrow();
      List<?> infos = (List<?>) stored.meta().get(AttemptInfo.META_ATTEMPTS);
      assertThat(infos).hasSize(1);
      assertThat(((Map<?, ?>) infos.get(0)).get("ended_at")).isEqualTo(out.endedAt());
    }
  }

  private static Storage storageWithRetry(Connection conn) {
    FlowDetail fd = FlowDetail.create("f");
    conn.saveLogBook(LogBook.create("b").withFlow(fd));
    Storage s =
        new Storage(
            conn.getFlowDetails(fd.uuid()),
            conn,
            io.taskflow4j.storage.StorageOptions.builder()
                .clock(Clock.offset(Clock.systemUTC(), Duration.ZERO))
                .build());
    s.ensureAtom(AtomSpec.retry("r"));
    return s;
  }

  @Test
  void severalFailuresOfOneAttemptAreSummarisedTogetherAndRecordedOnce() {
    try (var backend = io.taskflow4j.persistence.Backends.open("memory://");
        Connection conn = backend.getConnection()) {
      Storage s = storageWithRetry(conn);
      s.save("r", "v1");
      Failure fa = Failure.of(new IllegalStateException("a broke"));
      Failure fb = Failure.of(new IllegalArgumentException());
      s.saveRetryFailure("r", "a", fa);
      s.saveRetryFailure("r", "b", fb);
      s.saveRetryFailure("r", "a", fa); // already recorded: no change
      AttemptInfo info = s.getRetryHistory("r").attemptInfo(0);
      assertThat(info.summary())
          .isEqualTo("a: IllegalStateException: a broke; b: IllegalArgumentException");
      assertThat(info.endedAt()).isNotNull();
      assertThat(info.startedAt()).isNotNull();

      // A reset (e.g. the retry's scope retried by an outer retry) drops the infos with the
      // history; the next attempt is again at index 0.
      s.reset("r", AtomState.PENDING);
      assertThat(s.getRetryHistory("r").attemptInfos()).isEmpty();
      s.save("r", "v2");
      RetryHistory h = s.getRetryHistory("r");
      assertThat(h.providedValues()).containsExactly("v2");
      assertThat(h.attemptInfo(0).summary()).isNull();
      assertThat(h.attemptInfo(0).startedAt()).isNotNull();
    }
  }

  @Test
  void historiesWithoutInfosReadAsUnknownAttempts() {
    // E.g. a history written by TaskFlow: no "attempts" in meta.
    RetryHistory h = new RetryHistory(List.of(new RetryDetail.Attempt(1, Map.of())), null);
    assertThat(h.attemptInfo(0)).isEqualTo(AttemptInfo.UNKNOWN);
    assertThatThrownBy(() -> h.attemptInfo(1))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("has 1");
  }
}
