package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.UpgradeRequiredException;

/**
 * What one look at a database found: whether it holds the schema this code writes, and which of
 * taskflow4j's columns a read can use. A backend looks once (and again after {@code upgrade()} and
 * before refusing a write), so reads cost no metadata query.
 *
 * @param status whether the store can be written, needs an upgrade, or cannot be used
 * @param finding what was found, as a sentence for messages ({@code null} when current)
 * @param readable whether TaskFlow's three tables are there with the columns reads need
 * @param flowRevision whether {@code flowdetails.revision} exists (else revisions read as 0)
 * @param atomRevision whether {@code atomdetails.revision} exists (else revisions read as 0)
 * @param seq whether the three tables have the insertion-order column {@code seq} (PostgreSQL and
 *     MySQL; else rows are read in {@code created_at, uuid} order, which is how the migration
 *     numbers them)
 */
record StoreLayout(
    Status status,
    String finding,
    boolean readable,
    boolean flowRevision,
    boolean atomRevision,
    boolean seq) {

  /** How far the store is from the schema this code writes. */
  enum Status {
    /** The latest schema: reads and writes. */
    CURRENT,
    /**
     * A TaskFlow store, an earlier taskflow4j schema or an interrupted upgrade: upgrade() fixes it.
     */
    UPGRADE_REQUIRED,
    /** A schema this code cannot adopt (newer, or TaskFlow at another revision). */
    INCOMPATIBLE,
    /** Nothing to read: no store yet, or a damaged one. */
    UNUSABLE
  }

  /** The latest schema, with every column. */
  static StoreLayout current() {
    return new StoreLayout(Status.CURRENT, null, true, true, true, true);
  }

  /** Whether this code writes to the store. */
  boolean writable() {
    return status == Status.CURRENT;
  }

  /** The typed exception saying what was found, prefixed by what could not be done. */
  StorageException problem(String refused) {
    String msg = refused == null ? finding : refused + ": " + finding;
    return switch (status) {
      case UPGRADE_REQUIRED -> new UpgradeRequiredException(msg);
      case INCOMPATIBLE -> new IncompatibleVersionException(msg);
      case UNUSABLE, CURRENT -> new StorageException(msg);
    };
  }
}
