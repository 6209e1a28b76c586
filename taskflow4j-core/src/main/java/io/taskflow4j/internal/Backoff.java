package io.taskflow4j.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The one back-off of taskflow4j's retry loops: the wait doubles from {@code initial} after each
 * failed attempt up to {@code max}. With jitter (the default for anything that talks to a shared
 * server) the wait is drawn between half of that and all of it, so the clients hit by one outage do
 * not come back in step. Immutable.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private final boolean jitter;

  private Backoff(long initialNanos, long maxNanos, boolean jitter) {
    this.initialNanos = initialNanos;
    this.maxNanos = maxNanos;
    this.jitter = jitter;
  }

  /**
   * Doubling waits from {@code initial} up to {@code max}, without jitter.
   *
   * @throws IllegalArgumentException when either is negative or {@code initial} exceeds {@code max}
   */
  public static Backoff exponential(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || max.isNegative() || initial.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 <= initial <= max, got initial=" + initial + ", max=" + max);
    }
    return new Backoff(initial.toNanos(), max.toNanos(), false);
  }

  /** This back-off with each wait drawn at random between half of it and all of it. */
  public Backoff withJitter() {
    return new Backoff(initialNanos, maxNanos, true);
  }

  /** The wait after {@code failedAttempts} failed attempts (1 for the first failure). */
  public Duration delay(int failedAttempts) {
    long d = initialNanos;
    for (int i = 1; i < failedAttempts && d < maxNanos; i++) {
      d = d > maxNanos / 2 ? maxNanos : d * 2;
    }
    d = Math.min(d, maxNanos);
    if (jitter && d > 1) {
      d = d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
    }
    return Duration.ofNanos(d);
  }

  /**
   * Sleeps for {@link #delay(int) delay(failedAttempts)}.
   *
   * @throws InterruptedException when interrupted while waiting (the interrupt status is cleared,
   *     as by {@link Thread#sleep}); callers turn it into their own typed error
   */
  public void sleep(int failedAttempts) throws InterruptedException {
    long nanos = delay(failedAttempts).toNanos();
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }

  @Override
  public String toString() {
    return "Backoff[initial="
        + Duration.ofNanos(initialNanos)
        + ", max="
        + Duration.ofNanos(maxNanos)
        + (jitter ? ", jitter" : "")
        + "]";
  }
}
