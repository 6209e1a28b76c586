package io.taskflow4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NameIndexTest {

  /** An element carrying its name, as the index expects. */
  private record Item(String name, int value) {}

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 4, 5, 100, 10_000})
  void findsEveryElementByNameInInsertionOrder(int n) {
    NameIndex<Item> index = new NameIndex<>(Item::name, 2); // grows well past its hint
    for (int i = 0; i < n; i++) {
      assertThat(index.put(new Item("t" + i, i))).isEqualTo(i);
    }

    assertThat(index.size()).isEqualTo(n);
    assertThat(index.isEmpty()).isEqualTo(n == 0);
    List<Integer> order = new ArrayList<>();
    for (Item item : index) {
      order.add(item.value());
    }
    for (int i = 0; i < n; i++) {
      // a name built afresh (not the same string) is found by its text
      String name = new StringBuilder("t").append(i).toString();
      assertThat(index.indexOf(name)).isEqualTo(i);
      assertThat(index.get(name).value()).isEqualTo(i);
      assertThat(index.at(i).value()).isEqualTo(i);
      assertThat(order.get(i)).isEqualTo(i);
    }
    assertThat(index.indexOf("absent")).isEqualTo(-1);
    assertThat(index.get("absent")).isNull();
    assertThat(index.indexOf(null)).isEqualTo(-1);
  }

  @Test
  void namesWithTheSameHashCodeAreTold() {
    // "Aa" and "BB" share a hash code, as do every concatenation of them
    NameIndex<Item> index = new NameIndex<>(Item::name, 4);
    String[] names = {"AaAa", "AaBB", "BBAa", "BBBB"};
    for (int i = 0; i < names.length; i++) {
      index.put(new Item(names[i], i));
    }
    for (int i = 0; i < names.length; i++) {
      assertThat(index.get(names[i]).value()).isEqualTo(i);
    }
    assertThat(index.get("AaAaAa")).isNull();
  }

  @Test
  void putOfAKnownNameReplacesInPlace() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 4);
    index.put(new Item("a", 1));
    index.put(new Item("b", 2));

    assertThat(index.put(new Item("a", 3))).isEqualTo(0);

    assertThat(index.size()).isEqualTo(2);
    assertThat(index.get("a").value()).isEqualTo(3);
    assertThat(index.at(0).value()).isEqualTo(3);
  }

  @Test
  void aHintIsOnlyAShortcut() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 8);
    for (int i = 0; i < 6; i++) {
      index.put(new Item("n" + i, i));
    }
    // right hints (the same position, the next one) and wrong or impossible ones all answer alike
    for (int hint : new int[] {-1, 0, 2, 3, 4, 5, 6, 100}) {
      assertThat(index.indexOf("n3", hint)).as("hint %d", hint).isEqualTo(3);
      assertThat(index.indexOf("zz", hint)).as("hint %d", hint).isEqualTo(-1);
    }
    assertThat(index.atFound(3).value()).isEqualTo(3);
  }

  @Test
  void refusesNullsAndPositionsOutOfRange() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 4);
    assertThatThrownBy(() -> index.put(new Item(null, 1))).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> index.at(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void addKeepsTheElementHeldAndTellsWhere() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 2);
    assertThat(index.add(new Item("a", 1))).isEqualTo(0);
    assertThat(index.add(new Item("b", 2))).isEqualTo(1);

    assertThat(index.add(new Item("b", 3))).isEqualTo(-1 - 1);

    assertThat(index.size()).isEqualTo(2);
    assertThat(index.get("b").value()).isEqualTo(2);
  }

  @Test
  void computeIfAbsentMakesAnElementOnlyForANewName() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 2);
    List<String> made = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 1_000; i++) { // grows, and rehashes, while adding
        int value = i;
        Item item =
            index.computeIfAbsent(
                "n" + i,
                name -> {
                  made.add(name);
                  return new Item(name, value);
                });
        assertThat(item.value()).isEqualTo(i);
      }
    }

    assertThat(made).hasSize(1_000).first().isEqualTo("n0");
    assertThat(index.size()).isEqualTo(1_000);
    for (int i = 0; i < 1_000; i++) {
      assertThat(index.indexOf("n" + i)).isEqualTo(i);
    }
  }

  @Test
  void replaceNameAtAndPrefetchKeepTheIndexAsItWas() {
    NameIndex<Item> index = new NameIndex<>(Item::name, 4);
    for (int i = 0; i < 40; i++) {
      index.put(new Item("n" + i, i));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      names.add(i % 7 == 0 ? null : "n" + i); // absent and null names are only read ahead
    }
    index.prefetch(0, names.size(), names::get);

    index.replace("n3", new Item("n3", 33));
    assertThat(index.get("n3").value()).isEqualTo(33);
    assertThat(index.nameAt(3)).isEqualTo("n3");
    assertThat(index.size()).isEqualTo(40);
    assertThatThrownBy(() -> index.replace("absent", new Item("absent", 0)))
        .isInstanceOf(java.util.NoSuchElementException.class);
    assertThatThrownBy(() -> index.nameAt(40)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void anIndexWithoutNameFunctionTakesNamesWithItsElements() {
    NameIndex<Integer> index = new NameIndex<>(null, 2);
    assertThat(index.computeIfAbsent("a", n -> 1)).isEqualTo(1);
    assertThat(index.computeIfAbsent("a", n -> 2)).isEqualTo(1);
    assertThat(index.nameAt(0)).isEqualTo("a");
    assertThatThrownBy(() -> index.put(3)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> index.computeIfAbsent("b", n -> null))
        .isInstanceOf(NullPointerException.class);
  }
}
