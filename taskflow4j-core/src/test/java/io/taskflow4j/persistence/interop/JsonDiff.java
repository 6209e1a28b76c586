package io.taskflow4j.persistence.interop;

import io.taskflow4j.persistence.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Compares two JSON values field by field and lists every difference with its path (e.g. {@code
 * books[0].flows[1].atoms[2].failure.exc_type_names[0]}), so an assertion message says exactly
 * which field of which object differs. Numbers compare by JSON type too: an integer is not equal to
 * the float with the same value, as in Python.
 */
public final class JsonDiff {
  private static final int MAX_REPORTED = 40;

  private JsonDiff() {}

  /** The differences between {@code expected} and {@code actual} (empty when equal). */
  public static List<String> diff(Object expected, Object actual) {
    List<String> out = new ArrayList<>();
    walk("$", Json.normalize(expected), Json.normalize(actual), out);
    return out;
  }

  /** The differences as one message, for an assertion. */
  public static String describe(List<String> differences) {
    StringBuilder sb = new StringBuilder(differences.size() + " difference(s):");
    differences.stream().limit(MAX_REPORTED).forEach(d -> sb.append("\n  ").append(d));
    if (differences.size() > MAX_REPORTED) {
      sb.append("\n  ...");
    }
    return sb.toString();
  }

  private static void walk(String path, Object e, Object a, List<String> out) {
    if (e instanceof Map<?, ?> em && a instanceof Map<?, ?> am) {
      TreeSet<String> keys = new TreeSet<>();
      em.keySet().forEach(k -> keys.add(String.valueOf(k)));
      am.keySet().forEach(k -> keys.add(String.valueOf(k)));
      for (String k : keys) {
        String p = path + "." + k;
        if (!em.containsKey(k)) {
          out.add(p + ": unexpected key, value " + show(am.get(k)));
        } else if (!am.containsKey(k)) {
          out.add(p + ": missing, expected " + show(em.get(k)));
        } else {
          walk(p, em.get(k), am.get(k), out);
        }
      }
      return;
    }
    if (e instanceof List<?> el && a instanceof List<?> al) {
      if (el.size() != al.size()) {
        out.add(path + ": expected " + el.size() + " element(s), got " + al.size());
      }
      for (int i = 0; i < Math.min(el.size(), al.size()); i++) {
        walk(path + "[" + i + label(el.get(i)) + "]", el.get(i), al.get(i), out);
      }
      return;
    }
    if (!Objects.equals(e, a) || (e != null && a != null && e.getClass() != a.getClass())) {
      out.add(path + ": expected " + show(e) + ", got " + show(a));
    }
  }

  /** Names the element of a list of books, flows or atoms, so a path reads as a location. */
  private static String label(Object element) {
    return element instanceof Map<?, ?> m && m.get("name") instanceof String name
        ? " '" + name + "'"
        : "";
  }

  private static String show(Object v) {
    String s = v == null ? "null" : Json.write(v) + " (" + v.getClass().getSimpleName() + ")";
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
