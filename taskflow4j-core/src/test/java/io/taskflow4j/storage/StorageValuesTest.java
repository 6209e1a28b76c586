package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.RetryDetail.Attempt;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The small value types of the storage package. */
class StorageValuesTest {

  @Test
  void result_mappings_follow_taskflow_save_as() {
    assertThat(ResultMapping.none().isEmpty()).isTrue();
    assertThat(ResultMapping.whole("r").asMap()).containsOnlyKeys("r");
    assertThat(ResultMapping.whole("r").keyOf("r")).isNull();
    Map<String, Object> byNull = new HashMap<>();
    byNull.put("r", null);
    assertThat(ResultMapping.whole("r")).isEqualTo(ResultMapping.of(byNull));
    assertThat(ResultMapping.byIndex(List.of("a", "b")).asMap())
        .containsExactly(Map.entry("a", 0), Map.entry("b", 1));
    assertThat(ResultMapping.byKey(List.of("a", "b")).asMap())
        .containsExactly(Map.entry("a", "a"), Map.entry("b", "b"));
    assertThat(ResultMapping.byIndex(List.of("a", "b")).names()).containsExactly("a", "b");
    assertThat(ResultMapping.byIndex(List.of("a")).keyOf("a")).isEqualTo(0);
    assertThat(ResultMapping.byIndex(List.of("a", "b")).missingIn(List.of(1))).containsExactly("b");
    assertThat(ResultMapping.byKey(Set.of("k")).missingIn(Map.of("k", 1))).isEmpty();
    assertThat(ResultMapping.byKey(Set.of("k")).missingIn(List.of())).containsExactly("k");
  }

  @Test
  void result_mappings_refuse_bad_names() {
    assertThatThrownBy(() -> ResultMapping.byIndex(List.of("a", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a' is listed twice");
    assertThatThrownBy(() -> ResultMapping.whole("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResultMapping.of(Map.of("a", -1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a'");
    assertThatThrownBy(() -> new AtomSpec("", AtomKind.TASK, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new AtomSpec("a", AtomKind.TASK, null, null).provides())
        .isEqualTo(ResultMapping.none());
  }

  @Test
  void options_validate_and_back_off_doubling_up_to_the_cap() {
    StorageOptions o =
        StorageOptions.builder()
            .writeRetryBackoff(Duration.ofMillis(50))
            .maxWriteRetryBackoff(Duration.ofMillis(300))
            .build();
    assertThat(o.backoffAfter(1)).isEqualTo(Duration.ofMillis(50));
    assertThat(o.backoffAfter(2)).isEqualTo(Duration.ofMillis(100));
    assertThat(o.backoffAfter(3)).isEqualTo(Duration.ofMillis(200));
    assertThat(o.backoffAfter(4)).isEqualTo(Duration.ofMillis(300));
    assertThat(o.backoffAfter(60)).isEqualTo(Duration.ofMillis(300));
    assertThat(StorageOptions.defaults().writeAttempts()).isEqualTo(3);
    assertThatThrownBy(() -> StorageOptions.builder().writeAttempts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("writeAttempts must be at least 1, was 0");
    assertThatThrownBy(() -> StorageOptions.builder().writeRetryBackoff(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                StorageOptions.builder()
                    .writeRetryBackoff(Duration.ofSeconds(5))
                    .maxWriteRetryBackoff(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be larger");
  }

  @Test
  void retry_history_answers_like_taskflow_history() {
    Failure boom = Failure.of(new IllegalStateException("boom"));
    Failure own = Failure.of(new ArithmeticException("own"));
    RetryHistory h =
        new RetryHistory(
            List.of(new Attempt(1, Map.of("t1", boom)), new Attempt(2, Map.of())), own);
    assertThat(h.size()).isEqualTo(2);
    assertThat(h.providedValues()).containsExactly(1, 2);
    assertThat(h.outcomes(null)).containsExactly(Map.entry("t1", boom));
    assertThat(h.outcomes(1)).isEmpty();
    assertThat(h.causedBy(IllegalStateException.class, null, false)).isSameAs(boom);
    assertThat(h.causedBy(IllegalStateException.class, 1, false)).isNull();
    assertThat(h.causedBy(ArithmeticException.class, null, false)).isNull();
    assertThat(h.causedBy(ArithmeticException.class, null, true)).isSameAs(own);
    assertThat(h.isCausedBy(RuntimeException.class, 0, false)).isTrue();
    assertThatThrownBy(() -> h.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
