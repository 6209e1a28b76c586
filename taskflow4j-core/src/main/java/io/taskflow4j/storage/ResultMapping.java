package io.taskflow4j.storage;

import io.taskflow4j.internal.ArrayMap;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * How an atom's result maps to the names it provides (TaskFlow's {@code save_as}): the whole result
 * under one name ({@code {name: null}}), list elements by index ({@code {name: index}}) or map
 * entries by key ({@code {name: key}}). Immutable.
 *
 * <p><b>Not API.</b> Public only because the engine, another package, exchanges it with {@link
 * Storage}'s engine-facing methods; it may change in any release.
 */
public final class ResultMapping {
  private static final ResultMapping NONE = new ResultMapping(Map.of());

  /** name → null (whole result), Integer (list index) or String (map key); insertion ordered. */
  private final Map<String, Object> keys;

  /**
   * The name of a whole-result mapping, whose map ({@link Whole}) is made when asked: a large flow
   * keeps one mapping per atom for its whole run, nearly all of this kind. Null otherwise.
   */
  private final String whole;

  private ResultMapping(Map<String, Object> keys) {
    this.keys = keys;
    this.whole = null;
  }

  private ResultMapping(String whole) {
    this.keys = null;
    this.whole = whole;
  }

  private Map<String, Object> keys() {
    return keys != null ? keys : new Whole(whole);
  }

  /**
   * The mapping of the whole result under one name, with no map of its own until asked: a large
   * flow keeps one mapping per atom for its whole run, nearly all of this kind.
   */
  private static final class Whole extends AbstractMap<String, Object> {
    private final String name;

    Whole(String name) {
      this.name = name;
    }

    @Override
    public Object get(Object key) {
      return null;
    }

    @Override
    public boolean containsKey(Object key) {
      return name.equals(key);
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public Set<String> keySet() {
      return Set.of(name); // fresh: AbstractMap would keep the view in a field
    }

    @Override
    public Collection<Object> values() {
      return Collections.singletonList(null);
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      return Collections.singleton(new SimpleImmutableEntry<>(name, null));
    }
  }

  /** Provides nothing. */
  public static ResultMapping none() {
    return NONE;
  }

  /** The whole result under {@code name}. */
  public static ResultMapping whole(String name) {
    return new ResultMapping(requireName(name));
  }

  /** Element {@code i} of a list result under {@code names.get(i)}. */
  public static ResultMapping byIndex(List<String> names) {
    Objects.requireNonNull(names, "names");
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      putUnique(m, names.get(i), i);
    }
    return m.isEmpty() ? NONE : new ResultMapping(ArrayMap.copyOf(m));
  }

  /** Entry {@code name} of a map result under {@code name}, for each of {@code names}. */
  public static ResultMapping byKey(Collection<String> names) {
    Objects.requireNonNull(names, "names");
    Map<String, Object> m = new LinkedHashMap<>();
    for (String n : names) {
      putUnique(m, n, n);
    }
    return m.isEmpty() ? NONE : new ResultMapping(ArrayMap.copyOf(m));
  }

  /**
   * A mapping from provided names to how each is taken from the result: {@code null} (the whole
   * result), a non-negative {@link Integer} (a list index) or a {@link String} (a map key).
   */
  public static ResultMapping of(Map<String, ?> nameToKey) {
    Objects.requireNonNull(nameToKey, "nameToKey");
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : nameToKey.entrySet()) {
      Object k = e.getValue();
      if (k != null && !(k instanceof String) && !(k instanceof Integer i && i >= 0)) {
        throw new IllegalArgumentException(
            "provided name '"
                + e.getKey()
                + "' must map to null (whole result), a list index >= 0 or a map key, not "
                + k);
      }
      m.put(requireName(e.getKey()), k);
    }
    return m.isEmpty() ? NONE : new ResultMapping(ArrayMap.copyOf(m));
  }

  private static void putUnique(Map<String, Object> m, String name, Object key) {
    if (m.containsKey(requireName(name))) {
      throw new IllegalArgumentException(
          "provided name '" + name + "' is listed twice; provided names must be unique");
    }
    m.put(name, key);
  }

  private static String requireName(String name) {
    Objects.requireNonNull(name, "provided name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a provided name must not be empty");
    }
    return name;
  }

  /** The provided names, in declaration order. */
  public Set<String> names() {
    return keys().keySet();
  }

  /** The name of a whole-result mapping, or null for any other. */
  String wholeName() {
    return whole;
  }

  /** Whether nothing is provided. */
  public boolean isEmpty() {
    return whole == null && keys.isEmpty();
  }

  /**
   * Calls {@code action} with each provided name and how it is taken from the result, in
   * declaration order (a whole-result mapping makes no map for it).
   */
  public void forEach(BiConsumer<? super String, Object> action) {
    if (whole != null) {
      action.accept(whole, null);
    } else {
      keys.forEach(action);
    }
  }

  /** Whether {@code name} is provided. */
  public boolean provides(String name) {
    return keys().containsKey(name);
  }

  /**
   * How {@code name} is taken from the result: {@code null} for the whole result, an {@link
   * Integer} index or a {@link String} key.
   *
   * @throws IllegalArgumentException when {@code name} is not provided
   */
  public Object keyOf(String name) {
    if (!keys().containsKey(name)) {
      throw new IllegalArgumentException("'" + name + "' is not a provided name");
    }
    return keys().get(name);
  }

  /** The name → key pairs (values may be {@code null}); unmodifiable. */
  public Map<String, Object> asMap() {
    return keys();
  }

  /** This mapping with {@code other}'s names put over it (TaskFlow merges re-registrations). */
  ResultMapping merge(ResultMapping other) {
    if (other.isEmpty() || other.equals(this)) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    Map<String, Object> m = new LinkedHashMap<>(keys());
    m.putAll(other.keys());
    return new ResultMapping(ArrayMap.copyOf(m));
  }

  /** The names whose values cannot be taken from {@code result}. */
  Set<String> missingIn(Object result) {
    if (whole != null) {
      return Set.of(); // the whole result is always there to take
    }
    Set<String> missing = null; // made only when something is missing (rarely)
    for (Map.Entry<String, Object> e : keys().entrySet()) {
      if (!canExtract(e.getValue(), result)) {
        if (missing == null) {
          missing = new LinkedHashSet<>();
        }
        missing.add(e.getKey());
      }
    }
    return missing == null ? Set.of() : missing;
  }

  static boolean canExtract(Object key, Object container) {
    if (key == null) {
      return true;
    }
    if (key instanceof Integer i) {
      return container instanceof List<?> l && i < l.size();
    }
    return container instanceof Map<?, ?> m && m.containsKey(key);
  }

  /** The value {@code key} designates in {@code container}; call only when canExtract. */
  static Object extract(Object key, Object container) {
    if (key == null) {
      return container;
    }
    if (key instanceof Integer i) {
      return ((List<?>) container).get(i);
    }
    return ((Map<?, ?>) container).get(key);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ResultMapping r)) {
      return false;
    }
    if (whole != null || r.whole != null) {
      // A whole-result mapping equals only another of the same name, or a map of that one entry.
      return whole != null && r.whole != null ? whole.equals(r.whole) : keys().equals(r.keys());
    }
    return keys.equals(r.keys);
  }

  @Override
  public int hashCode() {
    return whole != null ? whole.hashCode() : keys.hashCode(); // {name: null} hashes as name
  }

  @Override
  public String toString() {
    return "ResultMapping" + keys();
  }
}
