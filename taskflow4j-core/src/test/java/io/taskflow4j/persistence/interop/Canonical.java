package io.taskflow4j.persistence.interop;

import static org.assertj.core.api.Assertions.assertThat;

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
public final class Canonical {
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

  private Canonical() {}

  /** {@code {"books": [...]}} sorted by uuid. */
  public static Map<String, Object> store(List<LogBook> books) {
    List<Object> out = new ArrayList<>();
    books.stream().sorted(Comparator.comparing(LogBook::uuid)).forEach(b -> out.add(book(b)));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("books", out);
    return m;
  }

  public static Map<String, Object> book(LogBook b) {
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

  public static Map<String, Object> flow(FlowDetail f) {
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

  public static Map<String, Object> atom(AtomDetail a) {
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
  public static Map<String, Object> failure(Failure f) {
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

  public static String time(Instant t) {
    return t == null ? null : LocalDateTime.ofInstant(t, ZoneOffset.UTC).format(MICROS);
  }

  /**
   * A TaskFlow dump (of {@code tf_interop_dump.py} or {@code tf_zk_interop.py}) turned into what
   * taskflow4j must read from the same store. {@code retryValues}: the true attempt values of each
   * retry detail by uuid (TaskFlow's reader loses some). Each change is a place where TaskFlow's
   * reader and taskflow4j's model legitimately differ.
   */
  public static Map<String, Object> taskflow4jView(
      Map<String, Object> dump, Map<String, Object> retryValues) {
    Map<String, Object> expected = Canonical.mutable(dump);
    for (Object b : (List<?>) expected.get("books")) {
      for (Object f : (List<?>) castMap(b).get("flows")) {
        Map<String, Object> flow = castMap(f);
        // TaskFlow keeps a flow detail's state None until an engine sets it; taskflow4j reads
        // the missing state as PENDING, which is what TaskFlow's storage reports for None.
        if (flow.get("state") == null) {
          flow.put("state", "PENDING");
        }
        for (Object a : (List<?>) flow.get("atoms")) {
          Map<String, Object> atom = castMap(a);
          // Same for an atom detail never given a state.
          if (atom.get("state") == null) {
            atom.put("state", "PENDING");
          }
          // A version given as a tuple is stored as a JSON list; taskflow4j's version is the
          // dotted string TaskFlow's misc.get_version_string would make of it.
          if (atom.get("version") instanceof List<?> parts) {
            atom.put("version", String.join(".", parts.stream().map(String::valueOf).toList()));
          }
          if ("RETRY_DETAIL".equals(atom.get("type"))) {
            // TaskFlow's reader replaces attempt values (see undoTaskFlowRetryValueBug); the
            // writer reported the true ones, which taskflow4j must read.
            List<?> truth = (List<?>) retryValues.get((String) atom.get("uuid"));
            assertThat(truth).as("true values of retry %s", atom.get("name")).isNotNull();
            List<?> history = (List<?>) atom.get("results");
            assertThat(history).as("history of %s", atom.get("name")).hasSameSizeAs(truth);
            for (int i = 0; i < history.size(); i++) {
              @SuppressWarnings("unchecked")
              List<Object> pair = (List<Object>) history.get(i);
              pair.set(0, truth.get(i));
            }
          }
        }
      }
    }
    return expected;
  }

  /** A deeply mutable copy of a JSON value (maps keep their order), for editing expectations. */
  @SuppressWarnings("unchecked")
  public static <T> T mutable(T value) {
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

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) java.util.Objects.requireNonNull(o, "expected a JSON object");
  }
}
