package io.taskflow4j.storage;

import io.taskflow4j.persistence.TaskFlowException;

/**
 * An atom's result (or an injected value) cannot be stored because it cannot be represented as
 * JSON. Nothing was stored. The engine treats it like a failure of the atom.
 */
public class InvalidResultException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  private final String atomName;

  /** A result of {@code atomName} that cannot be stored; {@code cause} says why. */
  public InvalidResultException(String atomName, String message, Throwable cause) {
    super(message, cause);
    this.atomName = atomName;
  }

  /** The atom whose result (or injected value) was refused. */
  public String atomName() {
    return atomName;
  }
}
