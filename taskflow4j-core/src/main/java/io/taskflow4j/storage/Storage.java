package io.taskflow4j.storage;

import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.Capacity;
import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.internal.Timestamps;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
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
 * backoff) and then surfaces as a {@link StorageException}; a {@link ConflictException} (another
 * writer changed the record) is never retried. Writes that would change nothing are not made.
 *
 * <p><b>Threads.</b> Safe for many engine threads. Each operation costs O(1) in the number of atoms
 * (atom details are kept in maps by name); writes to different atoms proceed in parallel, writes to
 * one atom are serialised.
 *
 * <p><b>Failures.</b> A failure saved in this process keeps its live exception: reads return that
 * live {@link Failure} as long as the stored one {@link Failure#matches matches} it, so the engine
 * can re-raise the original exception.
 */
public final class Storage {
  /** The name of the task detail that holds values injected persistently at flow level. */
  public static final String INJECTOR_NAME = "_TaskFlow_INJECTOR";

  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  /** States in which an atom's execute result (or failure) may be read. */
  private static final Set<AtomState> EXECUTE_VISIBLE =
      EnumSet.of(AtomState.SUCCESS, AtomState.FAILURE, AtomState.REVERTING);

  /** States in which an atom's revert result (or failure) may be read. */
  private static final Set<AtomState> REVERT_VISIBLE =
      EnumSet.of(AtomState.REVERTED, AtomState.REVERT_FAILURE, AtomState.REVERTING);

  /** Marks a provider whose results may not be read in its current state. */
  private static final Object HIDDEN = new Object();

  /** Where writes go; {@code null}: nowhere (the private store, see the constructor). */
  private final Connection connection;

  /** The first fenced write, after which every write is refused without asking the store. */
  private volatile FencedException fenced;

  private final StorageOptions options;

  /**
   * Guards the structure: the set of atoms, the providers and the transient values. Operations on
   * one atom hold the read lock plus that atom's own monitor (its entry); adding atoms or providers
   * holds the write lock.
   */
  private final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();

  /** Serialises writes of the flow detail's own fields (held with the structure read lock). */
  private final ReentrantLock flowLock = new ReentrantLock();

  /** The flow detail's own fields (no atoms), as last written or read. */
  private volatile FlowDetail header;

  /** Atom entries by name, in the flow detail's order. Guarded by {@link #structure}. */
  private NameIndex<AtomEntry> atoms = new NameIndex<>(AtomEntry::name, 16);

  /** Names of the retry atoms, in order. Guarded by {@link #structure}. */
  private final List<String> retryNames = new ArrayList<>();

  /**
   * Result name → who provides it: the providing atom's entry itself when it is the name's only
   * source and gives its whole result (nearly every name of a large flow, which so needs no object
   * per name), else a {@link Providers}. Guarded by {@link #structure}.
   */
  private NameIndex<Provided> providers = new NameIndex<>(null, 16);

  /** Values injected transiently at flow level (kept in memory only). Guarded by structure. */
  private final Map<String, Object> transients = new LinkedHashMap<>();

  /** The next atom ordinal. Guarded by {@link #structure}. */
  private int ordinals;

  /**
   * The entry {@link #entry} found last. An engine asks about one atom several times in a row, and
   * an entry never changes once made, so this spares most lookups in a map as large as the flow.
   */
  private volatile AtomEntry recent;

  /**
   * Where {@link #entry} and {@link #providersNamed} found their last answers: an engine asks in
   * flow order, so the next answer is usually at the next position (a hint only: racy on purpose).
   */
  private int atomCursor;

  private int providerCursor;

  /** Names of atoms whose stored detail has an execute or revert failure. */
  private final Set<String> failedAtoms = ConcurrentHashMap.newKeySet();

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
    Objects.requireNonNull(flowDetail, "flowDetail");
    this.options = options == null ? StorageOptions.defaults() : options;
    FlowDetail fd = flowDetail;
    if (connection == null) {
      // The private store: nothing can read it but this object, which holds every value it
      // writes, so a write only moves the revisions on, as a fresh MemoryBackend would (a logbook
      // uuid is still drawn, so uuid suppliers see the same sequence as with that backend).
      LogBook.of(
          this.options.uuidSupplier().get(),
          fd.name(),
          this.options.clock().instant(),
          null,
          Map.of(),
          List.of(fd));
      fd = privatelyStored(fd, true);
    }
    this.connection = connection;
    this.header = fd.withoutAtoms();
    for (AtomDetail ad : fd.atoms()) {
      AtomEntry previous = atoms.get(ad.name());
      if (previous != null && previous.kind == AtomKind.RETRY) {
        retryNames.remove(ad.name());
      }
      AtomEntry e = new AtomEntry(ad.name(), AtomKind.of(ad), ad, nextOrdinal(ad.name()));
      e.liveFailure = liveOrNull(ad.failure(), null, null);
      e.liveRevertFailure = liveOrNull(ad.revertFailure(), null, null);
      atoms.put(e);
      if (e.kind == AtomKind.RETRY) {
        retryNames.add(ad.name());
      }
      trackFailures(e, ad);
    }
    AtomEntry injector = atoms.get(INJECTOR_NAME);
    if (injector != null) {
      for (String key : injectedValues(injector).keySet()) {
        addDefaultProvider(key, INJECTOR_NAME);
      }
    }
  }

  /** Storage with the default options. */
  public Storage(FlowDetail flowDetail, Connection connection) {
    this(flowDetail, connection, null);
  }

  // ---------------------------------------------------------------- atoms

  /**
   * Makes sure every atom has a detail, reusing existing ones by name; new details are PENDING with
   * intention EXECUTE and are all written in one flow-detail write carrying only them. Registers
   * each atom's result mapping.
   *
   * @return the atoms' detail uuids, in the order given
   * @throws DuplicateException when a detail of the other kind exists under the same name
   */
  public List<String> ensureAtoms(List<AtomSpec> specs) {
    Objects.requireNonNull(specs, "specs");
    structure.writeLock().lock();
    try {
      int count = specs.size();
      if (atoms.isEmpty() && providers.isEmpty() && count > 12) {
        // Sized once for a large flow: rehashing 100,000 entries several times costs more than
        // the whole run of a small flow.
        providers = new NameIndex<>(null, count);
      }
      // The entries made here, by name (a name repeated in specs shares its first entry); they
      // join the store's index only once their details are written. For a store that holds no
      // atoms yet, this index becomes the store's: one insertion per atom, not two.
      NameIndex<AtomEntry> created = new NameIndex<>(AtomEntry::name, count);
      AtomEntry[] entries = new AtomEntry[count];
      String[] uuids = new String[count];
      for (int at = 0; at < count; at++) {
        if (at % PREFETCH == 0 && atoms.isEmpty()) {
          created.prefetch(at, Math.min(count, at + PREFETCH), k -> nameOf(specs.get(k)));
        }
        AtomSpec spec = Objects.requireNonNull(specs.get(at), "atom spec");
        if (INJECTOR_NAME.equals(spec.name())) {
          throw new IllegalArgumentException(
              "the atom name '" + INJECTOR_NAME + "' is reserved for injected values");
        }
        AtomEntry e = atoms.get(spec.name());
        if (e == null) {
          e =
              created.computeIfAbsent(
                  spec.name(), n -> newEntry(spec, n, ordinals + created.size()));
        }
        if (e.kind != spec.kind()) {
          throw new DuplicateException(
              "Atom detail '"
                  + spec.name()
                  + "' already exists in flow detail '"
                  + header.name()
                  + "'");
        }
        entries[at] = e;
        uuids[at] = e.uuid();
      }
      if (!created.isEmpty()) {
        writeCreated(created);
        if (atoms.isEmpty()) {
          atoms = created;
        } else {
          for (AtomEntry e : created) {
            atoms.add(e);
          }
        }
        for (AtomEntry e : created) {
          if (e.kind == AtomKind.RETRY) {
            retryNames.add(e.name);
          }
        }
        ordinals += created.size();
      }
      // Mappings are registered only now, so a failed write registers nothing.
      for (int i = 0; i < count; i++) {
        if (i % PREFETCH == 0) {
          providers.prefetch(
              i, Math.min(count, i + PREFETCH), k -> specs.get(k).provides().wholeName());
        }
        registerMapping(entries[i], specs.get(i).provides());
      }
      return Collections.unmodifiableList(Arrays.asList(uuids));
    } finally {
      structure.writeLock().unlock();
    }
  }

  /** How many names {@link NameIndex#prefetch} reads ahead when many atoms are added at once. */
  private static final int PREFETCH = 32;

  private static String nameOf(AtomSpec spec) {
    return spec == null ? null : spec.name();
  }

  /**
   * A new entry for {@code spec}, with a new PENDING detail (a uuid is drawn). The private store
   * makes the detail only when it is first read.
   */
  private AtomEntry newEntry(AtomSpec spec, String name, int ordinal) {
    String uuid = options.uuidSupplier().get();
    if (connection == null) {
      if (!options.randomUuids()) {
        TaskDetail.of(name, uuid); // checks a supplied uuid now, as a made detail would
      }
      return new AtomEntry(name, spec.kind(), ordinal, uuid, spec.version());
    }
    return new AtomEntry(
        name, spec.kind(), freshDetail(spec.kind(), uuid, name, spec.version(), 0), ordinal);
  }

  /**
   * Writes the new details of {@code created} in one flow-detail write carrying only them, and
   * gives each entry its stored detail. The private store holds what it makes: only the flow
   * detail's revision moves on.
   */
  private void writeCreated(NameIndex<AtomEntry> created) {
    if (connection == null) {
      header = header.withRevision(header.revision() + 1);
      return; // the entries make their details (revision 1) when first read
    }
    List<AtomDetail> toAdd = new ArrayList<>(created.size());
    for (AtomEntry e : created) {
      toAdd.add(e.detail());
    }
    FlowDetail written = writeNewAtoms("the new atom details", toAdd);
    List<AtomDetail> writtenAtoms = written.atoms();
    boolean sameOrder = writtenAtoms.size() == toAdd.size();
    for (int i = 0; i < toAdd.size(); i++) {
      AtomDetail ad = toAdd.get(i);
      // A backend answers in the order written; matched by position, found by uuid otherwise.
      created.at(i).detail =
          sameOrder && writtenAtoms.get(i).uuid().equals(ad.uuid())
              ? writtenAtoms.get(i)
              : written.find(ad.uuid()).orElse(ad);
    }
  }

  /** {@link #ensureAtoms} of one atom. */
  public String ensureAtom(AtomSpec spec) {
    return ensureAtoms(List.of(spec)).get(0);
  }

  /** The ordinal of a new entry named {@code name} (an existing name keeps its place). */
  private int nextOrdinal(String name) {
    AtomEntry existing = atoms.get(name);
    return existing != null ? existing.ordinal : ordinals++;
  }

  private void registerMapping(AtomEntry e, ResultMapping mapping) {
    ResultMapping current = e.mapping();
    ResultMapping merged = current.merge(mapping);
    if (merged == current) {
      return;
    }
    e.setMapping(merged);
    merged.forEach((name, key) -> addProvider(name, e, key));
  }

  /** Registers atom {@code e} as a provider of {@code resultName} (structure write lock held). */
  private void addProvider(String resultName, AtomEntry e, Object key) {
    Provided got =
        providers.computeIfAbsent(
            resultName, n -> key == null ? e : new Providers().withAtom(e, key));
    if (got == e && key == null) {
      return;
    }
    providersToExtend(resultName, got).putAtom(e, key);
  }

  /**
   * The {@link Providers} of {@code resultName}, which {@code got} provides now: itself, or one
   * made in its place for a sole atom (structure write lock held).
   */
  private Providers providersToExtend(String resultName, Provided got) {
    if (got instanceof Providers ps) {
      return ps;
    }
    Providers ps = new Providers().withAtom((AtomEntry) got, null);
    providers.replace(resultName, ps);
    return ps;
  }

  private void addDefaultProvider(String resultName, String providerName) {
    Providers ps =
        providersToExtend(resultName, providers.computeIfAbsent(resultName, n -> new Providers()));
    if (ps.defaults.isEmpty()) {
      ps.defaults = new ArrayList<>(1); // mutable, and holds null (the transient values)
    }
    if (!ps.defaults.contains(providerName)) {
      ps.defaults.add(providerName);
    }
  }

  /** The flow detail's name. */
  public String flowName() {
    return header.name();
  }

  /** The flow detail's uuid. */
  public String flowUuid() {
    return header.uuid();
  }

  /** The flow detail's metadata. */
  public Map<String, Object> flowMeta() {
    return header.meta();
  }

  /** A snapshot of the flow detail with every atom detail (O(number of atoms)). */
  public FlowDetail flowDetail() {
    structure.readLock().lock();
    try {
      List<AtomDetail> ads = new ArrayList<>(atoms.size());
      for (AtomEntry e : atoms) {
        ads.add(e.detail());
      }
      return header.withAtoms(ads);
    } finally {
      structure.readLock().unlock();
    }
  }

  /**
   * The uuid of the atom detail named {@code name}.
   *
   * @throws NotFoundException when there is none
   */
  public String getAtomUuid(String name) {
    return entry(name).uuid();
  }

  /** The current atom detail named {@code name} (stored form: failures without live exceptions). */
  public AtomDetail atomDetail(String name) {
    return entry(name).detail();
  }

  /** The atom's state. */
  public AtomState getAtomState(String name) {
    return entry(name).state();
  }

  /** The atom's intention. */
  public Intention getAtomIntention(String name) {
    return entry(name).intention();
  }

  /** Sets the atom's state (no write when unchanged). */
  public void setAtomState(String name, AtomState state) {
    setAtomState(name, state, null);
  }

  /** Sets the atom's state and puts {@code metaEntries} into its metadata, in one write. */
  public void setAtomState(String name, AtomState state, Map<String, ?> metaEntries) {
    Objects.requireNonNull(state, "state");
    updateAtom(name, d -> withMeta(d.withState(state), metaEntries), null, null);
  }

  /** Sets the atom's intention (no write when unchanged). */
  public void setAtomIntention(String name, Intention intention) {
    Objects.requireNonNull(intention, "intention");
    updateAtom(name, d -> d.withIntention(intention), null, null);
  }

  /**
   * The state and intention of each named atom, in the order given.
   *
   * @throws NotFoundException when one is unknown
   */
  public Map<String, StateAndIntention> getAtomsStates(Collection<String> names) {
    List<String> ordered = names instanceof List<String> l ? l : new ArrayList<>(names);
    List<StateAndIntention> states = getAtomsStatesInOrder(ordered);
    Map<String, StateAndIntention> out = new LinkedHashMap<>(Capacity.forEntries(states.size()));
    for (int i = 0; i < states.size(); i++) {
      out.put(ordered.get(i), states.get(i));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * The state and intention of each named atom, by position: an engine loading the states of a
   * large flow needs no map keyed by name.
   *
   * @throws NotFoundException when one is unknown
   */
  public List<StateAndIntention> getAtomsStatesInOrder(List<String> names) {
    StateAndIntention[] out = new StateAndIntention[names.size()];
    structure.readLock().lock();
    try {
      for (int i = 0; i < out.length; i++) {
        AtomEntry e = entry(names.get(i));
        out[i] = StateAndIntention.of(e.state(), e.intention());
      }
    } finally {
      structure.readLock().unlock();
    }
    return Collections.unmodifiableList(Arrays.asList(out));
  }

  /** Puts {@code entries} into the atom's metadata ({@code null} or empty: nothing happens). */
  public void updateAtomMetadata(String name, Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      entry(name);
      return;
    }
    updateAtom(name, d -> withMeta(d, entries), null, null);
  }

  /**
   * Records a task's progress in its metadata ({@code progress}); with {@code details}, non-empty
   * details are kept as {@code progress_details = {at_progress, details}} and empty ones erase
   * them. {@code null} details leave the last details in place.
   */
  public void setTaskProgress(String name, double progress, Map<String, ?> details) {
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
    requireTask(entry(name));
    updateAtom(name, d -> withMeta(d, update), null, null);
  }

  /** A task's progress ({@code 0.0} when never reported). */
  public double getTaskProgress(String name) {
    AtomEntry e = requireTask(entry(name));
    return e.detail().meta().get(AtomDetail.META_PROGRESS) instanceof Number n
        ? n.doubleValue()
        : 0.0;
  }

  /** A task's last progress details ({@code {at_progress, details}}), or {@code null}. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> getTaskProgressDetails(String name) {
    AtomEntry e = requireTask(entry(name));
    return e.detail().meta().get(AtomDetail.META_PROGRESS_DETAILS) instanceof Map<?, ?> m
        ? (Map<String, Object>) m
        : null;
  }

  private static AtomEntry requireTask(AtomEntry e) {
    if (e.kind != AtomKind.TASK) {
      throw new IllegalArgumentException(
          "atom '" + e.name + "' is a retry; progress is kept for tasks only");
    }
    return e;
  }

  /** Saves a result with state SUCCESS. */
  public void save(String name, Object result) {
    save(name, result, AtomState.SUCCESS, null);
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
    save(name, result, state, null);
  }

  /**
   * As {@link #save(String, Object, AtomState)}, also putting {@code metaEntries}, in one write.
   */
  public void save(String name, Object result, AtomState state, Map<String, ?> metaEntries) {
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
              AtomDetail u = withMeta(d.put(state, value), metaEntries);
              if (state == AtomState.SUCCESS && u instanceof RetryDetail r) {
                // The new attempt's info goes with it, in the same write (see AttemptInfo).
                Object started = d.meta().get(AtomDetail.META_STARTED_AT);
                u = AttemptInfo.appendStarted(r, started instanceof String st ? st : now());
              }
              return u;
            },
            liveExec,
            liveRevert);
    if (state == AtomState.SUCCESS
        && written.intention() == Intention.EXECUTE
        && written instanceof TaskDetail) {
      AtomEntry e = entry(name);
      Set<String> missing = e.providesWhole() ? Set.of() : e.mapping().missingIn(value);
      if (!missing.isEmpty() && LOG.isWarnEnabled()) {
        LOG.warn(
            "Atom '{}' did not supply result with names {} it says it provides", name, missing);
      }
    }
  }

  private static Object normalizeResult(String name, Object result) {
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

  /**
   * Records {@code failure} of {@code failedAtomName} in the latest attempt of retry {@code
   * retryName} (nothing is written if it is already recorded).
   *
   * @throws StorageException when the retry has no attempt yet
   */
  public void saveRetryFailure(String retryName, String failedAtomName, Failure failure) {
    Objects.requireNonNull(failedAtomName, "failedAtomName");
    Objects.requireNonNull(failure, "failure");
    requireRetry(entry(retryName));
    updateAtom(
        retryName,
        d -> {
          RetryDetail r = (RetryDetail) d;
          RetryDetail u = r.withAttemptFailure(failedAtomName, failure);
          // Already recorded: nothing changes, so nothing is written.
          return u == r ? r : AttemptInfo.recordFailure(u, failedAtomName, failure, now());
        },
        null,
        null);
  }

  /**
   * Records that the latest attempt of retry {@code retryName} ended now because everything it
   * guards succeeded. Nothing is written when the retry has no attempt or the attempt has already
   * ended.
   */
  public void closeRetryAttempt(String retryName) {
    requireRetry(entry(retryName));
    updateAtom(retryName, d -> AttemptInfo.recordSucceeded((RetryDetail) d, now()), null, null);
  }

  /** Empties a retry's history (and its attempt infos) and sets its state, in one write. */
  public void cleanupRetryHistory(String retryName, AtomState state) {
    Objects.requireNonNull(state, "state");
    requireRetry(entry(retryName));
    updateAtom(
        retryName,
        d -> AttemptInfo.cleared(((RetryDetail) d).withHistory(List.of()).withState(state)),
        null,
        null);
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
    requireRetry(entry(retryName));
    Object value = normalizeResult(retryName, revertResult);
    String now = now();
    updateAtom(
        retryName,
        d -> {
          RetryDetail r = (RetryDetail) d;
          RetryDetail kept = r.history().isEmpty() ? r : AttemptInfo.keepReverted(r, now);
          return AttemptInfo.cleared(kept.put(AtomState.REVERTED, value).withHistory(List.of()));
        },
        null,
        null);
  }

  private String now() {
    return Timestamps.iso(options.clock().instant());
  }

  private static AtomEntry requireRetry(AtomEntry e) {
    if (e.kind != AtomKind.RETRY) {
      throw new IllegalArgumentException("atom '" + e.name + "' is a task, not a retry");
    }
    return e;
  }

  /**
   * The atom's execute result: its failure if it has one (the live one when known), else its result
   * when the state is SUCCESS, FAILURE or REVERTING (a retry's latest value).
   *
   * @throws NotFoundException in any other state (a distinct message when IGNOREd)
   */
  public Object getExecuteResult(String name) {
    AtomEntry e = entry(name);
    AtomDetail d = e.detail();
    if (d.failure() != null) {
      return live(d.failure(), e.liveFailure);
    }
    if (!EXECUTE_VISIBLE.contains(d.state())) {
      throw new NotFoundException(
          "Result for atom '"
              + name
              + "' execution is not known"
              + (d.state() == AtomState.IGNORE ? " (as it was ignored)" : ""));
    }
    return lastResults(d);
  }

  /**
   * The atom's revert result: its revert failure if it has one, else its revert result when the
   * state is REVERTED, REVERT_FAILURE or REVERTING.
   *
   * @throws NotFoundException in any other state (a distinct message when IGNOREd)
   */
  public Object getRevertResult(String name) {
    AtomEntry e = entry(name);
    AtomDetail d = e.detail();
    if (d.revertFailure() != null) {
      return live(d.revertFailure(), e.liveRevertFailure);
    }
    if (!REVERT_VISIBLE.contains(d.state())) {
      throw new NotFoundException(
          "Result for atom '"
              + name
              + "' revert is not known"
              + (d.state() == AtomState.IGNORE ? " (as it was ignored)" : ""));
    }
    return d.revertResults();
  }

  private static Object lastResults(AtomDetail d) {
    if (d instanceof RetryDetail r) {
      return r.history().isEmpty() ? null : r.lastResults();
    }
    return ((TaskDetail) d).results();
  }

  /** The execute failures by atom name (live ones when known). */
  public Map<String, Failure> getExecuteFailures() {
    return failures(false);
  }

  /** The revert failures by atom name (live ones when known). */
  public Map<String, Failure> getRevertFailures() {
    return failures(true);
  }

  /** Whether any atom has an execute or revert failure. */
  public boolean hasFailures() {
    return !failedAtoms.isEmpty();
  }

  private Map<String, Failure> failures(boolean revert) {
    if (failedAtoms.isEmpty()) {
      return Map.of();
    }
    Map<String, Failure> out = new LinkedHashMap<>();
    structure.readLock().lock();
    try {
      // Only the failed atoms are visited (the engine asks on every revert), in atom order.
      List<AtomEntry> failed = new ArrayList<>(failedAtoms.size());
      for (String name : failedAtoms) {
        AtomEntry e = atoms.get(name);
        if (e != null) {
          failed.add(e);
        }
      }
      failed.sort((a, b) -> Integer.compare(a.ordinal, b.ordinal));
      for (AtomEntry e : failed) {
        AtomDetail d = e.detail();
        Failure f =
            revert
                ? live(d.revertFailure(), e.liveRevertFailure)
                : live(d.failure(), e.liveFailure);
        if (f != null) {
          out.put(e.name, f);
        }
      }
    } finally {
      structure.readLock().unlock();
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Back to {@code state} with intention EXECUTE and no results or failures (metadata kept). No
   * write when the atom is already in {@code state}; the injector is never reset.
   */
  public void reset(String name, AtomState state) {
    Objects.requireNonNull(state, "state");
    if (INJECTOR_NAME.equals(name)) {
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

  // ------------------------------------------------------------ injection

  /**
   * Injects values at flow level: visible to every atom, before any atom's result. Persistent
   * values are kept in the {@value #INJECTOR_NAME} task detail (and survive a reload); transient
   * ones only in memory (they may be any object).
   *
   * @throws InvalidResultException when a persistent value cannot be represented as JSON
   */
  public void inject(Map<String, ?> pairs, boolean transientValues) {
    if (pairs == null || pairs.isEmpty()) {
      return;
    }
    if (transientValues) {
      structure.writeLock().lock();
      try {
        for (Map.Entry<String, ?> p : pairs.entrySet()) {
          transients.put(Objects.requireNonNull(p.getKey(), "injected name"), p.getValue());
          addDefaultProvider(p.getKey(), null);
        }
      } finally {
        structure.writeLock().unlock();
      }
      return;
    }
    Map<String, Object> values = normalizeInjected(INJECTOR_NAME, pairs);
    structure.writeLock().lock();
    try {
      AtomEntry injector = atoms.get(INJECTOR_NAME);
      if (injector == null) {
        TaskDetail td =
            TaskDetail.of(INJECTOR_NAME, options.uuidSupplier().get())
                .put(AtomState.SUCCESS, values);
        FlowDetail written = writeNewAtoms("the injected values", List.of(td));
        atoms.put(
            new AtomEntry(
                INJECTOR_NAME,
                AtomKind.TASK,
                written.find(td.uuid()).orElse(td),
                nextOrdinal(INJECTOR_NAME)));
      } else {
        Map<String, Object> merged = new LinkedHashMap<>(injectedValues(injector));
        merged.putAll(values);
        updateAtom(INJECTOR_NAME, d -> ((TaskDetail) d).withResults(merged), null, null);
      }
      for (String key : injectedValues(atoms.get(INJECTOR_NAME)).keySet()) {
        addDefaultProvider(key, INJECTOR_NAME);
      }
    } finally {
      structure.writeLock().unlock();
    }
  }

  /**
   * Injects arguments for one atom only; they beat every other source of that atom's arguments,
   * transient ones first. Persistent ones are kept in the atom's metadata ({@code injected}).
   *
   * @throws NotFoundException when the atom is unknown
   */
  public void injectAtomArgs(String atomName, Map<String, ?> pairs, boolean transientValues) {
    AtomEntry e = entry(atomName);
    if (pairs == null || pairs.isEmpty()) {
      return;
    }
    if (transientValues) {
      synchronized (e) {
        Map<String, Object> merged = new LinkedHashMap<>(e.transientArgs);
        merged.putAll(pairs);
        e.transientArgs = Collections.unmodifiableMap(merged);
      }
      return;
    }
    Map<String, Object> values = normalizeInjected(atomName, pairs);
    updateAtom(
        atomName,
        d -> {
          Map<String, Object> merged = new LinkedHashMap<>(injectedArgs(d));
          merged.putAll(values);
          return d.withMetaEntries(Map.of(AtomDetail.META_INJECTED, merged));
        },
        null,
        null);
  }

  private static Map<String, Object> normalizeInjected(String owner, Map<String, ?> pairs) {
    for (String k : pairs.keySet()) {
      Objects.requireNonNull(k, "injected name");
    }
    try {
      return Json.normalizeMap(pairs);
    } catch (IllegalArgumentException e) {
      throw new InvalidResultException(
          owner,
          "Values injected "
              + (INJECTOR_NAME.equals(owner) ? "into the flow" : "for atom '" + owner + "'")
              + " cannot be stored: "
              + e.getMessage()
              + ". Inject JSON values, or inject them transiently",
          e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> injectedArgs(AtomDetail d) {
    return d.meta().get(AtomDetail.META_INJECTED) instanceof Map<?, ?> m
        ? (Map<String, Object>) m
        : Map.of();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> injectedValues(AtomEntry injector) {
    AtomDetail d = injector.detail();
    if (!(d instanceof TaskDetail td)) {
      throw new InvalidStateException(
          "The injector detail of flow detail '" + header.name() + "' is not a task detail");
    }
    if (td.results() == null) {
      return Map.of();
    }
    if (!(td.results() instanceof Map<?, ?> m)) {
      throw new InvalidStateException(
          "The injector detail of flow detail '"
              + header.name()
              + "' holds a "
              + td.results().getClass().getSimpleName()
              + " instead of a map of injected values");
    }
    return (Map<String, Object>) m;
  }

  // ------------------------------------------------------------- fetching

  /**
   * The value of {@code name}: from the first provider (injected ones first) whose results may be
   * read.
   *
   * @throws NotFoundException when no provider is registered, or none has produced it yet
   */
  public Object fetch(String name) {
    structure.readLock().lock();
    try {
      Provided ps = providersNamed(name);
      if (ps == null) {
        throw notMapped(name);
      }
      for (String p : ps.defaults()) {
        Object c = defaultContainer(p);
        if (c instanceof Map<?, ?> m && m.containsKey(name)) {
          return m.get(name);
        }
      }
      for (int i = 0; i < ps.atomCount(); i++) {
        AtomEntry e = ps.atom(i);
        Object c = atomContainer(e);
        if (c != HIDDEN) {
          return extract(name, e.name, ps.key(i), c);
        }
      }
      throw new NotFoundException("Unable to find result '" + name + "', searched " + describe(ps));
    } finally {
      structure.readLock().unlock();
    }
  }

  /**
   * Every name whose value may be read now; a name with several readable providers maps to the list
   * of their values (injected ones first). Results of reverted atoms are not shown.
   */
  public Map<String, Object> fetchAll() {
    structure.readLock().lock();
    try {
      // Result names are distinct: the answer is built as one array (a flow of 100,000 names
      // would otherwise make an entry object, and a list, per name).
      Object[] out = new Object[2 * providers.size()];
      int filled = 0;
      for (int k = 0; k < providers.size(); k++) {
        String name = providers.nameAt(k);
        Provided ps = providers.atFound(k);
        Object first = null;
        List<Object> values = null; // made for a second value only
        int count = 0;
        try {
          List<String> defaults = ps.defaults();
          for (int d = 0; d < defaults.size(); d++) {
            Object c = defaultContainer(defaults.get(d));
            if (c instanceof Map<?, ?> m && m.containsKey(name)) {
              Object v = m.get(name);
              if (count++ == 0) {
                first = v;
              } else {
                values = addValue(values, first, v);
              }
            }
          }
          for (int i = 0; i < ps.atomCount(); i++) {
            AtomEntry e = ps.atom(i);
            Object c = atomContainer(e);
            if (c != HIDDEN) {
              Object v = extract(name, e.name, ps.key(i), c);
              if (count++ == 0) {
                first = v;
              } else {
                values = addValue(values, first, v);
              }
            }
          }
        } catch (NotFoundException e) {
          continue;
        }
        if (count > 0) {
          out[filled++] = name;
          out[filled++] = count == 1 ? first : Collections.unmodifiableList(values);
        }
      }
      return ArrayMap.ofDistinct(filled == out.length ? out : Arrays.copyOf(out, filled));
    } finally {
      structure.readLock().unlock();
    }
  }

  /** {@code values} (made with {@code first} at the second value) with {@code v} added. */
  private static List<Object> addValue(List<Object> values, Object first, Object v) {
    if (values == null) {
      values = new ArrayList<>(2);
      values.add(first);
    }
    values.add(v);
    return values;
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
    Set<String> optional = optionalArgs == null ? Set.of() : optionalArgs;
    structure.readLock().lock();
    try {
      AtomEntry e = atomName == null ? null : entry(atomName);
      if (mapping == null || mapping.isEmpty()) {
        return Map.of();
      }
      Map<String, Object> transientArgs = e == null ? Map.of() : e.transientArgs;
      Map<String, Object> persistentArgs = e == null ? Map.of() : injectedArgs(e.detail());
      List<List<String>> levels = null;
      boolean levelsFetched = false;
      // The arguments, as alternating names and values (the mapping's names are distinct); the
      // mapping is read by position, without an entry object per argument.
      Object[] pairs = ArrayMap.entriesOf(mapping);
      Object[] out = new Object[pairs.length];
      int filled = 0;
      for (int j = 0; j < pairs.length; j += 2) {
        String bound = (String) pairs[j];
        String name = (String) pairs[j + 1];
        if (transientArgs.containsKey(name)) {
          out[filled++] = bound;
          out[filled++] = transientArgs.get(name);
          continue;
        }
        if (persistentArgs.containsKey(name)) {
          out[filled++] = bound;
          out[filled++] = persistentArgs.get(name);
          continue;
        }
        Provided ps = providersNamed(name);
        if (ps == null) {
          if (optional.contains(bound)) {
            continue;
          }
          throw notMapped(name);
        }
        if (!levelsFetched && scope != null && atomName != null && ps.atomCount() > 0) {
          levels = scope.visibleLevels(atomName);
          levelsFetched = true;
        }
        try {
          Object value = locate(bound, name, ps, levels);
          out[filled++] = bound;
          out[filled++] = value;
        } catch (NotFoundException ex) {
          if (!optional.contains(bound)) {
            throw ex;
          }
        }
      }
      return ArrayMap.ofDistinct(filled == out.length ? out : Arrays.copyOf(out, filled));
    } finally {
      structure.readLock().unlock();
    }
  }

  /** Finds one value of {@code name} (structure lock held). */
  private Object locate(String bound, String name, Provided ps, List<List<String>> levels) {
    // Indexed loops: an engine fetches for every atom it runs, and an iterator is an object each.
    List<String> defaults = ps.defaults();
    for (int k = 0; k < defaults.size(); k++) {
      Object c = defaultContainer(defaults.get(k));
      if (c instanceof Map<?, ?> m && m.containsKey(name)) {
        return m.get(name);
      }
    }
    if (levels == null) {
      for (int i = 0; i < ps.atomCount(); i++) {
        Object c = atomContainer(ps.atom(i));
        if (c != HIDDEN && ResultMapping.canExtract(ps.key(i), c)) {
          return ResultMapping.extract(ps.key(i), c);
        }
      }
      throw notProduced(bound, name, ps.atomCount() + ps.defaults().size());
    }
    int scanned = ps.defaults().size();
    for (int l = 0; l < levels.size(); l++) {
      List<String> level = levels.get(l);
      List<String> found = null;
      for (int k = 0; k < level.size(); k++) {
        String atomName = level.get(k);
        int at = ps.indexOf(atomName);
        if (at < 0) {
          continue;
        }
        scanned++;
        AtomEntry e = ps.atom(at);
        Object key = ps.key(at);
        AtomDetail d = e.detail();
        Object c = atomContainer(e);
        if (c == HIDDEN) {
          if (d.state() == AtomState.IGNORE) {
            continue; // an ignored provider produced nothing; look further
          }
          throw new NotFoundException(
              "Expected to be able to find output '"
                  + name
                  + "' produced by '"
                  + atomName
                  + "' but was unable to get at that provider's results (it is "
                  + d.state()
                  + ")");
        }
        if (ResultMapping.canExtract(key, c)) {
          return ResultMapping.extract(key, c);
        }
        if (found == null) {
          found = new ArrayList<>(1);
        }
        found.add(atomName);
      }
      if (found != null) {
        throw new NotFoundException(
            "Unable to find result '"
                + name
                + "', expected to find it created by one of "
                + quote(found)
                + " but was unable to perform successful extraction");
      }
    }
    throw notProduced(bound, name, scanned);
  }

  /**
   * The argument names (keys of {@code mapping}) that nothing could ever provide: not injected for
   * the atom or the flow, and no provider visible in {@code scope} (any provider without a scope).
   * Optional arguments are never reported.
   */
  public Set<String> fetchUnsatisfiedArgs(
      String atomName, Map<String, String> mapping, ScopeWalker scope, Set<String> optionalArgs) {
    Set<String> optional = optionalArgs == null ? Set.of() : optionalArgs;
    structure.readLock().lock();
    try {
      AtomEntry e = atomName == null ? null : entry(atomName);
      if (mapping == null || mapping.isEmpty()) {
        return Set.of();
      }
      Map<String, Object> transientArgs = e == null ? Map.of() : e.transientArgs;
      Map<String, Object> persistentArgs = e == null ? Map.of() : injectedArgs(e.detail());
      List<List<String>> levels = null;
      boolean levelsFetched = false;
      Set<String> missing = new LinkedHashSet<>();
      for (Map.Entry<String, String> m : mapping.entrySet()) {
        String bound = m.getKey();
        String name = m.getValue();
        if (optional.contains(bound)
            || transientArgs.containsKey(name)
            || persistentArgs.containsKey(name)) {
          continue;
        }
        Provided ps = providersNamed(name);
        if (ps == null) {
          missing.add(bound);
          continue;
        }
        boolean satisfied = false;
        for (String p : ps.defaults()) {
          if (defaultContainer(p) instanceof Map<?, ?> c && c.containsKey(name)) {
            satisfied = true;
            break;
          }
        }
        if (!satisfied && ps.atomCount() > 0) {
          if (!levelsFetched && scope != null && atomName != null) {
            levels = scope.visibleLevels(atomName);
            levelsFetched = true;
          }
          satisfied = levels == null || anyVisible(ps, levels);
        }
        if (!satisfied) {
          missing.add(bound);
        }
      }
      return Collections.unmodifiableSet(missing);
    } finally {
      structure.readLock().unlock();
    }
  }

  private static boolean anyVisible(Provided ps, List<List<String>> levels) {
    for (List<String> level : levels) {
      for (String n : level) {
        if (ps.indexOf(n) >= 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** The container of injected values of a default provider ({@code null} = transient). */
  private Object defaultContainer(String provider) {
    if (provider == null) {
      return transients;
    }
    AtomEntry injector = atoms.get(provider);
    return injector == null ? HIDDEN : injectedValues(injector);
  }

  /** What an atom's results are for fetching: its result, its failure, or HIDDEN. */
  private Object atomContainer(AtomEntry e) {
    AtomDetail d = e.detail();
    if (!EXECUTE_VISIBLE.contains(d.state())) {
      return HIDDEN;
    }
    if (d.failure() != null) {
      return live(d.failure(), e.liveFailure);
    }
    if (d instanceof RetryDetail r && r.history().isEmpty()) {
      return HIDDEN;
    }
    return lastResults(d);
  }

  private static Object extract(String name, String provider, Object key, Object container) {
    if (!ResultMapping.canExtract(key, container)) {
      throw new NotFoundException(
          "Unable to find result '"
              + name
              + "', expected to be able to find it created by '"
              + provider
              + "' but was unable to perform successful extraction");
    }
    return ResultMapping.extract(key, container);
  }

  private static NotFoundException notMapped(String name) {
    return new NotFoundException(
        "Name '" + name + "' is not mapped as a produced output by any providers");
  }

  private static NotFoundException notProduced(String bound, String name, int scanned) {
    return new NotFoundException(
        "Mapped argument '"
            + bound
            + "' <= '"
            + name
            + "' was not produced by any accessible provider ("
            + scanned
            + " possible providers were scanned)");
  }

  private static String quote(Collection<String> names) {
    List<String> q = new ArrayList<>(names.size());
    for (String n : names) {
      q.add("'" + n + "'");
    }
    return q.toString();
  }

  // ----------------------------------------------------------------- flow

  /** The flow's state. */
  public FlowState getFlowState() {
    return header.state();
  }

  /** Sets the flow's state (no write when unchanged). */
  public void setFlowState(FlowState state) {
    Objects.requireNonNull(state, "state");
    updateFlow(h -> h.withState(state));
  }

  /**
   * Moves the flow to {@code state} if {@link FlowState#checkTransition} allows it.
   *
   * @return whether the state changed (false: the transition is ignored)
   * @throws InvalidStateException when the transition is not allowed
   */
  public boolean changeFlowState(FlowState state) {
    Objects.requireNonNull(state, "state");
    structure.readLock().lock();
    flowLock.lock();
    try {
      if (!FlowState.checkTransition(header.state(), state)) {
        return false;
      }
      writeFlow(header.withState(state));
      return true;
    } finally {
      flowLock.unlock();
      structure.readLock().unlock();
    }
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
    if (!state.isFinished()) {
      throw new IllegalArgumentException("not a final state: " + state);
    }
    if (connection == null) {
      return false; // nothing else writes the private store
    }
    structure.readLock().lock();
    flowLock.lock();
    try {
      FlowDetail stored = connection.getFlowDetails(header.uuid(), false);
      if (stored.size() != atoms.size()) {
        return false;
      }
      for (AtomDetail ad : stored.atoms()) {
        // Revisions move on with every write, so an equal one means nobody wrote the atom since.
        AtomEntry e = atoms.get(ad.name());
        if (e == null
            || !ad.uuid().equals(e.uuid())
            || ad.revision() != e.detail().revision()
            || ad.revision() == 0) {
          return false;
        }
      }
      FlowDetail updated = stored.withoutAtoms().withState(state);
      try {
        header =
            write(
                    () -> "flow detail '" + updated.name() + "'",
                    () -> storeFlow(updated),
                    () -> recoverFlow(updated))
                .withoutAtoms();
      } catch (ConflictException again) {
        return false;
      }
      return true;
    } finally {
      flowLock.unlock();
      structure.readLock().unlock();
    }
  }

  /** Puts {@code entries} into the flow's metadata ({@code null} or empty: nothing happens). */
  public void updateFlowMetadata(Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return;
    }
    updateFlow(h -> h.withMetaEntries(entries));
  }

  // -------------------------------------------------------------- retries

  /** The history of retry {@code retryName} (its failure: the live one when known). */
  public RetryHistory getRetryHistory(String retryName) {
    AtomEntry e = requireRetry(entry(retryName));
    RetryDetail d = (RetryDetail) e.detail();
    return new RetryHistory(
        d.history(),
        live(d.failure(), e.liveFailure),
        AttemptInfo.aligned(d.meta(), d.history().size()));
  }

  /** The histories of every retry, by name, in the flow detail's order. */
  public Map<String, RetryHistory> getRetryHistories() {
    structure.readLock().lock();
    try {
      Map<String, RetryHistory> out = new LinkedHashMap<>();
      for (String n : retryNames) {
        out.put(n, getRetryHistory(n));
      }
      return Collections.unmodifiableMap(out);
    } finally {
      structure.readLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "Storage{flow='" + header.name() + "', uuid=" + header.uuid() + '}';
  }

  // ------------------------------------------------------------ internals

  @FunctionalInterface
  private interface AtomChange {
    AtomDetail apply(AtomDetail current);
  }

  @FunctionalInterface
  private interface FlowChange {
    FlowDetail apply(FlowDetail current);
  }

  private AtomEntry entry(String name) {
    Objects.requireNonNull(name, "atom name");
    AtomEntry r = recent;
    if (r != null && (r.name == name || r.name.equals(name))) {
      return r;
    }
    structure.readLock().lock();
    try {
      int p = atoms.indexOf(name, atomCursor);
      if (p < 0) {
        throw new NotFoundException("Unknown atom name '" + name + "'");
      }
      AtomEntry e = atoms.atFound(p);
      atomCursor = p;
      recent = e;
      return e;
    } finally {
      structure.readLock().unlock();
    }
  }

  /** The providers of {@code name}, or null (structure lock held). */
  private Provided providersNamed(String name) {
    int p = providers.indexOf(name, providerCursor);
    if (p < 0) {
      return null;
    }
    providerCursor = p;
    return providers.atFound(p);
  }

  /** Writes an atom detail: to the connection, or (private store) only a new revision. */
  private AtomDetail storeAtom(AtomDetail d) {
    return connection != null ? connection.updateAtomDetails(d) : d.withRevision(d.revision() + 1);
  }

  /** Writes a flow detail and the atoms it carries, as {@link #storeAtom}. */
  private FlowDetail storeFlow(FlowDetail fd) {
    return connection != null ? connection.updateFlowDetails(fd) : privatelyStored(fd, false);
  }

  /**
   * {@code fd} as the private store returns it: as a fresh {@code MemoryBackend} would, revision 1
   * for what it did not hold ({@code fresh}: nothing), the next revision for the rest.
   */
  private static FlowDetail privatelyStored(FlowDetail fd, boolean fresh) {
    List<AtomDetail> ads = fd.atoms();
    FlowDetail out = fd;
    if (!ads.isEmpty()) {
      List<AtomDetail> written = new ArrayList<>(ads.size());
      for (AtomDetail ad : ads) {
        written.add(ad.withRevision(fresh ? 1 : ad.revision() + 1));
      }
      out = fd.withAtoms(written);
    }
    return out.withRevision(fresh ? 1 : fd.revision() + 1);
  }

  /**
   * Applies {@code change} to an atom's detail and writes it (unless nothing changed), holding the
   * structure read lock and the atom's lock; the in-memory detail changes only after the write.
   */
  private AtomDetail updateAtom(
      String name, AtomChange change, Failure liveExec, Failure liveRevert) {
    structure.readLock().lock();
    try {
      AtomEntry e = entry(name);
      synchronized (e) {
        AtomDetail current = e.detail();
        AtomDetail updated = change.apply(current);
        if (updated.equals(current)) {
          return current;
        }
        AtomDetail written =
            write(
                () -> "atom detail '" + name + "' of flow detail '" + header.name() + "'",
                () -> storeAtom(updated),
                () -> recoverAtom(updated));
        e.liveFailure = liveOrNull(written.failure(), liveExec, e.liveFailure);
        e.liveRevertFailure = liveOrNull(written.revertFailure(), liveRevert, e.liveRevertFailure);
        e.detail = written;
        trackFailures(e, written);
        return written;
      }
    } finally {
      structure.readLock().unlock();
    }
  }

  private void updateFlow(FlowChange change) {
    structure.readLock().lock();
    flowLock.lock();
    try {
      writeFlow(change.apply(header));
    } finally {
      flowLock.unlock();
      structure.readLock().unlock();
    }
  }

  /** Writes the flow detail's own fields (flow lock held), unless unchanged. */
  private void writeFlow(FlowDetail updated) {
    FlowDetail current = header;
    if (updated.equals(current)) {
      return;
    }
    FlowDetail written =
        write(
            () -> "flow detail '" + current.name() + "'",
            () -> storeFlow(updated),
            () -> recoverFlow(updated));
    header = written.withoutAtoms();
  }

  private void trackFailures(AtomEntry e, AtomDetail d) {
    if (d.failure() != null || d.revertFailure() != null) {
      failedAtoms.add(e.name);
    } else {
      failedAtoms.remove(e.name);
    }
  }

  /** The live failure to keep for {@code stored}: a candidate that matches it, or null. */
  private static Failure liveOrNull(Failure stored, Failure candidate, Failure previous) {
    if (stored == null) {
      return null;
    }
    if (stored.exception().isPresent()) {
      return stored;
    }
    if (candidate != null && candidate.exception().isPresent() && stored.matches(candidate)) {
      return candidate;
    }
    if (previous != null && stored.matches(previous)) {
      return previous;
    }
    return null;
  }

  private static Failure live(Failure stored, Failure live) {
    if (stored == null) {
      return null;
    }
    return live != null && stored.matches(live) ? live : stored;
  }

  private static AtomDetail withMeta(AtomDetail d, Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return d;
    }
    try {
      return d.withMetaEntries(entries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "metadata of atom '" + d.name() + "' cannot be stored: " + e.getMessage(), e);
    }
  }

  /**
   * The stored atom detail if the store already holds exactly {@code intended} (under a newer
   * revision), else {@code null}.
   */
  private AtomDetail recoverAtom(AtomDetail intended) {
    if (connection == null) {
      return null;
    }
    AtomDetail stored = connection.getAtomDetails(intended.uuid());
    return stored.equals(intended.withRevision(stored.revision())) ? stored : null;
  }

  /**
   * The stored flow detail (with the atoms {@code intended} carries) if the store already holds
   * exactly {@code intended}, else {@code null}.
   */
  private FlowDetail recoverFlow(FlowDetail intended) {
    if (connection == null) {
      return null;
    }
    FlowDetail stored = connection.getFlowDetails(intended.uuid(), true);
    if (!stored.equals(intended.withoutAtoms().withRevision(stored.revision()))) {
      return null;
    }
    List<AtomDetail> atomsOut = new ArrayList<>(intended.size());
    for (AtomDetail ad : intended.atoms()) {
      AtomDetail recovered = recoverAtom(ad);
      if (recovered == null) {
        return null;
      }
      atomsOut.add(recovered);
    }
    return stored.withAtoms(atomsOut);
  }

  /**
   * Runs a write ({@code what} describes it, made only for a message), retrying {@link
   * StorageException}s with backoff; other errors pass at once. Foreign exceptions from a
   * misbehaving connection become {@link StorageException}s.
   *
   * <p>A write can reach the store and still fail on its way back (a lost reply). Its retry then
   * meets a {@link ConflictException}, since the stored revision has moved on; in that case only,
   * {@code recover} reads the store and, when it already holds exactly what was being written, that
   * stored value is taken as the result instead of reporting a conflict.
   */
  private <T> T write(Supplier<String> what, Supplier<T> op, Supplier<T> recover) {
    FencedException wasFenced = fenced;
    if (wasFenced != null) {
      throw new FencedException(
          "Write of "
              + what.get()
              + " refused: an earlier write was fenced ("
              + wasFenced.getMessage()
              + ")",
          wasFenced);
    }
    int attempts = options.writeAttempts();
    List<StorageException> failures = null;
    for (int attempt = 1; ; attempt++) {
      try {
        T written = op.get();
        if (written == null) {
          throw new StorageException("the backend returned nothing for a write of " + what.get());
        }
        return written;
      } catch (FencedException e) {
        fenced = e; // final: this run lost its claim; no later write may be tried
        throw e;
      } catch (StorageException e) {
        if (failures == null) {
          failures = new ArrayList<>(attempts);
        }
        failures.add(e);
        if (attempt >= attempts) {
          break;
        }
        Duration wait = options.backoffAfter(attempt);
        LOG.warn(
            "Failed to save {} (attempt {} of {}), retrying in {} ms: {}",
            what.get(),
            attempt,
            attempts,
            wait.toMillis(),
            e.getMessage());
        sleep(wait, what.get());
      } catch (ConflictException e) {
        if (failures != null) {
          T recovered = tryRecover(recover, e);
          if (recovered != null) {
            LOG.info("Save of {} had reached the store before its reply was lost", what.get());
            return recovered;
          }
        }
        throw e; // another writer changed the record: retrying cannot help
      } catch (TaskFlowException e) {
        throw e; // missing records, refused values: retrying cannot help
      } catch (RuntimeException e) {
        throw new StorageException(
            "Failed to save " + what.get() + ": the backend failed with " + e.getClass().getName(),
            e);
      }
    }
    StorageException last = failures.get(failures.size() - 1);
    StorageException out =
        new StorageException(
            "Failed to save "
                + what.get()
                + " after "
                + attempts
                + (attempts == 1 ? " attempt: " : " attempts: ")
                + last.getMessage(),
            last);
    for (int i = 0; i < failures.size() - 1; i++) {
      out.addSuppressed(failures.get(i));
    }
    throw out;
  }

  private static <T> T tryRecover(Supplier<T> recover, ConflictException conflict) {
    try {
      return recover.get();
    } catch (RuntimeException e) {
      conflict.addSuppressed(e);
      return null;
    }
  }

  private void sleep(Duration wait, String what) {
    if (wait.isZero()) {
      return;
    }
    try {
      options.sleeper().sleep(wait);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while waiting to retry saving " + what, ie);
    }
  }

  /**
   * One atom: its current detail and what lives only in memory about it. Writes of one atom
   * synchronise on its entry (a monitor costs no object per atom, unlike a lock, and taking it
   * stores no reference into an entry that is long-lived in a large flow).
   */
  private static final class AtomEntry implements Provided {
    final String name;
    final AtomKind kind;

    /**
     * The current detail; null until first read for an atom the private store made (see {@link
     * #detail()}): a large flow would otherwise keep a PENDING detail per atom alive until the atom
     * runs, for the collector to copy.
     */
    volatile AtomDetail detail;

    /**
     * How its result maps to provided names: a {@link ResultMapping}, or the provided name alone
     * when the whole result is provided under it (no mapping object per atom of a large flow).
     */
    private volatile Object mapping = ResultMapping.none();

    volatile Failure liveFailure;
    volatile Failure liveRevertFailure;
    volatile Map<String, Object> transientArgs = Map.of();

    /** Position in the flow detail, so failures can be listed in atom order cheaply. */
    final int ordinal;

    /** The uuid and version of the PENDING detail made on first read; null otherwise. */
    private final String freshUuid;

    private final String freshVersion;

    AtomEntry(String name, AtomKind kind, AtomDetail detail, int ordinal) {
      this.name = name;
      this.kind = kind;
      this.detail = Objects.requireNonNull(detail, "detail");
      this.ordinal = ordinal;
      this.freshUuid = null;
      this.freshVersion = null;
    }

    /** An entry whose PENDING detail (revision 1, as the private store writes it) is made later. */
    AtomEntry(String name, AtomKind kind, int ordinal, String uuid, String version) {
      this.name = name;
      this.kind = kind;
      this.ordinal = ordinal;
      this.freshUuid = uuid;
      this.freshVersion = version;
    }

    String name() {
      return name;
    }

    ResultMapping mapping() {
      Object m = mapping;
      return m instanceof String whole ? ResultMapping.whole(whole) : (ResultMapping) m;
    }

    void setMapping(ResultMapping m) {
      mapping = m.wholeName() != null ? m.wholeName() : m;
    }

    /** Whether the atom provides its whole result under one name (nothing can be missing). */
    boolean providesWhole() {
      return mapping instanceof String;
    }

    /** The current detail, made now if it is still the fresh PENDING one. */
    AtomDetail detail() {
      AtomDetail d = detail;
      if (d == null) {
        // Racing readers make equal values; whichever is kept, each is the same detail.
        d = freshDetail(kind, freshUuid, name, freshVersion, 1);
        detail = d;
      }
      return d;
    }

    String uuid() {
      AtomDetail d = detail;
      return d == null ? freshUuid : d.uuid();
    }

    // As the sole provider of a name, giving its whole result (see #providers).

    @Override
    public List<String> defaults() {
      return List.of();
    }

    @Override
    public int atomCount() {
      return 1;
    }

    @Override
    public AtomEntry atom(int i) {
      return this;
    }

    @Override
    public Object key(int i) {
      return null;
    }

    @Override
    public int indexOf(String atomName) {
      return name.equals(atomName) ? 0 : -1;
    }

    AtomState state() {
      AtomDetail d = detail;
      return d == null ? AtomState.PENDING : d.state();
    }

    Intention intention() {
      AtomDetail d = detail;
      return d == null ? Intention.EXECUTE : d.intention();
    }
  }

  /**
   * Writes new atom details in one flow-detail write carrying only them (structure write lock
   * held); {@code what} names them in messages.
   *
   * @return the flow detail as written, with the stored details
   */
  private FlowDetail writeNewAtoms(String what, List<AtomDetail> details) {
    FlowDetail toWrite = header.withAtoms(details);
    FlowDetail written =
        write(
            () -> what + " of flow detail '" + header.name() + "'",
            () -> storeFlow(toWrite),
            () -> recoverFlow(toWrite));
    header = written.withoutAtoms();
    return written;
  }

  /** A new PENDING detail. */
  private static AtomDetail freshDetail(
      AtomKind kind, String uuid, String name, String version, long revision) {
    return kind == AtomKind.RETRY
        ? RetryDetail.of(name, uuid, version, revision)
        : TaskDetail.of(name, uuid, version, revision);
  }

  /** Who provides one result name: injected sources first, then atoms (each with its key). */
  private interface Provided {
    /** {@code null} = transient values, else the injector's name; in registration order. */
    List<String> defaults();

    int atomCount();

    /** The {@code i}-th providing atom, in registration order. */
    AtomEntry atom(int i);

    /** How the {@code i}-th providing atom's result gives this name. */
    Object key(int i);

    /** The position of providing atom {@code atomName}, or -1. */
    int indexOf(String atomName);
  }

  private static String describe(Provided ps) {
    List<String> names = new ArrayList<>();
    for (String d : ps.defaults()) {
      names.add(d == null ? "<transient>" : d);
    }
    for (int i = 0; i < ps.atomCount(); i++) {
      names.add(ps.atom(i).name);
    }
    return quote(names);
  }

  /** The providers of a name that has injected sources, several atoms, or one giving a part. */
  private static final class Providers implements Provided {
    List<String> defaults = List.of();

    // Most such names have one providing atom: it is held in two fields. A second one moves them
    // all to lists (and, past a few, to an index by atom name).
    private AtomEntry first;
    private Object firstKey;
    private List<AtomEntry> entries;
    private List<Object> keys;
    private Map<String, Integer> positions;

    Providers withAtom(AtomEntry e, Object key) {
      putAtom(e, key);
      return this;
    }

    @Override
    public List<String> defaults() {
      return defaults;
    }

    @Override
    public int atomCount() {
      return entries != null ? entries.size() : first != null ? 1 : 0;
    }

    @Override
    public AtomEntry atom(int i) {
      return entries != null ? entries.get(i) : first;
    }

    @Override
    public Object key(int i) {
      return keys != null ? keys.get(i) : firstKey;
    }

    @Override
    public int indexOf(String atomName) {
      if (positions != null) {
        Integer at = positions.get(atomName);
        return at == null ? -1 : at;
      }
      int n = atomCount();
      for (int i = 0; i < n; i++) {
        if (atom(i).name.equals(atomName)) {
          return i;
        }
      }
      return -1;
    }

    void putAtom(AtomEntry e, Object key) {
      int at = indexOf(e.name);
      if (at >= 0) {
        if (entries == null) {
          first = e;
          firstKey = key;
        } else {
          entries.set(at, e);
          keys.set(at, key);
        }
        return;
      }
      if (first == null && entries == null) {
        first = e;
        firstKey = key;
        return;
      }
      if (entries == null) {
        entries = new ArrayList<>(4);
        keys = new ArrayList<>(4);
        entries.add(first);
        keys.add(firstKey);
        first = null;
        firstKey = null;
      }
      entries.add(e);
      keys.add(key);
      if (positions == null && entries.size() > 8) {
        positions = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
          positions.put(entries.get(i).name, i);
        }
      } else if (positions != null) {
        positions.put(e.name, entries.size() - 1);
      }
    }
  }

  // ---------------------------------------------------------------- opening and closing

  /** Whether {@link #close} closes the connection: {@code open} took it from a backend. */
  private final java.util.concurrent.atomic.AtomicBoolean ownsConnection =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** The logbook {@code open} created or extended; null otherwise. */
  private String openedLogBook;

  Storage(
      FlowDetail flowDetail,
      Connection connection,
      StorageOptions options,
      boolean ownsConnection,
      String logBookUuid) {
    this(flowDetail, connection, options);
    this.ownsConnection.set(ownsConnection);
    this.openedLogBook = logBookUuid;
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
      io.taskflow4j.persistence.Backend backend,
      LogBook book,
      FlowDetail flowDetail,
      StorageOptions options) {
    return StorageOpener.create(StorageOpener.connect(backend), true, book, flowDetail, options);
  }

  /**
   * As {@link #open(io.taskflow4j.persistence.Backend, LogBook, FlowDetail, StorageOptions)}
   * through {@code connection}, which stays the caller's: {@link #close} leaves it open. A null
   * connection keeps everything in a private in-memory store (no logbook is saved).
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
   * @throws io.taskflow4j.persistence.NotFoundException when the store does not hold the detail
   */
  public static Storage openStored(
      io.taskflow4j.persistence.Backend backend, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.stored(StorageOpener.connect(backend), true, flowDetail, options);
  }

  /**
   * As {@link #openStored(io.taskflow4j.persistence.Backend, FlowDetail, StorageOptions)} through
   * {@code connection}, which stays the caller's. With a null connection the detail given is the
   * whole record, kept in a private in-memory store.
   */
  public static Storage openStored(
      Connection connection, FlowDetail flowDetail, StorageOptions options) {
    return StorageOpener.stored(connection, false, flowDetail, options);
  }

  /** The logbook {@code open} created or extended for this storage's flow detail, if it did. */
  public java.util.Optional<String> logBookUuid() {
    return java.util.Optional.ofNullable(openedLogBook);
  }

  /**
   * Closes the connection when this storage owns it (it was opened from a backend); otherwise does
   * nothing. Idempotent. Writes after closing fail as the closed connection makes them fail.
   */
  public void close() {
    if (ownsConnection.getAndSet(false)) {
      connection.close();
    }
  }
}
