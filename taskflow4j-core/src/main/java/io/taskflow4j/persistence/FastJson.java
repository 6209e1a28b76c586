package io.taskflow4j.persistence;

import io.taskflow4j.internal.ArrayMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * Writes the JSON values that every task write carries (metadata, results, failures: strings, whole
 * numbers, finite doubles, booleans, {@code null}, and maps and lists of them) straight to text,
 * exactly as {@link Json}'s mapper would write them, without the mapper's per-call set-up (a
 * generator, a buffer from a thread-local pool, a serializer looked up for each value's class). A
 * SQL backend writes up to five such values per atom update, and the mapper's overhead was a tenth
 * of a durable fan-out's processor time.
 *
 * <p>Anything else (other numbers, a lone surrogate, a map of a class not known to have no
 * serializer of its own, a non-string key, nesting deeper than {@link #MAX_DEPTH}) makes {@link
 * #write} answer {@code null}, and the caller asks the mapper. So the output never differs from the
 * mapper's: the tests compare the two on random values.
 *
 * <p>It reads them back the same way ({@link #read}): a one-pass parser for the same subset,
 * straight into frozen values, that leaves everything else, and every malformed text, to Jackson's
 * parser, so that a read returns, or fails with, what it did before.
 */
final class FastJson {
  /** Nesting beyond this goes to the mapper (which enforces its own limit). */
  static final int MAX_DEPTH = 32;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private FastJson() {}

  /** Thrown inside the writer when a value is not one it writes; never escapes {@link #write}. */
  private static final class Unsupported extends RuntimeException {
    private static final Unsupported INSTANCE = new Unsupported();

    private Unsupported() {
      super(null, null, false, false);
    }
  }

  /** {@code value} as compact JSON text, or {@code null} when the mapper must write it. */
  static String write(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      StringBuilder b = new StringBuilder(s.length() + 2);
      return string(b, s) ? b.toString() : null;
    }
    StringBuilder b = new StringBuilder(128);
    try {
      append(b, value, 0);
    } catch (Unsupported e) {
      return null;
    }
    return b.toString();
  }

  private static void append(StringBuilder b, Object v, int depth) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      if (!string(b, s)) {
        throw Unsupported.INSTANCE;
      }
    } else if (v instanceof Integer || v instanceof Long) {
      b.append(((Number) v).longValue());
    } else if (v instanceof Boolean flag) {
      b.append(flag.booleanValue());
    } else if (v instanceof Double d) {
      double x = d;
      if (Double.isNaN(x) || Double.isInfinite(x)) {
        throw Unsupported.INSTANCE; // the mapper's choice (a quoted "NaN"), left to it
      }
      b.append(Double.toString(x));
    } else if (v instanceof Map<?, ?> m && plainContainer(m)) {
      if (depth >= MAX_DEPTH) {
        throw Unsupported.INSTANCE;
      }
      Object[] kv = ArrayMap.entriesOf(m);
      int n = m.size() * 2;
      if (kv.length < n) {
        throw Unsupported.INSTANCE;
      }
      b.append('{');
      for (int i = 0; i < n; i += 2) {
        if (!(kv[i] instanceof String key)) {
          throw Unsupported.INSTANCE;
        }
        if (i > 0) {
          b.append(',');
        }
        if (!string(b, key)) {
          throw Unsupported.INSTANCE;
        }
        b.append(':');
        append(b, kv[i + 1], depth + 1);
      }
      b.append('}');
    } else if (v instanceof List<?> l && l instanceof RandomAccess && plainContainer(l)) {
      if (depth >= MAX_DEPTH) {
        throw Unsupported.INSTANCE;
      }
      b.append('[');
      for (int i = 0, n = l.size(); i < n; i++) {
        if (i > 0) {
          b.append(',');
        }
        append(b, l.get(i), depth + 1);
      }
      b.append(']');
    } else {
      throw Unsupported.INSTANCE;
    }
  }

  /**
   * Whether the mapper writes {@code c} as a plain map or list: its class is one of the JDK's or of
   * taskflow4j's own, which carry no annotations that would change how it is written.
   */
  private static boolean plainContainer(Object c) {
    String name = c.getClass().getName();
    return name.startsWith("java.util.")
        || name.startsWith("io.taskflow4j.persistence.JsonCollections$")
        || name.equals("io.taskflow4j.internal.ArrayMap");
  }

  /**
   * Appends {@code s} quoted and escaped as the mapper escapes it: {@code "} and {@code \}, the
   * short escapes for backspace, tab, line feed, form feed and carriage return, a six-character
   * escape (backslash, u, four upper-case hex digits) for the other control characters, everything
   * else as it is. Returns {@code false} (having appended part of it) on a surrogate, which the
   * mapper is left to judge.
   */
  private static boolean string(StringBuilder b, String s) {
    b.append('"');
    int n = s.length();
    int plain = 0; // start of the run not yet appended
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        if (Character.isSurrogate(c)) {
          return false;
        }
        continue;
      }
      b.append(s, plain, i);
      plain = i + 1;
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\b' -> b.append("\\b");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\f' -> b.append("\\f");
        case '\r' -> b.append("\\r");
        default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    b.append(s, plain, n);
    b.append('"');
    return true;
  }

  // ---- reading ----

  /** What {@link #read} answers for a text it leaves to the mapper's parser. */
  static final Object UNSUPPORTED = new Object();

  /**
   * The frozen JSON value of {@code text} (as {@link Json#read(String)} gives it), or {@link
   * #UNSUPPORTED} for a text the mapper's parser must read: anything malformed, a number with more
   * than 18 digits or that is not finite, an escaped or raw surrogate, nesting deeper than {@link
   * #MAX_DEPTH}. The records a store reads back are small objects, and making a parser for each of
   * an atom row's five JSON columns cost more than parsing them.
   */
  static Object read(String text) {
    Reader r = new Reader(text);
    try {
      r.space();
      Object v = r.value(0);
      r.space();
      return r.at == text.length() ? v : UNSUPPORTED;
    } catch (Unsupported | IndexOutOfBoundsException e) {
      return UNSUPPORTED;
    }
  }

  /** As {@link #read(String)}, for UTF-8 bytes: only all-ASCII ones, whose text is unambiguous. */
  static Object read(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return UNSUPPORTED;
      }
    }
    return read(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  private static final class Reader {
    final String s;
    int at;

    Reader(String s) {
      this.s = s;
    }

    void space() {
      int n = s.length();
      while (at < n) {
        char c = s.charAt(at);
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
          return;
        }
        at++;
      }
    }

    Object value(int depth) {
      char c = s.charAt(at);
      switch (c) {
        case '{':
          return object(depth + 1);
        case '[':
          return array(depth + 1);
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw Unsupported.INSTANCE;
      }
    }

    Object literal(String word, Object v) {
      if (!s.startsWith(word, at)) {
        throw Unsupported.INSTANCE;
      }
      at += word.length();
      return v;
    }

    Object object(int depth) {
      if (depth > MAX_DEPTH) {
        throw Unsupported.INSTANCE;
      }
      at++; // {
      space();
      if (s.charAt(at) == '}') {
        at++;
        return Json.emptyMap();
      }
      Object[] kv = new Object[8];
      int n = 0;
      java.util.Set<String> seen = null; // the keys, once there are many (Json.withKey)
      while (true) {
        if (s.charAt(at) != '"') {
          throw Unsupported.INSTANCE;
        }
        String key = string();
        seen = Json.withKey(kv, n, key, seen);
        if (seen == Json.DUPLICATE_KEY) {
          throw Unsupported.INSTANCE; // a duplicate: the mapper's error names it
        }
        space();
        if (s.charAt(at) != ':') {
          throw Unsupported.INSTANCE;
        }
        at++;
        space();
        Object v = value(depth);
        if (n + 2 > kv.length) {
          kv = java.util.Arrays.copyOf(kv, kv.length * 2);
        }
        kv[n++] = key;
        kv[n++] = v;
        space();
        char c = s.charAt(at++);
        if (c == '}') {
          return new JsonCollections.FrozenMap(
              n == kv.length ? kv : java.util.Arrays.copyOf(kv, n));
        }
        if (c != ',') {
          throw Unsupported.INSTANCE;
        }
        space();
      }
    }

    Object array(int depth) {
      if (depth > MAX_DEPTH) {
        throw Unsupported.INSTANCE;
      }
      at++; // [
      space();
      Object[] items = new Object[4];
      int n = 0;
      if (s.charAt(at) == ']') {
        at++;
        return new JsonCollections.FrozenList(new Object[0]);
      }
      while (true) {
        Object v = value(depth);
        if (n == items.length) {
          items = java.util.Arrays.copyOf(items, n * 2);
        }
        items[n++] = v;
        space();
        char c = s.charAt(at++);
        if (c == ']') {
          return new JsonCollections.FrozenList(java.util.Arrays.copyOf(items, n));
        }
        if (c != ',') {
          throw Unsupported.INSTANCE;
        }
        space();
      }
    }

    String string() {
      int start = ++at; // after the opening quote
      int n = s.length();
      StringBuilder b = null;
      while (true) {
        char c = s.charAt(at);
        if (c == '"') {
          String out = b == null ? s.substring(start, at) : b.append(s, start, at).toString();
          at++;
          return out;
        }
        if (c < 0x20 || Character.isSurrogate(c)) {
          throw Unsupported.INSTANCE;
        }
        if (c != '\\') {
          if (++at >= n) {
            throw Unsupported.INSTANCE;
          }
          continue;
        }
        if (b == null) {
          b = new StringBuilder(at - start + 16);
        }
        b.append(s, start, at);
        char e = s.charAt(at + 1);
        at += 2;
        switch (e) {
          case '"' -> b.append('"');
          case '\\' -> b.append('\\');
          case '/' -> b.append('/');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'u' -> {
            int code = 0;
            for (int k = 0; k < 4; k++) {
              int d = hexDigit(s.charAt(at + k));
              code = code * 16 + d;
            }
            if (Character.isSurrogate((char) code)) {
              throw Unsupported.INSTANCE;
            }
            b.append((char) code);
            at += 4;
          }
          default -> throw Unsupported.INSTANCE;
        }
        start = at;
      }
    }

    Object number() {
      int start = at;
      int n = s.length();
      if (s.charAt(at) == '-') {
        at++;
      }
      int intStart = at;
      if (at < n && s.charAt(at) == '0') {
        at++;
      } else {
        while (at < n && isDigit(s.charAt(at))) {
          at++;
        }
      }
      int intDigits = at - intStart;
      if (intDigits == 0 || (at < n && isDigit(s.charAt(at)))) {
        throw Unsupported.INSTANCE; // no digits, or a leading zero
      }
      boolean whole = true;
      if (at < n && s.charAt(at) == '.') {
        whole = false;
        int from = ++at;
        while (at < n && isDigit(s.charAt(at))) {
          at++;
        }
        if (at == from) {
          throw Unsupported.INSTANCE;
        }
      }
      if (at < n && (s.charAt(at) == 'e' || s.charAt(at) == 'E')) {
        whole = false;
        at++;
        if (at < n && (s.charAt(at) == '+' || s.charAt(at) == '-')) {
          at++;
        }
        int from = at;
        while (at < n && isDigit(s.charAt(at))) {
          at++;
        }
        if (at == from) {
          throw Unsupported.INSTANCE;
        }
      }
      if (whole) {
        if (intDigits > 18) {
          throw Unsupported.INSTANCE;
        }
        long v = Long.parseLong(s, start, at, 10);
        return v == (int) v ? (Object) (int) v : (Object) v;
      }
      if (at - start > 40) {
        throw Unsupported.INSTANCE;
      }
      double d = Double.parseDouble(s.substring(start, at));
      if (!Double.isFinite(d)) {
        throw Unsupported.INSTANCE;
      }
      return d;
    }

    /** The value of an ASCII hex digit (as the mapper's parser takes them); else unsupported. */
    private static int hexDigit(char c) {
      if (c >= '0' && c <= '9') {
        return c - '0';
      }
      if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
      }
      if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
      }
      throw Unsupported.INSTANCE;
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }
  }
}
