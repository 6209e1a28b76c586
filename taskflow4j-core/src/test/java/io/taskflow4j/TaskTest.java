package io.taskflow4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.NotFoundException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Declaring tasks: arguments, rebinding, injection, provides, and the lambda forms. */
class TaskTest {

  record Money(String currency, long cents) {}

  static final class Charge extends Task {
    Charge() {
      super("charge");
      requires("amount", Money.class);
      optional("note", String.class);
      provides("receipt");
    }

    @Override
    public Object execute(Arguments args) {
      Money m = args.get("amount");
      return m.currency() + ":" + m.cents() + (args.has("note") ? ":" + args.get("note") : "");
    }
  }

  @Test
  void subclassDeclaresArgumentsAndConvertsThemToTheirTypes() throws Exception {
    Charge charge = new Charge();
    assertThat(charge.requires()).containsExactly("amount");
    assertThat(charge.optionalArguments()).containsExactly("note");
    assertThat(charge.argumentTypes()).containsEntry("amount", Money.class);
    // A map, as a durable store gives it back, arrives as the declared record.
    Object r =
        charge.execute(
            Arguments.of(
                Map.of("amount", Map.of("currency", "EUR", "cents", 250)),
                charge.argumentTypes(),
                null));
    assertThat(r).isEqualTo("EUR:250");
    assertThat(
            Engines.load(charge).store(Map.of("amount", new Money("USD", 5), "note", "tip")).run())
        .containsEntry("receipt", "USD:5:tip");
  }

  @Test
  void rebindByMapAndByPosition() {
    Task t = Task.of("t", Integer.class, Integer.class, (a, b) -> a - b).requires("a", "b");
    t.rebind("y", "x");
    assertThat(t.argumentMapping()).containsExactly(Map.entry("a", "y"), Map.entry("b", "x"));
    assertThat(t.requires()).containsExactly("y", "x");
    assertThat(Engines.load(t).store(Map.of("x", 1, "y", 10)).run()).isNotNull();

    Task m = Task.of("m", Integer.class, v -> v).requires("v").rebind(Map.of("v", "other"));
    assertThat(m.requires()).containsExactly("other");
  }

  /** A task that only declares: its arguments are the test's subject. */
  static final class Declared extends Task {
    Declared() {
      super("declared");
    }

    @Override
    public Object execute(Arguments args) {
      return null;
    }
  }

