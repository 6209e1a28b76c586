package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The completion of a claimed job as {@link FinalStateWork}: carried by the first stored write of
 * its flow in a final state ({@code SUCCESS}, {@code REVERTED} or {@code FAILURE}), and told once
 * the job is deleted; after that, later writes of the flow carry nothing more. A board's store
 * subclasses it with what its write adds (the SQL board's delete of the job's row, the ZooKeeper
 * board's deletions in the write's multi-operation).
 */
public abstract class JobCompletionWork implements FinalStateWork {
  private final String jobUuid;
  private final String flowUuid;
  private final Consumer<Boolean> onStored;
  private volatile boolean done;

  /**
   * @param jobUuid the job to complete
   * @param flowUuid the flow detail whose final state carries the completion
   * @param onStored told whether the job was deleted, each time a write that carried the completion
   *     is stored
   */
  protected JobCompletionWork(String jobUuid, String flowUuid, Consumer<Boolean> onStored) {
    this.jobUuid = Objects.requireNonNull(jobUuid, "jobUuid");
    this.flowUuid = Objects.requireNonNull(flowUuid, "flowUuid");
    this.onStored = Objects.requireNonNull(onStored, "onStored");
  }

  @Override
  public final String flowUuid() {
    return flowUuid;
  }

  /** Whether a write of {@code fd} carries it: its flow, in a final state, not completed yet. */
  public final boolean carriedBy(FlowDetail fd) {
    FlowState s = fd.state();
    return !done
        && fd.uuid().equals(flowUuid)
        && (s == FlowState.SUCCESS || s == FlowState.REVERTED || s == FlowState.FAILURE);
  }

  @Override
  public final void stored(boolean deleted) {
    if (deleted) {
      done = true;
    }
    onStored.accept(deleted);
  }

  @Override
  public String toString() {
    return "completion of job '" + jobUuid + "' with flow '" + flowUuid + "'";
  }
}
