package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON value model: what {@link Json#normalize} makes of Java values (TaskFlow spec §1.4
 * adapted to Java), conversion back to declared types, and text round trips.
 */
class JsonTest {

  record Point(int x, int y) {}

  record Labelled(String label, List<Point> points, Map<String, Integer> counts) {}

  record WithTime(String name, Instant at) {}

  record Empty() {}

  record Maybe(String name, Optional<Integer> count) {}

  record Numbers(float f, long l, short s, BigDecimal d, Long boxed) {}

  enum Colour {
    RED,
    GREEN
  }

  /** A plain bean with getters. */
  public static class Bean {
    private final String name;
    private final long size;

    public Bean(String name, long size) {
      this.name = name;
      this.size = size;
    }

    public String getName() {
      return name;
    }

    public long getSize() {
      return size;
    }
  }

  /** An object Jackson finds nothing to write in. */
  static final class Opaque {
    @SuppressWarnings("unused")
    private final int secret = 42;
  }

  /** Refers to itself through a getter. */
  public static final class Loop {
    public Loop getSelf() {
      return this;
    }
  }

  static Stream<Arguments> normalisationTable() {
    Map<Integer, String> intKeys = new LinkedHashMap<>();
    intKeys.put(1, "a");
    intKeys.put(2, "b");
    return Stream.of(
        Arguments.of("Integer", 5, 5),
        Arguments.of("Long in int range", 5L, 5),
        Arguments.of("Long beyond int", 5_000_000_000L, 5_000_000_000L),
        Arguments.of("Short", (short) 7, 7),
        Arguments.of("Byte", (byte) -3, -3),
        Arguments.of("Float keeps its decimal text", 0.1f, 0.1),
        Arguments.of("Double", 2.5, 2.5),
        Arguments.of("BigDecimal", new BigDecimal("1.25"), 1.25),
        Arguments.of("small BigInteger", BigInteger.valueOf(12), 12),
        Arguments.of("long BigInteger", BigInteger.valueOf(Long.MAX_VALUE), Long.MAX_VALUE),
        Arguments.of(
            "huge BigInteger",
            new BigInteger("123456789012345678901234567890"),
            new BigInteger("123456789012345678901234567890")),
        Arguments.of("AtomicInteger", new AtomicInteger(4), 4),
        Arguments.of("AtomicLong", new AtomicLong(9), 9),
        Arguments.of("String", "s", "s"),
        Arguments.of("Boolean", true, true),
        Arguments.of("Character", 'c', "c"),
        Arguments.of("enum", Colour.GREEN, "GREEN"),
        Arguments.of(
            "UUID",
            UUID.fromString("00000000-0000-0000-0000-000000000001"),
            "00000000-0000-0000-0000-000000000001"),
        Arguments.of("List of Longs", List.of(1L, 2L), List.of(1, 2)),
        Arguments.of("Set", new LinkedHashSet<>(List.of(1, 2)), List.of(1, 2)),
        Arguments.of("int array", new int[] {1, 2}, List.of(1, 2)),
        Arguments.of("Object array", new Object[] {"a", 1L, null}, Arrays.asList("a", 1, null)),
        Arguments.of("Map with int keys", intKeys, Map.of("1", "a", "2", "b")),
        Arguments.of("record", new Point(1, 2), Map.of("x", 1, "y", 2)),
        Arguments.of("bean", new Bean("b", 3L), Map.of("name", "b", "size", 3)),
        Arguments.of("empty record", new Empty(), Map.of()),
        Arguments.of("Instant", Instant.parse("2020-01-02T03:04:05Z"), "2020-01-02T03:04:05Z"),
        Arguments.of("LocalDateTime", LocalDateTime.of(2020, 1, 2, 3, 4, 5), "2020-01-02T03:04:05"),
        Arguments.of("LocalDate", LocalDate.of(2020, 1, 2), "2020-01-02"),
        Arguments.of("Optional.empty", Optional.empty(), null),
        Arguments.of("Optional.of", Optional.of(5L), 5),
        Arguments.of(
            "List of Optionals",
            List.of(Optional.of("a"), Optional.empty()),
            Arrays.asList("a", null)),
        Arguments.of("null", null, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("normalisationTable")
  void normalisationTable(String what, Object in, Object expected) {
    Object out = Json.normalize(in);
    assertThat(out).isEqualTo(expected);
    if (expected != null) {
      assertThat(out)
          .isInstanceOf(expected.getClass().isArray() ? List.class : jsonClass(expected));
    }
    // idempotent
    assertThat(Json.normalize(out)).isEqualTo(out);
    // and what a durable backend reads back equals what was normalised
    assertThat(Json.read(Json.write(out))).isEqualTo(out);
  }

  private static Class<?> jsonClass(Object expected) {
    if (expected instanceof Map) {
      return Map.class;
    }
    if (expected instanceof List) {
      return List.class;
    }
    return expected.getClass();
  }

  @Test
  void longFiveEqualsItsReload() {
    Object normalised = Json.normalize(5L);
    assertThat(normalised).isInstanceOf(Integer.class).isEqualTo(5);
    assertThat(Json.read(Json.write(5L))).isEqualTo(normalised);
  }

  @Test
  void nestedValuesAreUnmodifiable() {
    Map<String, Object> inner = new HashMap<>();
    inner.put("list", new ArrayList<>(List.of(1, 2)));
    Map<String, Object> outer = new HashMap<>();
    outer.put("inner", inner);
    @SuppressWarnings("unchecked")
    Map<String, Object> n = (Map<String, Object>) Json.normalize(outer);
    @SuppressWarnings("unchecked")
    Map<String, Object> nInner = (Map<String, Object>) n.get("inner");
    @SuppressWarnings("unchecked")
    List<Object> nList = (List<Object>) nInner.get("list");
    assertThatThrownBy(() -> n.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> n.remove("inner")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nInner.clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nList.add(3)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nList.set(0, 3)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> n.entrySet().iterator().next().setValue(1))
        .isInstanceOf(UnsupportedOperationException.class);
    // a copy: later changes to the source do not leak in
    inner.put("late", true);
    ((List<Object>) inner.get("list")).add(99);
    assertThat(nInner).doesNotContainKey("late");
    assertThat(nList).containsExactly(1, 2);
  }

  @Test
  void readValuesAreUnmodifiableToo() {
    Object v = Json.read("{\"a\": [1, {\"b\": 2}]}");
    assertThat(v).isEqualTo(Map.of("a", List.of(1, Map.of("b", 2))));
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) v;
    assertThatThrownBy(() -> m.put("c", 3)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> ((List<Object>) m.get("a")).add(1))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void mapOrderIsKept() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("z", 1);
    m.put("a", 2);
    m.put("m", 3);
    @SuppressWarnings("unchecked")
    Map<String, Object> n = (Map<String, Object>) Json.normalize(m);
    assertThat(n.keySet()).containsExactly("z", "a", "m");
    @SuppressWarnings("unchecked")
    Map<String, Object> r = (Map<String, Object>) Json.read(Json.write(n));
    assertThat(r.keySet()).containsExactly("z", "a", "m");
    assertThat(Json.write(n)).isEqualTo("{\"z\":1,\"a\":2,\"m\":3}");
  }

  @Test
  void sortedMapKeysBecomeStrings() {
    Map<Integer, Integer> m = new TreeMap<>(Map.of(10, 1, 2, 2));
    assertThat(Json.normalize(m)).isEqualTo(Map.of("10", 1, "2", 2));
  }

  @Test
  void selfReferencingListIsRejectedNamingTheType() {
    List<Object> self = new ArrayList<>();
    self.add(self);
    assertThatThrownBy(() -> Json.normalize(self))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.util.ArrayList")
        .hasMessageContaining("itself");
  }

  @Test
  void selfReferencingMapIsRejectedNamingTheType() {
    Map<String, Object> self = new HashMap<>();
    self.put("me", List.of(1, 2));
    self.put("again", self);
    assertThatThrownBy(() -> Json.normalize(self))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.util.HashMap")
        .hasMessageContaining("itself");
  }

  @Test
  void sharedButAcyclicValuesAreFine() {
    List<Integer> shared = List.of(1);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", shared);
    m.put("b", shared);
    assertThat(Json.normalize(m)).isEqualTo(Map.of("a", List.of(1), "b", List.of(1)));
  }

  @Test
  void selfReferencingBeanIsRejectedNamingTheType() {
    assertThatThrownBy(() -> Json.normalize(new Loop()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Loop.class.getName());
  }

  @Test
  void anObjectWithNothingToWriteIsRejectedNamingTheType() {
    assertThatThrownBy(() -> Json.normalize(new Opaque()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Opaque.class.getName());
    assertThatThrownBy(() -> Json.normalize(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Object");
  }

  @Test
  void aFailureIsNotAResultValue() {
    assertThatThrownBy(() -> Json.normalize(Failure.of(new RuntimeException("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Failure.class.getName());
  }

  @Test
  void nonFiniteNumbersAreRejected() {
    for (Object v : List.of(Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)) {
      assertThatThrownBy(() -> Json.normalize(v))
          .as("%s", v)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NaN or infinity");
      assertThatThrownBy(() -> Json.normalize(List.of(v)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void nullMapKeyIsRejected() {
    Map<String, Object> m = new HashMap<>();
    m.put(null, 1);
    assertThatThrownBy(() -> Json.normalize(m)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void byteArraysBecomeBase64Text() {
    // Jackson writes binary as base64; documented so a change is noticed
    assertThat(Json.normalize(new byte[] {'a', 'b'})).isEqualTo("YWI=");
  }

  @Test
  void normalizeMapOfEmptyOrNull() {
    assertThat(Json.normalizeMap(null)).isEmpty();
    assertThat(Json.normalizeMap(Map.of())).isEmpty();
    assertThat(Json.normalizeMap(Map.of("a", 1L))).isEqualTo(Map.of("a", 1));
  }

  @Test
  void normalisedValuesAreNotCopiedAgain() {
    Object n = Json.normalize(Map.of("list", List.of(1L, 2L), "m", Map.of("k", "v")));
    assertThat(Json.normalize(n)).isSameAs(n);
    Object r = Json.read("[1, {\"a\": [2]}]");
    assertThat(Json.normalize(r)).isSameAs(r);
    // a plain map holding a normalised part keeps that part as is
    Map<String, Object> outer = new LinkedHashMap<>();
    outer.put("inner", n);
    @SuppressWarnings("unchecked")
    Map<String, Object> no = (Map<String, Object>) Json.normalize(outer);
    assertThat(no.get("inner")).isSameAs(n);
    // and the model's withers keep the stored value instead of deep-copying it
    TaskDetail td = TaskDetail.of("t", "u").put(AtomState.SUCCESS, List.of(1, 2, 3));
    assertThat(td.withState(AtomState.REVERTING).results()).isSameAs(td.results());
  }

  @Test
  void normalizeIsIdempotentOnNestedStructures() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("points", List.of(new Point(1, 2), new Point(3, 4)));
    m.put("when", Instant.parse("2021-06-01T00:00:00Z"));
    m.put("big", 7_000_000_000L);
    Object once = Json.normalize(m);
    Object twice = Json.normalize(once);
    assertThat(twice).isEqualTo(once);
    assertThat(Json.read(Json.write(once))).isEqualTo(once);
    assertThat(once)
        .isEqualTo(
            Map.of(
                "points",
                List.of(Map.of("x", 1, "y", 2), Map.of("x", 3, "y", 4)),
                "when",
                "2021-06-01T00:00:00Z",
                "big",
                7_000_000_000L));
  }

  @Test
  void optionalComponentsWriteTheirContentAndReadBack() {
    Object full = Json.normalize(new Maybe("a", Optional.of(3)));
    Object empty = Json.normalize(new Maybe("b", Optional.empty()));
    assertThat(full).isEqualTo(Map.of("name", "a", "count", 3));
    Map<String, Object> withNull = new LinkedHashMap<>();
    withNull.put("name", "b");
    withNull.put("count", null);
    assertThat(empty).isEqualTo(withNull);
    assertThat(Json.convert(full, Maybe.class)).isEqualTo(new Maybe("a", Optional.of(3)));
    assertThat(Json.convert(empty, Maybe.class)).isEqualTo(new Maybe("b", Optional.empty()));
    assertThat(Json.convert(Map.of("name", "c"), Maybe.class))
        .isEqualTo(new Maybe("c", Optional.empty()));
  }

  @Test
  void numbersInsideRecordsNormaliseAsBareNumbersDo() {
    Object n =
        Json.normalize(new Numbers(0.1f, 5L, (short) 2, new BigDecimal("1.25"), 7_000_000_000L));
    assertThat(n).isEqualTo(Map.of("f", 0.1, "l", 5, "s", 2, "d", 1.25, "boxed", 7_000_000_000L));
    assertThat(Json.read(Json.write(n))).isEqualTo(n);
  }

  /**
   * Seeded random nested values of many Java types: normalising is idempotent and what a durable
   * backend reads back (write then read) equals the normalised value.
   */
  @Test
  void randomValuesSurviveATextRoundTrip() {
    java.util.Random random = new java.util.Random(20261128L);
    for (int i = 0; i < 500; i++) {
      Object value = randomValue(random, 0);
      Object n = Json.normalize(value);
      assertThat(Json.normalize(n)).as("idempotent for %s", value).isEqualTo(n);
      assertThat(Json.read(Json.write(n))).as("round trip of %s", value).isEqualTo(n);
    }
  }

  private static Object randomValue(java.util.Random r, int depth) {
    int kind = r.nextInt(depth > 3 ? 12 : 17);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return r.nextBoolean();
      case 2:
        return r.nextInt();
      case 3:
        return r.nextLong();
      case 4:
        return (short) r.nextInt();
      case 5:
        return r.nextFloat() * 1000 - 500;
      case 6:
        return r.nextGaussian() * 1e6;
      case 7:
        return new BigDecimal(r.nextInt(100000)).movePointLeft(r.nextInt(6));
      case 8:
        return new BigInteger(90, r);
      case 9:
        return "s" + r.nextInt(1000) + (r.nextBoolean() ? "ü☃" : "");
      case 10:
        return Colour.values()[r.nextInt(2)];
      case 11:
        return new Point(r.nextInt(10), r.nextInt(10));
      case 12:
        {
          List<Object> l = new ArrayList<>();
          for (int i = r.nextInt(4); i > 0; i--) {
            l.add(randomValue(r, depth + 1));
          }
          return l;
        }
      case 13:
        {
          Map<String, Object> m = new LinkedHashMap<>();
          for (int i = r.nextInt(4); i > 0; i--) {
            m.put("k" + r.nextInt(100), randomValue(r, depth + 1));
          }
          return m;
        }
      case 14:
        {
          Map<Integer, Object> m = new TreeMap<>();
          for (int i = r.nextInt(4); i > 0; i--) {
            m.put(r.nextInt(100), randomValue(r, depth + 1));
          }
          return m;
        }
      case 15:
        return new Object[] {randomValue(r, depth + 1), r.nextInt(5)};
      default:
        return Optional.ofNullable(r.nextBoolean() ? null : randomValue(r, depth + 1));
    }
  }

  // ---- convert ----

  @Test
  void convertsWholeNumbersBetweenBoxedTypesWithoutLosingDigits() {
    assertThat(Json.convert(5, Long.class)).isEqualTo(5L);
    assertThat(Json.convert(5L, Integer.class)).isEqualTo(5);
    assertThat(Json.convert(-7, Double.class)).isEqualTo(-7.0);
    assertThat(Json.convert(1L << 53, Double.class)).isEqualTo((double) (1L << 53));
    // what does not fit goes to the codec, which refuses it
    assertThatThrownBy(() -> Json.convert(1L << 40, Integer.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Integer");
    assertThat(Json.convert(5, String.class)).isEqualTo("5");
  }

  @Test
  void convertToRecords() {
    Object v = Json.normalize(new Point(3, 4));
    assertThat(Json.convert(v, Point.class)).isEqualTo(new Point(3, 4));
    Labelled l =
        new Labelled("l", List.of(new Point(1, 1), new Point(2, 2)), Map.of("a", 1, "b", 2));
    assertThat(Json.convert(Json.normalize(l), Labelled.class)).isEqualTo(l);
    WithTime t = new WithTime("t", Instant.parse("2020-01-02T03:04:05.123456Z"));
    assertThat(Json.convert(Json.read(Json.write(Json.normalize(t))), WithTime.class)).isEqualTo(t);
  }

  @Test
  void convertToGenericTypes() {
    Object v = Json.normalize(List.of(new Point(1, 2), new Point(3, 4)));
    Type listOfPoints = new TypeReference<List<Point>>() {}.getType();
    List<Point> points = Json.convert(v, listOfPoints);
    assertThat(points).containsExactly(new Point(1, 2), new Point(3, 4));
    Type mapOfLongs = new TypeReference<Map<String, Long>>() {}.getType();
    Map<String, Long> longs = Json.convert(Map.of("a", 1), mapOfLongs);
    assertThat(longs).containsEntry("a", 1L);
    assertThat(longs.get("a")).isInstanceOf(Long.class);
  }

  @Test
  void convertScalarsAndNull() {
    assertThat(Json.convert(null, Point.class)).isNull();
    assertThat(Json.convert(5, Long.class)).isEqualTo(5L);
    assertThat(Json.convert(5, long.class)).isEqualTo(5L);
    assertThat(Json.convert("2020-01-02T03:04:05Z", Instant.class))
        .isEqualTo(Instant.parse("2020-01-02T03:04:05Z"));
    assertThat(Json.convert("GREEN", Colour.class)).isEqualTo(Colour.GREEN);
    assertThat(Json.<Object>convert(null, (Type) List.class)).isNull();
    String s = "same";
    assertThat(Json.convert(s, String.class)).isSameAs(s);
  }

  @Test
  void convertFailureSaysWhatAndWhereTo() {
    assertThatThrownBy(() -> Json.convert("not a point", Point.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String")
        .hasMessageContaining(Point.class.getName());
    Type listOfPoints = new TypeReference<List<Point>>() {}.getType();
    assertThatThrownBy(() -> Json.convert(List.of("x"), listOfPoints))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Point");
  }

  // ---- read / write ----

  @Test
  void readWriteRoundTrip() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "text with \"quotes\" and ü");
    m.put("i", 1);
    m.put("l", 10_000_000_000L);
    m.put("b", new BigInteger("99999999999999999999999"));
    m.put("d", 0.5);
    m.put("t", true);
    m.put("n", null);
    m.put("list", Arrays.asList(1, "two", null, List.of()));
    m.put("map", Map.of("k", Map.of()));
    Object normalised = Json.normalize(m);
    String text = Json.write(normalised);
    assertThat(Json.read(text)).isEqualTo(normalised);
    assertThat(Json.read(Json.writeBytes(normalised))).isEqualTo(normalised);
    @SuppressWarnings("unchecked")
    Map<String, Object> back = (Map<String, Object>) Json.read(text);
    assertThat(back.get("l")).isInstanceOf(Long.class);
    assertThat(back.get("b")).isInstanceOf(BigInteger.class);
    assertThat(back.get("i")).isInstanceOf(Integer.class);
    assertThat(back.get("d")).isInstanceOf(Double.class);
  }

  @Test
  void theOnePassReaderGivesWhatTheMapperAndFreezeGive() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper plain =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (String doc :
        List.of(
            "{\"a\": 1, \"b\": [1, 2.5, \"x\", true, false, null, {}], \"c\": {\"d\": []}}",
            "[2147483647, 2147483648, -9223372036854775808, 9223372036854775808, 1e300, -0.0]",
            "{\"\\u00e9t\\u00e9\": \"\\ud83d\\ude00\", \"k\": {\"n\": {\"m\": [[[1]]]}}}",
            "\"text\"",
            "42",
            "{}",
            "[]",
            "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6}")) {
      Object expected = Json.normalize(plain.readValue(doc, Object.class));
      Object read = Json.read(doc);
      assertThat(read).as(doc).isEqualTo(expected);
      assertThat(Json.read(doc.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(read);
      assertThat(Json.write(read)).isEqualTo(Json.write(expected));
      if (read instanceof Map<?, ?> m) {
        assertThatThrownBy(() -> ((Map<String, Object>) m).put("z", 1))
            .isInstanceOf(UnsupportedOperationException.class);
      }
    }
    Object big = ((List<?>) Json.read("[2147483648, 9223372036854775808]")).get(0);
    assertThat(big).isInstanceOf(Long.class);
    assertThatThrownBy(() -> Json.read("{\"a\": 1, \"a\": 2}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Duplicate field 'a'");
    assertThatThrownBy(() -> Json.read("{} trailing"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not valid JSON: ");
  }

  @Test
  void aDuplicateKeyIsRefusedInObjectsOfEverySizeAndDepth() {
    for (int keys : new int[] {2, 15, 16, 17, 18, 40}) {
      for (int dup = 1; dup < keys; dup += Math.max(1, keys / 5)) {
        StringBuilder doc = new StringBuilder("{\"outer\": [1, {");
        for (int i = 0; i < keys; i++) {
          doc.append(i == 0 ? "" : ", ")
              .append('"')
              .append(i == dup ? "k0" : "k" + i)
              .append("\": ")
              .append(i);
        }
        String text = doc.append("}]}").toString();
        assertThatThrownBy(() -> Json.read(text))
            .as(text)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Duplicate field 'k0'");
        assertThatThrownBy(() -> Json.read(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Duplicate field 'k0'");
        String distinct = text.replace("\"k0\": " + dup, "\"k" + dup + "\": " + dup);
        @SuppressWarnings("unchecked")
        Map<String, Object> inner =
            (Map<String, Object>) ((List<?>) ((Map<?, ?>) Json.read(distinct)).get("outer")).get(1);
        assertThat(inner).hasSize(keys).containsEntry("k" + dup, dup);
      }
    }
    // the same key in sibling and nested objects is no duplicate
    assertThat(Json.read("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 2}, {\"a\": 3}]}"))
        .isEqualTo(Map.of("a", Map.of("a", 1), "b", List.of(Map.of("a", 2), Map.of("a", 3))));
  }

  @Test
  void readRejectsInvalidJson() {
    for (String bad : List.of("", "{", "{\"a\":}", "[1,]x", "nul", "{} trailing", "1 2")) {
      assertThatThrownBy(() -> Json.read(bad))
          .as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("not valid JSON");
    }
    assertThatThrownBy(() -> Json.read((String) null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.read(new byte[] {'{'}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readScalars() {
    assertThat(Json.read("null")).isNull();
    assertThat(Json.read("\"x\"")).isEqualTo("x");
    assertThat(Json.read("1.0")).isEqualTo(1.0);
    assertThat(Json.read("3000000000")).isEqualTo(3_000_000_000L);
  }

  @Test
  void mapperIsShared() {
    assertThat(Json.mapper()).isSameAs(Json.mapper());
  }

  @Test
  void mergePutsNormalisedEntriesOverANormalisedBaseKeepingItsOrder() {
    Map<String, Object> base = Json.normalizeMap(mapOf("a", 1, "b", List.of(2L), "c", "x"));
    Map<String, Object> merged = Json.merge(base, mapOf("b", 7L, "d", new BigInteger("9")));
    assertThat(merged)
        .containsExactly(
            Map.entry("a", 1), Map.entry("b", 7), Map.entry("c", "x"), Map.entry("d", 9));
    assertThat(merged.get("b")).isInstanceOf(Integer.class);
    assertThat(base).containsEntry("b", List.of(2)); // the base is not changed
    assertThatThrownBy(() -> merged.put("e", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(Json.normalize(merged)).isSameAs(merged); // the result counts as normalised
  }

  @Test
  void mergeOverAPlainMapNormalisesEverything() {
    Map<String, Object> plain = new LinkedHashMap<>();
    plain.put("a", 5L);
    Map<String, Object> merged = Json.merge(plain, Map.of("b", 2.5f));
    assertThat(merged).containsExactly(Map.entry("a", 5), Map.entry("b", 2.5));
  }

  @Test
  void mergeRefusesWhatJsonCannotHold() {
    Map<String, Object> base = Json.normalizeMap(Map.of("a", 1));
    Map<String, Object> nullKey = new HashMap<>();
    nullKey.put(null, 1);
    assertThatThrownBy(() -> Json.merge(base, nullKey))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key");
    assertThatThrownBy(() -> Json.merge(base, Map.of("n", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }

  private static Map<String, Object> mapOf(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
