package io.taskflow4j.verify;

import java.util.Objects;

/**
 * One inconsistency {@link StoreVerifier} found in a store.
 *
 * @param kind what sort of problem it is
 * @param location the record it concerns, e.g. {@code atom 9f2c... (t3) in flow 41aa...}
 * @param message what is wrong, in words
 */
public record Problem(Kind kind, String location, String message) {

  /** The sorts of problems. */
  public enum Kind {
    /** A record (or a list of records) could not be read or parsed. */
    UNREADABLE,
    /** A parent lists a child that cannot be found (a link to nothing). */
    DANGLING_LINK,
    /** A record no parent links to: it can never be read through its logbook. */
    ORPHAN,
    /** The same record is reachable twice (one uuid under two parents, or a name used twice). */
    DUPLICATE,
    /** A state disagrees with the results or failures recorded beside it. */
    STATE_MISMATCH,
    /** A leftover of an interrupted write (a temporary file or directory). */
    LEFTOVER
  }

  /** Checks that every part is given. */
  public Problem {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return kind + " " + location + ": " + message;
  }
}
