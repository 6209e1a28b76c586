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
 */
public record AtomEvent(
    String atomName,
    String atomUuid,
    AtomKind kind,
    AtomState oldState,
    AtomState state,
    Object result,
    Failure failure) {

  /** Whether the event carries an outcome (SUCCESS, FAILURE, REVERTED, REVERT_FAILURE). */
  public boolean hasOutcome() {
    return state == AtomState.SUCCESS
        || state == AtomState.FAILURE
        || state == AtomState.REVERTED
        || state == AtomState.REVERT_FAILURE;
  }
}
