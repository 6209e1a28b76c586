package io.taskflow4j.persistence;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The states of a flow, with TaskFlow's transition table. */
public enum FlowState {
  PENDING,
  RUNNING,
  SUCCESS,
  FAILURE,
  REVERTING,
  REVERTED,
  SUSPENDING,
  SUSPENDED,
  RESUMING;

  private static final Map<FlowState, Set<FlowState>> ALLOWED = new EnumMap<>(FlowState.class);
  private static final Set<FlowState> IGNORED_FROM =
      EnumSet.of(PENDING, FAILURE, SUCCESS, SUSPENDED, REVERTED);
  private static final Set<FlowState> IGNORED_TO = EnumSet.of(SUSPENDING, SUSPENDED, RESUMING);

  static {
    for (FlowState s : values()) {
      ALLOWED.put(s, EnumSet.noneOf(FlowState.class));
    }
    allow(PENDING, RUNNING);
    allow(RUNNING, SUCCESS, FAILURE, REVERTED, SUSPENDING, RESUMING);
    allow(SUCCESS, RUNNING, PENDING);
    allow(FAILURE, RUNNING);
    allow(REVERTED, PENDING);
    allow(SUSPENDING, SUSPENDED, SUCCESS, FAILURE, REVERTED, RESUMING);
    allow(SUSPENDED, RUNNING);
    allow(RESUMING, SUSPENDED);
  }

  private static void allow(FlowState from, FlowState... to) {
    ALLOWED.get(from).addAll(Set.of(to));
  }

  /** Whether the state machine allows {@code from → to} (same state is not a transition). */
  public static boolean isAllowed(FlowState from, FlowState to) {
    requireStates(from, to);
    return from != to && ALLOWED.get(from).contains(to);
  }

  /**
   * TaskFlow's {@code check_flow_transition}: {@code true} when the transition should happen,
   * {@code false} when it is to be ignored silently (same state, or one of the ignored
   * suspend/resume transitions from a resting state).
   *
   * @throws InvalidStateException when the transition is neither allowed nor ignored
   */
  public static boolean checkTransition(FlowState from, FlowState to) {
    requireStates(from, to);
    if (from == to) {
      return false;
    }
    if (ALLOWED.get(from).contains(to)) {
      return true;
    }
    if (IGNORED_FROM.contains(from) && IGNORED_TO.contains(to)) {
      return false;
    }
    throw new InvalidStateException(
        "Flow transition from '" + from + "' to '" + to + "' is not allowed");
  }

  private static void requireStates(FlowState from, FlowState to) {
    // A null would otherwise surface as a bare NullPointerException from the table lookup.
    Objects.requireNonNull(from, "from state must not be null");
    Objects.requireNonNull(to, "to state must not be null");
  }

  /** Whether a flow in this state has stopped for good (nothing left to run). */
  public boolean isFinished() {
    return this == SUCCESS || this == REVERTED || this == FAILURE;
  }
}
