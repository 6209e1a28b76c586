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
}
