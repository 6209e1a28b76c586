package io.taskflow4j.verify;

import java.util.Objects;

/**
 * One thing {@link StoreVerifier} found in a store: an inconsistency ({@link Severity#ERROR}), or a
 * leftover of an interrupted write that readers skip and that the next write tidies ({@link
 * Severity#NOTE}).
 *
 * @param kind what sort of problem it is
 * @param location the record it concerns, e.g. {@code atom 9f2c... (t3) in flow 41aa...}
 * @param message what is wrong, in words
 */
public record Problem(Kind kind, String location, String message) {

  /** How much a problem matters. */
  public enum Severity {
    /** The store is inconsistent: a record cannot be read, or readers see something wrong. */
    ERROR,
    /**
     * Nothing a reader sees is wrong: a leftover that readers skip and that the store removes by
     * itself (the next write through the backend, or {@code upgrade()}).
     */
    NOTE
  }

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
    /**
     * A leftover of an interrupted write (a temporary file or directory, or an object the write put
     * in place but did not link yet), which readers skip and the next write or {@code upgrade()}
     * removes: a {@link Severity#NOTE}.
     */
    LEFTOVER(Severity.NOTE);

    private final Severity severity;

    Kind() {
      this(Severity.ERROR);
    }

    Kind(Severity severity) {
      this.severity = severity;
    }

    /** Whether a problem of this kind makes the store inconsistent. */
    public Severity severity() {
      return severity;
    }
  }

  /** Checks that every part is given. */
  public Problem {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  /** Whether this problem makes the store inconsistent or is a note (from its kind). */
  public Severity severity() {
    return kind.severity();
  }

  @Override
  public String toString() {
    return (severity() == Severity.NOTE ? "note: " : "") + kind + " " + location + ": " + message;
  }
}
