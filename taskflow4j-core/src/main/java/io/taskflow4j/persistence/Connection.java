package io.taskflow4j.persistence;

import java.util.List;

/**
 * Reads and writes the logbook tree of one {@link Backend}. Every method is safe to call from many
 * threads at once. Errors surface as {@link TaskFlowException}s: {@link NotFoundException}, {@link
 * ConflictException} and {@link StorageException} (which wraps the driver's exception); never a raw
 * driver exception.
 *
 * <p><b>Revisions.</b> Every write of a flow or atom detail whose {@code revision()} is positive is
 * accepted only if the stored record still has that revision, atomically with the write; otherwise
 * a {@link ConflictException} is thrown and nothing is stored. Writes return the written values
 * with their new revisions, so a caller that keeps the returned value can write again without
 * reading first. A value with revision {@code 0} is written unconditionally.
 */
public interface Connection extends AutoCloseable {

  /** The backend this connection belongs to. */
  Backend backend();

  /** Creates or migrates the store's structure; idempotent. */
  void upgrade();

  /**
   * Checks that the store is reachable and usable.
   *
   * @throws StorageException saying what is wrong
   */
  void validate();

  /** Deletes every logbook, flow detail and atom detail. */
  void clearAll();

  /**
   * Saves a logbook with all its flow and atom details: inserts what is new, updates what exists
   * (an upsert). An existing book keeps its creation time; its name and meta are replaced.
   *
   * @return the book as written, its flow and atom details carrying their new revisions
   * @throws ConflictException when a contained detail's revision is stale (nothing is written)
   */
  LogBook saveLogBook(LogBook book);

  /**
   * Replaces the stored logbook of {@code book}'s uuid, if there is one, by {@code book}, as one
   * step: the stored book's flow and atom details that {@code book} does not carry are deleted, and
   * what it carries is written as given (revisions are not checked; its creation time is the one
   * given). When the write fails, the stored book is left as it was. A book not stored yet is
   * simply saved.
   *
   * <p>The built-in backends do this atomically (one SQL transaction; one ZooKeeper transaction
   * when it fits the request limit; on a directory, under the store lock, with every record written
   * before the old ones are removed). This default, for other backends, checks {@link
   * #checkStorable} first, then deletes and saves, and writes the old book back if the save fails:
   * a crash in between can lose the book, so a backend should override it.
   *
   * @return the book as written, with its new revisions
   * @throws LimitExceededException when the store cannot hold the book (nothing is written)
   * @throws DuplicateException when a flow or atom detail of {@code book} belongs to another
   *     logbook (nothing is written)
   */
  default LogBook replaceLogBook(LogBook book) {
    java.util.Objects.requireNonNull(book, "book");
    checkStorable(book);
    LogBook old;
    try {
      old = getLogBook(book.uuid());
    } catch (NotFoundException e) {
      return saveLogBook(book);
    }
    destroyLogBook(book.uuid());
    try {
      return saveLogBook(book);
    } catch (RuntimeException e) {
      try {
        List<FlowDetail> flows = new java.util.ArrayList<>();
        for (FlowDetail fd : old.flows()) {
          List<AtomDetail> atoms = new java.util.ArrayList<>();
          for (AtomDetail ad : fd.atoms()) {
            atoms.add(ad.withRevision(0));
          }
          flows.add(fd.withAtoms(atoms).withRevision(0));
        }
        saveLogBook(old.withFlows(flows));
      } catch (RuntimeException restore) {
        e.addSuppressed(restore);
      }
      throw e;
    }
  }

  /**
   * What this store can hold (lengths, characters, times, sizes), so that a writer can check every
   * value before writing any. The default is {@link StoreLimits#NONE}.
   */
  default StoreLimits limits() {
    return StoreLimits.NONE;
  }

  /**
   * Checks, writing nothing, that this store can hold {@code book} exactly as it is: its {@link
   * #limits()}, and whatever else the backend knows it would refuse (a request size, say).
   *
   * @throws LimitExceededException naming the first record and field that does not fit
   * @throws InvalidTextException when a string holds a lone surrogate
   */
  default void checkStorable(LogBook book) {
    limits().check(book);
  }

