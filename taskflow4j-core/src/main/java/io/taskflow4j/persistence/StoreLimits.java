package io.taskflow4j.persistence;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * What one store can hold: the longest uuid, name and version it keeps, whether its text columns
 * take NUL characters, the times it can represent, the largest JSON value it takes. {@link
 * Connection#limits()} describes its store; {@link #check(LogBook)} then tells, before anything is
 * written, whether a whole logbook fits, naming the first record and field that does not. Strings
 * with a lone UTF-16 surrogate are refused by every store (see {@link InvalidTextException}).
 *
 * <pre>{@code
 * StoreLimits limits = connection.limits();
 * for (LogBook b : books) {
 *   limits.check(b); // a LimitExceededException before any book is written
 * }
 * }</pre>
 */
public final class StoreLimits {

  /** The fields a limit applies to. Text fields count characters; JSON fields UTF-8 bytes. */
  public enum Field {
    /** The uuid of a logbook, flow detail or atom detail (characters). */
    UUID("uuid", true),
    /** A logbook's name (characters). */
    BOOK_NAME("name", true),
    /** A flow detail's name (characters). */
    FLOW_NAME("name", true),
    /** An atom detail's name (characters). */
    ATOM_NAME("name", true),
    /** An atom detail's version (characters). */
    ATOM_VERSION("version", true),
    /** A logbook's metadata, as JSON (bytes). */
    BOOK_META("meta", false),
    /** A flow detail's metadata, as JSON (bytes). */
    FLOW_META("meta", false),
    /** An atom detail's metadata, as JSON (bytes). */
    ATOM_META("meta", false),
    /** An atom detail's results (a retry's history), as JSON (bytes). */
    ATOM_RESULTS("results", false),
    /** An atom detail's failure, as JSON (bytes). */
    ATOM_FAILURE("failure", false),
    /** An atom detail's revert results, as JSON (bytes). */
    ATOM_REVERT_RESULTS("revert_results", false),
    /** An atom detail's revert failure, as JSON (bytes). */
    ATOM_REVERT_FAILURE("revert_failure", false);

    private final String label;
    private final boolean text;

    Field(String label, boolean text) {
      this.label = label;
      this.text = text;
    }

    /** The field's name in the export format and in TaskFlow's records. */
    public String label() {
      return label;
    }

    /** Whether the field is text (limited in characters) rather than JSON (limited in bytes). */
    public boolean text() {
      return text;
    }
  }

  /** A limit and where it comes from, e.g. {@code 255, "atomdetails.name is VARCHAR(255)"}. */
  private record Limit(long max, String why) {}

  /** Limits of a store that holds whatever the model holds (the in-memory store). */
  public static final StoreLimits NONE = builder("any store").build();

  private final String store;
  private final Map<Field, Limit> max;
  private final Limit uuidBytes;
  private final String nulRefused;
  private final Instant minTime;
  private final Instant maxTime;
  private final String timeWhy;
  private final IntPredicate uuidCharRefused;
  private final String uuidCharWhy;

  private StoreLimits(Builder b) {
    this.store = b.store;
    this.max = Collections.unmodifiableMap(new EnumMap<>(b.max));
    this.uuidBytes = b.uuidBytes;
    this.nulRefused = b.nulRefused;
    this.minTime = b.minTime;
    this.maxTime = b.maxTime;
    this.timeWhy = b.timeWhy;
    this.uuidCharRefused = b.uuidCharRefused;
    this.uuidCharWhy = b.uuidCharWhy;
  }

  /** Starts the limits of a store described as {@code store} (e.g. {@code "PostgreSQL"}). */
  public static Builder builder(String store) {
    return new Builder(store);
  }

  /** What the store is, as messages name it. */
  public String store() {
    return store;
  }

  /** The largest size of a field (characters or bytes, see {@link Field}), if limited. */
  public java.util.OptionalLong max(Field field) {
    Limit l = max.get(field);
    return l == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(l.max());
  }

  /** The earliest time the store represents. */
  public Instant minTime() {
    return minTime;
  }

  /** The latest time the store represents. */
  public Instant maxTime() {
    return maxTime;
  }

  /** Whether text fields (uuids, names, versions) may hold NUL characters. */
  public boolean nulAllowed() {
    return nulRefused == null;
  }

  /**
   * Checks a whole logbook, its flow details and their atom details, against these limits.
   *
   * @throws LimitExceededException naming the first record and field that does not fit, and how
   *     many problems there are in all
   * @throws InvalidTextException when a string holds a lone surrogate
   */
  public void check(LogBook book) {
    List<String> found = new ArrayList<>();
    List<String> text = new ArrayList<>();
    walk(book, found, text, 2);
    if (!text.isEmpty()) {
      throw new InvalidTextException(text.get(0));
    }
    if (!found.isEmpty()) {
      throw new LimitExceededException(found.get(0));
    }
  }

  /**
   * Every value of {@code book} that does not fit, as messages naming record, field and limit (at
   * most {@code limit} of them); empty when the whole book fits.
   */
  public List<String> violations(LogBook book, int limit) {
    List<String> found = new ArrayList<>();
    List<String> text = new ArrayList<>();
    walk(book, found, text, limit);
    List<String> all = new ArrayList<>(text);
    all.addAll(found);
    return all.size() > limit ? all.subList(0, limit) : all;
  }

  private void walk(LogBook book, List<String> found, List<String> text, int limit) {
    String bw = "logbook " + book.uuid() + " (" + abbreviate(book.name()) + ")";
    Sink s = new Sink(found, text, limit);
    uuid(book.uuid(), bw, s);
    text(Field.BOOK_NAME, book.name(), bw, s);
    time("created_at", book.createdAt(), bw, s);
    time("updated_at", book.updatedAt(), bw, s);
    json(Field.BOOK_META, book.meta(), bw, s);
    for (FlowDetail fd : book.flows()) {
      String fw = bw + ", flow detail " + fd.uuid() + " (" + abbreviate(fd.name()) + ")";
      uuid(fd.uuid(), fw, s);
      text(Field.FLOW_NAME, fd.name(), fw, s);
      json(Field.FLOW_META, fd.meta(), fw, s);
      for (AtomDetail ad : fd.atoms()) {
        String aw = fw + ", atom detail " + ad.uuid() + " (" + abbreviate(ad.name()) + ")";
        uuid(ad.uuid(), aw, s);
        text(Field.ATOM_NAME, ad.name(), aw, s);
        text(Field.ATOM_VERSION, ad.version(), aw, s);
        json(Field.ATOM_META, ad.meta(), aw, s);
        json(Field.ATOM_RESULTS, TaskFlowFormat.resultsToJson(ad), aw, s);
        json(Field.ATOM_FAILURE, TaskFlowFormat.failureToMap(ad.failure()), aw, s);
        json(Field.ATOM_REVERT_RESULTS, ad.revertResults(), aw, s);
        json(Field.ATOM_REVERT_FAILURE, TaskFlowFormat.failureToMap(ad.revertFailure()), aw, s);
        if (s.full()) {
          return;
        }
      }
    }
  }

  /** Where problems go, and when to stop looking. */
  private record Sink(List<String> found, List<String> text, int limit) {
    boolean full() {
      return found.size() + text.size() >= limit;
    }
  }

  private void uuid(String uuid, String where, Sink s) {
    text(Field.UUID, uuid, where, s);
    if (uuidBytes != null) {
      int bytes = uuid.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > uuidBytes.max()) {
        s.found().add(where + ": its uuid is " + bytes + " bytes, over " + limit(uuidBytes));
      }
    }
    if (uuidCharRefused != null) {
      int[] cps = uuid.codePoints().filter(uuidCharRefused).limit(1).toArray();
      if (cps.length > 0) {
        s.found()
            .add(
                where
                    + ": its uuid holds U+"
                    + String.format("%04X", cps[0])
                    + ", which "
                    + store
                    + " refuses ("
                    + uuidCharWhy
                    + ")");
      }
    }
  }

  private void text(Field field, String value, String where, Sink s) {
    if (value == null) {
      return;
    }
    int bad = InvalidTextException.loneSurrogate(value);
    if (bad >= 0) {
      s.text()
          .add(where + ": " + InvalidTextException.describe(value, bad, "its " + field.label()));
      return;
    }
    Limit l = max.get(field);
    if (l != null) {
      int chars = value.codePointCount(0, value.length());
      if (chars > l.max()) {
        s.found()
            .add(
                where
                    + ": its "
                    + field.label()
                    + " is "
                    + chars
                    + " characters long, over "
                    + limit(l));
      }
    }
    if (nulRefused != null && value.indexOf('\0') >= 0) {
      s.found()
          .add(
              where
                  + ": its "
                  + field.label()
                  + " holds a NUL character (U+0000), which "
                  + store
                  + " cannot keep ("
                  + nulRefused
                  + ")");
    }
  }

  private void time(String label, Instant t, String where, Sink s) {
    if (t == null) {
      return;
    }
    if ((minTime != null && t.isBefore(minTime)) || (maxTime != null && t.isAfter(maxTime))) {
      s.found()
          .add(
              where
                  + ": its "
                  + label
                  + " "
                  + t
                  + " is outside the times "
                  + store
                  + " can represent ("
                  + minTime
                  + " to "
                  + maxTime
                  + (timeWhy == null ? "" : ", " + timeWhy)
                  + ")");
    }
  }

  private void json(Field field, Object value, String where, Sink s) {
    if (value == null) {
      return;
    }
    String bad = firstLoneSurrogate(value, "its " + field.label());
    if (bad != null) {
      s.text().add(where + ": " + bad);
      return;
    }
    Limit l = max.get(field);
    if (l != null) {
      long bytes = Json.writeBytes(value).length;
      if (bytes > l.max()) {
        s.found()
            .add(
                where
                    + ": its "
                    + field.label()
                    + " is "
                    + bytes
                    + " bytes as JSON, over "
                    + limit(l));
      }
    }
  }

  /**
   * The message for the first string (map key or value, at any depth) of a JSON value holding a
   * lone surrogate, or {@code null}.
   */
  static String firstLoneSurrogate(Object value, String what) {
    if (value instanceof String str) {
      int i = InvalidTextException.loneSurrogate(str);
      return i < 0 ? null : InvalidTextException.describe(str, i, what);
    }
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        int i = InvalidTextException.loneSurrogate(key);
        if (i >= 0) {
          return InvalidTextException.describe(key, i, "a key of " + what);
        }
        String inner = firstLoneSurrogate(e.getValue(), what + "." + abbreviate(key));
        if (inner != null) {
          return inner;
        }
      }
    } else if (value instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        String inner = firstLoneSurrogate(l.get(i), what + "[" + i + "]");
        if (inner != null) {
          return inner;
        }
      }
    }
    return null;
  }

  private String limit(Limit l) {
    return "the " + l.max() + " " + store + " keeps (" + l.why() + ")";
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    int lone = InvalidTextException.loneSurrogate(s);
    String safe = lone < 0 ? s : s.replaceAll("[\\ud800-\\udfff]", "?");
    safe = safe.replace('\0', '?');
    return safe.length() <= 40 ? safe : safe.substring(0, 37) + "...";
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("StoreLimits{").append(store);
    max.forEach((f, l) -> b.append(", ").append(f).append('=').append(l.max()));
    if (uuidBytes != null) {
      b.append(", uuid bytes=").append(uuidBytes.max());
    }
    if (nulRefused != null) {
      b.append(", no NUL");
    }
    if (minTime != null || maxTime != null) {
      b.append(", times ").append(minTime).append(" to ").append(maxTime);
    }
    return b.append('}').toString();
  }

  /** Builds {@link StoreLimits}; every limit is optional. */
  public static final class Builder {
    private final String store;
    private final Map<Field, Limit> max = new EnumMap<>(Field.class);
    private Limit uuidBytes;
    private String nulRefused;
    private Instant minTime;
    private Instant maxTime;
    private String timeWhy;
    private IntPredicate uuidCharRefused;
    private String uuidCharWhy;

    private Builder(String store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * The largest size of a field: characters for text fields, UTF-8 bytes of its JSON text for the
     * others; {@code why} says where the limit comes from (e.g. {@code "VARCHAR(255)"}). A smaller
     * limit given twice wins.
     */
    public Builder max(Field field, long limit, String why) {
      Objects.requireNonNull(field, "field");
      Limit old = max.get(field);
      if (old == null || limit < old.max()) {
        max.put(field, new Limit(limit, why));
      }
      return this;
    }

    /** The largest uuid in UTF-8 bytes (a file name, say). */
    public Builder maxUuidBytes(long limit, String why) {
      this.uuidBytes = new Limit(limit, why);
      return this;
    }

    /** Text fields (uuids, names, versions) cannot hold NUL characters, because {@code why}. */
    public Builder noNul(String why) {
      this.nulRefused = Objects.requireNonNull(why, "why");
      return this;
    }

    /** The times the store represents, from {@code min} to {@code max} inclusive. */
    public Builder times(Instant min, Instant max, String why) {
      this.minTime = min;
      this.maxTime = max;
      this.timeWhy = why;
      return this;
    }

    /** Characters (code points) a uuid may not hold, because {@code why}. */
    public Builder uuidCharsRefused(IntPredicate refused, String why) {
      this.uuidCharRefused = refused;
      this.uuidCharWhy = why;
      return this;
    }

    /** The limits. */
    public StoreLimits build() {
      return new StoreLimits(this);
    }
  }
}
