package io.taskflow4j.storage;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.internal.Uuids;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a {@link Storage} retries failed writes, what time it is and how new atom uuids are made.
 * Immutable; make one with {@link #builder()}.
 *
 * <p>The write retries apply to a connection that does not retry its own transient errors (memory,
 * directory). A connection that does ({@link
 * io.taskflow4j.persistence.Connection#retriesTransientErrors()}: SQL, ZooKeeper) gets each write
 * once, and its backend's own settings ({@code max_retries}, {@code retry_budget_ms}) bound it.
 */
public final class StorageOptions {
  /** Default number of attempts of one write (the first try included). */
  public static final int DEFAULT_WRITE_ATTEMPTS = 3;

  /** Default wait before the second attempt; doubled before each further one. */
  public static final Duration DEFAULT_WRITE_RETRY_BACKOFF = Duration.ofMillis(50);

  /** Default cap of the wait between attempts. */
  public static final Duration DEFAULT_MAX_WRITE_RETRY_BACKOFF = Duration.ofSeconds(2);

  /** Waits between write attempts; replaceable so tests need not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    /** Waits {@code duration}. */
    void sleep(Duration duration) throws InterruptedException;

    /** {@link Thread#sleep}. */
    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
  }

  /**
   * The default uuid supplier: random (version 4) uuids, always valid ids. Declared before {@link
   * #DEFAULTS}, which uses it.
   */
  static final Supplier<String> RANDOM_UUIDS = Uuids::random;

  private static final StorageOptions DEFAULTS = builder().build();

  private final int writeAttempts;
  private final Duration writeRetryBackoff;
  private final Duration maxWriteRetryBackoff;
  private final Clock clock;
  private final Supplier<String> uuidSupplier;
  private final Sleeper sleeper;
  private final Backoff backoff;

  private StorageOptions(Builder b) {
    this.writeAttempts = b.writeAttempts;
    this.writeRetryBackoff = b.writeRetryBackoff;
    this.maxWriteRetryBackoff = b.maxWriteRetryBackoff;
    this.clock = b.clock;
    this.uuidSupplier = b.uuidSupplier;
    this.sleeper = b.sleeper;
    this.backoff = Backoff.exponential(writeRetryBackoff, maxWriteRetryBackoff);
  }

  /** The defaults: 3 attempts, 50 ms doubling up to 2 s, the system clock, random uuids. */
  public static StorageOptions defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Attempts of one write (the first try included), at least 1; a connection that retries itself
   * gets one.
   */
  public int writeAttempts() {
    return writeAttempts;
  }

  /** The wait before the second attempt. */
  public Duration writeRetryBackoff() {
    return writeRetryBackoff;
  }

  /** The longest wait between two attempts. */
  public Duration maxWriteRetryBackoff() {
    return maxWriteRetryBackoff;
  }

  /** The clock (used for the logbook of a private in-memory store). */
  public Clock clock() {
    return clock;
  }

  /** Makes the uuids of new atom details. */
  public Supplier<String> uuidSupplier() {
    return uuidSupplier;
  }

  /** Waits between write attempts. */
  public Sleeper sleeper() {
    return sleeper;
  }

  /** The wait after {@code failedAttempts} failed attempts: doubling, capped. */
  Duration backoffAfter(int failedAttempts) {
    return backoff.delay(failedAttempts);
  }

  @Override
  public String toString() {
    return "StorageOptions{writeAttempts="
        + writeAttempts
        + ", writeRetryBackoff="
        + writeRetryBackoff
        + ", maxWriteRetryBackoff="
        + maxWriteRetryBackoff
        + '}';
  }

  /** Whether new atom uuids come from the default supplier (so need no check as ids). */
  boolean randomUuids() {
    return uuidSupplier == RANDOM_UUIDS;
  }

  /** Builds {@link StorageOptions}; every setter validates at once. */
  public static final class Builder {
    private int writeAttempts = DEFAULT_WRITE_ATTEMPTS;
    private Duration writeRetryBackoff = DEFAULT_WRITE_RETRY_BACKOFF;
    private Duration maxWriteRetryBackoff = DEFAULT_MAX_WRITE_RETRY_BACKOFF;
    private Clock clock = Clock.systemUTC();
    private Supplier<String> uuidSupplier = RANDOM_UUIDS;
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    /** Attempts of one write, the first try included (1 = no retry). */
    public Builder writeAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("writeAttempts must be at least 1, was " + attempts);
      }
      this.writeAttempts = attempts;
      return this;
    }

    /** The wait before the second attempt (doubled before each further one). */
    public Builder writeRetryBackoff(Duration backoff) {
      this.writeRetryBackoff = nonNegative(backoff, "writeRetryBackoff");
      return this;
    }

    /** The cap of the wait between attempts. */
    public Builder maxWriteRetryBackoff(Duration max) {
      this.maxWriteRetryBackoff = nonNegative(max, "maxWriteRetryBackoff");
      return this;
    }

    /** The clock. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** Makes the uuids of new atom details (must return a new non-empty id per call). */
    public Builder uuidSupplier(Supplier<String> s) {
      this.uuidSupplier = Objects.requireNonNull(s, "uuidSupplier");
      return this;
    }

    /** Waits between write attempts (tests pass one that records instead of sleeping). */
    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    /**
     * The options.
     *
     * @throws IllegalArgumentException when the backoff is larger than its cap
     */
    public StorageOptions build() {
      if (writeRetryBackoff.compareTo(maxWriteRetryBackoff) > 0) {
        throw new IllegalArgumentException(
            "writeRetryBackoff ("
                + writeRetryBackoff
                + ") cannot be larger than maxWriteRetryBackoff ("
                + maxWriteRetryBackoff
                + ")");
      }
      return new StorageOptions(this);
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " cannot be negative, was " + d);
      }
      return d;
    }
  }
}
