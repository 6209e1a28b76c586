package io.taskflow4j.retry;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.storage.RetryHistory;

/**
 * Never retries: a failure in its scope reverts the whole flow the engine runs, whatever the
 * enclosing retries would decide (TaskFlow's {@code AlwaysRevertAll}). Its value is {@code null}.
 */
public final class AlwaysRevertAll extends Retry {
  /**
   * @param name the retry's name, unique within a flow
   */
  public AlwaysRevertAll(String name) {
    super(name);
  }

  @Override
  public Object execute(Arguments args, RetryHistory history) {
    return null;
  }

  @Override
  public Decision onFailure(RetryHistory history) {
    return Decision.REVERT_ALL;
  }
}
