package io.taskflow4j.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.MissingDependenciesException;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.DuplicateException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Structural errors are reported before anything runs, with names that locate them. */
class FlowStructureTest {

  private static Task provider(String name, String provides) {
    return Task.of(name, () -> 1).provides(provides);
  }

  private static Task consumer(String name, String requires) {
    return Task.of(name, Object.class, v -> v).requires(requires);
  }

  @Test
  void duplicateAtomNamesAreListed() {
    LinearFlow flow =
        LinearFlow.of("f")
            .add(
                Task.of("a", () -> 1),
                UnorderedFlow.of("u").add(Task.of("b", () -> 1), Task.of("a", () -> 2)),
                Task.of("b", () -> 3));
    List<String> ran = new java.util.ArrayList<>();
    Engine engine = Engines.load(flow).build();
    engine.onAtomEvent(e -> ran.add(e.atomName()));
    assertThatThrownBy(engine::run)
        .isInstanceOf(DuplicateException.class)
        .hasMessageContaining("Atoms with duplicate names found: [a, b]");
    assertThat(ran).isEmpty();
  }

  @Test
  void theSameTaskAddedTwiceIsADuplicate() {
    Task t = Task.of("t", () -> 1);
    assertThatThrownBy(() -> Engines.load(UnorderedFlow.of("u").add(t, t)).build().compile())
        .isInstanceOf(DuplicateException.class)
        .hasMessageContaining("[t]");
  }

  @Test
  void explicitCycleIsReportedWithItsPath() {
    Task a = Task.of("a", () -> 1);
    Task b = Task.of("b", () -> 1);
    Task c = Task.of("c", () -> 1);
    GraphFlow g = GraphFlow.of("g").add(a, b, c).link(a, b).link(b, c).link(c, a);
    assertThatThrownBy(() -> Engines.load(LinearFlow.of("outer").add(g)).build().compile())
        .isInstanceOf(CyclicDependencyException.class)
        .hasMessageContaining("Flow 'g' has a dependency cycle")
        .satisfies(
            e -> {
              List<String> cycle = ((CyclicDependencyException) e).cycle();
              assertThat(cycle).hasSize(4);
              assertThat(cycle.get(0)).isEqualTo(cycle.get(3));
              assertThat(cycle.subList(0, 3)).containsExactlyInAnyOrder("a", "b", "c");
            });
  }

  @Test
  void inferredCycleBetweenSubflowsIsReported() {
    LinearFlow left = LinearFlow.of("left").add(provider("p1", "x"), consumer("c1", "y"));
    LinearFlow right = LinearFlow.of("right").add(provider("p2", "y"), consumer("c2", "x"));
    GraphFlow g = GraphFlow.of("g").add(left, right);
    assertThatThrownBy(() -> Engines.load(g).build().compile())
        .isInstanceOf(CyclicDependencyException.class)
        .hasMessageContaining("'g'")
        .hasMessageContaining("left")
        .hasMessageContaining("right");
  }

  @Test
  void flowNestedInItselfIsRejected() {
    LinearFlow outer = LinearFlow.of("outer");
    LinearFlow inner = LinearFlow.of("inner").add(outer);
    outer.add(inner);
    assertThatThrownBy(() -> Engines.load(outer).build().compile())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nested inside itself");
    assertThatThrownBy(() -> outer.add(outer)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void missingRequirementNamesTheAtomAndTheArgument() {
    LinearFlow flow =
        LinearFlow.of("f").add(provider("a", "x"), consumer("b", "x"), consumer("c", "nope"));
    Engine engine = Engines.load(flow).build();
    assertThatThrownBy(engine::run)
        .isInstanceOf(MissingDependenciesException.class)
        .hasMessageContaining("'c' requires [nope]")
        .satisfies(
            e ->
                assertThat(((MissingDependenciesException) e).missing())
                    .containsExactly(Map.entry("c", List.of("nope"))));
    assertThat(engine.storage().getAtomState("a").name()).isEqualTo("PENDING");
  }

  @Test
  void laterOrUnorderedSiblingsDoNotSatisfyRequirements() {
    LinearFlow backwards = LinearFlow.of("f").add(consumer("b", "x"), provider("a", "x"));
    assertThatThrownBy(() -> Engines.load(backwards).build().validate())
        .isInstanceOf(MissingDependenciesException.class)
        .hasMessageContaining("'b' requires [x]");
    UnorderedFlow siblings = UnorderedFlow.of("u").add(provider("a", "x"), consumer("b", "x"));
    assertThatThrownBy(() -> Engines.load(siblings).build().validate())
        .isInstanceOf(MissingDependenciesException.class);
    // ...but an earlier sibling of the enclosing flow does.
    LinearFlow nested =
        LinearFlow.of("f").add(provider("a", "x"), UnorderedFlow.of("u").add(consumer("b", "x")));
    Engines.load(nested).build().validate();
    assertThat(Engines.run(nested)).containsEntry("x", 1);
  }

  @Test
  void theStoreAndInjectionSatisfyRequirements() {
    LinearFlow flow = LinearFlow.of("f").add(consumer("b", "x"));
    assertThat(Engines.load(flow).store(Map.of("x", 5)).run()).containsEntry("x", 5);
    Task injected =
        Task.of("i", Integer.class, v -> v * 2)
            .requires("v")
            .inject(Map.of("v", 4))
            .provides("out");
    assertThat(Engines.run(injected)).containsEntry("out", 8);
  }

  @Test
  void linkNeedsChildren() {
    Task a = Task.of("a", () -> 1);
    GraphFlow g = GraphFlow.of("g").add(a);
    assertThatThrownBy(() -> g.link(a, Task.of("other", () -> 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a child of flow 'g'");
    assertThatThrownBy(() -> g.link(a, a)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compilingIsLinearForWideAndDeepFlows() {
    // 20,000 tasks in an unordered flow inside a linear flow of 2,000 small linear flows: a
    // quadratic compiler would take minutes here.
    UnorderedFlow wide = UnorderedFlow.of("wide");
    for (int i = 0; i < 20_000; i++) {
      wide.add(Task.of("w" + i, () -> 1).provides("w" + i));
    }
    LinearFlow deep = LinearFlow.of("deep").add(wide);
    for (int i = 0; i < 2_000; i++) {
      deep.add(
          LinearFlow.of("l" + i)
              .add(Task.of("d" + i, Object.class, v -> v).requires("w" + i).provides("d" + i)));
    }
    long t0 = System.nanoTime();
    Engine engine = Engines.load(deep).build();
    engine.compile();
    engine.validate();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("compile+validate of 22,000 atoms: " + ms + " ms");
    assertThat(engine.storage().flowDetail().size()).isEqualTo(22_000);
  }
}
