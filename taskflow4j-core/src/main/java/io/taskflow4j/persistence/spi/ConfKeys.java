package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The configuration keys a provider reads, so that a misspelled or unknown key is refused instead
 * of silently ignored ({@code ?durabilty=process} would otherwise leave the default in force).
 *
 * <p>One connection string serves both a backend ({@link io.taskflow4j.persistence.Backends}) and a
 * jobboard ({@link io.taskflow4j.jobs.Jobboards}): each side checks against the union of the keys
 * of the backend and the board of that scheme, so that {@code lease} on a board's URL does not fail
 * the backend opened from the same URL. Keys are matched exactly, except those declared {@linkplain
 * #plusDescribed in any case} (a JDBC driver that ignores case). {@link #ANY} checks nothing: the
 * default of providers that do not declare their keys.
 */
public final class ConfKeys {
  /** Keys every configuration may hold: the connection string, what it carries, and secrets. */
  public static final Set<String> COMMON =
      Set.of(
          BackendConf.CONNECTION,
          "username",
          "password",
          "hostname",
          "port",
          "path",
          BackendConf.PASSWORD_FILE,
          BackendConf.PASSWORD_ENV);

  /** Checks nothing: every key is accepted. */
  public static final ConfKeys ANY = new ConfKeys(null, Set.of(), Set.of(), Set.of());

  /** No key besides {@link #COMMON}. */
  public static final ConfKeys NONE = new ConfKeys(Set.of(), Set.of(), Set.of(), Set.of());

  private final Set<String> exact; // listed in messages; null: any key
  private final Set<String> hidden; // matched exactly, described by notes
  private final Set<String> anyCase; // lower case, described by notes
  private final Set<String> notes;

  private ConfKeys(Set<String> exact, Set<String> hidden, Set<String> anyCase, Set<String> notes) {
    this.exact = exact;
    this.hidden = hidden;
    this.anyCase = anyCase;
    this.notes = notes;
  }

  /** These keys (matched exactly), besides {@link #COMMON}. */
  public static ConfKeys of(String... keys) {
    return new ConfKeys(Set.of(keys), Set.of(), Set.of(), Set.of());
  }

  /** These keys (matched exactly), besides {@link #COMMON}. */
  public static ConfKeys of(Collection<String> keys) {
    return new ConfKeys(Set.copyOf(keys), Set.of(), Set.of(), Set.of());
  }

  /** These keys and {@code more}, matched exactly. */
  public ConfKeys plus(Collection<String> more) {
    if (exact == null) {
      return this;
    }
    Set<String> all = new TreeSet<>(exact);
    all.addAll(more);
    return new ConfKeys(Set.copyOf(all), hidden, anyCase, notes);
  }

  /**
   * These keys and {@code more}: too many to list in a message (e.g. a JDBC driver's property
   * names), so {@code description} names them there ("the properties of the PostgreSQL JDBC
   * driver"). With {@code ignoreCase} they match in any case, as some drivers read them.
   */
  public ConfKeys plusDescribed(Collection<String> more, boolean ignoreCase, String description) {
    if (exact == null) {
      return this;
    }
    Set<String> e = new TreeSet<>(hidden);
    Set<String> a = new TreeSet<>(anyCase);
    for (String k : more) {
      if (ignoreCase) {
        a.add(k.toLowerCase(Locale.ROOT));
      } else {
        e.add(k);
      }
    }
    Set<String> n = new TreeSet<>(notes);
    n.add(description);
    return new ConfKeys(exact, Set.copyOf(e), Set.copyOf(a), Set.copyOf(n));
  }

  /** The keys of both; {@link #ANY} if either is. */
  public ConfKeys union(ConfKeys other) {
    if (exact == null || other.exact == null) {
      return ANY;
    }
    Set<String> e = new TreeSet<>(exact);
    e.addAll(other.exact);
    Set<String> h = new TreeSet<>(hidden);
    h.addAll(other.hidden);
    Set<String> a = new TreeSet<>(anyCase);
    a.addAll(other.anyCase);
    Set<String> n = new TreeSet<>(notes);
    n.addAll(other.notes);
    return new ConfKeys(Set.copyOf(e), Set.copyOf(h), Set.copyOf(a), Set.copyOf(n));
  }

  /** Whether {@code key} is known (always, for {@link #ANY}). */
  public boolean knows(String key) {
    return exact == null
        || COMMON.contains(key)
        || exact.contains(key)
        || hidden.contains(key)
        || anyCase.contains(key.toLowerCase(Locale.ROOT));
  }

  /**
   * Refuses the first unknown key of {@code conf}, naming it, the closest known key, and every
   * known one. A key's value is never shown: it may be a secret.
   *
   * @param what what reads the keys, for the message (e.g. "the dir backend")
   * @throws InvalidConfigurationException for an unknown key
   */
  public void check(BackendConf conf, String what) {
    if (exact == null) {
      return;
    }
    for (String key : conf.asMap().keySet()) {
      if (knows(key)) {
        continue;
      }
      Set<String> known = new TreeSet<>(COMMON);
      known.addAll(exact);
      String near = nearest(key, known);
      throw new InvalidConfigurationException(
          // the connection string is not shown: the value of a misspelled secret key would be
          // in clear there
          "unknown option '"
              + key
              + "'"
              + (near == null ? "" : " (did you mean '" + near + "'?)")
              + "; the options of "
              + what
              + ": "
              + String.join(", ", known)
              + (notes.isEmpty() ? "" : " and " + String.join(", ", notes)));
    }
  }

  /** The known key closest to {@code key} (at most 2 edits, ignoring case), or null. */
  private static String nearest(String key, Set<String> known) {
    TreeMap<Integer, String> byDistance = new TreeMap<>();
    String k = key.toLowerCase(Locale.ROOT);
    for (String candidate : known) {
      int d = distance(k, candidate.toLowerCase(Locale.ROOT));
      if (d <= 2) {
        byDistance.putIfAbsent(d, candidate);
      }
    }
    return byDistance.isEmpty() ? null : byDistance.firstEntry().getValue();
  }

  /** Levenshtein distance; keys are short, so the quadratic table is cheap. */
  private static int distance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2 || a.length() > 200 || b.length() > 200) {
      return Integer.MAX_VALUE;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  @Override
  public String toString() {
    return exact == null ? "ConfKeys{any}" : "ConfKeys" + exact;
  }
}
