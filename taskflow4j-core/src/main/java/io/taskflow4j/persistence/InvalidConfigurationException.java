package io.taskflow4j.persistence;

/**
 * A connection string or configuration value is malformed or out of range. The message names the
 * key, what was given (passwords masked) and what is expected.
 */
public class InvalidConfigurationException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says what went wrong and, if possible, what to do. */
  public InvalidConfigurationException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public InvalidConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
