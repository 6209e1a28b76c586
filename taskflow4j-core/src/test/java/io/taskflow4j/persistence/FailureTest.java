package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** TaskFlow's {@code test_failure.py} essentials, for the Java capture of exceptions. */
class FailureTest {

  static class Woot extends IllegalStateException {
    Woot(String message) {
      super(message);
    }
  }

  private static Failure captured(RuntimeException e) {
    try {
      throw e;
    } catch (RuntimeException caught) {
      return Failure.of(caught);
    }
  }

  private static Map<String, Object> taskFlowDict() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exception_str", "bad 1");
    m.put(
        "traceback_str",
        "  File \".../executor.py\", line 52, in _execute_task\n"
            + "    result = task.execute(**arguments)\n");
    m.put("exc_type_names", List.of("RuntimeError", "Exception"));
    m.put("version", 1);
    m.put("exc_args", List.of("bad 1"));
    m.put("causes", List.of());
    return m;
  }

  // ---- capture ----

  @Test
  void captureKeepsTypeHierarchyMessageStackAndArgs() {
    Failure f = captured(new Woot("Woot!"));
    assertThat(f.excTypeNames())
        .containsExactly(
            Woot.class.getName(),
            "java.lang.IllegalStateException",
            "java.lang.RuntimeException",
            "java.lang.Exception",
            "java.lang.Throwable");
    assertThat(f.typeName()).isEqualTo(Woot.class.getName());
    assertThat(f.exceptionStr()).isEqualTo("Woot!");
    assertThat(f.excArgs()).containsExactly("Woot!");
    // the stack of where the exception was made
    assertThat(f.tracebackStr())
        .startsWith("  at ")
        .contains("FailureTest.captureKeepsTypeHierarchyMessageStackAndArgs");
    assertThat(f.exception()).containsInstanceOf(Woot.class);
    assertThat(f.causes()).isEmpty();
  }

  @Test
  void captureOfAnExceptionWithoutMessage() {
    Failure f = Failure.of(new IllegalArgumentException());
    assertThat(f.exceptionStr()).isEmpty();
    assertThat(f.excArgs()).isEmpty();
    assertThat(f.pformat(false)).isEqualTo("Failure: java.lang.IllegalArgumentException");
    assertThat(f.summary()).isEqualTo("IllegalArgumentException");
  }

  @Test
  void errorsAreCapturedUpToThrowable() {
    Failure f = Failure.of(new AssertionError("nope"));
    assertThat(f.excTypeNames())
        .containsExactly("java.lang.AssertionError", "java.lang.Error", "java.lang.Throwable");
  }

  @Test
  void typeNamesOfAClass() {
    assertThat(Failure.typeNames(IOException.class))
        .containsExactly("java.io.IOException", "java.lang.Exception", "java.lang.Throwable");
  }

  @Test
  void causesChainIsCaptured() {
    IOException root = new IOException("disk");
    IllegalStateException mid = new IllegalStateException("mid", root);
    RuntimeException top = new RuntimeException("top", mid);
    Failure f = Failure.of(top);
    assertThat(f.causes()).hasSize(1);
    Failure c1 = f.causes().get(0);
    assertThat(c1.typeName()).isEqualTo("java.lang.IllegalStateException");
    assertThat(c1.exceptionStr()).isEqualTo("mid");
    assertThat(c1.causes()).hasSize(1);
    Failure c2 = c1.causes().get(0);
    assertThat(c2.check(IOException.class)).isEqualTo(IOException.class);
    assertThat(c2.causes()).isEmpty();
    assertThat(c2.exception()).containsSame(root);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aCauseLoopDoesNotHang() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b); // a -> b -> a
    Failure f = Failure.of(a);
    assertThat(f.causes()).hasSize(1);
    assertThat(f.causes().get(0).exceptionStr()).isEqualTo("b");
    assertThat(f.causes().get(0).causes()).isEmpty();
    // and the loop also survives the dictionary form
    Failure back = Failure.fromMap(Json.normalizeMap(f.toMap()));
    assertThat(back).isEqualTo(f);
  }

  @Test
  void nullExceptionIsRejected() {
    assertThatThrownBy(() -> Failure.of((Throwable) null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void nonAsciiMessages() {
    Failure f = Failure.of(new RuntimeException("Привет, мир — ☃ 日本語"));
    assertThat(f.exceptionStr()).isEqualTo("Привет, мир — ☃ 日本語");
    Failure back = Failure.fromMap((Map<?, ?>) Json.read(Json.write(f.toMap())));
    assertThat(back.exceptionStr()).isEqualTo("Привет, мир — ☃ 日本語");
    assertThat(back).isEqualTo(f);
    assertThat(back.pformat(false))
        .isEqualTo("Failure: java.lang.RuntimeException: Привет, мир — ☃ 日本語");
  }

  // ---- dictionary form ----

  @Test
  void toMapHasTaskFlowsExactKeys() {
    Failure f = captured(new RuntimeException("Woot!", new IOException("io")));
    Map<String, Object> m = f.toMap();
    assertThat(m.keySet())
        .containsExactly(
            "exception_str", "traceback_str", "exc_type_names", "version", "exc_args", "causes");
    assertThat(m.get("exception_str")).isEqualTo("Woot!");
    assertThat(m.get("version")).isEqualTo(1);
    assertThat(m.get("exc_args")).isEqualTo(List.of("Woot!"));
    assertThat(m.get("exc_type_names")).isEqualTo(f.excTypeNames());
    assertThat((List<?>) m.get("causes")).hasSize(1);
    @SuppressWarnings("unchecked")
    Map<String, Object> cause = (Map<String, Object>) ((List<?>) m.get("causes")).get(0);
    assertThat(cause.get("exception_str")).isEqualTo("io");
  }

  @Test
  void roundTripThroughMapAndJsonText() {
    Failure f = captured(new RuntimeException("Woot!", new IOException("io")));
    Failure viaMap = Failure.fromMap(f.toMap());
    Failure viaJson = Failure.fromMap((Map<?, ?>) Json.read(Json.write(f.toMap())));
    for (Failure back : List.of(viaMap, viaJson)) {
      assertThat(back.exception()).isEmpty();
      assertThat(back.matches(f)).isTrue();
      assertThat(f.matches(back)).isTrue();
      assertThat(back).isEqualTo(f).hasSameHashCodeAs(f);
      assertThat(back.tracebackStr()).isEqualTo(f.tracebackStr());
      assertThat(back.causes().get(0).exceptionStr()).isEqualTo("io");
      assertThat(back.toMap()).isEqualTo(Json.normalize(f.toMap()));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2, 42, -1})
  void versionOtherThanOneIsRejected(int version) {
    Map<String, Object> m = taskFlowDict();
    m.put("version", version);
    assertThatThrownBy(() -> Failure.fromMap(m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid dict version of failure object")
        .hasMessageContaining(String.valueOf(version));
  }

  @Test
  void fractionalOrTextualVersionIsRejected() {
    for (Object v : List.of(1.5, "1", true)) {
      Map<String, Object> m = taskFlowDict();
      m.put("version", v);
      assertThatThrownBy(() -> Failure.fromMap(m))
          .as("version %s", v)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("version");
    }
    Map<String, Object> m = taskFlowDict();
    m.put("version", 1.0);
    assertThat(Failure.fromMap(m).exceptionStr()).isEqualTo("bad 1");
  }

  @Test
  void malformedDictsAreRejectedClearly() {
    assertThatThrownBy(() -> Failure.fromMap(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("required");

    Map<String, Object> noNames = taskFlowDict();
    noNames.remove("exc_type_names");
    assertThatThrownBy(() -> Failure.fromMap(noNames))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exc_type_names");

    Map<String, Object> emptyNames = taskFlowDict();
    emptyNames.put("exc_type_names", List.of());
    assertThatThrownBy(() -> Failure.fromMap(emptyNames))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exc_type_names");

    Map<String, Object> stringNames = taskFlowDict();
    stringNames.put("exc_type_names", "RuntimeError");
    assertThatThrownBy(() -> Failure.fromMap(stringNames))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exc_type_names");

    Map<String, Object> nullName = taskFlowDict();
    List<Object> names = new ArrayList<>();
    names.add("RuntimeError");
    names.add(null);
    nullName.put("exc_type_names", names);
    assertThatThrownBy(() -> Failure.fromMap(nullName))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exc_type_names");

    Map<String, Object> badCause = taskFlowDict();
    badCause.put("causes", List.of("not a dict"));
    assertThatThrownBy(() -> Failure.fromMap(badCause))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cause");

    Map<String, Object> causesNotList = taskFlowDict();
    causesNotList.put("causes", "nope");
    assertThatThrownBy(() -> Failure.fromMap(causesNotList))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("causes");

    Map<String, Object> argsNotList = taskFlowDict();
    argsNotList.put("exc_args", "bad 1");
    assertThatThrownBy(() -> Failure.fromMap(argsNotList))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exc_args");

    Map<String, Object> strNotString = taskFlowDict();
    strNotString.put("exception_str", List.of(1));
    assertThatThrownBy(() -> Failure.fromMap(strNotString))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exception_str");

    Map<String, Object> badNestedVersion = taskFlowDict();
    Map<String, Object> nested = taskFlowDict();
    nested.put("version", 2);
    badNestedVersion.put("causes", List.of(nested));
    assertThatThrownBy(() -> Failure.fromMap(badNestedVersion))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version");
  }

  @Test
  void optionalKeysMayBeMissing() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("exc_type_names", List.of("ValueError", "Exception"));
    m.put("version", 1);
    Failure f = Failure.fromMap(m);
    assertThat(f.exceptionStr()).isEmpty();
    assertThat(f.tracebackStr()).isEmpty();
    assertThat(f.excArgs()).isEmpty();
    assertThat(f.causes()).isEmpty();
  }

  @Test
  void aTaskFlowWrittenDictReads() {
    String json =
        "{\"exception_str\": \"bad 1\", \"traceback_str\": \"  File \\\".../executor.py\\\", line"
            + " 52, in _execute_task\\n    result = task.execute(**arguments)\\n\","
            + " \"exc_type_names\": [\"RuntimeError\", \"Exception\"], \"version\": 1,"
            + " \"exc_args\": [\"bad 1\"], \"causes\": []}";
    Failure f = Failure.fromMap((Map<?, ?>) Json.read(json));
    assertThat(f.excTypeNames()).containsExactly("RuntimeError", "Exception");
    assertThat(f.check("RuntimeError")).isEqualTo("RuntimeError");
    assertThat(f.check("Exception")).isEqualTo("Exception");
    assertThat(f.check("ValueError")).isNull();
    assertThat(f.check(RuntimeException.class)).isNull();
    assertThat(f.exceptionStr()).isEqualTo("bad 1");
    assertThat(f.excArgs()).containsExactly("bad 1");
    assertThat(f.tracebackStr()).contains("executor.py");
    assertThat(f.pformat(false)).isEqualTo("Failure: RuntimeError: bad 1");
    assertThat(f.summary()).isEqualTo("RuntimeError: bad 1");
    // writing it back gives TaskFlow's dict again
    assertThat(f.toMap()).isEqualTo(Json.read(json));
    WrappedFailureException w = catchThrowableOfType(f::reraise);
    assertThat(w.getMessage()).isEqualTo("Failure: RuntimeError: bad 1");
    assertThat(w.check("RuntimeError")).isSameAs(f);
  }

  private static WrappedFailureException catchThrowableOfType(Runnable r) {
    Throwable t = catchThrowable(r::run);
    assertThat(t).isInstanceOf(WrappedFailureException.class);
    return (WrappedFailureException) t;
  }

  // ---- equality ----

  @Test
  void matchesAndEqualsIgnoreTheLiveException() {
    Failure f = captured(new RuntimeException("Woot!"));
    Failure stripped = f.withoutException();
    assertThat(stripped.exception()).isEmpty();
    assertThat(f.withoutException()).isNotSameAs(f);
    assertThat(stripped.withoutException()).isSameAs(stripped);
    assertThat(stripped).isEqualTo(f);
    assertThat(f).isEqualTo(stripped);
    assertThat(f.hashCode()).isEqualTo(stripped.hashCode());
    assertThat(f.matches(stripped)).isTrue();
    assertThat(f.matches(null)).isFalse();
    assertThat(f.equals("Woot!")).isFalse();
  }

  @Test
  void differentFailuresDoNotMatch() {
    Failure f = Failure.of(List.of("A"), "m", "tb", List.of("m"), List.of());
    assertThat(f.matches(Failure.of(List.of("B"), "m", "tb", List.of("m"), List.of()))).isFalse();
    assertThat(f.matches(Failure.of(List.of("A"), "x", "tb", List.of("m"), List.of()))).isFalse();
    assertThat(f.matches(Failure.of(List.of("A"), "m", "tb2", List.of("m"), List.of()))).isFalse();
    assertThat(f.matches(Failure.of(List.of("A"), "m", "tb", List.of("x"), List.of()))).isFalse();
    assertThat(f.matches(Failure.of(List.of("A"), "m", "tb", List.of("m"), List.of(f)))).isFalse();
    assertThat(f.matches(Failure.of(List.of("A"), "m", "tb", List.of("m"), List.of()))).isTrue();
    Failure withCause = Failure.of(List.of("A"), "m", "tb", List.of("m"), List.of(f));
    Failure otherCause =
        Failure.of(
            List.of("A"),
            "m",
            "tb",
            List.of("m"),
            List.of(Failure.of(List.of("Z"), "m", "tb", List.of(), List.of())));
    assertThat(withCause.matches(otherCause)).isFalse();
  }

  @Test
  void twoCapturesOfDifferentThrowSitesDiffer() {
    Failure a = Failure.of(new RuntimeException("same"));
    Failure b = Failure.of(new RuntimeException("same"));
    // different stack text (different lines)
    assertThat(a.tracebackStr()).isNotEqualTo(b.tracebackStr());
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void ofPartsValidates() {
    assertThatThrownBy(() -> Failure.of(List.of(), "m", "", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type name");
    assertThatThrownBy(() -> Failure.of(null, "m", "", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Failure.of(List.of("A", ""), "m", "", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type names");
    List<Failure> nullCause = new ArrayList<>();
    nullCause.add(null);
    assertThatThrownBy(() -> Failure.of(List.of("A"), "m", "", List.of(), nullCause))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("causes");
    Failure f = Failure.of(List.of("X"), null, null, null, null);
    assertThat(f.exceptionStr()).isEmpty();
    assertThat(f.tracebackStr()).isEmpty();
    assertThat(f.excArgs()).isEmpty();
    assertThat(f.causes()).isEmpty();
  }

  @Test
  void accessorsAreImmutable() {
    Failure f = captured(new RuntimeException("x", new RuntimeException("y")));
    assertThatThrownBy(() -> f.excTypeNames().add("z"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> f.excArgs().add("z"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> f.causes().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  // ---- check ----

  @Test
  void checkByClassFullyQualifiedAndSimpleName() {
    Failure f = captured(new Woot("w"));
    assertThat(f.check(IOException.class, IllegalStateException.class))
        .isEqualTo(IllegalStateException.class);
    assertThat(f.check(RuntimeException.class)).isEqualTo(RuntimeException.class);
    assertThat(f.check(Throwable.class)).isEqualTo(Throwable.class);
    assertThat(f.check(IOException.class)).isNull();
    assertThat(f.check("java.lang.RuntimeException")).isEqualTo("java.lang.RuntimeException");
    assertThat(f.check("RuntimeException")).isEqualTo("RuntimeException");
    assertThat(f.check("Woot")).isEqualTo("Woot"); // nested class: simple name after '$'
    assertThat(f.check(Woot.class.getName())).isEqualTo(Woot.class.getName());
    assertThat(f.check("IOException", "Exception")).isEqualTo("Exception");
    assertThat(f.check("untime")).isNull();
    assertThat(f.check()).isNull();
    assertThat(f.isA(IllegalStateException.class)).isTrue();
    assertThat(f.isA(IOException.class)).isFalse();
    assertThatThrownBy(() -> f.check(42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Integer");
  }

  // ---- reraise ----

  @Test
  void reraiseInProcessThrowsTheOriginalRuntimeException() {
    Woot original = new Woot("w");
    Failure f = Failure.of(original);
    assertThatThrownBy(f::reraise).isSameAs(original);
  }

  @Test
  void reraiseInProcessThrowsTheOriginalError() {
    AssertionError original = new AssertionError("e");
    Failure f = Failure.of(original);
    assertThatThrownBy(f::reraise).isSameAs(original);
  }

  @Test
  void reraiseOfACheckedExceptionWrapsItKeepingTheCause() {
    IOException original = new IOException("disk full");
    Failure f = Failure.of(original);
    Throwable t = catchThrowable(f::reraise);
    assertThat(t).isInstanceOf(WrappedFailureException.class);
    WrappedFailureException w = (WrappedFailureException) t;
    assertThat(w.failures()).containsExactly(f);
    assertThat(w.getMessage()).isEqualTo("Failure: java.io.IOException: disk full");
    assertThat(w.getCause()).isSameAs(original);
    assertThat(w.check(IOException.class)).isSameAs(f);
  }

  @Test
  void reraiseAfterAJsonRoundTripThrowsWrappedFailure() {
    Failure f = captured(new Woot("boom"));
    Failure back = Failure.fromMap((Map<?, ?>) Json.read(Json.write(f.toMap())));
    Throwable t = catchThrowable(back::reraise);
    assertThat(t).isInstanceOf(WrappedFailureException.class);
    WrappedFailureException w = (WrappedFailureException) t;
    assertThat(w.getMessage()).isEqualTo("Failure: " + Woot.class.getName() + ": boom");
    assertThat(w.failures()).hasSize(1);
    assertThat(w.failures().get(0).excTypeNames()).isEqualTo(f.excTypeNames());
    assertThat(w.failures().get(0).exceptionStr()).isEqualTo("boom");
    assertThat(w.check(IllegalStateException.class)).isSameAs(back);
    assertThat(w.check("Woot")).isSameAs(back);
    assertThat(w.check(IOException.class)).isNull();
    assertThat(w).isInstanceOf(TaskFlowException.class);
  }

  @Test
  void reraiseIfAnyWithNoneOneAndMany() {
    assertThatCode(() -> Failure.reraiseIfAny(List.of())).doesNotThrowAnyException();
    assertThatCode(() -> Failure.reraiseIfAny(null)).doesNotThrowAnyException();

    Woot one = new Woot("one");
    assertThatThrownBy(() -> Failure.reraiseIfAny(List.of(Failure.of(one)))).isSameAs(one);

    Failure stored = Failure.of(List.of("RuntimeError", "Exception"), "x", "", List.of(), null);
    assertThatThrownBy(() -> Failure.reraiseIfAny(List.of(stored)))
        .isInstanceOf(WrappedFailureException.class)
        .hasMessage("Failure: RuntimeError: x");

    Failure a = Failure.of(new Woot("a"));
    Failure b = Failure.of(new IOException("b"));
    Throwable t = catchThrowable(() -> Failure.reraiseIfAny(List.of(a, b)));
    assertThat(t).isInstanceOf(WrappedFailureException.class);
    WrappedFailureException w = (WrappedFailureException) t;
    assertThat(w.failures()).containsExactly(a, b);
    assertThat(w.getMessage())
        .startsWith("WrappedFailure: [")
        .contains("Failure: " + Woot.class.getName() + ": a")
        .contains("Failure: java.io.IOException: b");
    assertThat(w.check(IOException.class)).isSameAs(b);
    assertThat(w.check("Woot")).isSameAs(a);
  }

  @Test
  void wrappedFailuresAreFlattened() {
    Failure a = Failure.of(new Woot("a"));
    Failure b = Failure.of(new IOException("b"));
    WrappedFailureException inner = new WrappedFailureException(List.of(a, b));
    Failure c = Failure.of(new IllegalArgumentException("c"));
    WrappedFailureException outer = new WrappedFailureException(List.of(Failure.of(inner), c));
    assertThat(outer.failures()).containsExactly(a, b, c);
  }

  @Test
  void wrappedFailureRejectsNulls() {
    assertThatThrownBy(() -> new WrappedFailureException(null))
        .isInstanceOf(NullPointerException.class);
    List<Failure> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> new WrappedFailureException(withNull))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void pformatWithTraceback() {
    Failure f = Failure.of(List.of("RuntimeError"), "Woot!", "  at x\n", List.of(), List.of());
    assertThat(f.pformat(false)).isEqualTo("Failure: RuntimeError: Woot!");
    assertThat(f.toString()).isEqualTo("Failure: RuntimeError: Woot!");
    assertThat(f.pformat(true))
        .isEqualTo("Failure: RuntimeError: Woot!\nTraceback (most recent call last):\n  at x\n");
  }

  @Test
  void argsAreNormalisedJsonValues() {
    Failure f = Failure.of(List.of("X"), "m", "", List.of(5L, 1.5f, List.of(1, 2)), List.of());
    assertThat(f.excArgs()).containsExactly(5, 1.5, List.of(1, 2));
    assertThat(f.excArgs().get(0)).isInstanceOf(Integer.class);
  }
}
