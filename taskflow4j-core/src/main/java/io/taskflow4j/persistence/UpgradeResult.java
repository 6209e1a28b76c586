package io.taskflow4j.persistence;

import java.util.Objects;

/**
 * What {@link Connection#upgradeWithResult()} did to a store: created its structure, upgraded it
 * from an earlier schema, adopted a store another program made (a TaskFlow store), or nothing
 * because it was up to date. A backend that does not say which is {@link Change#UNREPORTED}.
 *
 * @param change what was done
 * @param from the version found before: the schema version upgraded from, or what was adopted (e.g.
 *     {@code "a TaskFlow store (alembic revision 00af93df9d77)"}); {@code null} unless {@link
 *     Change#UPGRADED} or {@link Change#ADOPTED}
 * @param to the schema version the store is at now; {@code null} only when {@link
 *     Change#UNREPORTED}
 */
public record UpgradeResult(Change change, String from, String to) {

  /** What an upgrade did. */
  public enum Change {
    /** The store did not exist (or was empty) and was created. */
    CREATED,
    /** The store was at an earlier schema version and was brought to the current one. */
    UPGRADED,
    /** A store another program made (TaskFlow) was taken over, keeping every record. */
    ADOPTED,
    /** The store was already at the current version: nothing was changed. */
    UP_TO_DATE,
    /** The backend does not report what its upgrade did. */
    UNREPORTED
  }

  /** Checks that the versions fit the change. */
  public UpgradeResult {
    Objects.requireNonNull(change, "change");
    boolean needsFrom = change == Change.UPGRADED || change == Change.ADOPTED;
    if (needsFrom != (from != null)) {
      throw new IllegalArgumentException(
          change + (needsFrom ? " needs the version it started from" : " has no 'from' version"));
    }
    if ((change == Change.UNREPORTED) != (to == null)) {
      throw new IllegalArgumentException(
          change + (to == null ? " needs the version reached" : " has no 'to' version"));
    }
  }

  /** The store was created at {@code version}. */
  public static UpgradeResult created(String version) {
    return new UpgradeResult(Change.CREATED, null, Objects.requireNonNull(version, "version"));
  }

  /** The store was upgraded from schema version {@code from} to {@code to}. */
  public static UpgradeResult upgraded(String from, String to) {
    return new UpgradeResult(Change.UPGRADED, Objects.requireNonNull(from, "from"), to);
  }

  /** The store {@code found} (what another program made) was adopted at version {@code to}. */
  public static UpgradeResult adopted(String found, String to) {
    return new UpgradeResult(Change.ADOPTED, Objects.requireNonNull(found, "found"), to);
  }

  /** The store was at {@code version} already. */
  public static UpgradeResult upToDate(String version) {
    return new UpgradeResult(Change.UP_TO_DATE, null, Objects.requireNonNull(version, "version"));
  }

  /** What a backend that does not report its upgrade returns. */
  public static UpgradeResult unreported() {
    return new UpgradeResult(Change.UNREPORTED, null, null);
  }

  /** Whether the upgrade changed the store (unknown counts as changed). */
  public boolean changed() {
    return change != Change.UP_TO_DATE;
  }

  /**
   * What was done, as a phrase for messages, e.g. {@code "created the schema at version 3"} or
   * {@code "upgraded the schema from version 2 to 3"}.
   */
  public String describe() {
    return switch (change) {
      case CREATED -> "created the schema at version " + to;
      case UPGRADED -> "upgraded the schema from version " + from + " to " + to;
      case ADOPTED -> "adopted " + from + " at schema version " + to + ", keeping every record";
      case UP_TO_DATE -> "already up to date (schema version " + to + "), nothing changed";
      case UNREPORTED -> "ready (created or upgraded as it needed)";
    };
  }
}
