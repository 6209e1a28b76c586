package io.taskflow4j.persistence;

/**
 * A string that is not valid Unicode text: it holds a lone UTF-16 surrogate (half of a pair, such
 * as U+D800 alone). No store keeps one faithfully (UTF-8 cannot encode it: SQL drivers turn it into
 * {@code '?'}), so names, metadata, results and failures refuse it instead of letting a store
 * change the string silently.
 */
public class InvalidTextException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says which string and where. */
  public InvalidTextException(String message) {
    super(message);
  }

  /**
   * The index of the first lone surrogate of {@code s}, or {@code -1} when it is valid text.
   *
   * @param s any string, or {@code null} (valid)
   */
  public static int loneSurrogate(String s) {
    if (s == null) {
      return -1;
    }
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
        continue;
      }
      return i;
    }
    return -1;
  }

  /**
   * Refuses a string holding a lone surrogate.
   *
   * @param what what the string is, for the message (e.g. {@code "name"})
   * @throws InvalidTextException saying where the lone surrogate is
   */
  public static void require(String s, String what) {
    int i = loneSurrogate(s);
    if (i >= 0) {
      throw new InvalidTextException(describe(s, i, what));
    }
  }

  /**
   * {@code s} with every lone surrogate written as its JSON escape (a backslash, {@code u} and four
   * hex digits: six visible characters); {@code s} itself when it has none.
   */
  public static String escapeLoneSurrogates(String s) {
    if (loneSurrogate(s) < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 8);
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The message for a lone surrogate at {@code index} of {@code s}. */
  static String describe(String s, int index, String what) {
    return what
        + " holds a lone UTF-16 surrogate (\\u"
        + String.format("%04x", (int) s.charAt(index))
        + " at index "
        + index
        + "), which is not valid Unicode text and which no store keeps as it is; remove it or"
        + " pair it";
  }
}
