package io.taskflow4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArrayMapTest {

  @Test
  void keysAndValuesAreFreshViewsInOrder() {
    ArrayMap<String, Object> m = ArrayMap.ofEntries("a", 1, "b", null, "c", 3);

    assertThat(new ArrayList<>(m.keySet())).containsExactly("a", "b", "c");
    assertThat(new ArrayList<>(m.values())).containsExactly(1, null, 3);
    assertThat(m.keySet()).isNotSameAs(m.keySet()).contains("b").doesNotContain("d");
    assertThat(m.values()).hasSize(3);
    assertThat(m.keyAt(1)).isEqualTo("b");
    assertThatThrownBy(() -> m.keyAt(3)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> m.keySet().iterator().remove())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  private static Map<String, Object> sample(int n) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = n; i > 0; i--) {
      m.put("k" + i, i % 3 == 0 ? null : i);
    }
    return m;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 8, 9, 100, 1000})
  void behavesAsTheMapItCopiesInItsOrder(int n) {
    Map<String, Object> source = sample(n);
    ArrayMap<String, Object> copy = ArrayMap.copyOf(source);

    assertThat(copy).isEqualTo(source).hasSameHashCodeAs(source);
    assertThat(source).isEqualTo(copy);
    assertThat(new ArrayList<>(copy.keySet())).isEqualTo(new ArrayList<>(source.keySet()));
    for (Map.Entry<String, Object> e : source.entrySet()) {
      assertThat(copy.containsKey(e.getKey())).isTrue();
      assertThat(copy.get(e.getKey())).isEqualTo(e.getValue());
    }
    assertThat(copy.containsKey("absent")).isFalse();
    assertThat(copy.get("absent")).isNull();
    assertThat(copy.get(null)).isNull();
    List<String> seen = new ArrayList<>();
    copy.forEach((k, v) -> seen.add(k));
    assertThat(seen).containsExactlyElementsOf(source.keySet());
  }

  @Test
  void isUnmodifiable() {
    ArrayMap<String, Object> m = ArrayMap.copyOf(sample(3));
    assertThatThrownBy(() -> m.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> m.remove("k1")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> m.entrySet().iterator().next().setValue(2))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> m.keySet().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void ofEntriesKeepsTheGivenOrderAndRefusesBadKeys() {
    Object[] kv = {"b", 1, "a", null, "c", 3};
    ArrayMap<String, Object> m = ArrayMap.ofEntries(kv);
    kv[1] = 99; // the array is copied, not taken
    assertThat(new ArrayList<>(m.keySet())).containsExactly("b", "a", "c");
    assertThat(m).containsEntry("b", 1).containsEntry("a", null).hasSize(3);
    assertThat(ArrayMap.ofEntries()).isEmpty();
    assertThatThrownBy(() -> ArrayMap.ofEntries("a", 1, "a", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repeated");
    assertThatThrownBy(() -> ArrayMap.ofEntries("a", 1, null, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ArrayMap.ofEntries("a")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void withReplacesInPlaceOrAppends() {
    ArrayMap<String, Object> base = ArrayMap.copyOf(sample(2)); // k2, k1
    Map<String, Object> replaced = new TestMap(ArrayMap.with(base, "k2", "new"));
    assertThat(new ArrayList<>(replaced.entrySet()))
        .containsExactly(Map.entry("k2", "new"), Map.entry("k1", 1));
    Map<String, Object> appended = new TestMap(ArrayMap.with(base, "k0", 0));
    assertThat(new ArrayList<>(appended.keySet())).containsExactly("k2", "k1", "k0");
    assertThat(base).isEqualTo(sample(2)); // unchanged
  }

  @Test
  void copyWithAndPositionalAccess() {
    ArrayMap<String, Object> base = ArrayMap.copyOf(sample(2)); // k2, k1
    ArrayMap<String, Object> appended = ArrayMap.copyWith(base, "k0", 0);
    ArrayMap<String, Object> replaced = ArrayMap.copyWith(base, "k1", "one");

    assertThat(new ArrayList<>(appended.keySet())).containsExactly("k2", "k1", "k0");
    assertThat(replaced).containsExactly(Map.entry("k2", 2), Map.entry("k1", "one"));
    assertThat(base).isEqualTo(sample(2)); // unchanged
    for (int i = 0; i < appended.size(); i++) {
      assertThat(appended.indexOfKey(appended.keyAt(i))).isEqualTo(i);
      assertThat(appended.get(appended.keyAt(i)))
          .isEqualTo(ArrayMap.entriesOf(appended)[2 * i + 1]);
    }
    assertThat(appended.indexOfKey("absent")).isEqualTo(-1);
    assertThatThrownBy(() -> appended.keyAt(3)).isInstanceOf(IndexOutOfBoundsException.class);
    Map<String, Object> other = new LinkedHashMap<>();
    other.put("b", 1);
    other.put(null, null); // another map's entries are passed on as they are
    assertThat(ArrayMap.entriesOf(other)).containsExactly("b", 1, null, null);
    assertThat(ArrayMap.entriesOf(appended)).containsExactly("k2", 2, "k1", 1, "k0", 0);
    assertThatThrownBy(() -> ArrayMap.copyWith(base, null, 1))
        .isInstanceOf(NullPointerException.class);

    // A large map (hash-indexed) answers positions alike
    ArrayMap<String, Object> large = ArrayMap.ofDistinct(new Object[] {"a", 1, "b", 2});
    for (int i = 0; i < 20; i++) {
      large = ArrayMap.copyWith(large, "n" + i, i);
    }
    assertThat(large.indexOfKey("n7")).isEqualTo(9);
    assertThat(ArrayMap.entriesOf(large)[2 * 9 + 1]).isEqualTo(7);
  }

  @Test
  void refusesNullKeysAndDuplicateKeys() {
    Map<String, Object> withNull = new HashMap<>();
    withNull.put(null, 1);
    assertThatThrownBy(() -> ArrayMap.copyOf(withNull)).isInstanceOf(NullPointerException.class);
    Object[] dup = new Object[20];
    for (int i = 0; i < 10; i++) {
      dup[2 * i] = "k" + Math.min(i, 8);
      dup[2 * i + 1] = i;
    }
    assertThatThrownBy(() -> new TestMap(dup))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate key k8");
  }

  @Test
  void setKeepsOrderDropsDuplicatesAndRefusesNulls() {
    assertThat(ArraySet.copyOf(List.of("b", "a", "b"))).containsExactly("b", "a");
    assertThat(ArraySet.copyOf(List.of())).isEmpty();
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add("e" + (i % 10));
    }
    Set<String> big = ArraySet.copyOf(many);
    assertThat(big).hasSize(10).startsWith("e0", "e1").contains("e9").doesNotContain("e10");
    assertThat(ArraySet.copyOf(List.of("x", "y"))).isEqualTo(Set.of("y", "x"));
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> ArraySet.copyOf(withNull)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ArraySet.copyOf(List.of("x")).add("y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  /** Reaches the protected constructor. */
  private static final class TestMap extends ArrayMap<String, Object> {
    TestMap(Object[] kv) {
      super(kv);
    }
  }
}
