package io.taskflow4j;

import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The arguments an engine hands to an atom's {@code execute} or {@code revert}, by the names the
 * atom declared ({@code requires}/{@code optional}). Values are converted to the declared Java type
 * on access, so a value reloaded from a durable store as JSON (say a map) arrives as the record or
 * class the atom asked for.
 *
 * <p>Also the atom's channel back to the engine while it runs ({@link #updateProgress}). Immutable;
 * safe to pass to other threads.
 */
public final class Arguments {
  /** Receives progress reports of a running atom. */
  @FunctionalInterface
  public interface ProgressListener {
    /** Called with a progress between 0 and 1 and optional details (may be empty). */
    void onProgress(double progress, Map<String, Object> details);
  }

  private static final Arguments EMPTY = new Arguments(Map.of(), Map.of(), null);

  private final Map<String, Object> values;
  private final Map<String, Class<?>> types;
  private final ProgressListener progress;

  private Arguments(
      Map<String, Object> values, Map<String, Class<?>> types, ProgressListener progress) {
    this.values = values;
    this.types = types;
    this.progress = progress;
  }

  /** No arguments. */
  public static Arguments empty() {
    return EMPTY;
  }

  /** Arguments from a map of values (handy to test a task without an engine). */
  public static Arguments of(Map<String, ?> values) {
    return of(values, Map.of(), null);
  }

  /**
   * Arguments with declared types (used by engines).
   *
   * @param values argument name → value (JSON values or live objects)
   * @param types argument name → the Java type to convert to on access
   * @param progress where {@link #updateProgress} reports go, or {@code null}
   */
  public static Arguments of(
      Map<String, ?> values, Map<String, Class<?>> types, ProgressListener progress) {
    @SuppressWarnings("unchecked")
    Map<String, Object> v =
        values == null
            ? Map.of()
            : values instanceof ArrayMap<?, ?> a && a.getClass() == ArrayMap.class
                ? (Map<String, Object>) values // unmodifiable already: no wrapper per atom run
                : Collections.unmodifiableMap((Map<String, Object>) values);
    return new Arguments(v, types == null ? Map.of() : types, progress);
  }

  /**
   * The argument's value, converted to the type the atom declared for it (if any).
   *
   * @throws NotFoundException when the atom has no such argument (or an optional one was not
   *     provided)
   */
  @SuppressWarnings("unchecked")
  public <T> T get(String name) {
    Object v = require(name);
    Class<?> type = types.get(name);
    return (T) (type == null || type == Object.class ? v : Json.convert(v, type));
  }

  /**
   * The argument's value converted to {@code type} (through the JSON codec when it is not already
   * an instance).
   *
   * @throws NotFoundException when the atom has no such argument
   * @throws IllegalArgumentException when the value cannot be converted
   */
  public <T> T get(String name, Class<T> type) {
    Objects.requireNonNull(type, "type");
    return Json.convert(require(name), type);
  }

  /** The value converted to {@code type}, or {@code defaultValue} when it was not provided. */
  public <T> T getOrDefault(String name, Class<T> type, T defaultValue) {
    return values.containsKey(name) ? Json.convert(values.get(name), type) : defaultValue;
  }

  /** Whether a value was provided for {@code name}. */
  public boolean has(String name) {
    return values.containsKey(name);
  }

  /** The argument names that have values. */
  public Set<String> names() {
    return values.keySet();
  }

  /** The raw values (as stored: JSON values, or live objects within one process). */
  public Map<String, Object> asMap() {
    return values;
  }

  /**
   * Reports the running atom's progress (0..1); the engine records it in the logbook. Failures to
   * record are logged, never thrown.
   */
  public void updateProgress(double progress) {
    updateProgress(progress, Map.of());
  }

  /** Reports progress with details (JSON values). */
  public void updateProgress(double progress, Map<String, Object> details) {
    if (Double.isNaN(progress) || progress < 0.0 || progress > 1.0) {
      throw new IllegalArgumentException("progress must be between 0 and 1, was " + progress);
    }
    if (this.progress != null) {
      this.progress.onProgress(progress, details == null ? Map.of() : details);
    }
  }

  private Object require(String name) {
    Object v = values.get(name);
    if (v == null && !values.containsKey(name)) {
      throw new NotFoundException(
          "No argument named '"
              + name
              + "'; the atom's arguments are "
              + values.keySet()
              + " (declare it with requires(...) or optional(...))");
    }
    return v;
  }

  @Override
  public String toString() {
    return "Arguments" + values;
  }
}