  @Test
  void sealFixesDeclarationOrderTypesAndRebinding() {
    Task t = new Declared().requires("a", int.class).optional("b", String.class).requires("c");
    t.optional("a", long.class); // moves a to the optional ones, with its new type
    t.requires("b", Double.class); // and b back to the required ones, after c
    t.rebind(Map.of("c", "cc"));

    assertThat(t.argumentMapping())
        .containsExactly(Map.entry("c", "cc"), Map.entry("b", "b"), Map.entry("a", "a"));
    assertThat(t.argumentNames()).containsExactly("c", "b", "a");
    assertThat(t.argumentTypes())
        .containsExactly(
            Map.entry("c", Object.class), Map.entry("b", Double.class), Map.entry("a", Long.class));
    assertThat(t.optionalArguments()).containsExactly("a");
    assertThat(t.requires()).containsExactly("cc", "b");

    // A rebinding of every argument in declaration order is the mapping; one out of order too.
    Task inOrder = new Declared().requires("x", "y").rebind(orderedMap("x", "p", "y", "q"));
    assertThat(inOrder.argumentMapping()).containsExactly(Map.entry("x", "p"), Map.entry("y", "q"));
    Task reordered = new Declared().requires("x", "y").rebind(orderedMap("y", "q", "x", "p"));
    assertThat(reordered.argumentMapping())
        .containsExactly(Map.entry("x", "p"), Map.entry("y", "q"));

    // Past the size where compact maps index their keys
    Task many = new Declared();
    for (int i = 0; i < 20; i++) {
      many.requires("r" + i, Integer.class);
    }
    many.rebind(Map.of("r17", "seventeen"));
    assertThat(many.argumentMapping()).hasSize(20).containsEntry("r17", "seventeen");
    assertThat(many.argumentNames().get(17)).isEqualTo("r17");
    assertThat(many.argumentTypes().get("r3")).isEqualTo(Integer.class);
    assertThat(new Declared().argumentMapping()).isEmpty();
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @Test
  void badConfigurationIsReportedWhenSealed() {
    Task unknownRebind = Task.of("t", Integer.class, v -> v).requires("v").rebind(Map.of("w", "x"));
    assertThatThrownBy(unknownRebind::seal)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rebinds argument 'w' that it does not declare")
        .hasMessageContaining("declared arguments are [v]");
    Task tooMany = Task.of("t", Integer.class, v -> v).requires("v").rebind("a", "b");
    assertThatThrownBy(tooMany::seal)
        .hasMessageContaining("rebinds 2 arguments by position but declares only 1 [v]");
    Task arity = Task.of("t", Integer.class, Integer.class, Integer::sum).requires("only");
    assertThatThrownBy(arity::seal).hasMessageContaining("takes 2 argument(s)");
    Task sealed = Task.of("t", () -> 1);
    sealed.seal();
    assertThatThrownBy(() -> sealed.provides("x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already part of a compiled flow");
    assertThatThrownBy(() -> Task.of(" ", () -> 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Task.of("t", () -> 1).providesByIndex("a", "a"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void injectedArgumentsAreNotRequirements() {
    Task t =
        Task.of("t", Integer.class, Integer.class, Integer::sum)
            .requires("a", "b")
            .inject(Map.of("b", 2));
    assertThat(t.requires()).containsExactly("a");
  }

  @Test
  void argumentsReportMissingNamesAndConvert() {
    Arguments args = Arguments.of(Map.of("n", 7));
    assertThat(args.get("n", Long.class)).isEqualTo(7L);
    assertThat(args.get("n", String.class)).isEqualTo("7");
    assertThat(args.getOrDefault("m", Integer.class, 3)).isEqualTo(3);
    assertThatThrownBy(() -> args.get("m"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("No argument named 'm'")
        .hasMessageContaining("[n]");
    assertThatThrownBy(() -> args.updateProgress(1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void providesShapes() {
    Map<String, Object> out =
        Engines.run(
            io.taskflow4j.flow.LinearFlow.of("f")
                .add(
                    Task.of("list", () -> List.of(1, 2)).providesByIndex("first", "second"),
                    Task.of("map", () -> Map.of("k", "v", "other", 0)).providesByKey("k"),
                    Task.of("whole", () -> "w").provides("w"),
                    Task.of("none", () -> "ignored")));
    assertThat(out)
        .containsOnly(
            Map.entry("first", 1),
            Map.entry("second", 2),
            Map.entry("k", "v"),
            Map.entry("w", "w"));
  }

  @Test
  void threeArgumentLambdaAndBodyForm() {
    Task three =
        Task.of("three", String.class, Integer.class, Boolean.class, (s, n, b) -> s + n + b)
            .requires("s", "n", "b")
            .provides("out");
    Task body =
        Task.of("body", args -> args.get("out", String.class).length())
            .requires("out")
            .provides("len");
    Map<String, Object> out =
        Engines.load(io.taskflow4j.flow.LinearFlow.of("f").add(three, body))
            .store(Map.of("s", "x", "n", 1, "b", true))
            .run();
    assertThat(out).containsEntry("out", "x1true").containsEntry("len", 6);
  }

  @Test
  void nonJsonResultFailsTheTaskAndRevertsTheFlow() {
    Object notJson =
        new Object() {
          @SuppressWarnings("unused")
          public Object getSelf() {
            return this;
          }
        };
    List<String> reverted = new java.util.ArrayList<>();
    io.taskflow4j.flow.LinearFlow flow =
        io.taskflow4j.flow.LinearFlow.of("f")
            .add(
                Task.of("a", () -> 1).onRevert((a, r, f) -> reverted.add("a")),
                Task.of("b", () -> notJson));
    assertThatThrownBy(() -> Engines.run(flow))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("The result of atom 'b' cannot be stored");
    assertThat(reverted).containsExactly("a");
  }
}
