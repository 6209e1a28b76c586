package io.taskflow4j.persistence.spi;

/**
 * Work a jobboard asks a store to do in the same transaction as the write of one flow's final state
 * ({@code SUCCESS}, {@code REVERTED} or {@code FAILURE}): the completion of the job that runs the
 * flow ({@link io.taskflow4j.jobs.Jobboard#fencedCompleting}). It is handed to {@link
 * io.taskflow4j.persistence.Connection#fenced(io.taskflow4j.persistence.Fence, FinalStateWork)}; a
 * store does it only when it knows it (the SQL store, for the SQL board on its own database), and
 * any other store ignores it, leaving the board to complete the job on its own.
 *
 * <p>A decorating connection passes it on with the fence ({@link ForwardingConnection} does).
 */
public interface FinalStateWork {

  /** The flow detail whose final state carries this work. */
  String flowUuid();

  /**
   * Told once a write that carried this work is stored: whether the work took effect (the job was
   * still held for its claim and is now completed). Not told when the write was refused or its
   * outcome is unknown; told on the writing thread, before the write returns.
   */
  void stored(boolean done);
}
