package io.taskflow4j.engine;

/**
 * The states a run passes through, as {@link Engine#runIter()} reports them: {@code RESUMING} once,
 * then rounds of {@code SCHEDULING → WAITING → ANALYZING}, then one final state.
 */
public enum EngineState {
  /** Looking at what a previous run left behind (failures to resolve, atoms left running). */
  RESUMING,
  /** Handing ready atoms to the executor. */
  SCHEDULING,
  /** Waiting for at least one running atom to finish. */
  WAITING,
  /** Recording finished atoms and working out what is ready next. */
  ANALYZING,
  /** Final: every atom succeeded. */
  SUCCESS,
  /** Final: an atom failed and the flow was reverted; the failure is re-raised. */
  REVERTED,
  /** Final: the run was suspended; running it again continues where it stopped. */
  SUSPENDED,
  /** Final: reverting failed too (or the engine itself failed); the failure is re-raised. */
  FAILURE;

  /** Whether the run ends in this state. */
  public boolean isFinal() {
    return this == SUCCESS || this == REVERTED || this == SUSPENDED || this == FAILURE;
  }
}
