package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.retry.Times;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Engines running over the backend under test, along the paths users take after something went
 * wrong: a run stopped by an {@code Error}, a resume from a lazily read flow detail, two processes
 * resuming the same flow, a retry that gave up. {@link BackendContractTest} runs these on every
 * backend (its {@code EngineRuns} group); a subclass supplies the backend.
 *
 * <p>What every case checks in the end is what a user's resume loop relies on: a flow the store
 * records as finished is finished, every other flow is found and resumed, and resuming never runs a
 * recorded success again nor makes a second atom detail under a name the flow already holds.
 */
public abstract class EngineRunCases {

  /** The backend under test (open, upgraded, empty when the case starts). */
  protected abstract Backend backend();

  /** Executions and reverts, in order ("a", "b", "revert b"...). */
  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  private Task task(String name) {
    return Task.of(
        name,
        () -> {
          calls.add(name);
          return name + "-done";
        });
  }

  /** A task that throws what {@code error} makes on its first execution only. */
  private Task failingOnce(String name, Supplier<? extends Throwable> error) {
    AtomicBoolean thrown = new AtomicBoolean();
    return Task.of(
        name,
        () -> {
          calls.add(name);
          if (thrown.compareAndSet(false, true)) {
            throw sneaky(error.get());
          }
          return name + "-done";
        });
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
    throw (T) t;
  }

  private Engines.Builder load(Flow flow, boolean parallel) {
    Engines.Builder b = Engines.load(flow).backend(backend());
    return parallel ? b.parallel(2) : b;
  }

  private FlowDetail stored(String flowUuid) {
    try (Connection c = backend().getConnection()) {
      return c.getFlowDetails(flowUuid);
    }
  }

  private static AtomState stateOf(FlowDetail fd, String atom) {
    return fd.findByName(atom).orElseThrow().state();
  }

  private static List<String> names(FlowDetail fd) {
    return fd.atoms().stream().map(AtomDetail::name).toList();
  }

  /**
   * The README's resume loop: every flow the store does not record as finished is resumed with the
   * flow {@code rebuild} makes. Returns how many were resumed.
   */
  private int resumeUnfinished(Supplier<Flow> rebuild) {
    List<FlowDetail> unfinished = new ArrayList<>();
    try (Connection c = backend().getConnection()) {
      for (LogBook book : c.getLogBooks()) {
        for (FlowDetail fd : book.flows()) {
          if (!fd.state().isFinished()) {
            unfinished.add(fd);
          }
        }
      }
    }
    for (FlowDetail fd : unfinished) {
      try (Engine engine = Engines.load(rebuild.get()).backend(backend()).flowDetail(fd).build()) {
        engine.run();
      }
    }
    return unfinished.size();
  }

  static Stream<Arguments> errors() {
    List<Arguments> out = new ArrayList<>();
    for (boolean parallel : new boolean[] {false, true}) {
      out.add(Arguments.of("InternalError", parallel));
      out.add(Arguments.of("OutOfMemoryError", parallel));
      out.add(Arguments.of("StackOverflowError", parallel));
    }
    return out.stream();
  }

  private static Error error(String kind) {
    return switch (kind) {
      case "InternalError" -> new InternalError("simulated: the JVM is unwell");
      case "OutOfMemoryError" -> new OutOfMemoryError("simulated: Java heap space");
      default -> new StackOverflowError("simulated");
    };
  }

  /**
   * A task that throws a {@link VirtualMachineError} stops the run where it is: nothing is reverted
   * and nothing misleading recorded. The task stays RUNNING (it runs again on resume, as after a
   * crash), the flow stays unfinished, and the README's resume loop finds and finishes it.
   */
  @ParameterizedTest(name = "{0}, parallel={1}")
  @MethodSource("errors")
  void anErrorFromATaskLeavesTheFlowUnfinishedForTheResumeLoop(String kind, boolean parallel) {
    Supplier<Flow> flow =
        () ->
            LinearFlow.of("errors").add(task("a"), failingOnce("b", () -> error(kind)), task("c"));
    Flow first = flow.get();
    String flowUuid;
    try (Engine engine = load(first, parallel).build()) {
      assertThatThrownBy(engine::run).isInstanceOf(error(kind).getClass());
      flowUuid = engine.flowDetail().uuid();
      assertThat(engine.logBookUuid()).isPresent();
    }
    FlowDetail after = stored(flowUuid);
    assertThat(after.state().isFinished()).as("flow state %s", after.state()).isFalse();
    assertThat(stateOf(after, "a")).isEqualTo(AtomState.SUCCESS);
    assertThat(stateOf(after, "b")).isEqualTo(AtomState.RUNNING);
    assertThat(stateOf(after, "c")).isEqualTo(AtomState.PENDING);
    assertThat(calls).containsExactly("a", "b");

    // The same flow object: its failing task throws only once.
    assertThat(resumeUnfinished(() -> first)).isEqualTo(1);
    FlowDetail done = stored(flowUuid);
    assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(names(done)).containsExactly("a", "b", "c");
    assertThat(calls).containsExactly("a", "b", "b", "c");
  }

