package io.taskflow4j.engine;

import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.storage.Storage;
import java.util.Iterator;

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
   * @throws RuntimeException the failure when the flow ends REVERTED or FAILURE: the original
   *     exception when there is one failure captured in this process and it is unchecked, else a
   *     {@link io.taskflow4j.persistence.WrappedFailureException}
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

  /** The current flow detail (a snapshot). */
  FlowDetail flowDetail();

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
