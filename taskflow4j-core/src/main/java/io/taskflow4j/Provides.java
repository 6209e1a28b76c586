package io.taskflow4j;

import java.util.List;
import java.util.Objects;

/**
 * How an atom's result is published under names other atoms can require: nothing, the whole result
 * under one name, list elements by position, or map entries by key (TaskFlow's {@code provides} as
 * a string, a list or a set). Immutable.
 */
public final class Provides {
  /** The shape of the mapping. */
  public enum Mode {
    /** The result is stored but published under no name. */
    NONE,
    /** The whole result is published under one name. */
    WHOLE,
    /** Element {@code i} of a list result is published under the {@code i}-th name. */
    BY_INDEX,
    /** Entry {@code k} of a map result is published under the name {@code k}. */
    BY_KEY
  }

  private static final Provides NONE = new Provides(Mode.NONE, List.of());

  private final Mode mode;

  /** The names: one name alone as its string (the common case, no list kept), else a list. */
  private final Object names;

  private Provides(Mode mode, List<String> names) {
    this.mode = mode;
    this.names = names.size() == 1 ? names.get(0) : names;
  }

  /** Publishes nothing. */
  public static Provides none() {
    return NONE;
  }

  /** Publishes the whole result under {@code name}. */
  public static Provides whole(String name) {
    return new Provides(Mode.WHOLE, List.of(checkName(name)));
  }

  /** Publishes element {@code i} of a list result under {@code names[i]}. */
  public static Provides byIndex(List<String> names) {
    return new Provides(Mode.BY_INDEX, checkNames(names));
  }

  /** Publishes the entries of a map result under their keys. */
  public static Provides byKey(List<String> keys) {
    return new Provides(Mode.BY_KEY, checkNames(keys));
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "provided name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a provided name must not be empty");
    }
    return name;
  }

  private static List<String> checkNames(List<String> names) {
    Objects.requireNonNull(names, "provided names");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("at least one provided name is required");
    }
    if (names.stream().distinct().count() != names.size()) {
      throw new IllegalArgumentException("provided names must be distinct: " + names);
    }
    names.forEach(Provides::checkName);
    return List.copyOf(names);
  }

  public Mode mode() {
    return mode;
  }

  /** The published names (empty for {@link Mode#NONE}). */
  @SuppressWarnings("unchecked")
  public List<String> names() {
    return names instanceof String one ? List.of(one) : (List<String>) names;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Provides p && p.mode == mode && p.names().equals(names());
  }

  @Override
  public int hashCode() {
    return mode.hashCode() * 31 + names().hashCode();
  }

  @Override
  public String toString() {
    return mode == Mode.NONE ? "Provides.none()" : "Provides." + mode + names();
  }
}
