package io.taskflow4j.persistence.interop;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The canonical dump form of a logbook tree, built from taskflow4j's model: the same shape that
 * {@code src/test/python/tf_interop_dump.py} prints from what TaskFlow reads (books, flows and
 * atoms sorted by uuid; failures as TaskFlow's failure dicts; times as ISO text to the microsecond,
 * UTC, no offset). Comparing the two with {@link JsonDiff} compares every field.
 *
 * <p>Independent of {@code TaskFlowFormat} on purpose: the dump is built from the model's
 * accessors, so a mistake in the format code cannot hide itself.
 */
final class Canonical {
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

  private Canonical() {}

  /** {@code {"books": [...]}} sorted by uuid. */
  static Map<String, Object> store(List<LogBook> books) {
    List<Object> out = new ArrayList<>();
    books.stream().sorted(Comparator.comparing(LogBook::uuid)).forEach(b -> out.add(book(b)));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("books", out);
    return m;
  }

  static Map<String, Object> book(LogBook b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", b.uuid());
    m.put("name", b.name());
    m.put("meta", b.meta());
    m.put("created_at", time(b.createdAt()));
    m.put("updated_at", time(b.updatedAt()));
    List<Object> flows = new ArrayList<>();
    b.flows().stream()
        .sorted(Comparator.comparing(FlowDetail::uuid))
        .forEach(f -> flows.add(flow(f)));
    m.put("flows", flows);
    return m;
  }

  static Map<String, Object> flow(FlowDetail f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", f.uuid());
    m.put("name", f.name());
    m.put("state", f.state().name());
    m.put("meta", f.meta());
    List<Object> atoms = new ArrayList<>();
    f.atoms().stream()
        .sorted(Comparator.comparing(AtomDetail::uuid))
        .forEach(a -> atoms.add(atom(a)));
    m.put("atoms", atoms);
    return m;
  }

  static Map<String, Object> atom(AtomDetail a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", a.typeName());
    m.put("uuid", a.uuid());
    m.put("name", a.name());
    m.put("state", a.state().name());
    m.put("intention", a.intention().name());
    m.put("version", a.version());
    m.put("meta", a.meta());
    m.put("results", results(a));
    m.put("failure", failure(a.failure()));
    m.put("revert_results", a.revertResults());
    m.put("revert_failure", failure(a.revertFailure()));
    return m;
  }

  private static Object results(AtomDetail a) {
    if (a instanceof TaskDetail td) {
      return td.results();
    }
    List<Object> history = new ArrayList<>();
    for (RetryDetail.Attempt attempt : ((RetryDetail) a).history()) {
      Map<String, Object> failures = new LinkedHashMap<>();
      attempt.failures().forEach((name, f) -> failures.put(name, failure(f)));
      List<Object> pair = new ArrayList<>();
      pair.add(attempt.value());
      pair.add(failures);
      history.add(pair);
    }
    return history;
  }

  /** A failure's dict built field by field (TaskFlow's {@code Failure.to_dict()} keys). */
  static Map<String, Object> failure(Failure f) {
    if (f == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exception_str", f.exceptionStr());
    m.put("traceback_str", f.tracebackStr());
    m.put("exc_type_names", f.excTypeNames());
    m.put("version", 1);
    m.put("exc_args", f.excArgs());
    List<Object> causes = new ArrayList<>();
    for (Failure c : f.causes()) {
      causes.add(failure(c));
    }
    m.put("causes", causes);
    return m;
  }

  static String time(Instant t) {
    return t == null ? null : LocalDateTime.ofInstant(t, ZoneOffset.UTC).format(MICROS);
  }

  /** A deeply mutable copy of a JSON value (maps keep their order), for editing expectations. */
  @SuppressWarnings("unchecked")
  static <T> T mutable(T value) {
    Object v = Json.normalize(value);
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, x) -> copy.put((String) k, mutable(x)));
      return (T) copy;
    }
    if (v instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      list.forEach(x -> copy.add(mutable(x)));
      return (T) copy;
    }
    return (T) v;
  }
}
