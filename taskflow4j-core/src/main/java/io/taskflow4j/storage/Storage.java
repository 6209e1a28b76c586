package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's only door to persistence: reads and writes the state, results, failures and metadata
 * of one flow detail and its atoms, with TaskFlow's semantics.
 *
 * <p><b>Write first.</b> Every change is built as a new immutable value, written through the {@link
 * Connection}, and only when the write returns is the in-memory value replaced by the returned one
 * (which carries the backend's new revision). A failed write changes nothing in memory. A write
 * failing with a {@link StorageException} is retried ({@link StorageOptions#writeAttempts()}, with
 * backoff), unless the connection {@link Connection#retriesTransientErrors() retries its own
 * transient errors} (then it is made once: each write has one retry policy), and then surfaces as a
 * {@link StorageException}; a {@link ConflictException} (another writer changed the record) is
 * never retried. Writes that would change nothing are not made.
 *
 * <p><b>Threads.</b> Safe for many engine threads. Each operation costs O(1) in the number of atoms
 * (atom details are kept in maps by name); writes to different atoms proceed in parallel, writes to
 * one atom are serialised.
 *
 * <p><b>Failures.</b> A failure saved in this process keeps its live exception: reads return that
 * live {@link Failure} as long as the stored one {@link Failure#matches matches} it, so the engine
 * can re-raise the original exception.
 */
public final class Storage implements AutoCloseable {
  /** The name of the task detail that holds values injected persistently at flow level. */
  public static final String INJECTOR_NAME = "_TaskFlow_INJECTOR";

  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  // The parts, one per concern; this class only routes each public method to its part.
  private final AtomTable table;
  private final DetailWriter details;
  private final ResultIndex results;
  private final Injections injections;
  private final RetryRecords retries;
  // What open(...) set up: the connection close() closes (null: the caller's), the book it used.
  private final AtomicReference<Connection> ownedConnection;
  private final String openedLogBook;

  /**
   * Storage over a flow detail that {@code connection} already stores (saved through its logbook).
   *
   * @param flowDetail the flow detail, with every atom detail the store holds for it (not a lazily
   *     read one: atoms missing from it would be created again under the same names; engines read
   *     the stored form themselves)
   * @param connection where to write; {@code null} keeps everything in a private in-memory store
   * @param options retry and id options; {@code null} means {@link StorageOptions#defaults()}
   */
  public Storage(FlowDetail flowDetail, Connection connection, StorageOptions options) {
    this(flowDetail, connection, options, null, null);
  }

  /**
   * Storage as {@link StorageOpener} makes it, over a known book: writing through {@code
   * connection} and closing {@code toClose} when it closes ({@code connection} itself when the
   * storage owns it, the connection a fenced view was made from, or {@code null}: none).
   */
  Storage(
      FlowDetail flowDetail,
      Connection connection,
      StorageOptions options,
      Connection toClose,
      String logBookUuid) {
    Objects.requireNonNull(flowDetail, "flowDetail");
    StorageOptions opts = options == null ? StorageOptions.defaults() : options;
    StoreWriter store = StoreWriter.of(connection, opts);
    FlowDetail fd = store.adopt(flowDetail);
    this.table = new AtomTable(fd.atoms());
    this.details = new DetailWriter(table, store, opts, fd.withoutAtoms());
    this.results = new ResultIndex(table, details);
    this.injections = new Injections(table, results, details, opts);
    this.retries = new RetryRecords(table, details);
    this.ownedConnection = new AtomicReference<>(toClose);
    this.openedLogBook = logBookUuid;
    injections.registerStored();
  }

  /** Storage with the default options. */
  public Storage(FlowDetail flowDetail, Connection connection) {
    this(flowDetail, connection, null);
  }

  /**
   * Makes sure every atom has a detail, reusing existing ones by name; new details are PENDING with
   * intention EXECUTE and are all written in one flow-detail write carrying only them. Registers
   * each atom's result mapping.
   *
   * @return the atoms' detail uuids, in the order given
   * @throws DuplicateException when a detail of the other kind exists under the same name
   */
  public List<String> ensureAtoms(List<AtomSpec> specs) {
    details.flushHeld();
    try {
      return table.ensureAtoms(specs, details, results);
    } finally {
      details.stopDeferring(); // deferNewAtoms applies to this call only, even when it made none
    }
  }

  /**
   * Lets the atom details that the next {@link #ensureAtoms} creates be written with the flow
   * detail's next state change ({@link #changeFlowState}), in one write, instead of on their own;
   * any other write, or {@link #writeDeferredAtoms}, writes them first. An engine starting a run
   * uses it so that its new atoms and its RUNNING state share one commit. Only for use before a run
   * starts, from the thread that starts it. A store without a backend writes them at once.
   */
  public void deferNewAtoms() {
    details.deferCreated();
  }

  /** Writes the atom details that {@link #deferNewAtoms} held back, if any are still unwritten. */
  public void writeDeferredAtoms() {
    details.flushCreated();
  }

  /** {@link #ensureAtoms} of one atom. */
  public String ensureAtom(AtomSpec spec) {
    details.flushHeld();
    return ensureAtoms(List.of(spec)).get(0);
  }

  /** The flow detail's name. */
  public String flowName() {
    return details.header().name();
  }

  /** The flow detail's uuid. */
  public String flowUuid() {
    return details.header().uuid();
  }

  /** The flow detail's metadata. */
  public Map<String, Object> flowMeta() {
    details.flushHeld();
    return details.header().meta();
  }

  /** A snapshot of the flow detail with every atom detail (O(number of atoms)). */
  public FlowDetail flowDetail() {
    details.flushHeld();
    return table.snapshot(details.header());
  }

  /**
   * The uuid of the atom detail named {@code name}.
   *
   * @throws NotFoundException when there is none
   */
  public String getAtomUuid(String name) {
    details.flushHeldFor(name);
    return table.entry(name).uuid();
  }

  /** The current atom detail named {@code name} (stored form: failures without live exceptions). */
  public AtomDetail atomDetail(String name) {
    details.flushHeldFor(name);
    return table.entry(name).detail();
  }

  /** The atom's state. */
  public AtomState getAtomState(String name) {
    details.flushHeldFor(name);
    return table.entry(name).state();
  }

  /** The atom's intention. */
  public Intention getAtomIntention(String name) {
    details.flushHeldFor(name);
    return table.entry(name).intention();
  }

  /** Sets the atom's state (no write when unchanged). */
  public void setAtomState(String name, AtomState state) {
    setAtomState(name, state, null);
  }

  /** Sets the atom's state and puts {@code metaEntries} into its metadata, in one write. */
  public void setAtomState(String name, AtomState state, Map<String, ?> metaEntries) {
    if (state == AtomState.RUNNING) {
      details.markRunning(name, metaEntries); // with a held result, if any (see saveLater)
    } else {
      details.setAtomState(name, state, metaEntries);
    }
  }

  /**
   * Saves the SUCCESS of task {@code name}, as {@link #save(String, Object, AtomState, Map)} does,
   * but may hold the write back so that it shares the commit of a later write: when the same thread
   * next sets another atom RUNNING, both are written together (one commit, one sync, where the
   * store {@link Connection#updatesAtomsTogether() can}); each thread holds its own result, so
   * another thread's marker does not carry it; any other call writes every held result first,
   * alone, as does {@link #flush()}. {@code afterWrite} runs once the result is stored (on the
   * thread of the call that wrote it), and never when its write fails: it is where whoever waits
   * for the result (a listener) is told. A serial engine saves its task results so, and so does
   * each worker of a parallel engine's own pool: a task's result and the next RUNNING marker cost
   * one synced write.
   *
   * <p>A held result that was never written is lost as a crash would lose it: the task runs again
   * when the flow is resumed.
   *
   * @throws InvalidResultException when the result cannot be represented as JSON (nothing is held)
   */
  public void saveLater(
      String name, Object result, Map<String, ?> metaEntries, Runnable afterWrite) {
    saveLater(name, result, metaEntries, afterWrite, failed -> {});
  }

  /**
   * As {@link #saveLater(String, Object, Map, Runnable)}, telling {@code ifLost} when the held
   * result's write fails (the failure then also reaches the call that wrote it). Each thread holds
   * its own result: a parallel engine's worker holds its task's result until its own next RUNNING
   * marker, and any write of another kind writes every held result first.
   */
  public void saveLater(
      String name,
      Object result,
      Map<String, ?> metaEntries,
      Runnable afterWrite,
      java.util.function.Consumer<Throwable> ifLost) {
    Objects.requireNonNull(afterWrite, "afterWrite");
    Objects.requireNonNull(ifLost, "ifLost");
    details.hold(name, result, metaEntries, afterWrite, ifLost);
  }

  /**
   * Puts atom {@code name}'s detail back to {@code before} (a detail of it read earlier), under the
   * stored revision: an engine that set the atom RUNNING and then did not start it after all.
   */
  public void restoreDetail(String name, AtomDetail before) {
    Objects.requireNonNull(before, "before");
    details.flushHeld();
    details.updateAtom(name, d -> before.withRevision(d.revision()), null, null);
  }

  /**
   * Writes now what waits for a later write: the atom details {@link #deferNewAtoms} held back and
   * a flow state held with them ({@link #changeFlowStateLater}), then a result held back by {@link
   * #saveLater}.
   */
  public void flush() {
    details.writeHeldBack();
  }

  /** Sets the atom's intention (no write when unchanged). */
  public void setAtomIntention(String name, Intention intention) {
    details.flushHeld();
    details.setAtomIntention(name, intention);
  }

  /**
   * The state and intention of each named atom, in the order given.
   *
   * @throws NotFoundException when one is unknown
   */
  public Map<String, StateAndIntention> getAtomsStates(Collection<String> names) {
    details.flushHeld();
    return table.statesByName(names);
  }

  /**
   * The state and intention of each named atom, by position: an engine loading the states of a
   * large flow needs no map keyed by name.
   *
   * @throws NotFoundException when one is unknown
   */
  public List<StateAndIntention> getAtomsStatesInOrder(List<String> names) {
    details.flushHeld();
    return table.statesInOrder(names);
  }

  /** Puts {@code entries} into the atom's metadata ({@code null} or empty: nothing happens). */
  public void updateAtomMetadata(String name, Map<String, ?> entries) {
    details.flushHeld();
    details.updateAtomMetadata(name, entries);
  }

  /**
   * Records a task's progress in its metadata ({@code progress}); with {@code details}, non-empty
   * details are kept as {@code progress_details = {at_progress, details}} and empty ones erase
   * them. {@code null} details leave the last details in place.
   */
  public void setTaskProgress(String name, double progress, Map<String, ?> details) {
    this.details.flushHeld();
    this.details.setTaskProgress(name, progress, details);
  }

  /** A task's progress ({@code 0.0} when never reported). */
  public double getTaskProgress(String name) {
    details.flushHeld();
    return details.taskProgress(name);
  }

  /** A task's last progress details ({@code {at_progress, details}}), or {@code null}. */
  public Map<String, Object> getTaskProgressDetails(String name) {
    details.flushHeld();
    return details.taskProgressDetails(name);
  }

  /** Saves a result with state SUCCESS. */
  public void save(String name, Object result) {
    details.flushHeld();
    details.save(name, result, AtomState.SUCCESS, null);
  }

  /**
   * Saves an outcome with TaskFlow's rules ({@link AtomDetail#put}): SUCCESS stores the result (a
   * retry appends it to its history), FAILURE and REVERT_FAILURE take a {@link Failure}, REVERTED
   * stores the revert result, other states only change the state.
   *
   * @throws InvalidResultException when the result cannot be represented as JSON (nothing is
   *     stored)
   */
  public void save(String name, Object result, AtomState state) {
    details.flushHeld();
    details.save(name, result, state, null);
  }

  /**
   * As {@link #save(String, Object, AtomState)}, also putting {@code metaEntries}, in one write.
   */
  public void save(String name, Object result, AtomState state, Map<String, ?> metaEntries) {
    details.flushHeld();
    details.save(name, result, state, metaEntries);
  }

  /**
   * Records {@code failure} of {@code failedAtomName} in the latest attempt of retry {@code
   * retryName} (nothing is written if it is already recorded).
   *
   * @throws StorageException when the retry has no attempt yet
   */
  public void saveRetryFailure(String retryName, String failedAtomName, Failure failure) {
    details.flushHeld();
    retries.saveFailure(retryName, failedAtomName, failure);
  }

  /**
   * Records that the latest attempt of retry {@code retryName} ended now because everything it
   * guards succeeded. Nothing is written when the retry has no attempt or the attempt has already
   * ended.
   */
  public void closeRetryAttempt(String retryName) {
    details.flushHeld();
    retries.closeAttempt(retryName);
  }

  /** Empties a retry's history (and its attempt infos) and sets its state, in one write. */
  public void cleanupRetryHistory(String retryName, AtomState state) {
    details.flushHeld();
    retries.cleanupHistory(retryName, state);
  }

  /**
   * Records a retry as REVERTED with its revert result and empties its history (and attempt infos),
   * in one write, so a later run of the retry starts afresh. What the emptied history held is kept
   * in the retry's meta under {@link RetryDetail#META_REVERTED_HISTORY} for post-mortems. Unlike
   * TaskFlow (whose {@code RetryDetail.merge} drops it), the revert result is kept.
   *
   * @throws InvalidResultException when the revert result cannot be represented as JSON
   */
  public void saveRetryReverted(String retryName, Object revertResult) {
    details.flushHeld();
    retries.saveReverted(retryName, revertResult);
  }

  /**
   * The atom's execute result: its failure if it has one (the live one when known), else its result
   * when the state is SUCCESS, FAILURE or REVERTING (a retry's latest value).
   *
   * @throws NotFoundException in any other state (a distinct message when IGNOREd)
   */
  public Object getExecuteResult(String name) {
    details.flushHeld();
    return results.executeResult(name);
  }

  /**
   * The atom's revert result: its revert failure if it has one, else its revert result when the
   * state is REVERTED, REVERT_FAILURE or REVERTING.
   *
   * @throws NotFoundException in any other state (a distinct message when IGNOREd)
   */
  public Object getRevertResult(String name) {
    details.flushHeld();
    return results.revertResult(name);
  }

  /** The execute failures by atom name (live ones when known). */
  public Map<String, Failure> getExecuteFailures() {
    details.flushHeld();
    return table.failures(false);
  }

  /** The revert failures by atom name (live ones when known). */
  public Map<String, Failure> getRevertFailures() {
    details.flushHeld();
    return table.failures(true);
  }

  /** Whether any atom has an execute or revert failure. */
  public boolean hasFailures() {
    details.flushHeld();
    return table.hasFailures();
  }

  /**
   * Back to {@code state} with intention EXECUTE and no results or failures (metadata kept). No
   * write when the atom is already in {@code state}; the injector is never reset.
   */
  public void reset(String name, AtomState state) {
    details.flushHeld();
    details.reset(name, state);
  }

  /**
   * Injects values at flow level: visible to every atom, before any atom's result. Persistent
   * values are kept in the {@value #INJECTOR_NAME} task detail (and survive a reload); transient
   * ones only in memory (they may be any object).
   *
   * @throws InvalidResultException when a persistent value cannot be represented as JSON
   */
  public void inject(Map<String, ?> pairs, boolean transientValues) {
    details.flushHeld();
    injections.inject(pairs, transientValues);
  }

  /**
   * Injects arguments for one atom only; they beat every other source of that atom's arguments,
   * transient ones first. Persistent ones are kept in the atom's metadata ({@code injected}).
   *
   * @throws NotFoundException when the atom is unknown
   */
  public void injectAtomArgs(String atomName, Map<String, ?> pairs, boolean transientValues) {
    details.flushHeld();
    injections.injectAtomArgs(atomName, pairs, transientValues);
  }

  /**
   * The value of {@code name}: from the first provider (injected ones first) whose results may be
   * read.
   *
   * @throws NotFoundException when no provider is registered, or none has produced it yet
   */
  public Object fetch(String name) {
    details.flushHeld();
    return results.fetch(name);
  }

  /**
   * Every name whose value may be read now; a name with several readable providers maps to the list
   * of their values (injected ones first). Results of reverted atoms are not shown.
   */
  public Map<String, Object> fetchAll() {
    details.flushHeld();
    return results.fetchAll();
  }

  /**
   * The arguments of an atom: for each {@code argName → resultName}, the first of: the atom's
   * transient injected args, its persistent injected args, values injected at flow level, then the
   * nearest provider visible from the atom ({@code scope} levels, nearest first; without a scope or
   * atom, every provider in order). Optional arguments without a value are left out.
   *
   * @throws NotFoundException when a required argument has no value
   */
  public Map<String, Object> fetchMappedArgs(
      Map<String, String> mapping, String atomName, ScopeWalker scope, Set<String> optionalArgs) {
    details.flushHeld();
    return results.fetchMappedArgs(mapping, atomName, scope, optionalArgs);
  }

  /**
   * The argument names (keys of {@code mapping}) that nothing could ever provide: not injected for
   * the atom or the flow, and no provider visible in {@code scope} (any provider without a scope).
   * Optional arguments are never reported.
   */
  public Set<String> fetchUnsatisfiedArgs(
      String atomName, Map<String, String> mapping, ScopeWalker scope, Set<String> optionalArgs) {
    details.flushHeld();
    return results.fetchUnsatisfiedArgs(atomName, mapping, scope, optionalArgs);
  }

  /** The flow's state. */
  public FlowState getFlowState() {
    return details.flowState();
  }

  /** Sets the flow's state (no write when unchanged). */
  public void setFlowState(FlowState state) {
    details.flushHeld();
    details.setFlowState(state);
  }

  /**
   * As {@link #changeFlowState}, for a run's start whose new atoms {@link #deferNewAtoms} held
   * back: the new state waits with them for this storage's next write and goes in it. When that
   * write is the RUNNING marker of one of those atoms ({@link #setAtomState}), one write carries
   * the flow's state, the new atoms and the marker; any other write, or {@link #flush}, writes the
   * state and the atoms first. {@code afterWrite} runs once the state is written (announce it
   * there, not before), never when its write fails: the state is then dropped, and the atoms wait
   * as before. {@link #getFlowState} answers the held state meanwhile. For the thread that runs the
   * flow's atoms one at a time; a store without a backend never holds.
   *
   * @return whether the state is held; {@code false} (nothing changed, {@code afterWrite} not run)
   *     when no deferred atoms wait, a result is held, or the transition changes nothing: then use
   *     {@link #changeFlowState}
   * @throws InvalidStateException when the transition is not allowed
   */
  public boolean changeFlowStateLater(FlowState state, Runnable afterWrite) {
    return details.holdFlowState(state, afterWrite);
  }

  /**
   * Moves the flow to {@code state} if {@link FlowState#checkTransition} allows it.
   *
   * @return whether the state changed (false: the transition is ignored)
   * @throws InvalidStateException when the transition is not allowed
   */
  public boolean changeFlowState(FlowState state) {
    // A held result goes with the state (see DetailWriter#changeFlowState).
    return details.changeFlowState(state);
  }

  /**
   * Records a final state ({@code SUCCESS}, {@code REVERTED} or {@code FAILURE}) that another
   * writer's change to the flow detail's own fields kept from being written: when every atom detail
   * the store holds for the flow is exactly as this storage last wrote or read it, the final state
   * follows from those atoms alone, so it is written over the stored flow detail (its revision read
   * now). Typical case: a second process began to resume the same flow (writing only the flow's
   * state) while this one finished it; its first atom write is then refused and it stops.
   *
   * @return whether the state was written; {@code false} when an atom detail changed (or appeared)
   *     meanwhile, or the flow detail changed again: the caller reports the original conflict
   * @throws IllegalArgumentException when {@code state} is not a final state
   */
  public boolean finishOverChangedFlow(FlowState state) {
    details.flushHeld();
    return details.finishOverChangedFlow(state);
  }

  /** Puts {@code entries} into the flow's metadata ({@code null} or empty: nothing happens). */
  public void updateFlowMetadata(Map<String, ?> entries) {
    details.flushHeld();
    details.updateFlowMetadata(entries);
  }

  /** The history of retry {@code retryName} (its failure: the live one when known). */
  public RetryHistory getRetryHistory(String retryName) {
    details.flushHeld();
    return retries.history(retryName);
  }

  /** The histories of every retry, by name, in the flow detail's order. */
  public Map<String, RetryHistory> getRetryHistories() {
    details.flushHeld();
    return retries.histories();
  }

  @Override
  public String toString() {
    FlowDetail h = details.header();
    return "Storage{flow='" + h.name() + "', uuid=" + h.uuid() + '}';
  }

  /**
   * Storage over a new flow detail, saved first (with no atoms yet) into {@code book}, or into a
   * new logbook named after the flow when {@code book} is null; only the new flow detail is
   * written, so the book's other flows stay as the store has them. The connection is taken from
   * {@code backend} and closed by {@link #close} (or at once, when opening fails).
   *
   * @param options retry and id options; {@code null} means {@link StorageOptions#defaults()}
   */
  public static Storage open(
      Backend backend, LogBook book, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.create(StorageOpener.connect(backend), true, book, flowDetail, options);
  }

  /**
   * As {@link #open(Backend, LogBook, FlowDetail, StorageOptions)} through {@code connection},
   * which stays the caller's: {@link #close} leaves it open. A null connection keeps everything in
   * a private in-memory store (no logbook is saved).
   */
  public static Storage open(
      Connection connection, LogBook book, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.create(connection, false, book, flowDetail, options);
  }

  /**
   * Storage over a flow detail the store already holds, to resume it: its stored form is read with
   * every atom detail, so a lazily read or older copy is fine. The connection is taken from {@code
   * backend} and closed by {@link #close} (or at once, when opening fails).
   *
   * @throws NotFoundException when the store does not hold the detail
   */
  public static Storage openStored(Backend backend, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.stored(StorageOpener.connect(backend), true, flowDetail, options);
  }

  /**
   * As {@link #openStored(Backend, FlowDetail, StorageOptions)} through {@code connection}, which
   * stays the caller's (a null one: the detail given is the whole record, kept in memory).
   */
  public static Storage openStored(
      Connection connection, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.stored(connection, false, flowDetail, options);
  }

  /**
   * As {@link #openStored(Backend, FlowDetail, StorageOptions)}, as the flow's only runner among
   * resumes: raises the flow's fence first ({@link FlowFences#raise}), reads the flow after that,
   * and writes every record through a view fenced by its token. A resume that raises the fence
   * later takes the flow over: this storage's next write is then refused with a {@link
   * io.taskflow4j.persistence.FencedException} and nothing more of it lands.
   *
   * @throws io.taskflow4j.persistence.FencedException when another resume raised the fence higher
   *     while this one raised its own
   * @throws io.taskflow4j.persistence.StorageException when the backend cannot fence
   */
  public static Storage openStoredExclusive(
      Backend backend, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.storedExclusive(StorageOpener.connect(backend), true, flowDetail, options);
  }

  /**
   * As {@link #openStoredExclusive(Backend, FlowDetail, StorageOptions)} through {@code
   * connection}, which stays the caller's.
   */
  public static Storage openStoredExclusive(
      Connection connection, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.storedExclusive(
        Objects.requireNonNull(connection, "connection"), false, flowDetail, options);
  }

  /**
   * Deletes this storage's flow detail from the store, with its atom details, unless another writer
   * changed it since this storage last wrote it (the delete is conditional on its revision); then
   * the logbook {@code open} created or extended for it, if that left the logbook empty. What an
   * engine's retention does after a run ({@code Engines.Builder.retention}).
   *
   * @return whether the flow detail was deleted ({@code false} for a private in-memory store)
   * @throws io.taskflow4j.persistence.ConflictException when another writer changed it
   */
  public boolean discard() {
    details.flushHeld();
    return details.discard(openedLogBook);
  }

  /** The logbook {@code open} created or extended for this storage's flow detail, if it did. */
  public Optional<String> logBookUuid() {
    return Optional.ofNullable(openedLogBook);
  }

  /**
   * Closes the connection when this storage owns it (it was opened from a backend); otherwise does
   * nothing. Idempotent. Writes after closing fail as the closed connection makes them fail.
   */
  @Override
  public void close() {
    try {
      details.flushHeld();
    } catch (RuntimeException e) {
      LOG.warn("A held result of flow '{}' could not be written: {}", flowName(), e.toString());
    }
    Connection owned = ownedConnection.getAndSet(null);
    if (owned != null) {
      owned.close();
    }
  }
}
