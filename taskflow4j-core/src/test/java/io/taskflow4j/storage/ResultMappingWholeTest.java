package io.taskflow4j.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The whole-result mapping keeps no map of its own; it must behave as the general one. */
class ResultMappingWholeTest {

  @Test
  void behavesAsTheSameMappingGivenAsAMap() {
    Map<String, Object> asMap = new HashMap<>();
    asMap.put("v", null);
    ResultMapping whole = ResultMapping.whole("v");
    ResultMapping general = ResultMapping.of(asMap);

    assertThat(whole).isEqualTo(general).hasSameHashCodeAs(general);
    assertThat(general).isEqualTo(whole);
    assertThat(whole.asMap()).isEqualTo(asMap);
    assertThat(whole.names()).containsExactly("v");
    assertThat(whole.isEmpty()).isFalse();
    assertThat(whole.provides("v")).isTrue();
    assertThat(whole.provides("w")).isFalse();
    assertThat(whole.keyOf("v")).isNull();
    assertThatThrownBy(() -> whole.keyOf("w")).isInstanceOf(IllegalArgumentException.class);
    assertThat(whole.missingIn(null)).isEmpty();
    assertThat(whole.missingIn(List.of())).isEmpty();
    assertThat(whole.toString()).contains("v");
  }

  @Test
  void mergesWithOtherMappings() {
    ResultMapping merged = ResultMapping.whole("v").merge(ResultMapping.byKey(List.of("k")));

    assertThat(merged.names()).containsExactly("v", "k");
    assertThat(merged.keyOf("k")).isEqualTo("k");
    assertThat(ResultMapping.whole("v").merge(ResultMapping.whole("v")))
        .isEqualTo(ResultMapping.whole("v"));
  }

  @Test
  void forEachGivesEveryNameAndKeyInOrder() {
    Map<String, Object> seen = new LinkedHashMap<>();
    ResultMapping.whole("v").forEach(seen::put);
    assertThat(seen).containsExactly(entry("v", null));

    seen.clear();
    ResultMapping.byIndex(List.of("a", "b")).forEach(seen::put);
    assertThat(seen).containsExactly(entry("a", 0), entry("b", 1));

    seen.clear();
    ResultMapping.none().forEach(seen::put);
    assertThat(seen).isEmpty();
    assertThat(ResultMapping.none().isEmpty()).isTrue();
  }

  @Test
  void equalityTellsNamesAndKeysApart() {
    assertThat(ResultMapping.whole("v")).isNotEqualTo(ResultMapping.whole("w"));
    assertThat(ResultMapping.whole("v")).isNotEqualTo(ResultMapping.byKey(List.of("v")));
    assertThat(ResultMapping.byKey(List.of("v"))).isNotEqualTo(ResultMapping.whole("v"));
    assertThat(ResultMapping.whole("v")).isNotEqualTo(ResultMapping.none());
    assertThat(ResultMapping.byIndex(List.of("a")))
        .isEqualTo(ResultMapping.of(Map.of("a", 0)))
        .hasSameHashCodeAs(ResultMapping.of(Map.of("a", 0)));
  }
}
