package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Intention;
import java.util.Objects;

/**
 * An atom's state together with what the engine intends to do with it next.
 *
 * @param state the atom's state
 * @param intention the atom's intention
 *     <p><b>Not API.</b> Public only because the engine, another package, exchanges it with {@link
 *     Storage}'s engine-facing methods; it may change in any release.
 */
public record StateAndIntention(AtomState state, Intention intention) {
  /** Both parts are required. */
  public StateAndIntention {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(intention, "intention");
  }

  private static final int INTENTIONS = Intention.values().length;
  private static final StateAndIntention[] ALL = all();

  private static StateAndIntention[] all() {
    Intention[] intentions = Intention.values();
    StateAndIntention[] out = new StateAndIntention[AtomState.values().length * intentions.length];
    for (AtomState s : AtomState.values()) {
      for (Intention i : intentions) {
        out[s.ordinal() * intentions.length + i.ordinal()] = new StateAndIntention(s, i);
      }
    }
    return out;
  }

  /** The pair of {@code state} and {@code intention}: one shared value per pair. */
  public static StateAndIntention of(AtomState state, Intention intention) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(intention, "intention");
    return ALL[state.ordinal() * INTENTIONS + intention.ordinal()];
  }
}
