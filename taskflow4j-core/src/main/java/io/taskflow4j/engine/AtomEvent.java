package io.taskflow4j.engine;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.storage.AtomKind;

/**
 * An atom (task or retry) changed state; the change is already recorded in the logbook when
 * listeners hear of it.
 *
 * @param atomName the atom's name
 * @param atomUuid its atom detail's uuid
 * @param kind task or retry
 * @param oldState the state before
 * @param state the new state
 * @param result the execute result (SUCCESS) or revert result (REVERTED), else {@code null}
 * @param failure the failure (FAILURE, REVERT_FAILURE), else {@code null}
 * @param nanos how long the execution or revert that this outcome ends took, in nanoseconds, as the
 *     engine timed the atom's own work (SUCCESS, FAILURE, REVERTED, REVERT_FAILURE); {@code -1}
 *     when the event carries no outcome: a listener that times atoms needs no clock of its own
 * @param atomIndex the atom's position in the engine's compiled order ({@link Engine#atomNames()}
 *     at that position is {@code atomName}), or {@code -1} when the event's source does not number
 *     its atoms: a listener keeping something per atom can index an array by it. Runs of flows
 *     built alike number their atoms alike.
 */
public record AtomEvent(
    String atomName,
    String atomUuid,
    AtomKind kind,
    AtomState oldState,
    AtomState state,
    Object result,
    Failure failure,
    long nanos,
    int atomIndex) {

  /** An event without an atom index ({@code atomIndex == -1}). */
  public AtomEvent(
      String atomName,
      String atomUuid,
      AtomKind kind,
      AtomState oldState,
      AtomState state,
      Object result,
      Failure failure,
      long nanos) {
    this(atomName, atomUuid, kind, oldState, state, result, failure, nanos, -1);
  }

  /** An event without a duration ({@code nanos == -1}) or an atom index. */
  public AtomEvent(
      String atomName,
      String atomUuid,
      AtomKind kind,
      AtomState oldState,
      AtomState state,
      Object result,
      Failure failure) {
    this(atomName, atomUuid, kind, oldState, state, result, failure, -1, -1);
  }

  /** Whether the event carries an outcome (SUCCESS, FAILURE, REVERTED, REVERT_FAILURE). */
  public boolean hasOutcome() {
    return state == AtomState.SUCCESS
        || state == AtomState.FAILURE
        || state == AtomState.REVERTED
        || state == AtomState.REVERT_FAILURE;
  }
}
