package io.taskflow4j.persistence;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TaskFlow's dictionary shapes of the logbook model ({@code to_dict}/{@code from_dict}), which
 * every backend stores so that TaskFlow itself can read the store, and taskflow4j can read
 * TaskFlow's. Maps hold JSON values (see {@link Json}).
 *
 * <p>Readers are lenient where TaskFlow is (missing optional keys, a missing state reads as
 * PENDING) and strict elsewhere: a malformed record is an {@link IllegalArgumentException} whose
 * message says what is wrong, which backends report as a {@link StorageException} naming the
 * record.
 */
public final class TaskFlowFormat {
  private TaskFlowFormat() {}

  // ---- logbooks ----

  /**
   * A logbook's dict (no flow details): {@code name, meta, uuid, updated_at, created_at}. With
   * {@code marshalTime} times are TaskFlow's {@code {year, month, day, hour, minute, second,
   * microsecond}} dicts (the directory and ZooKeeper form); without, ISO-8601 strings.
   */
  public static Map<String, Object> logBookToMap(LogBook book, boolean marshalTime) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", book.name());
    m.put("meta", book.meta());
    m.put("uuid", book.uuid());
    m.put("updated_at", time(book.updatedAt(), marshalTime));
    m.put("created_at", time(book.createdAt(), marshalTime));
    return m;
  }

  private static Object time(Instant t, boolean marshal) {
    if (t == null) {
      return null;
    }
    return marshal ? marshalTime(t) : t.toString();
  }

  /** Reads a logbook's dict and attaches the given flow details. */
  public static LogBook logBookFromMap(Map<?, ?> m, List<FlowDetail> flows) {
    String uuid = requireString(m, "uuid", "logbook");
    Object name = m.get("name");
    return LogBook.of(
        uuid,
        name == null ? "" : String.valueOf(name),
        unmarshalTime(m.get("created_at")),
        unmarshalTime(m.get("updated_at")),
        meta(m.get("meta")),
        flows);
  }

  /** TaskFlow's marshalled time: a dict of the UTC calendar fields. */
  public static Map<String, Object> marshalTime(Instant t) {
    LocalDateTime d = LocalDateTime.ofInstant(t, ZoneOffset.UTC);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("day", d.getDayOfMonth());
    m.put("month", d.getMonthValue());
    m.put("year", d.getYear());
    m.put("hour", d.getHour());
    m.put("minute", d.getMinute());
    m.put("second", d.getSecond());
    m.put("microsecond", d.getNano() / 1000);
    return m;
  }

  /**
   * Reads a time: a marshalled dict, an ISO-8601 string (with or without offset; none means UTC),
   * or {@code null}.
   */
  public static Instant unmarshalTime(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Map<?, ?> m) {
      try {
        LocalDateTime d =
            LocalDateTime.of(
                intField(m, "year"),
                intField(m, "month"),
                intField(m, "day"),
                intField(m, "hour"),
                intField(m, "minute"),
                intField(m, "second"),
                intField(m, "microsecond") * 1000);
        return d.toInstant(ZoneOffset.UTC);
      } catch (java.time.DateTimeException e) {
        throw new IllegalArgumentException("invalid time " + m + ": " + e.getMessage(), e);
      }
    }
    if (!(v instanceof String text)) {
      throw new IllegalArgumentException(
          "invalid time " + v + ": expected an ISO-8601 string or a marshalled time dict");
    }
    String s = text.strip();
    Instant fast = io.taskflow4j.internal.Timestamps.parseLocal(s, s.length());
    return fast != null ? fast : parseIsoTime(s);
  }

  /**
   * {@code s} read by the formatter: ISO-8601 with an optional offset, a space allowed for the
   * {@code T}.
   */
  static Instant parseIsoTime(String s) {
    try {
      TemporalAccessor parsed = ISO_TIME.parse(s.replace(' ', 'T'));
      LocalDateTime local = LocalDateTime.from(parsed);
      // no offset: TaskFlow's times are naive UTC
      ZoneOffset offset =
          parsed.isSupported(ChronoField.OFFSET_SECONDS) ? ZoneOffset.from(parsed) : ZoneOffset.UTC;
      return local.toInstant(offset);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException(
          "invalid time '" + s + "': expected ISO-8601 such as 2020-01-02T03:04:05.123456[+00:00]",
          e);
    }
  }

  /** ISO local date-time with an optional offset: Z, +HH, +HH:MM, +HHMM (Python writes all). */
  private static final DateTimeFormatter ISO_TIME =
      new DateTimeFormatterBuilder()
          .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
          // tried in turn; each fails cleanly on the others' shapes
          .optionalStart()
          .appendOffset("+HH:MM:ss", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HHMMss", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH", "Z")
          .optionalEnd()
          .toFormatter(Locale.ROOT)
          .withResolverStyle(ResolverStyle.STRICT)
          .withChronology(IsoChronology.INSTANCE);

  private static int intField(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v instanceof Number n) {
      return n.intValue();
    }
    if (v == null && key.equals("microsecond")) {
      return 0;
    }
    throw new IllegalArgumentException("time field '" + key + "' missing or not a number: " + m);
  }

  // ---- flow details ----

  /** A flow detail's dict (no atom details): {@code name, meta, state, uuid}. */
  public static Map<String, Object> flowDetailToMap(FlowDetail fd) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", fd.name());
    m.put("meta", fd.meta());
    m.put("state", fd.state().name());
    m.put("uuid", fd.uuid());
    return m;
  }

  /** Reads a flow detail's dict and attaches the given atom details. */
  public static FlowDetail flowDetailFromMap(Map<?, ?> m, List<AtomDetail> atoms, long revision) {
    String uuid = requireString(m, "uuid", "flow detail");
    Object name = m.get("name");
    return FlowDetail.of(
        uuid,
        name == null ? uuid : String.valueOf(name),
        flowState(m.get("state")),
        meta(m.get("meta")),
        atoms,
        revision);
  }

  /** Reads a flow state name; {@code null} is PENDING. */
  public static FlowState flowState(Object v) {
    if (v == null) {
      return FlowState.PENDING;
    }
    try {
      return FlowState.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown flow state '" + v + "'", e);
    }
  }

  /** Reads an atom state name; {@code null} is PENDING. */
  public static AtomState atomState(Object v) {
    if (v == null) {
      return AtomState.PENDING;
    }
    try {
      return AtomState.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown atom state '" + v + "'", e);
    }
  }

  /** Reads an intention name; {@code null} is EXECUTE. */
  public static Intention intention(Object v) {
    if (v == null) {
      return Intention.EXECUTE;
    }
    try {
      return Intention.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown intention '" + v + "'", e);
    }
  }

  // ---- atom details ----

  /**
   * An atom detail's dict: {@code failure, revert_failure, meta, name, results, revert_results,
   * state, version, intention, uuid}; a retry's {@code results} is its history as {@code [[value,
   * {atom name: failure dict}], ...]}.
   */
  public static Map<String, Object> atomToMap(AtomDetail ad) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("failure", failureToMap(ad.failure()));
    m.put("revert_failure", failureToMap(ad.revertFailure()));
    m.put("meta", ad.meta());
    m.put("name", ad.name());
    m.put("results", resultsToJson(ad));
    m.put("revert_results", ad.revertResults());
    m.put("state", ad.state().name());
    m.put("version", ad.version());
    m.put("intention", ad.intention().name());
    m.put("uuid", ad.uuid());
    return m;
  }

  /** The {@code results} value of an atom detail (a retry's history in TaskFlow's shape). */
  public static Object resultsToJson(AtomDetail ad) {
    if (ad instanceof TaskDetail td) {
      return td.results();
    }
    return historyToJson(((RetryDetail) ad).history());
  }

  /** A retry history as {@code [[value, {atom name: failure dict}], ...]}. */
  public static List<Object> historyToJson(List<RetryDetail.Attempt> history) {
    List<Object> out = new ArrayList<>(history.size());
    for (RetryDetail.Attempt a : history) {
      Map<String, Object> failures = new LinkedHashMap<>();
      for (Map.Entry<String, Failure> e : a.failures().entrySet()) {
        failures.put(e.getKey(), e.getValue().toMap());
      }
      List<Object> pair = new ArrayList<>(2);
      pair.add(a.value());
      pair.add(failures);
      out.add(pair);
    }
    return out;
  }

  /**
   * Reads a retry history. Each entry keeps its own value: TaskFlow's reader replaces the value of
   * an entry that has failures with the last failure's dict; this one does not.
   */
  public static List<RetryDetail.Attempt> historyFromJson(Object v) {
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> entries)) {
      throw new IllegalArgumentException("a retry history must be a list, not " + v);
    }
    List<RetryDetail.Attempt> out = new ArrayList<>(entries.size());
    for (Object e : entries) {
      if (!(e instanceof List<?> pair) || pair.size() != 2) {
        throw new IllegalArgumentException(
            "a retry history entry must be a [value, failures] pair, not " + e);
      }
      Map<String, Failure> failures = new LinkedHashMap<>();
      Object fs = pair.get(1);
      if (fs instanceof Map<?, ?> fm) {
        for (Map.Entry<?, ?> fe : fm.entrySet()) {
          if (!(fe.getValue() instanceof Map<?, ?> fd)) {
            throw new IllegalArgumentException(
                "the failure of '" + fe.getKey() + "' in a retry history must be a dict");
          }
          failures.put(String.valueOf(fe.getKey()), Failure.fromMap(fd));
        }
      } else if (fs != null) {
        throw new IllegalArgumentException("retry history failures must be a dict, not " + fs);
      }
      out.add(new RetryDetail.Attempt(pair.get(0), failures));
    }
    return out;
  }

  /** {@code {"atom": dict, "type": "TASK_DETAIL" | "RETRY_DETAIL"}}: the stored atom form. */
  public static Map<String, Object> atomToEnvelope(AtomDetail ad) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("atom", atomToMap(ad));
    m.put("type", ad.typeName());
    return m;
  }

  /** Reads the stored atom form {@code {"atom": ..., "type": ...}}. */
  public static AtomDetail atomFromEnvelope(Map<?, ?> envelope, long revision) {
    Object atom = envelope.get("atom");
    if (!(atom instanceof Map<?, ?> am)) {
      throw new IllegalArgumentException("an atom record needs an 'atom' dict");
    }
    Object type = envelope.get("type");
    if (type == null) {
      throw new IllegalArgumentException("an atom record needs a 'type'");
    }
    return atomFromMap(String.valueOf(type), am, revision);
  }

  /**
   * Reads an atom detail's dict of the given type tag.
   *
   * @throws IllegalArgumentException for an unknown type tag or a malformed dict
   */
  public static AtomDetail atomFromMap(String type, Map<?, ?> m, long revision) {
    String uuid = requireString(m, "uuid", "atom detail");
    String name = requireString(m, "name", "atom detail");
    AtomState state = atomState(m.get("state"));
    Intention intention = intention(m.get("intention"));
    Failure failure = failure(m.get("failure"), "failure");
    Failure revertFailure = failure(m.get("revert_failure"), "revert_failure");
    Map<String, Object> meta = meta(m.get("meta"));
    String version = version(m.get("version"));
    switch (type) {
      case AtomDetail.TASK_DETAIL:
        return new TaskDetail(
            uuid,
            name,
            state,
            intention,
            m.get("results"),
            failure,
            m.get("revert_results"),
            revertFailure,
            meta,
            version,
            revision);
      case AtomDetail.RETRY_DETAIL:
        return new RetryDetail(
            uuid,
            name,
            state,
            intention,
            historyFromJson(m.get("results")),
            failure,
            m.get("revert_results"),
            revertFailure,
            meta,
            version,
            revision);
      default:
        throw new IllegalArgumentException("Unknown atom type '" + type + "'");
    }
  }

  /** A failure's dict, or {@code null}. */
  public static Map<String, Object> failureToMap(Failure f) {
    return f == null ? null : f.toMap();
  }

  private static Failure failure(Object v, String what) {
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException("'" + what + "' must be a failure dict, not " + v);
    }
    return Failure.fromMap(m);
  }

  /** Reads a failure's dict, or {@code null}. */
  public static Failure failureFromJson(Object v) {
    return failure(v, "failure");
  }

  private static String version(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof List<?> parts) {
      List<String> s = new ArrayList<>();
      for (Object p : parts) {
        s.add(String.valueOf(p));
      }
      return String.join(".", s);
    }
    return String.valueOf(v);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> meta(Object v) {
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static String requireString(Map<?, ?> m, String key, String what) {
    Object v = m.get(key);
    if (v == null || String.valueOf(v).isEmpty()) {
      throw new IllegalArgumentException("a " + what + " record needs a '" + key + "'");
    }
    return String.valueOf(v);
  }
}