  /** An {@code Error} thrown by a listener stops the run the same way. */
  @ParameterizedTest(name = "parallel={0}")
  @ValueSource(booleans = {false, true})
  void anErrorFromAListenerLeavesTheFlowUnfinishedForTheResumeLoop(boolean parallel) {
    Supplier<Flow> flow = () -> LinearFlow.of("listened").add(task("a"), task("b"), task("c"));
    String flowUuid;
    try (Engine engine = load(flow.get(), parallel).build()) {
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals("a") && e.state() == AtomState.SUCCESS) {
              throw new AssertionError("a listener's own bug");
            }
          });
      assertThatThrownBy(engine::run)
          .isInstanceOf(AssertionError.class)
          .hasMessage("a listener's own bug");
      flowUuid = engine.flowDetail().uuid();
    }
    FlowDetail after = stored(flowUuid);
    assertThat(after.state().isFinished()).as("flow state %s", after.state()).isFalse();
    assertThat(stateOf(after, "a")).isEqualTo(AtomState.SUCCESS);
    // A serial run on a store that writes two atoms together records a's result with b's RUNNING
    // marker, and tells a's listeners after that commit: b is marked but never ran.
    boolean together;
    try (io.taskflow4j.persistence.Connection c = backend().getConnection()) {
      together = c.updatesAtomsTogether();
    }
    assertThat(stateOf(after, "b"))
        .isEqualTo(!parallel && together ? AtomState.RUNNING : AtomState.PENDING);
    assertThat(calls).containsExactly("a");

    assertThat(resumeUnfinished(flow)).isEqualTo(1);
    assertThat(stored(flowUuid).state()).isEqualTo(FlowState.SUCCESS);
    assertThat(calls).containsExactly("a", "b", "c");
  }

  /** Runs the flow until {@code stopAfter} succeeded, then suspends; returns the flow's uuid. */
  private String runUntil(Flow flow, String stopAfter) {
    try (Engine engine = Engines.load(flow).backend(backend()).build()) {
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals(stopAfter) && e.state() == AtomState.SUCCESS) {
              engine.suspend();
            }
          });
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
      return engine.flowDetail().uuid();
    }
  }

  /**
   * A flow detail read lazily (without its atom details) is a valid handle to resume: the engine
   * reads the atoms from the store, skips what succeeded and never adds a second detail per name.
   */
  @ParameterizedTest(name = "parallel={0}")
  @ValueSource(booleans = {false, true})
  void resumingFromALazilyReadDetailRunsOnlyWhatIsLeft(boolean parallel) {
    Supplier<Flow> flow = () -> LinearFlow.of("lazy").add(task("a"), task("b"), task("c"));
    String flowUuid = runUntil(flow.get(), "a");
    FlowDetail lazy;
    try (Connection c = backend().getConnection()) {
      lazy = c.getFlowDetails(flowUuid, true);
    }
    assertThat(lazy.atoms()).as("a lazy read leaves the atoms out").isEmpty();

    try (Engine engine = load(flow.get(), parallel).flowDetail(lazy).build()) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    FlowDetail done = stored(flowUuid);
    assertThat(names(done)).containsExactly("a", "b", "c");
    assertThat(done.atoms()).allMatch(ad -> ad.state() == AtomState.SUCCESS);
    assertThat(calls).containsExactly("a", "b", "c");
  }

  /** Calls of the tasks {@link Chain} makes, by the run id given in its kwargs. */
  private static final Map<String, List<String>> CHAIN_CALLS = new ConcurrentHashMap<>();

  /** A recorded factory (public, so {@link Engines#loadFromDetail} can rebuild it by name). */
  public static final class Chain implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      List<String> sink = CHAIN_CALLS.computeIfAbsent((String) kwargs.get("run"), k -> calls());
      LinearFlow flow = LinearFlow.of("chain");
      for (Object name : args) {
        String n = (String) name;
        flow.add(
            Task.of(
                n,
                () -> {
                  sink.add(n);
                  return n;
                }));
      }
      return flow;
    }

    private static List<String> calls() {
      return Collections.synchronizedList(new ArrayList<>());
    }
  }

  /** {@link Engines#loadFromDetail} with a lazily read detail: the flow rebuilt, the atoms read. */
  @Test
  void loadFromDetailWithALazilyReadDetailRunsOnlyWhatIsLeft() {
    String run = UUID.randomUUID().toString();
    String flowUuid;
    try (Engine engine =
        Engines.loadFromFactory(Chain.class, List.of("a", "b", "c"), Map.of("run", run))
            .backend(backend())
            .build()) {
      engine.onAtomEvent(
          e -> {
            if (e.atomName().equals("b") && e.state() == AtomState.SUCCESS) {
              engine.suspend();
            }
          });
      engine.run();
      flowUuid = engine.flowDetail().uuid();
    }
    FlowDetail lazy;
    try (Connection c = backend().getConnection()) {
      lazy = c.getFlowDetails(flowUuid, true);
    }
    try (Engine engine = Engines.loadFromDetail(lazy, backend())) {
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUCCESS);
    }
    assertThat(names(stored(flowUuid))).containsExactly("a", "b", "c");
    assertThat(CHAIN_CALLS.remove(run)).containsExactly("a", "b", "c");
  }

  /** A flow detail that was never stored is refused by name, before anything is written. */
  @Test
  void aFlowDetailThatIsNotStoredIsRefusedWithItsUuid() {
    FlowDetail unsaved = FlowDetail.create("nowhere");
    try (Engine engine =
        Engines.load(LinearFlow.of("nowhere").add(task("a")))
            .backend(backend())
            .flowDetail(unsaved)
            .build()) {
      assertThatThrownBy(engine::run)
          .isInstanceOf(NotFoundException.class)
          .hasMessageContaining(unsaved.uuid())
          .hasMessageContaining("saveLogBook");
    }
    try (Connection c = backend().getConnection()) {
      assertThat(c.getLogBooks()).isEmpty();
    }
    assertThat(calls).isEmpty();
  }

  /**
   * Two processes resume the same flow. The one whose atom write is refused (a conflict: the other
   * wrote that atom after it read it) stops without writing a final state, although its own flow
   * writes were the latest; so the store never records FAILURE for a flow whose every task
   * succeeded. The other finishes the flow: its final state is refused only because the loser
   * changed the flow's own record, while every atom is as it left them, so it is recorded.
   */
  @Test
  void theLoserOfAConcurrentResumeWritesNoFinalState() throws Exception {
    CountDownLatch winnerInB = new CountDownLatch(1);
    CountDownLatch releaseWinner = new CountDownLatch(1);
    Supplier<Flow> plain = () -> LinearFlow.of("race").add(task("a"), task("b"));
    Flow winnerFlow =
        LinearFlow.of("race")
            .add(
                task("a"),
                Task.of(
                    "b",
                    () -> {
                      calls.add("b");
                      winnerInB.countDown();
                      if (!releaseWinner.await(1, TimeUnit.MINUTES)) {
                        throw new IllegalStateException("never released");
                      }
                      return "b-done";
                    }));
    String flowUuid = runUntil(plain.get(), "a");

    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // The winner runs b and waits inside it (its RUNNING marker for b is stored).
      Future<?> winner =
          pool.submit(
              () -> {
                try (Engine engine =
                    Engines.load(winnerFlow)
                        .backend(backend())
                        .flowDetail(stored(flowUuid))
                        .build()) {
                  engine.run();
                }
                return null;
              });
      assertThat(winnerInB.await(1, TimeUnit.MINUTES)).isTrue();

      try (Engine loser =
          Engines.load(plain.get()).backend(backend()).flowDetail(stored(flowUuid)).build()) {
        // The loser reads the store now and writes its own flow states (RESUMING, SUSPENDED)...
        loser.prepare();
        // ...then the winner records b and finishes, although the flow's own record changed.
        releaseWinner.countDown();
        winner.get(1, TimeUnit.MINUTES);
        assertThat(stored(flowUuid).state()).isEqualTo(FlowState.SUCCESS);
        // The loser's next write (its flow state, or b's RUNNING marker) is refused.
        assertThatThrownBy(loser::run).isInstanceOf(ConflictException.class);
      }
    } finally {
      pool.shutdownNow();
    }
    FlowDetail done = stored(flowUuid);
    assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(names(done)).containsExactly("a", "b");
    // The winner's last result is stored although its final state first met the changed record.
    assertThat(stateOf(done, "b")).isEqualTo(AtomState.SUCCESS);
    assertThat(done.findByName("b").orElseThrow().lastResults()).isEqualTo("b-done");
    assertThat(calls).as("b ran once for the winner; nothing ran again").containsExactly("a", "b");
  }

  /**
   * Two processes resume the same flow with {@code exclusive()}: the one that starts later raises
   * the flow's fence and takes the flow over, and the earlier one, inside a task when that happens,
   * has its next write refused with a {@link FencedException} and stops without writing anything
   * more. The flow is finished once, by the later resume, and never left stuck by the race (plain
   * resumes can stop each other, see above).
   */
  @Test
  void aLaterExclusiveResumeTakesTheFlowOverAndTheEarlierWritesNothingMore() throws Exception {
    CountDownLatch firstInB = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    Flow firstFlow =
        LinearFlow.of("takeover")
            .add(
                task("a"),
                Task.of(
                    "b",
                    () -> {
                      calls.add("b (first)");
                      firstInB.countDown();
                      if (!releaseFirst.await(1, TimeUnit.MINUTES)) {
                        throw new IllegalStateException("never released");
                      }
                      return "b-first";
                    }),
                task("c"));
    String flowUuid = runUntil(LinearFlow.of("takeover").add(task("a"), task("b"), task("c")), "a");
    FlowDetail lazy;
    try (Connection c = backend().getConnection()) {
      lazy = c.getFlowDetails(flowUuid, true);
    }

    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> first =
          pool.submit(
              () -> {
                try (Engine engine =
                    Engines.load(firstFlow)
                        .backend(backend())
                        .flowDetail(lazy)
                        .exclusive()
                        .build()) {
                  engine.run();
                }
                return null;
              });
      assertThat(firstInB.await(1, TimeUnit.MINUTES)).isTrue();
      assertThat(stateOf(stored(flowUuid), "b")).isEqualTo(AtomState.RUNNING);

      // The second resume raises the fence higher and finishes the flow meanwhile.
      try (Engine second =
          Engines.load(LinearFlow.of("takeover").add(task("a"), task("b"), task("c")))
              .backend(backend())
              .flowDetail(lazy)
              .exclusive()
              .build()) {
        second.run();
        assertThat(second.flowState()).isEqualTo(FlowState.SUCCESS);
      }
      FlowDetail finished = stored(flowUuid);

      // The first one's result for b is refused: it stops, and nothing of it lands.
      releaseFirst.countDown();
      assertThatThrownBy(() -> first.get(1, TimeUnit.MINUTES))
          .hasCauseInstanceOf(FencedException.class);
      assertThat(stored(flowUuid)).isEqualTo(finished);
    } finally {
      pool.shutdownNow();
    }
    FlowDetail done = stored(flowUuid);
    assertThat(done.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(names(done)).containsExactly("a", "b", "c");
    assertThat(done.findByName("b").orElseThrow().lastResults()).isEqualTo("b-done");
    assertThat(calls).containsExactly("a", "b (first)", "b", "c");
  }

  /**
   * A retry that gives up is reverted with an empty history (as TaskFlow does, so its next run
   * starts afresh), but what it went through stays readable in its meta for post-mortems.
   */
  @Test
  void aRetryThatGaveUpKeepsItsAttemptsReadable() {
    Supplier<Flow> flow =
        () ->
            LinearFlow.of("giving-up", new Times("r", 2))
                .add(
                    Task.of(
                        "charge",
                        () -> {
                          calls.add("charge");
                          throw new IllegalStateException("gateway timeout #" + calls.size());
                        }));
    String flowUuid;
    try (Engine engine = Engines.load(flow.get()).backend(backend()).build()) {
      assertThatThrownBy(engine::run).isInstanceOf(IllegalStateException.class);
      assertThat(engine.flowState()).isEqualTo(FlowState.REVERTED);
      flowUuid = engine.flowDetail().uuid();
    }
    RetryDetail r = (RetryDetail) stored(flowUuid).findByName("r").orElseThrow();
    assertThat(r.state()).isEqualTo(AtomState.REVERTED);
    assertThat(r.history()).as("a reverted retry starts afresh").isEmpty();
    Map<?, ?> kept = (Map<?, ?>) r.meta().get(RetryDetail.META_REVERTED_HISTORY);
    assertThat(kept).as("meta %s", r.meta()).isNotNull();
    assertThat(kept.get("reverted_at")).isInstanceOf(String.class);
    List<?> history = (List<?>) kept.get("history");
    assertThat(history).hasSize(2);
    assertThat(history.get(0).toString()).contains("gateway timeout #1");
    assertThat(history.get(1).toString()).contains("gateway timeout #2");
    List<?> attempts = (List<?>) kept.get("attempts");
    assertThat(attempts).hasSize(2);
    assertThat(((Map<?, ?>) attempts.get(1)).get("summary").toString())
        .contains("charge: IllegalStateException: gateway timeout #2");

    // A later run starts afresh: two new attempts, and the kept record is the newest.
    try (Engine engine =
        Engines.load(flow.get()).backend(backend()).flowDetail(stored(flowUuid)).build()) {
      assertThatThrownBy(engine::run).isInstanceOf(IllegalStateException.class);
    }
    assertThat(calls).hasSize(4);
    RetryDetail again = (RetryDetail) stored(flowUuid).findByName("r").orElseThrow();
    List<?> newest =
        (List<?>) ((Map<?, ?>) again.meta().get(RetryDetail.META_REVERTED_HISTORY)).get("history");
    assertThat(newest).hasSize(2);
    assertThat(newest.get(0).toString()).contains("gateway timeout #3");
  }
}
