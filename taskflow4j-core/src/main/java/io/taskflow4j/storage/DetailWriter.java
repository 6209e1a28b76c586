package io.taskflow4j.storage;

import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.internal.Timestamps;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the next detail of an atom or of the flow detail and writes it first: the in-memory value
 * is replaced by the stored one only when the {@link StoreWriter} returns it, and a change that
 * changes nothing is not written.
 */
final class DetailWriter {
  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  /** A change of one atom's detail; returns its argument when nothing changes. */
  @FunctionalInterface
  interface AtomChange {
    AtomDetail apply(AtomDetail current);
  }

  /** A change of the flow detail's own fields. */
  @FunctionalInterface
  interface FlowChange {
    FlowDetail apply(FlowDetail current);
  }

  private final AtomTable table;
  private final StoreWriter store;
  private final StorageOptions options;

  /** Serialises writes of the flow detail's own fields (held with the structure read lock). */
  private final ReentrantLock flowLock = new ReentrantLock();

  /** The flow detail's own fields (no atoms), as last written or read. */
  private volatile FlowDetail header;

  /**
   * A finished atom's result held back to share the next write's commit (see {@link #hold}); {@code
   * lost} is told when its write failed.
   */
  private record Held(
      AtomEntry entry, AtomDetail updated, Runnable afterWrite, Consumer<Throwable> lost) {}

  /**
   * Whether the next {@link #writeCreated} is deferred ({@link #deferCreated}), and the entries it
   * deferred, not yet written: only ever set before a run starts, on the thread that starts it, and
   * written by the next write, so no lock guards them.
   */
  private volatile boolean deferNextCreated;

  private volatile NameIndex<AtomEntry> pendingCreated;

  /**
   * A run's new flow state held back with the entries {@link #deferCreated} left ({@link
   * #holdFlowState}), and what runs once it is written; {@code null} when none. Set and cleared
   * with {@link #flowLock} held, and only while {@link #pendingCreated} is set.
   */
  private record HeldState(FlowState state, Runnable afterWrite) {}

  private volatile HeldState heldState;

  /**
   * The held results, one per thread that holds one: a parallel run's workers each hold their
   * task's result until their own next RUNNING marker.
   */
  private final ConcurrentHashMap<Thread, Held> held = new ConcurrentHashMap<>();

  DetailWriter(AtomTable table, StoreWriter store, StorageOptions options, FlowDetail header) {
    this.table = table;
    this.store = store;
    this.options = options;
    this.header = header;
  }

  /** The flow detail's own fields (no atoms). */
  FlowDetail header() {
    return header;
  }

  /** Deletes the flow detail as last written (see {@link Storage#discard}). */
  boolean discard(String bookUuid) {
    writeHeldBack();
    return store.discard(header, bookUuid);
  }

  /** The time now, as stored in metadata. */
  String now() {
    return Timestamps.iso(options.clock().instant());
  }

  /** A new entry for {@code spec} with a new uuid (see {@link StoreWriter#newEntry}). */
  AtomEntry newEntry(AtomSpec spec, String name, int ordinal) {
    return store.newEntry(spec, name, ordinal, options.uuidSupplier().get());
  }

  /**
   * Writes the details of new entries in one write (structure write lock held); after {@link
   * #deferCreated}, leaves them for the next write instead.
   */
  void writeCreated(NameIndex<AtomEntry> created) {
    flushHeld();
    if (deferNextCreated && pendingCreated == null) {
      deferNextCreated = false;
      pendingCreated = created;
      return;
    }
    flushCreated();
    header = store.writeCreated(header, created);
  }

  /**
   * Lets the next {@link #writeCreated} leave its entries to the next write of the flow detail's
   * state ({@link #changeFlowState}), which then carries them; any other write writes them first.
   * Only where the store writes a flow detail and its new atoms in one write (a backend).
   */
  void deferCreated() {
    if (store.writesCreatedWithFlow()) {
      deferNextCreated = true;
    }
  }

  /** Ends {@link #deferCreated} when the call it was meant for made no entries. */
  void stopDeferring() {
    deferNextCreated = false;
  }

