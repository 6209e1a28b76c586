package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The query's own rules: its parts, its cursor, and what it refuses. */
class FlowQueryTest {
  private static FlowSummary summary(String uuid, String name, FlowState s, Instant updated) {
    return new FlowSummary("b", "book", uuid, name, s, updated, updated, 1, Map.of());
  }

  @Test
  void eachPartIsSetOnACopyAndTheOriginalStaysAsItWas() {
    Instant t = Instant.parse("2026-01-01T00:00:00.123456789Z");
    FlowQuery all = FlowQuery.all();
    FlowQuery q =
        all.states(FlowState.FAILURE)
            .updatedSince(t)
            .updatedBefore(t.plusSeconds(60))
            .createdSince(t.minusSeconds(60))
            .createdBefore(t)
            .flowNamePrefix("order")
            .bookNamePrefix("")
            .limit(7);
    assertThat(all.states()).isEmpty();
    assertThat(all.limit()).isEqualTo(FlowQuery.DEFAULT_LIMIT);
    assertThat(q.states()).containsExactly(FlowState.FAILURE);
    assertThat(q.updatedSince()).contains(Instant.parse("2026-01-01T00:00:00.123456Z"));
    assertThat(q.updatedBefore()).isPresent();
    assertThat(q.createdSince()).isPresent();
    assertThat(q.createdBefore()).isPresent();
    assertThat(q.flowNamePrefix()).contains("order");
    assertThat(q.bookNamePrefix()).as("an empty prefix is no prefix").isEmpty();
    assertThat(q.limit()).isEqualTo(7);
    assertThat(q)
        .isEqualTo(
            all.limit(7)
                .flowNamePrefix("order")
                .states(List.of(FlowState.FAILURE))
                .updatedSince(t)
                .updatedBefore(t.plusSeconds(60))
                .createdSince(t.minusSeconds(60))
                .createdBefore(t));
    assertThat(FlowQuery.unfinished().states())
        .isEqualTo(
            EnumSet.complementOf(
                EnumSet.of(FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE)));
  }

  @Test
  void aCursorContinuesStrictlyAfterItsFlowInTheListingsOrder() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    FlowSummary at = summary("m", "x", FlowState.SUCCESS, t);
    FlowQuery after = FlowQuery.all().after(at.cursor());
    assertThat(after.afterUpdatedAt()).contains(t);
    assertThat(after.afterFlowUuid()).contains("m");
    assertThat(after.isAfterCursor(summary("z", "x", FlowState.SUCCESS, t.minusNanos(1000))))
        .isTrue();
    assertThat(after.isAfterCursor(summary("a", "x", FlowState.SUCCESS, t))).isTrue();
    assertThat(after.isAfterCursor(summary("m", "x", FlowState.SUCCESS, t))).isFalse();
    assertThat(after.isAfterCursor(summary("z", "x", FlowState.SUCCESS, t))).isFalse();
    assertThat(after.isAfterCursor(summary("a", "x", FlowState.SUCCESS, t.plusSeconds(1))))
        .isFalse();
    assertThat(after.withoutCursor()).isEqualTo(FlowQuery.all());
    assertThat(FlowQuery.all().isAfterCursor(at)).isTrue();
  }

  @Test
  void whatItRefusesSaysWhatToDo() {
    assertThatThrownBy(() -> FlowQuery.all().limit(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 10000");
    assertThatThrownBy(() -> FlowQuery.all().limit(FlowQuery.MAX_LIMIT + 1))
        .isInstanceOf(IllegalArgumentException.class);
    for (String bad : List.of("nope!", "", "bm9jb2xvbg", "MTIzOg", "eDpm")) {
      assertThatThrownBy(() -> FlowQuery.all().after(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a cursor of a flow listing");
    }
  }

  @Test
  void matchesAppliesEveryFilter() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    FlowSummary f = summary("u", "order-1", FlowState.FAILURE, t);
    assertThat(FlowQuery.all().matches(f)).isTrue();
    assertThat(FlowQuery.all().states(FlowState.SUCCESS).matches(f)).isFalse();
    assertThat(FlowQuery.all().updatedSince(t).matches(f)).as("since is inclusive").isTrue();
    assertThat(FlowQuery.all().updatedBefore(t).matches(f)).as("before is exclusive").isFalse();
    assertThat(FlowQuery.all().flowNamePrefix("order").matches(f)).isTrue();
    assertThat(FlowQuery.all().flowNamePrefix("Order").matches(f)).isFalse();
    assertThat(FlowQuery.all().bookNamePrefix("bo").matches(f)).isTrue();
  }
}
