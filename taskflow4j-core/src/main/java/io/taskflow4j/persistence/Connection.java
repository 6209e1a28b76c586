package io.taskflow4j.persistence;

import java.util.List;
import java.util.function.Consumer;

/**
 * Reads and writes the logbook tree of one {@link Backend}. Every method is safe to call from many
 * threads at once. Errors surface as {@link TaskFlowException}s: {@link NotFoundException}, {@link
 * ConflictException} and {@link StorageException} (which wraps the driver's exception); never a raw
 * driver exception.
 *
 * <p><b>Damaged records.</b> A stored record that cannot be parsed (a torn write of another
 * program, a disk error, a hand edit) fails the reads that need it with a {@link
 * CorruptRecordException} naming the record, where it is and why; every other read works. {@link
 * #forEachLogBook} reads past damaged records, reporting each, so a store with one damaged record
 * can still be listed, exported and resumed; {@link #destroyLogBook} and {@link #clearAll} never
 * parse what they delete, so a damaged logbook can be deleted.
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
   * As {@link #upgrade()}, saying what it did: created the store, upgraded it from an earlier
   * schema, adopted a store another program made, or nothing. Backends that do not report it return
   * {@link UpgradeResult#unreported()}.
   */
  default UpgradeResult upgradeWithResult() {
    upgrade();
    return UpgradeResult.unreported();
  }

  /**
   * Checks that the store is reachable and usable.
   *
   * @throws StorageException saying what is wrong
   */
  void validate();

  /**
   * Deletes every logbook, flow detail and atom detail, damaged ones included (nothing is parsed).
   */
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
   * Updates several stored atom details together: all of them or none, in one commit, when {@link
   * #updatesAtomsTogether()} says so. An engine running its atoms one after another writes a
   * finished atom's result with the next atom's RUNNING marker this way, one commit (and one sync)
   * per atom instead of two.
   *
   * <p>The default, for backends that cannot, writes them one by one in the order given: a refusal
   * leaves the ones before it written.
   *
   * @return the atom details as written, in the order given, each with its new revision
   * @throws NotFoundException when one was never saved through its flow detail
   * @throws ConflictException when a revision is stale
   */
  default java.util.List<AtomDetail> updateAtomDetails(java.util.List<AtomDetail> atomDetails) {
    java.util.List<AtomDetail> out = new java.util.ArrayList<>(atomDetails.size());
    for (AtomDetail ad : atomDetails) {
      out.add(updateAtomDetails(ad));
    }
    return out;
  }

  /**
   * Whether {@link #updateAtomDetails(java.util.List)} writes all the details or none, in one
   * commit. The default is {@code false}.
   */
  default boolean updatesAtomsTogether() {
    return false;
  }

  /**
   * Deletes a logbook with its flow details and their atom details. Works on a damaged logbook: the
   * records are deleted by their keys, never parsed, whichever of them is damaged.
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
   * @throws CorruptRecordException when its record, or (unless lazy) one of its flow or atom
   *     details, is damaged
   */
  LogBook getLogBook(String bookUuid, boolean lazy);

  /** Every logbook, fully loaded, oldest first. */
  default List<LogBook> getLogBooks() {
    return getLogBooks(false);
  }

  /**
   * Every logbook, oldest first; {@code lazy} leaves out their flow details. Holds the whole store
   * in memory and fails as a whole on one damaged record: {@link #forEachLogBook} does neither.
   *
   * @throws CorruptRecordException when a record it needs is damaged
   */
  List<LogBook> getLogBooks(boolean lazy);

  /**
   * Reads every logbook, oldest first (as {@link #getLogBooks(boolean)} orders them), handing each
   * to {@code books} as soon as it is read, and reads past damaged records: a book whose own record
   * is damaged, or (unless {@code lazy}) one of whose flow or atom details is, is not handed over;
   * each damaged record met goes to {@code damaged} instead (a book may yield several), naming its
   * book, and the scan goes on with the next book. So one damaged record never hides the rest of
   * the store.
   *
   * <p>The store is read a part at a time, never whole: what each backend holds at once is said in
   * its documentation (the built-in ones: at most one page of books with their details, plus, for
   * those that must sort, one uuid and creation time per book). The consumers run on the calling
   * thread, while the backend holds no lock and no connection, so they may use this connection
   * (read, write, delete the book just handed over). A book saved or deleted during the scan may or
   * may not be seen; a book is never handed over twice. An exception a consumer throws ends the
   * scan and propagates.
   *
   * <p>The default implementation, for backends that do not override it, lists the books with
   * {@code getLogBooks(true)} and then reads each one with {@link #getLogBook(String, boolean)}: it
   * holds every book's own record at once, and when the listing itself meets a damaged logbook
   * record, that is all it can report.
   *
   * @param lazy leave out the flow details (and do not read them)
   * @param books receives each readable book, in order
   * @param damaged receives each damaged record met
   * @throws StorageException when the store cannot be read at all (not for a damaged record)
   */
  default void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    java.util.Objects.requireNonNull(books, "books");
    java.util.Objects.requireNonNull(damaged, "damaged");
    List<LogBook> listed;
    try {
      listed = getLogBooks(true);
    } catch (CorruptRecordException e) {
      damaged.accept(e);
      return;
    }
    for (LogBook b : listed) {
      if (lazy) {
        books.accept(b);
        continue;
      }
      LogBook full;
      try {
        full = getLogBook(b.uuid(), false);
      } catch (NotFoundException deletedMeanwhile) {
        continue;
      } catch (CorruptRecordException e) {
        damaged.accept(e.inBook(b.uuid()));
        continue;
      }
      books.accept(full);
    }
  }

  /**
   * The flow details of a logbook, fully loaded, in insertion order.
   *
   * @throws NotFoundException when there is no such logbook
   * @throws CorruptRecordException when one of the records is damaged
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
   * @throws CorruptRecordException when it, or (unless lazy) one of its atoms, is damaged
   */
  FlowDetail getFlowDetails(String flowUuid, boolean lazy);

  /**
   * An atom detail.
   *
   * @throws NotFoundException when there is no such atom detail
   * @throws CorruptRecordException when it is damaged
   */
  AtomDetail getAtomDetails(String atomUuid);

  /**
   * The atom details of a flow detail, in insertion order.
   *
   * @throws NotFoundException when there is no such flow detail
   */
  List<AtomDetail> getAtomsForFlow(String flowUuid);

  /**
   * One page of the flow details that {@code query} selects, newest first (see {@link FlowQuery}),
   * each as a {@link FlowSummary}: no atom detail is returned, and the built-in backends read none
   * (they count them). Damaged records are left out (see {@link #forEachLogBook}).
   *
   * <p>What it costs, on the built-in backends: on SQL, an indexed query; in memory, a pass over
   * the flows; on a directory and on ZooKeeper, a scan of every flow record (not of the atom
   * records except for the flows of the page), holding at most one page at a time. The default, for
   * other backends, reads every logbook in full with {@link #forEachLogBook}, one at a time.
   *
   * @throws StorageException when the store cannot be read
   */
  default FlowPage findFlows(FlowQuery query) {
    return findFlows(query, damaged -> {});
  }

  /**
   * As {@link #findFlows(FlowQuery)}, handing each damaged record the listing met (and left out) to
   * {@code damaged}, as {@link #forEachLogBook} does: on a directory or ZooKeeper store a flow or
   * logbook record that does not parse; on SQL stores the listing parses no record, so a damaged
   * one is met only when the flow is read. Backends override this method (the one-argument form
   * calls it).
   *
   * @throws StorageException when the store cannot be read
   */
  default FlowPage findFlows(FlowQuery query, Consumer<? super CorruptRecordException> damaged) {
    java.util.Objects.requireNonNull(query, "query");
    java.util.Objects.requireNonNull(damaged, "damaged");
    io.taskflow4j.persistence.spi.FlowPageCollector page =
        new io.taskflow4j.persistence.spi.FlowPageCollector(query);
    forEachLogBook(
        false,
        book -> {
          for (FlowDetail fd : book.flows()) {
            page.offer(FlowSummary.of(book, fd));
          }
        },
        damaged);
    return page.page();
  }

  /**
   * How many flow details {@code query}'s filters select, by state (states with none are left out);
   * its limit and cursor are ignored. Costs what {@link #findFlows} costs, without reading atom
   * details on any built-in backend.
   *
   * @throws StorageException when the store cannot be read
   */
  default java.util.Map<FlowState, Long> countFlows(FlowQuery query) {
    java.util.Objects.requireNonNull(query, "query");
    java.util.Map<FlowState, Long> counts = new java.util.EnumMap<>(FlowState.class);
    forEachLogBook(
        false,
        book -> {
          for (FlowDetail fd : book.flows()) {
            FlowSummary s = FlowSummary.of(book, fd);
            if (query.matches(s)) {
              counts.merge(s.state(), 1L, Long::sum);
            }
          }
        },
        damaged -> {});
    return counts;
  }

  /**
   * Deletes a flow detail with its atom details from its logbook, whatever its state; the logbook
   * stays (see {@link #destroyLogBookIfEmpty}). Unconditional: {@code destroyFlowDetail(uuid, 0)}.
   *
   * <p>A store knows nothing of the jobboards whose jobs may refer to the flow: to delete only what
   * no job refers to, use {@code io.taskflow4j.retention.Pruner}, which asks the boards first.
   *
   * @throws NotFoundException when there is no such flow detail
   */
  default void destroyFlowDetail(String flowUuid) {
    destroyFlowDetail(flowUuid, 0);
  }

  /**
   * Deletes a flow detail with its atom details, if its stored revision is still {@code revision}
   * (checked atomically with the delete by the built-in backends; {@code 0} deletes whatever the
   * revision). So a caller that decided from a {@link FlowSummary} that a flow is finished never
   * deletes it after another process has moved it on (a resume setting it RUNNING changes its
   * revision).
   *
   * <p>The default, for other backends, finds the flow's logbook by reading the store, checks the
   * revision and replaces the logbook without the flow: it is not atomic, and a backend should
   * override it.
   *
   * @throws NotFoundException when there is no such flow detail
   * @throws ConflictException when its revision is no longer {@code revision} (nothing is deleted)
   */
  default void destroyFlowDetail(String flowUuid, long revision) {
    java.util.Objects.requireNonNull(flowUuid, "flowUuid");
    LogBook[] found = new LogBook[1];
    forEachLogBook(
        false,
        book -> {
          if (found[0] == null && book.find(flowUuid).isPresent()) {
            found[0] = book;
          }
        },
        damaged -> {});
    if (found[0] == null) {
      throw new NotFoundException("No flow detail with uuid " + flowUuid);
    }
    LogBook book = found[0];
    FlowDetail fd = book.find(flowUuid).orElseThrow();
    if (revision > 0 && fd.revision() != revision) {
      throw new ConflictException(
          "Flow detail "
              + flowUuid
              + " is at revision "
              + fd.revision()
              + ", not "
              + revision
              + ": another writer changed it; nothing was deleted");
    }
    List<FlowDetail> rest = new java.util.ArrayList<>(book.flows());
    rest.remove(fd);
    replaceLogBook(book.withFlows(rest));
  }

  /**
   * Deletes several flow details with their atom details, each only if its stored revision is still
   * the one given ({@code 0}: whatever it is), in as few writes as the backend can: the SQL
   * backends in one transaction, so a prune of many flows costs one commit per batch. A flow that
   * changed or is gone is left as it is. What a pruner uses; {@link
   * io.taskflow4j.persistence.spi.ForwardingConnection} does not forward it, so a decorator's
   * {@link #destroyFlowDetail(String, long)} sees every delete.
   *
   * <p>The default deletes them one by one with {@link #destroyFlowDetail(String, long)}.
   *
   * @param revisions the revision each flow detail must still have, by uuid
   * @return the uuids of the flow details deleted
   */
  default java.util.Set<String> destroyFlowDetails(java.util.Map<String, Long> revisions) {
    java.util.Objects.requireNonNull(revisions, "revisions");
    java.util.Set<String> deleted = new java.util.LinkedHashSet<>();
    for (java.util.Map.Entry<String, Long> e : revisions.entrySet()) {
      try {
        destroyFlowDetail(e.getKey(), e.getValue() == null ? 0 : e.getValue());
        deleted.add(e.getKey());
      } catch (ConflictException | NotFoundException changedOrGone) {
        // left as it is
      }
    }
    return deleted;
  }

  /**
   * Deletes a logbook if it holds no flow detail, checked atomically with the delete by the
   * built-in backends (a flow added meanwhile keeps the book). The default, for other backends,
   * checks and then deletes.
   *
   * @return whether the logbook was deleted (false: it holds flows, or there is no such logbook)
   */
  default boolean destroyLogBookIfEmpty(String bookUuid) {
    java.util.Objects.requireNonNull(bookUuid, "bookUuid");
    try {
      if (!getLogBook(bookUuid, false).flows().isEmpty()) {
        return false;
      }
      destroyLogBook(bookUuid);
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

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
   * As {@link #fenced(Fence)}, and where this store knows {@code onFinalState} (a jobboard's
   * completion of the job that runs the flow, see {@link
   * io.taskflow4j.jobs.Jobboard#fencedCompleting}), the view does it in the same transaction as its
   * write of that flow's final state, and tells it once that write is stored. The default, for a
   * store that knows no such work, is {@code fenced(fence)}: the work is then never done nor told,
   * and whoever asked for it does it on its own.
   *
   * @throws StorageException when the backend cannot fence
   */
  default Connection fenced(
      Fence fence, io.taskflow4j.persistence.spi.FinalStateWork onFinalState) {
    java.util.Objects.requireNonNull(onFinalState, "onFinalState");
    return fenced(fence);
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

  /**
   * Whether this connection retries transient failures of its own writes (a lost connection, a
   * deadlock, a busy database, an expired session) and finds out itself whether a write whose reply
   * was lost was applied. When it does, {@code Storage} makes each write once and leaves retrying
   * to it; when it does not (the default), {@code Storage} retries a failed write with its own
   * policy ({@code StorageOptions.writeAttempts()}). Either way each write has exactly one retry
   * policy. A connection that decorates another answers as the one it writes through.
   */
  default boolean retriesTransientErrors() {
    return false;
  }

  /** Releases what this connection holds; the backend stays open. */
  @Override
  void close();
}
