package io.taskflow4j.persistence;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The persisted form of an exception: the type names of its class hierarchy, its message, its stack
 * trace as text, its arguments and its causes. Immutable.
 *
 * <p>A failure captured in this process also keeps the live {@link Throwable} ({@link
 * #exception()}), so {@link #reraise()} throws the original exception. A failure read back from a
 * store has only the text; re-raising it throws a {@link WrappedFailureException} that carries the
 * original type names and message.
 *
 * <p>The dictionary form ({@link #toMap()}) is TaskFlow's failure dict, version 1: {@code
 * exception_str, traceback_str, exc_type_names, version, exc_args, causes}.
 */
public final class Failure {
  /** The version of the dictionary form. */
  public static final int DICT_VERSION = 1;

  private final List<String> excTypeNames;
  private final String exceptionStr;
  private final String tracebackStr;
  private final List<Object> excArgs;
  private final List<Failure> causes;
  private final Throwable exception;

  private Failure(
      List<String> excTypeNames,
      String exceptionStr,
      String tracebackStr,
      List<Object> excArgs,
      List<Failure> causes,
      Throwable exception) {
    if (excTypeNames == null || excTypeNames.isEmpty()) {
      throw new IllegalArgumentException("a failure needs at least one exception type name");
    }
    for (String n : excTypeNames) {
      if (n == null || n.isEmpty()) {
        throw new IllegalArgumentException(
            "exception type names must be non-empty strings, not " + excTypeNames);
      }
    }
    this.excTypeNames = List.copyOf(excTypeNames);
    this.exceptionStr = exceptionStr == null ? "" : exceptionStr;
    this.tracebackStr = tracebackStr == null ? "" : tracebackStr;
    @SuppressWarnings("unchecked")
    List<Object> args = excArgs == null ? List.of() : (List<Object>) Json.normalize(excArgs);
    this.excArgs = args;
    if (causes != null) {
      for (Failure c : causes) {
        if (c == null) {
          throw new IllegalArgumentException("the causes of a failure must not contain null");
        }
      }
    }
    this.causes = causes == null ? List.of() : List.copyOf(causes);
    this.exception = exception;
  }

  /** Captures an exception (and its causes), keeping the live exception for re-raising. */
  public static Failure of(Throwable exception) {
    Objects.requireNonNull(exception, "exception");
    return capture(exception, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static Failure capture(Throwable t, Set<Throwable> seen) {
    seen.add(t);
    List<Failure> causes = new ArrayList<>();
    Throwable cause = t.getCause();
    if (cause != null && !seen.contains(cause)) {
      causes.add(capture(cause, seen));
    }
    // A live exception's text is a description, not data: a lone surrogate in it (which no store
    // keeps) is recorded visibly as its escape, rather than failing the capture of the failure.
    String message = InvalidTextException.escapeLoneSurrogates(t.getMessage());
    List<Object> args = message == null ? List.of() : List.of(message);
    return new Failure(
        typeNames(t.getClass()),
        InvalidTextException.escapeLoneSurrogates(str(t)),
        InvalidTextException.escapeLoneSurrogates(stackText(t)),
        args,
        causes,
        t);
  }

  /** Builds a failure from its parts (no live exception). */
  public static Failure of(
      List<String> excTypeNames,
      String exceptionStr,
      String tracebackStr,
      List<?> excArgs,
      List<Failure> causes) {
    @SuppressWarnings("unchecked")
    List<Object> args = (List<Object>) (List<?>) (excArgs == null ? List.of() : excArgs);
    return new Failure(excTypeNames, exceptionStr, tracebackStr, args, causes, null);
  }

  private static String str(Throwable t) {
    String m = t.getMessage();
    return m == null ? "" : m;
  }

  private static String stackText(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (StackTraceElement e : t.getStackTrace()) {
      sb.append("  at ").append(e).append('\n');
    }
    return sb.toString();
  }

  /** The class names from {@code type} up to and including {@code java.lang.Throwable}. */
  public static List<String> typeNames(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      names.add(c.getName());
    }
    return names;
  }

  /** Fully qualified type names, most specific first. */
  public List<String> excTypeNames() {
    return excTypeNames;
  }

  /** The most specific exception type name. */
  public String typeName() {
    return excTypeNames.get(0);
  }

  /** The exception's message ({@code ""} when it had none). */
  public String exceptionStr() {
    return exceptionStr;
  }

  /** The stack trace as text. */
  public String tracebackStr() {
    return tracebackStr;
  }

  /** The exception's arguments (for a Java exception: its message, if any). */
  public List<Object> excArgs() {
    return excArgs;
  }

  /** The causes, outermost first. */
  public List<Failure> causes() {
    return causes;
  }

  /** The live exception, present only for a failure captured in this process. */
  public Optional<Throwable> exception() {
    return Optional.ofNullable(exception);
  }

  /**
   * The first of {@code types} that this failure is an instance of, by class hierarchy name, or
   * {@code null}. Accepts {@link Class} objects and names (fully qualified or simple).
   */
  public Object check(Object... types) {
    for (Object t : types) {
      if (t instanceof Class<?> c) {
        if (excTypeNames.contains(c.getName())) {
          return t;
        }
      } else if (t instanceof String name) {
        for (String n : excTypeNames) {
          if (n.equals(name) || simpleName(n).equals(name)) {
            return t;
          }
        }
      } else {
        throw new IllegalArgumentException(
            "check() takes classes or type names, not " + (t == null ? "null" : t.getClass()));
      }
    }
    return null;
  }

  /** Whether this failure is of (a subtype of) the given exception class. */
  public boolean isA(Class<? extends Throwable> type) {
    return excTypeNames.contains(type.getName());
  }

  private static String simpleName(String fqn) {
    int dot = Math.max(fqn.lastIndexOf('.'), fqn.lastIndexOf('$'));
    return dot < 0 ? fqn : fqn.substring(dot + 1);
  }

  /**
   * Whether both describe the same exception: type names, message, arguments, stack text and
   * causes. Ignores whether either still holds the live exception.
   */
  public boolean matches(Failure other) {
    if (other == this) {
      return true;
    }
    if (other == null) {
      return false;
    }
    if (!excTypeNames.equals(other.excTypeNames)
        || !exceptionStr.equals(other.exceptionStr)
        || !tracebackStr.equals(other.tracebackStr)
        || !excArgs.equals(other.excArgs)
        || causes.size() != other.causes.size()) {
      return false;
    }
    for (int i = 0; i < causes.size(); i++) {
      if (!causes.get(i).matches(other.causes.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Throws the original exception when present and unchecked; else a {@link
   * WrappedFailureException} (whose cause is the original checked exception, when present).
   * Declared to return an exception so callers can write {@code throw failure.reraise();}.
   */
  public RuntimeException reraise() {
    if (exception instanceof RuntimeException re) {
      throw re;
    }
    if (exception instanceof Error err) {
      throw err;
    }
    WrappedFailureException wrapped = new WrappedFailureException(List.of(this));
    if (exception != null) {
      // keep the checked exception's own stack reachable for whoever logs the wrapper
      wrapped.initCause(exception);
    }
    throw wrapped;
  }

  /**
   * Re-raises nothing for an empty list, {@link #reraise()} for one failure, and a {@link
   * WrappedFailureException} of all of them for several.
   */
  public static void reraiseIfAny(List<Failure> failures) {
    if (failures == null || failures.isEmpty()) {
      return;
    }
    if (failures.size() == 1) {
      throw failures.get(0).reraise();
    }
    throw new WrappedFailureException(failures);
  }

  /** {@code "Failure: java.lang.RuntimeException: Woot!"}, optionally with the stack text. */
  public String pformat(boolean traceback) {
    StringBuilder sb = new StringBuilder("Failure: ").append(typeName());
    if (!exceptionStr.isEmpty()) {
      sb.append(": ").append(exceptionStr);
    }
    if (traceback) {
      sb.append("\nTraceback (most recent call last):\n").append(tracebackStr);
    }
    return sb.toString();
  }

  /** One line for people: simple type name and message. */
  public String summary() {
    return exceptionStr.isEmpty()
        ? simpleName(typeName())
        : simpleName(typeName()) + ": " + exceptionStr;
  }

  /** TaskFlow's failure dict (version 1). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exception_str", exceptionStr);
    m.put("traceback_str", tracebackStr);
    m.put("exc_type_names", excTypeNames);
    m.put("version", DICT_VERSION);
    m.put("exc_args", excArgs);
    List<Object> c = new ArrayList<>(causes.size());
    for (Failure f : causes) {
      c.add(f.toMap());
    }
    m.put("causes", c);
    return m;
  }

  /**
   * Reads TaskFlow's failure dict.
   *
   * @throws IllegalArgumentException when the dict is not a version 1 failure
   */
  public static Failure fromMap(Map<?, ?> m) {
    if (m == null) {
      throw new IllegalArgumentException("a failure dict is required");
    }
    // TaskFlow always writes the version; a dict without one is read as version 1.
    Object version = m.containsKey("version") ? m.get("version") : DICT_VERSION;
    if (!isVersionOne(version)) {
      throw new IllegalArgumentException(
          "Invalid dict version of failure object: "
              + version
              + " (expected "
              + DICT_VERSION
              + ")");
    }
    Object names = m.get("exc_type_names");
    if (!(names instanceof List<?> nameList) || nameList.isEmpty()) {
      throw new IllegalArgumentException(
          "a failure dict needs a non-empty 'exc_type_names' list, not " + describe(names));
    }
    List<String> typeNames = new ArrayList<>(nameList.size());
    for (Object o : nameList) {
      if (!(o instanceof String name) || name.isEmpty()) {
        throw new IllegalArgumentException(
            "'exc_type_names' of a failure dict must hold non-empty strings, not " + nameList);
      }
      typeNames.add(name);
    }
    List<Failure> causes = new ArrayList<>();
    Object causeList = m.get("causes");
    if (causeList instanceof List<?> cl) {
      for (Object o : cl) {
        if (o instanceof Map<?, ?> cm) {
          causes.add(fromMap(cm));
        } else {
          throw new IllegalArgumentException(
              "a failure cause must be a failure dict, not " + describe(o));
        }
      }
    } else if (causeList != null) {
      throw new IllegalArgumentException(
          "'causes' of a failure dict must be a list, not " + describe(causeList));
    }
    Object argList = m.get("exc_args");
    if (argList != null && !(argList instanceof List<?>)) {
      throw new IllegalArgumentException(
          "'exc_args' of a failure dict must be a list, not " + describe(argList));
    }
    List<?> args = argList == null ? List.of() : (List<?>) argList;
    return new Failure(
        typeNames,
        text(m, "exception_str"),
        text(m, "traceback_str"),
        new ArrayList<>(args),
        causes,
        null);
  }

  private static boolean isVersionOne(Object version) {
    // 1 and 1.0 (a JSON reader may yield either); not 1.5, "1" or true
    if (version instanceof Integer || version instanceof Long) {
      return ((Number) version).longValue() == DICT_VERSION;
    }
    return (version instanceof Double || version instanceof Float)
        && ((Number) version).doubleValue() == DICT_VERSION;
  }

  private static String text(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw new IllegalArgumentException(
        "'" + key + "' of a failure dict must be a string, not " + describe(v));
  }

  private static String describe(Object o) {
    return o == null ? "null" : o.getClass().getSimpleName() + " " + o;
  }

  /** A copy without the live exception (what a reload from a store yields). */
  public Failure withoutException() {
    return exception == null
        ? this
        : new Failure(excTypeNames, exceptionStr, tracebackStr, excArgs, causes, null);
  }

  /** Value equality: {@link #matches(Failure)}. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Failure f && matches(f);
  }

  @Override
  public int hashCode() {
    return Objects.hash(excTypeNames, exceptionStr);
  }

  @Override
  public String toString() {
    return pformat(false);
  }
}
