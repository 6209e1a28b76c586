package io.taskflow4j.persistence;

/**
 * A write was refused because its {@link Fence} is stale: a peer claimed the job since, with a
 * higher token. Nothing was written. It is final, never retried: the writer has lost the job and
 * must stop (a conductor drops the job without completing or releasing it; the new owner carries on
 * from the logbook).
 */
public class FencedException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message says which fence and what was refused. */
  public FencedException(String message) {
    super(message);
  }

  /** Creates the exception, keeping the underlying cause. */
  public FencedException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The standard message for a write refused under {@code fence} when {@code stored} is held. */
  public static FencedException stale(Fence fence, Long stored, String what) {
    return new FencedException(
        "Write of "
            + what
            + " refused: the claim on job '"
            + fence.key()
            + "' with token "
            + fence.token()
            + (stored == null
                ? " was never registered with this store (advance the fence after claiming)"
                : " is stale, the store holds token " + stored + " (a peer took the job over)")
            + "; stop working on this job");
  }
}
