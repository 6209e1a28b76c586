package io.taskflow4j.engine;

import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.storage.Storage;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Runs one flow against one flow detail, recording every state change in the logbook before telling
 * anyone about it. Obtain one from {@link Engines#load}.
 *
 * <p><b>Resumption.</b> Running an engine over a flow detail that already has atom details
 * continues from what is recorded, matching atoms by name: succeeded atoms are skipped and feed
 * their results; atoms recorded as running (or reverting) are run again — so a task can be executed
 * <em>more than once</em> if its process dies while it runs (at-least-once); recorded failures are
 * resolved again (reverting); a reverted flow starts over.
 *
 * <p>An engine runs in one thread at a time; {@link #suspend()} may be called from any thread (or a
 * listener).
 */
public interface Engine extends AutoCloseable {

  /** Compiles the flow (idempotent): checks names, links and cycles. */
  void compile();

  /**
   * Compiles, then records every atom in the flow detail (first time only) and applies the store;
   * resets a flow that ended REVERTED.
   */
  void prepare();

  /**
   * Checks that every argument of every atom has a provider (an earlier atom in scope, the store,
   * an injected value).
   *
   * @throws io.taskflow4j.MissingDependenciesException naming each atom and what it misses
   */
  void validate();

  /**
   * Runs the flow to its end (SUCCESS, REVERTED, SUSPENDED or FAILURE).
   *
   * <p><b>Failures and errors.</b> An exception a task throws is the task's failure: it is recorded
   * and resolved (reverting, or retrying under a retry controller), and the flow ends REVERTED, or
   * FAILURE when a revert itself failed. A run can also be <em>cut short</em>: a task throws a
   * {@link VirtualMachineError} ({@code OutOfMemoryError}, {@code StackOverflowError}, {@code
   * InternalError}: the process itself is in trouble, and reverting in it could make things worse),
   * a listener throws an {@code Error}, or the store refuses or cannot take a write ({@link
   * io.taskflow4j.persistence.ConflictException}: another engine runs the same flow; {@link
   * io.taskflow4j.persistence.FencedException}; {@link io.taskflow4j.persistence.StorageException}
   * after its retries). Then the engine waits for the atoms in flight, writes nothing more and
   * rethrows: the flow stays unfinished (RUNNING) in the store, as after a crash, and the atom that
   * was running runs again when the flow is resumed. FAILURE is only ever recorded after the run
   * has finished reverting.
   *
   * @throws RuntimeException the failure when the flow ends REVERTED or FAILURE: the original
   *     exception when there is one failure captured in this process and it is unchecked, else a
   *     {@link io.taskflow4j.persistence.WrappedFailureException}; or what cut the run short
   * @throws Error what cut the run short, as thrown
   */
  void run();

  /**
   * Runs step by step: each {@code next()} advances the run and returns the state entered. The last
   * element is the final state; when the flow ends REVERTED or FAILURE that last {@code next()}
   * throws the failure instead (after recording the state). Closing the iterator before the end
   * suspends the run and lets running atoms finish.
   */
  EngineRun runIter();

  /**
   * Asks a running flow to stop after the atoms now running; the run ends SUSPENDED and a later run
   * continues. Does nothing when the flow is not running.
   */
  void suspend();

  /**
   * Puts every atom back to PENDING (intention EXECUTE) and the flow to PENDING, so the next run
   * starts over.
   *
   * @throws io.taskflow4j.persistence.InvalidStateException when the engine was not prepared
   */
  void reset();

  /** The engine's storage (created on first use; the engine's only door to the logbook). */
  Storage storage();

  /**
   * The flow detail this engine runs (a snapshot of its current form, with every atom detail). Its
   * uuid is how the run is found again: to resume it, inspect it, or delete it when it is no longer
   * needed.
   */
  FlowDetail flowDetail();

  /**
   * The uuid of the logbook holding {@link #flowDetail()}, when the engine knows it: the logbook it
   * created for a new run, or was given with {@link Engines.Builder#logBook}. Empty when the engine
   * was given a stored flow detail to resume (the caller read it from its logbook) or keeps no
   * logbook (an engine without a backend). With it a caller can find the run again or delete it
   * ({@code Connection.destroyLogBook}) when it is no longer needed. Creates the engine's storage
   * when it does not exist yet, as {@link #flowDetail()} does.
   */
  default Optional<String> logBookUuid() {
    return Optional.empty();
  }

  /**
   * The names of the flow's atoms in the order {@link AtomEvent#atomIndex()} numbers them (the
   * engine's compiled order; it compiles the flow if it has not yet): a listener that keeps
   * something per atom can check once per run that a flow is built as the one it saw before, then
   * index by position. Unmodifiable. Empty for an engine that does not number its atoms.
   */
  default List<String> atomNames() {
    return List.of();
  }

  /** The flow's current state. */
  FlowState flowState();

  /** Flow state events. */
  Notifier<FlowState, FlowEvent> notifier();

  /** Atom (task and retry) state events. */
  Notifier<AtomState, AtomEvent> atomNotifier();

  /** Releases what the engine opened itself (a connection taken from a backend). */
  @Override
  void close();

  /** A step-wise run; see {@link Engine#runIter()}. */
  interface EngineRun extends Iterator<EngineState>, AutoCloseable {
    /** Suspends the run if it has not ended and drives it to its end. */
    @Override
    void close();
  }

  /** Convenience: registers a listener for any atom event. */
  default Registration onAtomEvent(java.util.function.Consumer<? super AtomEvent> listener) {
    return atomNotifier().registerAny(listener);
  }

  /** Convenience: registers a listener for any flow event. */
  default Registration onFlowEvent(java.util.function.Consumer<? super FlowEvent> listener) {
    return notifier().registerAny(listener);
  }
}
