package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FastJson#read} reads what Jackson's parser reads, to the type of every number, and leaves
 * every text it does not take (malformed, or outside its subset) to the parser, so that what a read
 * returns or the error it throws is the same as before.
 */
class FastJsonReadTest {

  /** A read's outcome: the value, or the error's type and message. */
  private static Object outcome(java.util.concurrent.Callable<Object> read) {
    try {
      return List.of("value", describe(read.call()));
    } catch (Exception e) {
      return List.of("error", e.getClass().getName(), String.valueOf(e.getMessage()));
    }
  }

  /** The value with the type of every leaf, so that 1 and 1L differ. */
  private static String describe(Object v) {
    if (v instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("{");
      m.forEach((k, x) -> b.append(k).append('=').append(describe(x)).append(';'));
      return b.append('}').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      l.forEach(x -> b.append(describe(x)).append(';'));
      return b.append(']').toString();
    }
    return v == null ? "null" : v.getClass().getSimpleName() + ":" + v;
  }

  private static void same(String text) {
    assertThat(outcome(() -> Json.read(text)))
        .as("text %s", text)
        .isEqualTo(outcome(() -> Json.readWithParser(text)));
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertThat(outcome(() -> Json.read(bytes)))
        .as("bytes of %s", text)
        .isEqualTo(outcome(() -> Json.readWithParser(bytes)));
  }

  @Test
  void recordsAsTheStoresWriteThemAreReadByTheFastPathAsTheParserReadsThem() throws Exception {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("progress", 1.0);
    meta.put("started_at", "2026-12-07T15:10:30.123456Z");
    meta.put("duration", 0.000125);
    meta.put("attempt", 1);
    meta.put("pid", 12345678901L);
    meta.put("note", "tab\there \"quoted\" back\\slash caf\u00e9 \u2603");
    for (Object v : List.of(meta, List.of(1, -2, 3.5, true, false), Map.of("v1", 1), List.of())) {
      String text = Json.write(v);
      assertThat(FastJson.read(text)).as(text).isNotSameAs(FastJson.UNSUPPORTED);
      same(text);
      same(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(v));
    }
  }

  @Test
  void edgeTextsReadOrFailExactlyAsBefore() {
    for (String text :
        new String[] {
          "0",
          "-0",
          "-0.0",
          "01",
          "-",
          "1.",
          ".5",
          "1e",
          "1e+",
          "1E-2",
          "1e400",
          "-1e-400",
          "2147483647",
          "2147483648",
          "-2147483648",
          "-2147483649",
          "999999999999999999",
          "9999999999999999999",
          "123456789012345678901234567890",
          "0.1e1",
          "00",
          "[1,]",
          "[,1]",
          "{\"a\":1,}",
          "{\"a\" 1}",
          "{a:1}",
          "{'a':1}",
          "[1 2]",
          "",
          " ",
          "\f1",
          "1 ",
          " 1\n",
          "\t[\r\n]",
          "true",
          "tru",
          "truex",
          "nulll",
          "null x",
          "\"\\u00e9\"",
          "\"\\u00E9\\u00e9\"",
          "\"\\uD83D\\uDE00\"",
          "\"\\ud800\"",
          "\"\\u12\"",
          "\"\\u12g4\"",
          "\"\\x\"",
          "\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"",
          "\"raw\u0001\"",
          "\"raw\u007f\"",
          "\"\uD83D\uDE00\"",
          "\"unterminated",
          "\"a\\",
          "{\"a\":1,\"a\":2}",
          "{\"a\":{\"a\":1},\"b\":[{\"a\":2},{\"a\":3}]}",
          "{\"\":\"\"}",
          "[[[[[]]]]]",
          "\"caf\u00e9\"",
          "{\"k\":\"\u4e2d\u6587\"}",
          "[1.5e10,-3.25E-5,7e0]"
        }) {
      same(text);
    }
  }

  @Test
  void duplicatesAndDepthAreLeftToTheParser() {
    StringBuilder big = new StringBuilder("{");
    for (int i = 0; i < 40; i++) {
      big.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
    }
    String distinct = big + "}";
    assertThat(FastJson.read(distinct)).isNotSameAs(FastJson.UNSUPPORTED);
    same(distinct);
    String dup = big + ",\"k33\":0}";
    assertThat(FastJson.read(dup)).isSameAs(FastJson.UNSUPPORTED);
    same(dup);
    String deep = "[".repeat(FastJson.MAX_DEPTH + 1) + "]".repeat(FastJson.MAX_DEPTH + 1);
    assertThat(FastJson.read(deep)).isSameAs(FastJson.UNSUPPORTED);
    same(deep);
  }

  @Test
  void aStringOverJacksonsDefaultLimitReadsBackOnEitherPath() {
    String longText = "x".repeat(21_000_000);
    // plain: the fast path; with a surrogate pair: Jackson's parser, which must keep no limit
    for (String value : new String[] {longText, "\uD83D\uDE00" + longText}) {
      String doc = Json.write(List.of(value));
      assertThat(Json.read(doc)).isEqualTo(List.of(value));
      assertThat(Json.readWithParser(doc)).isEqualTo(List.of(value));
    }
  }

  @Test
  void randomDocumentsAndTheirMutantsReadAsBefore() {
    Random r = new Random(99);
    String alphabet = "{}[]\",:0123456789eE.+- tfnul\\/ab\u00e9\u0001\n";
    for (int i = 0; i < 3_000; i++) {
      Object v = random(r, 0);
      String text = Json.write(v);
      same(text);
      for (int m = 0; m < 4; m++) {
        StringBuilder b = new StringBuilder(text);
        int at = b.length() == 0 ? 0 : r.nextInt(b.length());
        switch (r.nextInt(3)) {
          case 0 -> {
            if (b.length() > 0) {
              b.deleteCharAt(at);
            }
          }
          case 1 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
          default -> {
            if (b.length() > 0) {
              b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
            }
          }
        }
        same(b.toString());
      }
    }
  }

  private static Object random(Random r, int depth) {
    switch (r.nextInt(depth > 3 ? 6 : 8)) {
      case 0:
        return null;
      case 1:
        return r.nextBoolean();
      case 2:
        return r.nextBoolean() ? r.nextInt() : r.nextLong() >> r.nextInt(64);
      case 3:
        return r.nextBoolean()
            ? r.nextDouble() * 1000
            : r.nextGaussian() * Math.pow(10, r.nextInt(60) - 30);
      case 4:
      case 5:
        StringBuilder s = new StringBuilder();
        for (int i = r.nextInt(8); i > 0; i--) {
          s.append(r.nextInt(5) == 0 ? (char) r.nextInt(0xD000) : (char) ('a' + r.nextInt(26)));
        }
        return s.toString();
      case 6:
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = r.nextInt(6); i > 0; i--) {
          m.put("k" + r.nextInt(20), random(r, depth + 1));
        }
        return m;
      default:
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(6); i > 0; i--) {
          l.add(random(r, depth + 1));
        }
        return l;
    }
  }
}
