package io.taskflow4j.persistence;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The states of an atom (a task or a retry), with TaskFlow's task and retry transition tables. */
public enum AtomState {
  PENDING,
  RUNNING,
  SUCCESS,
  FAILURE,
  REVERTING,
  REVERTED,
  REVERT_FAILURE,
  RETRYING,
  IGNORE;

  private static final Map<AtomState, Set<AtomState>> TASK = new EnumMap<>(AtomState.class);
  private static final Map<AtomState, Set<AtomState>> RETRY = new EnumMap<>(AtomState.class);

  static {
    for (AtomState s : values()) {
      TASK.put(s, EnumSet.noneOf(AtomState.class));
      RETRY.put(s, EnumSet.noneOf(AtomState.class));
    }
    both(PENDING, RUNNING, IGNORE);
    both(RUNNING, SUCCESS, FAILURE);
    both(FAILURE, REVERTING);
    both(SUCCESS, REVERTING);
    both(REVERTING, REVERTED, REVERT_FAILURE);
    both(REVERTED, PENDING);
    both(IGNORE, PENDING);
    RETRY.get(SUCCESS).add(RETRYING);
    RETRY.get(RETRYING).add(RUNNING);
  }

  private static void both(AtomState from, AtomState... to) {
    TASK.get(from).addAll(Set.of(to));
    RETRY.get(from).addAll(Set.of(to));
  }

  /** TaskFlow's {@code check_task_transition}: never throws; the same state is {@code false}. */
  public static boolean checkTaskTransition(AtomState from, AtomState to) {
    requireStates(from, to);
    return from != to && TASK.get(from).contains(to);
  }

  /** TaskFlow's {@code check_retry_transition}: the task table plus SUCCESS→RETRYING→RUNNING. */
  public static boolean checkRetryTransition(AtomState from, AtomState to) {
    requireStates(from, to);
    return from != to && RETRY.get(from).contains(to);
  }

  private static void requireStates(AtomState from, AtomState to) {
    Objects.requireNonNull(from, "from state must not be null");
    Objects.requireNonNull(to, "to state must not be null");
  }
}
