package io.taskflow4j.persistence;

import io.taskflow4j.internal.Timestamps;
import java.time.Instant;
import java.util.Objects;

/**
 * An instant to record in metadata. It is stored, serialised and read back as its ISO-8601 text
 * ({@link Instant#toString()}), exactly as if that text had been given; the difference is only in
 * memory, where a model map keeps it as two numbers instead of a string. Engines stamp every task
 * twice, and a large flow keeps every atom's metadata alive for its whole run.
 *
 * @param instant the instant
 */
public record Stamp(Instant instant) {
  public Stamp {
    Objects.requireNonNull(instant, "instant");
  }

  /** A stamp of {@code instant}. */
  public static Stamp of(Instant instant) {
    return new Stamp(instant);
  }

  /** The text this stamp is stored as. */
  public String iso() {
    return Timestamps.iso(instant);
  }

  @Override
  public String toString() {
    return iso();
  }
}
