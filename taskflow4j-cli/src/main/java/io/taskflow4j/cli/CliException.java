package io.taskflow4j.cli;

/**
 * An error the command reports as one line: what is wrong and what to do, with its exit code (see
 * {@link ExitCodes}).
 */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  /** An error with this exit code and message. */
  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** An error with this exit code and message, keeping its cause (shown with --verbose). */
  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** The process exit code. */
  public int exitCode() {
    return exitCode;
  }
}
