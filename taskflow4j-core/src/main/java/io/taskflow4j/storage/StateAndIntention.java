package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Intention;
import java.util.Objects;

/**
 * An atom's state together with what the engine intends to do with it next.
 *
 * @param state the atom's state
 * @param intention the atom's intention
 */
public record StateAndIntention(AtomState state, Intention intention) {
  /** Both parts are required. */
  public StateAndIntention {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(intention, "intention");
  }
}