  /**
   * Writes all that waits for a later write, before a write that cannot carry it: the entries
   * {@link #deferCreated} left, then a held result ({@link #hold}).
   */
  void writeHeldBack() {
    flushCreated();
    flushHeld();
  }

  /**
   * Writes the entries {@link #deferCreated} left unwritten, if any, with the flow state {@link
   * #holdFlowState} held back with them, whose {@code afterWrite} then runs. When that write fails,
   * the held state is dropped (neither written nor announced) and the entries still wait.
   */
  void flushCreated() {
    deferNextCreated = false;
    if (pendingCreated == null) {
      return;
    }
    HeldState hs;
    flowLock.lock();
    try {
      NameIndex<AtomEntry> p = pendingCreated;
      if (p == null) {
        return; // another thread wrote them meanwhile
      }
      hs = heldState;
      heldState = null;
      header = store.writeCreated(hs == null ? header : header.withState(hs.state()), p);
      pendingCreated = null;
    } finally {
      flowLock.unlock();
    }
    if (hs != null) {
      hs.afterWrite().run();
    }
  }

  /**
   * Holds the flow's change to {@code state} back with the new atoms {@link #deferCreated} left,
   * for this storage's next write: when that write is the RUNNING marker of one of those atoms
   * ({@link #markRunning}), one write carries the state, the atoms and the marker; any other write
   * writes the state and the atoms first. {@code afterWrite} runs once the state is written, never
   * when its write fails.
   *
   * @return whether the change is held; {@code false} (nothing changed) when no new atoms wait, a
   *     result is held, or the transition changes nothing
   * @throws io.taskflow4j.persistence.InvalidStateException when the transition is not allowed
   */
  boolean holdFlowState(FlowState state, Runnable afterWrite) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(afterWrite, "afterWrite");
    if (pendingCreated == null || !held.isEmpty()) {
      return false;
    }
    flowLock.lock();
    try {
      if (pendingCreated == null
          || heldState != null
          || !FlowState.checkTransition(header.state(), state)) {
        return false;
      }
      heldState = new HeldState(state, afterWrite);
      return true;
    } finally {
      flowLock.unlock();
    }
  }

  /** The flow's state: the one {@link #holdFlowState} holds, else the one last written or read. */
  FlowState flowState() {
    HeldState hs = heldState;
    return hs != null ? hs.state() : header.state();
  }

  /**
   * Writes the state {@link #holdFlowState} holds and the new atoms with atom {@code name} RUNNING
   * (with {@code metaEntries}) in one write, when {@code name} is one of those atoms and no result
   * is held; then runs the state's {@code afterWrite}.
   *
   * @return whether it wrote; {@code false}: nothing written
   */
  private boolean startWith(String name, Map<String, ?> metaEntries) {
    HeldState hs;
    table.structure.readLock().lock();
    flowLock.lock();
    try {
      hs = heldState;
      NameIndex<AtomEntry> p = pendingCreated;
      AtomEntry e = p == null ? null : p.get(name);
      if (hs == null || e == null || !held.isEmpty()) {
        return false;
      }
      heldState = null;
      AtomDetail before = e.detail();
      e.detail = stateWithMeta(before, AtomState.RUNNING, metaEntries);
      try {
        header = store.writeCreated(header.withState(hs.state()), p);
      } catch (RuntimeException | Error failed) {
        e.detail = before; // the atoms wait, as created; the state is dropped
        throw failed;
      }
      pendingCreated = null;
    } finally {
      flowLock.unlock();
      table.structure.readLock().unlock();
    }
    hs.afterWrite().run();
    return true;
  }

  /**
   * Writes new atom details in one flow-detail write carrying only them (structure write lock
   * held); {@code what} names them in messages.
   *
   * @return the flow detail as written, with the stored details
   */
  FlowDetail writeNewAtoms(String what, List<AtomDetail> details) {
    writeHeldBack();
    FlowDetail written = store.writeFlow(header.withAtoms(details), what);
    header = written.withoutAtoms();
    return written;
  }

  /**
   * Applies {@code change} to an atom's detail and writes it (unless nothing changed), holding the
   * structure read lock and the atom's lock; the in-memory detail changes only after the write. A
   * held result ({@link #hold}) is written first, alone.
   */
  AtomDetail updateAtom(String name, AtomChange change, Failure liveExec, Failure liveRevert) {
    flushHeld();
    return update(name, change, liveExec, liveRevert, null);
  }

  /**
   * As {@link #updateAtom}, writing {@code h} (a held result of another atom, or {@code null}) in
   * the same commit; {@code h} is stored, and its {@code afterWrite} run, only if the write is.
   */
  private AtomDetail update(
      String name, AtomChange change, Failure liveExec, Failure liveRevert, Held h) {
    flushCreated(); // an atom's write needs its detail stored
    AtomDetail out;
    boolean heldWritten = false;
    table.structure.readLock().lock();
    try {
      AtomEntry e = table.entry(name);
      synchronized (e) {
        AtomDetail current = e.detail();
        AtomDetail updated = change.apply(current);
        if (updated.equals(current)) {
          out = current;
        } else {
          AtomDetail written;
          if (h == null) {
            written = store.writeAtom(updated, header.name());
          } else {
            List<AtomDetail> both;
            try {
              both = store.writeAtoms(List.of(h.updated(), updated), header.name());
            } catch (RuntimeException | Error failed) {
              h.lost().accept(failed);
              throw failed;
            }
            recordWritten(h.entry(), both.get(0));
            heldWritten = true;
            written = both.get(1);
          }
          e.written(written, liveExec, liveRevert);
          table.trackFailures(e, written);
          out = written;
        }
      }
    } finally {
      table.structure.readLock().unlock();
    }
    if (h != null) {
      if (heldWritten) {
        h.afterWrite().run();
      } else {
        writeHeld(h); // nothing to write for this atom: the held result goes alone
      }
    }
    return out;
  }

  private void recordWritten(AtomEntry entry, AtomDetail written) {
    synchronized (entry) {
      entry.written(written, null, null);
      table.trackFailures(entry, written);
    }
  }

  /**
   * Holds back the SUCCESS of task {@code name} (its {@code result} and {@code metaEntries}) so
   * that it shares the commit of this storage's next write: the next RUNNING marker of another atom
   * is written together with it ({@link #markRunning}), any other call writes it first, alone.
   * {@code afterWrite} runs once it is stored, never when its write fails. Where the store cannot
   * write two atoms together, it is written at once.
   *
   * @throws InvalidResultException when the result cannot be represented as JSON (nothing is held)
   */
  void hold(
      String name,
      Object result,
      Map<String, ?> metaEntries,
      Runnable afterWrite,
      Consumer<Throwable> lost) {
    Held mine = takeHeld();
    if (mine != null) {
      writeHeld(mine);
    }
    AtomEntry e = table.entry(name);
    if (!store.writesAtomsTogether() || e.kind != AtomKind.TASK) {
      save(name, result, AtomState.SUCCESS, metaEntries);
      afterWrite.run();
      return;
    }
    Object value = normalizeResult(name, result);
    boolean changed;
    table.structure.readLock().lock();
    try {
      synchronized (e) {
        AtomDetail current = e.detail();
        AtomDetail updated =
            current.put(AtomState.SUCCESS, value, mergedMeta(current, metaEntries));
        changed = !updated.equals(current);
        if (changed) {
          warnIfMissingProvides(e, updated, value);
          held.put(Thread.currentThread(), new Held(e, updated, afterWrite, lost));
        }
      }
    } finally {
      table.structure.readLock().unlock();
    }
    if (!changed) {
      afterWrite.run();
    }
  }

  /** Writes every held result now, if there is one (see {@link #hold}). */
  void flushHeld() {
    flushHeldBut(null);
  }

  /** Writes the held results of every thread but {@code keep} (none: every thread). */
  private void flushHeldBut(Thread keep) {
    if (held.isEmpty()) {
      return;
    }
    for (Thread t : held.keySet()) {
      Held h = t == keep ? null : held.remove(t);
      if (h != null) {
        writeHeld(h);
      }
    }
  }

  /** As {@link #flushHeld()}, only for a held result of atom {@code name}. */
  void flushHeldFor(String name) {
    if (held.isEmpty()) {
      return;
    }
    for (Map.Entry<Thread, Held> e : held.entrySet()) {
      if (e.getValue().entry().name.equals(name) && held.remove(e.getKey(), e.getValue())) {
        writeHeld(e.getValue());
      }
    }
  }

  /** The result this thread holds, taken from the holds; {@code null} when none. */
  private Held takeHeld() {
    return held.isEmpty() ? null : held.remove(Thread.currentThread());
  }

  private void writeHeld(Held h) {
    try {
      flushCreated();
      table.structure.readLock().lock();
      try {
        synchronized (h.entry()) {
          recordWritten(h.entry(), store.writeAtom(h.updated(), header.name()));
        }
      } finally {
        table.structure.readLock().unlock();
      }
    } catch (RuntimeException | Error failed) {
      h.lost().accept(failed);
      throw failed;
    }
    h.afterWrite().run();
  }

  /**
   * Sets atom {@code name} RUNNING with {@code metaEntries}, in one write with a held result of
   * another atom if there is one ({@link #hold}).
   */
  void markRunning(String name, Map<String, ?> metaEntries) {
    table.entry(name); // an unknown name fails here, before the held result is taken
    if (heldState != null && startWith(name, metaEntries)) {
      return; // written with the run's start
    }
    Held h = takeHeld();
    if (h != null && h.entry().name.equals(name)) {
      writeHeld(h);
      h = null;
    }
    update(name, d -> stateWithMeta(d, AtomState.RUNNING, metaEntries), null, null, h);
  }

  /** See {@link Storage#setAtomState(String, AtomState, Map)}. */
  void setAtomState(String name, AtomState state, Map<String, ?> metaEntries) {
    Objects.requireNonNull(state, "state");
    updateAtom(name, d -> stateWithMeta(d, state, metaEntries), null, null);
  }

  /** See {@link Storage#setAtomIntention}. */
  void setAtomIntention(String name, Intention intention) {
    Objects.requireNonNull(intention, "intention");
    updateAtom(name, d -> d.withIntention(intention), null, null);
  }

  /** See {@link Storage#updateAtomMetadata}. */
  void updateAtomMetadata(String name, Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      table.entry(name);
      return;
    }
    updateAtom(name, d -> withMeta(d, entries), null, null);
  }

  /** See {@link Storage#setTaskProgress}. */
  void setTaskProgress(String name, double progress, Map<String, ?> details) {
    Map<String, Object> update = new LinkedHashMap<>();
    update.put(AtomDetail.META_PROGRESS, progress);
    if (details != null) {
      if (details.isEmpty()) {
        update.put(AtomDetail.META_PROGRESS_DETAILS, null);
      } else {
        Map<String, Object> pd = new LinkedHashMap<>();
        pd.put("at_progress", progress);
        pd.put("details", details);
        update.put(AtomDetail.META_PROGRESS_DETAILS, pd);
      }
    }
    requireTask(table.entry(name));
    updateAtom(name, d -> withMeta(d, update), null, null);
  }

  static AtomEntry requireTask(AtomEntry e) {
    if (e.kind != AtomKind.TASK) {
      throw new IllegalArgumentException(
          "atom '" + e.name + "' is a retry; progress is kept for tasks only");
    }
    return e;
  }

  /** See {@link Storage#save(String, Object, AtomState, Map)}. */
  void save(String name, Object result, AtomState state, Map<String, ?> metaEntries) {
    Objects.requireNonNull(state, "state");
    Object value;
    Failure live = null;
    if (state == AtomState.FAILURE || state == AtomState.REVERT_FAILURE) {
      if (!(result instanceof Failure f)) {
        throw new IllegalArgumentException(
            "saving atom '"
                + name
                + "' in state "
                + state
                + " needs a Failure, not "
                + (result == null ? "null" : result.getClass().getName()));
      }
      value = f;
      live = f;
    } else {
      value = normalizeResult(name, result);
    }
    Failure liveExec = state == AtomState.FAILURE ? live : null;
    Failure liveRevert = state == AtomState.REVERT_FAILURE ? live : null;
    AtomDetail written =
        updateAtom(
            name,
            d -> {
              AtomDetail u = d.put(state, value, mergedMeta(d, metaEntries));
              if (state == AtomState.SUCCESS && u instanceof RetryDetail r) {
                // The new attempt's info goes with it, in the same write (see AttemptInfo).
                Object started = d.meta().get(AtomDetail.META_STARTED_AT);
                u = AttemptInfo.appendStarted(r, started instanceof String st ? st : now());
              }
              return u;
            },
            liveExec,
            liveRevert);
    if (state == AtomState.SUCCESS) {
      warnIfMissingProvides(table.entry(name), written, value);
    }
  }

  private static void warnIfMissingProvides(AtomEntry e, AtomDetail written, Object value) {
    if (written.intention() == Intention.EXECUTE && written instanceof TaskDetail) {
      Set<String> missing = e.providesWhole() ? Set.of() : e.mapping().missingIn(value);
      if (!missing.isEmpty() && LOG.isWarnEnabled()) {
        LOG.warn(
            "Atom '{}' did not supply result with names {} it says it provides", e.name, missing);
      }
    }
  }

  /**
   * {@code result} as stored.
   *
   * @throws InvalidResultException when it cannot be represented as JSON
   */
  static Object normalizeResult(String name, Object result) {
    try {
      return Json.normalize(result);
    } catch (IllegalArgumentException e) {
      throw new InvalidResultException(
          name,
          "The result of atom '"
              + name
              + "' cannot be stored: "
              + e.getMessage()
              + ". Return JSON values (maps, lists, strings, numbers, booleans, null) or a"
              + " bean Jackson can serialise",
          e);
    }
  }

  /** See {@link Storage#reset}. */
  void reset(String name, AtomState state) {
    Objects.requireNonNull(state, "state");
    if (Storage.INJECTOR_NAME.equals(name)) {
      return;
    }
    updateAtom(
        name,
        d -> {
          if (d.state() == state) {
            return d;
          }
          AtomDetail r = d.reset(state);
          // A reset retry has no attempts left; its attempt infos go with them.
          return r instanceof RetryDetail rd ? AttemptInfo.cleared(rd) : r;
        },
        null,
        null);
  }

  private static AtomDetail withMeta(AtomDetail d, Map<String, ?> entries) {
    return entries == null || entries.isEmpty() ? d : d.withMeta(mergedMeta(d, entries));
  }

  /** {@code d}'s meta with {@code entries} put over it. */
  private static Map<String, ?> mergedMeta(AtomDetail d, Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return d.meta();
    }
    try {
      return Json.merge(d.meta(), entries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "metadata of atom '" + d.name() + "' cannot be stored: " + e.getMessage(), e);
    }
  }

  /**
   * {@code d} in state {@code s} with {@code entries} put over its meta, in one copy (a state that
   * records no outcome changes nothing else, see {@link AtomDetail#put(AtomState, Object)}).
   */
  private static AtomDetail stateWithMeta(AtomDetail d, AtomState s, Map<String, ?> entries) {
    return switch (s) {
      case SUCCESS, FAILURE, REVERTED, REVERT_FAILURE -> withMeta(d.withState(s), entries);
      default -> d.put(s, null, mergedMeta(d, entries));
    };
  }

  // ---------------------------------------------------------------- the flow detail's own fields

  /** A task's progress ({@code 0.0} when never reported). */
  double taskProgress(String name) {
    AtomEntry e = requireTask(table.entry(name));
    return e.detail().meta().get(AtomDetail.META_PROGRESS) instanceof Number n
        ? n.doubleValue()
        : 0.0;
  }

  /** A task's last progress details ({@code {at_progress, details}}), or {@code null}. */
  @SuppressWarnings("unchecked")
  Map<String, Object> taskProgressDetails(String name) {
    AtomEntry e = requireTask(table.entry(name));
    return e.detail().meta().get(AtomDetail.META_PROGRESS_DETAILS) instanceof Map<?, ?> m
        ? (Map<String, Object>) m
        : null;
  }

  /** Sets the flow's state (no write when unchanged). */
  void setFlowState(FlowState state) {
    java.util.Objects.requireNonNull(state, "state");
    updateFlow(h -> h.withState(state));
  }

  /** Puts {@code entries} into the flow's metadata ({@code null} or empty: nothing happens). */
  void updateFlowMetadata(Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return;
    }
    updateFlow(h -> h.withMetaEntries(entries));
  }

  /** Writes {@code change} of the flow detail's own fields, unless it changes nothing. */
  void updateFlow(FlowChange change) {
    writeHeldBack();
    table.structure.readLock().lock();
    flowLock.lock();
    try {
      writeFlow(change.apply(header));
    } finally {
      flowLock.unlock();
      table.structure.readLock().unlock();
    }
  }

  /** See {@link Storage#changeFlowState}. */
  boolean changeFlowState(FlowState state) {
    Objects.requireNonNull(state, "state");
    if (heldState != null) {
      flushCreated(); // the held state first, with its atoms
    }
    flushHeldBut(Thread.currentThread()); // other threads' results come before the flow's state
    Held h = takeHeld();
    NameIndex<AtomEntry> created = pendingCreated;
    if (created != null && h != null) {
      flushCreated(); // never both before a run's first write; if so, the atoms first
      created = null;
    }
    boolean changed;
    boolean joint = false;
    ConflictException refused = null;
    table.structure.readLock().lock();
    flowLock.lock();
    try {
      changed = FlowState.checkTransition(header.state(), state);
      if (changed) {
        FlowDetail updated = header.withState(state);
        if (created != null) {
          // A run's new atoms and its RUNNING state: one write of the flow detail carrying them.
          header = store.writeCreated(updated, created);
          pendingCreated = null;
        } else if (h == null) {
          writeFlow(updated);
        } else if (!updated.equals(header)) {
          // A run's last result and its final state: one write of the flow detail carrying it.
          try {
            FlowDetail written =
                store.writeFlow(
                    updated.withAtoms(List.of(h.updated())),
                    "atom detail '" + h.entry().name + "' with the flow's state");
            recordWritten(h.entry(), written.find(h.updated().uuid()).orElseThrow());
            header = written.withoutAtoms();
            joint = true;
          } catch (ConflictException e) {
            // Another writer changed the flow's own record: the result is still this run's to
            // record, alone (below), as before the state; the caller decides about the state.
            refused = e;
          } catch (RuntimeException | Error failed) {
            h.lost().accept(failed);
            throw failed;
          }
        }
      }
    } finally {
      flowLock.unlock();
      table.structure.readLock().unlock();
    }
    if (h != null) {
      if (joint) {
        h.afterWrite().run();
      } else {
        writeHeld(h); // the flow's state was not written: the result alone
      }
    }
    if (refused != null) {
      throw refused;
    }
    // Unchanged (an ignored transition while preparing): deferred atoms wait for the next write.
    return changed;
  }

  /** Writes the flow detail's own fields (flow lock held), unless unchanged. */
  private void writeFlow(FlowDetail updated) {
    if (updated.equals(header)) {
      return;
    }
    header = store.writeFlow(updated, null).withoutAtoms();
  }

  /** See {@link Storage#finishOverChangedFlow}. */
  boolean finishOverChangedFlow(FlowState state) {
    if (!state.isFinished()) {
      throw new IllegalArgumentException("not a final state: " + state);
    }
    writeHeldBack();
    table.structure.readLock().lock();
    flowLock.lock();
    try {
      FlowDetail stored = store.readFlow(header.uuid());
      if (stored == null || stored.size() != table.size()) {
        return false; // null: nothing else writes the private store
      }
      for (AtomDetail ad : stored.atoms()) {
        // Revisions move on with every write, so an equal one means nobody wrote the atom since.
        AtomEntry e = table.get(ad.name());
        if (e == null
            || !ad.uuid().equals(e.uuid())
            || ad.revision() != e.detail().revision()
            || ad.revision() == 0) {
          return false;
        }
      }
      try {
        header = store.writeFlow(stored.withoutAtoms().withState(state), null).withoutAtoms();
      } catch (ConflictException again) {
        return false;
      }
      return true;
    } finally {
      flowLock.unlock();
      table.structure.readLock().unlock();
    }
  }
}
