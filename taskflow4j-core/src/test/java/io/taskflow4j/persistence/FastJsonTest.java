package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.internal.ArrayMap;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link FastJson} writes what the mapper writes, and leaves to it what it does not write. */
class FastJsonTest {

  private static String mapper(Object v) throws Exception {
    return Json.mapper().writeValueAsString(v);
  }

  private static void same(Object v) throws Exception {
    String fast = FastJson.write(v);
    assertThat(fast).as("written by the fast path: %s", v).isNotNull();
    assertThat(fast).isEqualTo(mapper(v));
    assertThat(Json.write(v)).isEqualTo(fast);
    assertThat(Json.writeBytes(v)).isEqualTo(Json.mapper().writeValueAsBytes(v));
  }

  @Test
  void everyCharacterOutsideTheSurrogatesIsEscapedAsTheMapperEscapesIt() throws Exception {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < Character.MIN_SURROGATE; c++) {
      same(String.valueOf(c));
      same("a" + c + "b");
      all.append(c);
    }
    for (char c = (char) (Character.MAX_SURROGATE + 1); c != 0; c++) {
      same(String.valueOf(c));
      all.append(c);
    }
    same(all.toString());
    same(Map.of(all.toString(), all.toString()));
  }

  @Test
  void scalarsAndEdgeNumbersAreWrittenAsTheMapperWritesThem() throws Exception {
    for (Object v :
        new Object[] {
          null,
          "",
          true,
          false,
          0,
          -1,
          Integer.MIN_VALUE,
          Integer.MAX_VALUE,
          Long.MIN_VALUE,
          Long.MAX_VALUE,
          0.0,
          -0.0,
          1.0,
          0.1,
          1e-7,
          1e21,
          123456789.123,
          Double.MIN_VALUE,
          Double.MAX_VALUE,
          Double.MIN_NORMAL,
          -2.5e-300
        }) {
      same(v);
    }
    same(Map.of());
    same(List.of());
    same(new ArrayList<>());
    same(new LinkedHashMap<>());
  }

  @Test
  void valuesOutsideItsSubsetAreLeftToTheMapper() {
    for (Object v :
        new Object[] {
          Double.NaN,
          Double.POSITIVE_INFINITY,
          1.5f,
          (short) 3,
          (byte) 4,
          BigInteger.TEN,
          new java.math.BigDecimal("1.50"),
          Instant.EPOCH,
          Optional.of(1),
          new int[] {1},
          "\ud800",
          "a\udc00b",
          "\ud83d\ude00",
          Map.of(1, "non-string key"),
          new LinkedList<>(List.of(1)), // not random access
          List.of(Map.of("deep", List.of(Double.NaN))),
          new Stamp(Instant.EPOCH),
          new Object()
        }) {
      assertThat(FastJson.write(v)).as("%s", v).isNull();
    }
    Object deep = "leaf";
    for (int i = 0; i < FastJson.MAX_DEPTH + 1; i++) {
      deep = List.of(deep);
    }
    assertThat(FastJson.write(deep)).isNull();
    assertThat(Json.write(deep)).startsWith("[[[[").contains("\"leaf\"");
  }

  @Test
  void mapsOfEveryKindTheEngineAndUsersPassAreWrittenInTheirOwnOrder() throws Exception {
    Map<String, Object> linked = new LinkedHashMap<>();
    linked.put("z", 1);
    linked.put("a", null);
    linked.put("m", List.of("x", 2L));
    same(linked);
    Map<String, Object> sorted = new TreeMap<>();
    sorted.put("b", 2);
    sorted.put("a", "1");
    same(sorted);
    same(ArrayMap.ofEntries("k", "v", "n", 5));
    same(Json.normalize(linked));
    Map<String, Object> meta =
        Map.of(
            AtomDetail.META_STARTED_AT,
            Stamp.of(Instant.parse("2026-01-02T03:04:05.123456Z")),
            AtomDetail.META_ENDED_AT,
            Stamp.of(Instant.parse("2026-01-02T03:04:06Z")),
            AtomDetail.META_DURATION,
            0.875,
            AtomDetail.META_PROGRESS,
            1.0,
            AtomDetail.META_ATTEMPT,
            1,
            "host",
            "h");
    Map<String, Object> stamped = Json.merge(Map.of(), meta);
    assertThat(stamped.getClass().getSimpleName()).isEqualTo("StampedMap");
    same(stamped);
    same(Arrays.asList(1, "two", null));
  }

  @Test
  void randomValuesAreWrittenAsTheMapperWritesThem() throws Exception {
    Random r = new Random(42);
    for (int i = 0; i < 5_000; i++) {
      Object v = random(r, 0);
      String fast = FastJson.write(v);
      String expected = mapper(v);
      if (fast != null) {
        assertThat(fast).as("value %s", v).isEqualTo(expected);
      }
      assertThat(Json.write(v)).isEqualTo(expected);
      assertThat(Json.writeBytes(v)).isEqualTo(Json.mapper().writeValueAsBytes(v));
    }
  }

  private static Object random(Random r, int depth) {
    int kind = r.nextInt(depth > 4 ? 7 : 10);
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
        return switch (r.nextInt(4)) {
          case 0 -> r.nextDouble();
          case 1 -> Double.longBitsToDouble(r.nextLong());
          case 2 -> (double) r.nextInt(1000) / 8;
          default -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
        };
      case 5:
      case 6:
        return randomString(r);
      case 7:
      case 8:
        Map<String, Object> m = r.nextBoolean() ? new LinkedHashMap<>() : new HashMap<>();
        for (int i = r.nextInt(5); i > 0; i--) {
          m.put(randomString(r), random(r, depth + 1));
        }
        return m;
      default:
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
          l.add(random(r, depth + 1));
        }
        return l;
    }
  }

  private static String randomString(Random r) {
    StringBuilder b = new StringBuilder();
    for (int i = r.nextInt(12); i > 0; i--) {
      b.append(
          switch (r.nextInt(4)) {
            case 0 -> (char) r.nextInt(0x80);
            case 1 -> (char) r.nextInt(0x20);
            case 2 -> (char) r.nextInt(0x10000);
            default -> (char) ('a' + r.nextInt(26));
          });
    }
    return b.toString();
  }
}
