package io.taskflow4j.retry;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.storage.RetryHistory;

/**
 * Never retries: a failure in its scope reverts the scope and lets an enclosing retry decide
 * (TaskFlow's {@code AlwaysRevert}). Its value is {@code null}.
 */
public final class AlwaysRevert extends Retry {
  /**
   * @param name the retry's name, unique within a flow
   */
  public AlwaysRevert(String name) {
    super(name);
  }

  @Override
  public Object execute(Arguments args, RetryHistory history) {
    return null;
  }

  @Override
  public Decision onFailure(RetryHistory history) {
    return Decision.REVERT;
  }
}