  /**
   * Updates a stored flow detail's own fields and upserts every atom detail it carries. Atom
   * details stored but not carried are left alone (never deleted).
   *
   * @return the flow detail as written (carrying the atoms it was given, with new revisions)
   * @throws NotFoundException when the flow detail was never saved through its logbook
   * @throws ConflictException when a revision is stale (nothing is written)
   */
  FlowDetail updateFlowDetails(FlowDetail flowDetail);

  /**
   * Updates a stored atom detail.
   *
   * @return the atom detail as written, with its new revision
   * @throws NotFoundException when it was never saved through its flow detail
   * @throws ConflictException when its revision is stale (nothing is written)
   */
  AtomDetail updateAtomDetails(AtomDetail atomDetail);

  /**
   * Deletes a logbook with its flow details and their atom details.
   *
   * @throws NotFoundException when there is no such logbook
   */
  void destroyLogBook(String bookUuid);

  /** A logbook with all its flow and atom details. */
  default LogBook getLogBook(String bookUuid) {
    return getLogBook(bookUuid, false);
  }

  /**
   * A logbook; {@code lazy} leaves out its flow details.
   *
   * @throws NotFoundException when there is no such logbook
   */
  LogBook getLogBook(String bookUuid, boolean lazy);

  /** Every logbook, fully loaded, oldest first. */
  default List<LogBook> getLogBooks() {
    return getLogBooks(false);
  }

  /** Every logbook, oldest first; {@code lazy} leaves out their flow details. */
  List<LogBook> getLogBooks(boolean lazy);

  /**
   * The flow details of a logbook, fully loaded, in insertion order.
   *
   * @throws NotFoundException when there is no such logbook
   */
  List<FlowDetail> getFlowsForBook(String bookUuid);

  /** A flow detail with its atom details. */
  default FlowDetail getFlowDetails(String flowUuid) {
    return getFlowDetails(flowUuid, false);
  }

  /**
   * A flow detail; {@code lazy} leaves out its atom details.
   *
   * @throws NotFoundException when there is no such flow detail
   */
  FlowDetail getFlowDetails(String flowUuid, boolean lazy);

  /**
   * An atom detail.
   *
   * @throws NotFoundException when there is no such atom detail
   */
  AtomDetail getAtomDetails(String atomUuid);

  /**
   * The atom details of a flow detail, in insertion order.
   *
   * @throws NotFoundException when there is no such flow detail
   */
  List<AtomDetail> getAtomsForFlow(String flowUuid);

  /**
   * Registers a claim's token with the store: from now on a {@link #fenced(Fence) fenced
   * connection} is allowed to write only with this token (until a higher one is registered).
   * Idempotent for the same token. Call it after claiming a job and before reading its logbook, so
   * that whatever the previous owner manages to write before this call is seen, and nothing it
   * writes after it lands.
   *
   * @throws FencedException when the store already holds a higher token for {@code fence.key()}
   * @throws StorageException when the backend cannot fence
   */
  default void advanceFence(Fence fence) {
    throw new StorageException(
        "The " + backend().conf().backendName() + " backend does not support fencing");
  }

  /**
   * A view of this connection whose every write (save, update, destroy, clear) is refused with a
   * {@link FencedException} unless the store's token for {@code fence.key()} is still {@code
   * fence.token()}, checked atomically with the write. Reads are not checked. Closing the view
   * leaves this connection open.
   *
   * @throws StorageException when the backend cannot fence
   */
  default Connection fenced(Fence fence) {
    throw new StorageException(
        "The " + backend().conf().backendName() + " backend does not support fencing");
  }

  /**
   * The highest token the store holds for {@code key}, if any.
   *
   * @throws StorageException when the backend cannot fence
   */
  default java.util.OptionalLong fenceToken(String key) {
    throw new StorageException(
        "The " + backend().conf().backendName() + " backend does not support fencing");
  }

  /** Releases what this connection holds; the backend stays open. */
  @Override
  void close();
}
