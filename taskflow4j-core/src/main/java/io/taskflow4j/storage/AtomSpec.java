package io.taskflow4j.storage;

import java.util.Objects;

/**
 * What storage needs to know about an atom of the flow: its name, its kind, its version and how its
 * result maps to the names it provides.
 *
 * @param name the atom's name, unique within the flow
 * @param kind task or retry
 * @param version the atom's version string, e.g. {@code "1.0"}, or {@code null}
 * @param provides how the atom's result maps to provided names ({@code null} means none)
 *     <p><b>Not API.</b> Public only because the engine, another package, exchanges it with {@link
 *     Storage}'s engine-facing methods; it may change in any release.
 */
public record AtomSpec(String name, AtomKind kind, String version, ResultMapping provides) {

  /** Validates the name and kind; a {@code null} mapping becomes {@link ResultMapping#none()}. */
  public AtomSpec {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("an atom name must not be empty");
    }
    if (kind == null) {
      throw new NullPointerException("kind of atom '" + name + "'");
    }
    provides = provides == null ? ResultMapping.none() : provides;
  }

  /** A task that provides nothing. */
  public static AtomSpec task(String name) {
    return new AtomSpec(name, AtomKind.TASK, null, ResultMapping.none());
  }

  /** A task whose result maps to names as {@code provides} says. */
  public static AtomSpec task(String name, ResultMapping provides) {
    return new AtomSpec(name, AtomKind.TASK, null, provides);
  }

  /** A retry controller that provides nothing. */
  public static AtomSpec retry(String name) {
    return new AtomSpec(name, AtomKind.RETRY, null, ResultMapping.none());
  }

  /** A retry controller whose values map to names as {@code provides} says. */
  public static AtomSpec retry(String name, ResultMapping provides) {
    return new AtomSpec(name, AtomKind.RETRY, null, provides);
  }

  /** A copy with another version. */
  public AtomSpec withVersion(String v) {
    return new AtomSpec(name, kind, v, provides);
  }
}
