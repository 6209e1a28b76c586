package io.taskflow4j.persistence;

import java.util.Objects;

/**
 * A fencing token: the right to write, granted by a claim on a job and proved with every write.
 * Tokens of one {@code key} (a job's uuid) only grow; a backend remembers the highest token it was
 * told of ({@link Connection#advanceFence}) and refuses the writes of a {@link
 * Connection#fenced(Fence) fenced connection} whose token is no longer that one, atomically with
 * the write itself. So an owner that paused past its lease and woke up after a peer took its job
 * over cannot change the logbook any more.
 *
 * @param key what the token guards: the uuid of the claimed job
 * @param token the claim's token; positive
 */
public record Fence(String key, long token) {
  /** Checks the fields. */
  public Fence {
    Objects.requireNonNull(key, "key");
    if (key.isBlank()) {
      throw new IllegalArgumentException("fence key must not be blank");
    }
    if (key.length() > 255) {
      throw new IllegalArgumentException("fence key is longer than 255 characters: " + key);
    }
    if (token <= 0) {
      throw new IllegalArgumentException("fence token must be positive, not " + token);
    }
  }

  @Override
  public String toString() {
    return key + "#" + token;
  }
}
