package io.taskflow4j.retry;

import io.taskflow4j.Arguments;
import io.taskflow4j.Retry;
import io.taskflow4j.storage.RetryHistory;

/**
 * Runs its scope up to {@code attempts} times (TaskFlow's {@code Times}): each attempt's value is
 * its number ({@code 1, 2, …}); after the last failed attempt it reverts its scope ({@link
 * Decision#REVERT}, letting an enclosing retry decide) or, with {@code revertAll}, everything
 * ({@link Decision#REVERT_ALL}).
 */
public final class Times extends Retry {
  private final int attempts;
  private final boolean revertAll;

  /** One attempt (TaskFlow's default), then revert the scope. */
  public Times(String name) {
    this(name, 1, false);
  }

  /** Up to {@code attempts} attempts, then revert the scope. */
  public Times(String name, int attempts) {
    this(name, attempts, false);
  }

  /**
   * Up to {@code attempts} attempts, then revert the scope, or everything when {@code revertAll}.
   *
   * @throws IllegalArgumentException when {@code attempts} is negative
   */
  public Times(String name, int attempts, boolean revertAll) {
    super(name);
    if (attempts < 0) {
      throw new IllegalArgumentException(
          "retry '" + name + "' needs a number of attempts >= 0, not " + attempts);
    }
    this.attempts = attempts;
    this.revertAll = revertAll;
  }

  /** The number of attempts. */
  public int attempts() {
    return attempts;
  }

  /** Whether giving up reverts everything rather than the scope. */
  public boolean revertAll() {
    return revertAll;
  }

  /** The number of this attempt: one more than the attempts so far. */
  @Override
  public Object execute(Arguments args, RetryHistory history) {
    return history.size() + 1;
  }

  @Override
  public Decision onFailure(RetryHistory history) {
    if (history.size() < attempts) {
      return Decision.RETRY;
    }
    return revertAll ? Decision.REVERT_ALL : Decision.REVERT;
  }
}
