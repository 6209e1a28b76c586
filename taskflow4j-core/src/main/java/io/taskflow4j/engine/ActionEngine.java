package io.taskflow4j.engine;

import io.taskflow4j.Arguments;
import io.taskflow4j.Atom;
import io.taskflow4j.MissingDependenciesException;
import io.taskflow4j.Provides;
import io.taskflow4j.Retry;
import io.taskflow4j.Task;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.Stamp;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.WrappedFailureException;
import io.taskflow4j.storage.AtomKind;
import io.taskflow4j.storage.AtomSpec;
import io.taskflow4j.storage.InvalidResultException;
import io.taskflow4j.storage.ResultMapping;
import io.taskflow4j.storage.StateAndIntention;
import io.taskflow4j.storage.Storage;
import io.taskflow4j.storage.StorageOptions;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serial and parallel engine (TaskFlow's action engine).
 *
 * <p>Scheduling keeps, per node of the compiled graph, how many predecessors are not yet done (and
 * how many successors are not yet reverted), updated on every state change; an atom becomes a
 * candidate when its count reaches zero. So each completion costs work proportional to the atom's
 * own edges, never a scan of the flow.
 *
 * <p>Threads: the engine thread (the caller of {@code run}) owns the scheduling state. An atom's
 * own work — writing RUNNING, fetching arguments, executing, writing the outcome, notifying — runs
 * on the executor (inline for the serial engine) and reports back through a queue; every write
 * happens before the matching notification.
 */
final class ActionEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(ActionEngine.class);

  private static final String HOST = hostName();
  // In its stored form (a JSON number reads back as the smallest type that holds it), so that
  // storing it does not box a new number for every atom.
  private static final Object PID = Json.normalize(ProcessHandle.current().pid());
  private static final Double PROGRESS_NONE = 0.0;
  private static final Double PROGRESS_DONE = 1.0;
  private static final String USER = System.getProperty("user.name", "unknown");

  private final Engines.Builder cfg;
  private final Flow root;
  private final Notifier<FlowState, FlowEvent> flowNotifier = new Notifier<>(FlowState.class);
  private final Notifier<AtomState, AtomEvent> atomNotifier = new Notifier<>(AtomState.class);
  private final AtomicBoolean running = new AtomicBoolean();
  private final Object flowStateLock = new Object();
  private volatile Compilation compilation;
  private volatile Storage storage;
  private Connection connection;
  private boolean ownsConnection;

  /** The uuid of the logbook the engine created or was given for a new run; null otherwise. */
  private volatile String logBookUuid;

  private volatile boolean storageEnsured;
  private String[] uuids;
  private volatile boolean suspending;

  ActionEngine(Engines.Builder cfg) {
    this.cfg = cfg;
    this.root =
        cfg.flow instanceof Flow f ? f : LinearFlow.of(cfg.flow.name()).add((Atom) cfg.flow);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception | LinkageError e) {
      return "unknown";
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void compile() {
    if (compilation == null) {
      synchronized (this) {
        if (compilation == null) {
          compilation = Compiler.compile(root);
        }
      }
    }
  }

  @Override
  public Storage storage() {
    Storage s = storage;
    if (s == null) {
      synchronized (this) {
        s = storage;
        if (s == null) {
          s = createStorage();
          storage = s;
        }
      }
    }
    return s;
  }

  private Storage createStorage() {
    Connection conn = cfg.connection;
    if (conn == null && cfg.backend != null) {
      conn = cfg.backend.getConnection();
      ownsConnection = true;
    }
    connection = conn;
    FlowDetail fd = cfg.flowDetail;
    if (fd != null && conn != null) {
      fd = storedForm(conn, fd);
    }
    if (fd == null) {
      Map<String, Object> meta = new LinkedHashMap<>();
      if (cfg.factory != null) {
        meta.put(FlowDetail.META_FACTORY, cfg.factory);
      }
      FlowDetail fresh = FlowDetail.create(root.name()).withMeta(meta);
      fd = fresh;
      if (conn != null) {
        LogBook book =
            cfg.logBook != null ? cfg.logBook.withoutFlows() : LogBook.create(root.name());
        LogBook saved = conn.saveLogBook(book.withFlow(fresh));
        logBookUuid = saved.uuid();
        fd =
            saved
                .find(fresh.uuid())
                .orElseThrow(
                    () ->
                        new TaskFlowException(
                            "the backend did not return flow detail " + fresh.uuid()));
      }
    }
    StorageOptions options =
        cfg.storageOptions != null
            ? cfg.storageOptions
            : StorageOptions.builder().clock(cfg.clock).build();
    return new Storage(fd, conn, options);
  }

  /**
   * The stored form of a flow detail the caller supplied, read with every atom detail. The caller's
   * copy may lack atoms (a lazy read) or be older than the store; resuming from it would create a
   * second atom detail under a name the store already holds and run finished tasks again. The store
   * is the authority, so the engine starts from what it holds.
   */
  private static FlowDetail storedForm(Connection conn, FlowDetail given) {
    try {
      return conn.getFlowDetails(given.uuid(), false);
    } catch (NotFoundException e) {
      throw new NotFoundException(
          "Flow detail '"
              + given.name()
              + "' ("
              + given.uuid()
              + ") is not in the store, so there is nothing to resume; save it through its"
              + " logbook first (Connection.saveLogBook), or leave out flowDetail(...) to start a"
              + " new run",
          e);
    }
  }

  @Override
  public void prepare() {
    compile();
    Storage s = storage();
    if (!storageEnsured) {
      synchronized (this) {
        if (!storageEnsured) {
          ensureStorage(s);
          storageEnsured = true;
        }
      }
    }
    if (s.getFlowState() == FlowState.REVERTED) {
      reset();
    }
  }

  private void ensureStorage(Storage s) {
    Compilation c = compilation;
    changeFlowState(FlowState.RESUMING);
    List<AtomSpec> specs = new ArrayList<>(c.atomCount);
    for (Atom a : c.atoms) {
      specs.add(
          new AtomSpec(
              a.name(),
              a instanceof Retry ? AtomKind.RETRY : AtomKind.TASK,
              a.version(),
              mapping(a.provides())));
    }
    uuids = s.ensureAtoms(specs).toArray(new String[0]);
    for (Atom a : c.atoms) {
      if (!a.injected().isEmpty()) {
        s.injectAtomArgs(a.name(), a.injected(), cfg.injectTransient);
      }
    }
    if (!cfg.store.isEmpty()) {
      s.inject(cfg.store, false);
    }
    if (!cfg.transientStore.isEmpty()) {
      s.inject(cfg.transientStore, true);
    }
    if (cfg.factory != null) {
      Object recorded = s.flowMeta().get(FlowDetail.META_FACTORY);
      if (!Json.normalize(cfg.factory).equals(recorded)) {
        s.updateFlowMetadata(Map.of(FlowDetail.META_FACTORY, cfg.factory));
      }
    }
    changeFlowState(FlowState.SUSPENDED);
  }

  private static ResultMapping mapping(Provides p) {
    return switch (p.mode()) {
      case NONE -> ResultMapping.none();
      case WHOLE -> ResultMapping.whole(p.names().get(0));
      case BY_INDEX -> ResultMapping.byIndex(p.names());
      case BY_KEY -> ResultMapping.byKey(p.names());
    };
  }

  @Override
  public void validate() {
    if (!storageEnsured) {
      prepare();
    }
    Compilation c = compilation;
    Storage s = storage();
    Map<String, List<String>> missing = new LinkedHashMap<>();
    for (int i = 0; i < c.atomCount; i++) {
      Atom a = c.atoms[i];
      Set<String> m =
          s.fetchUnsatisfiedArgs(
              a.name(), a.argumentMapping(), c.scopeWalker(i), a.optionalArguments());
      if (!m.isEmpty()) {
        missing.put(a.name(), List.copyOf(new TreeSet<>(m)));
      }
    }
    if (!missing.isEmpty()) {
      throw new MissingDependenciesException(missing);
    }
  }

  @Override
  public void run() {
    try (EngineRun r = runIter()) {
      while (r.hasNext()) {
        r.next();
      }
    }
  }

  @Override
  public EngineRun runIter() {
    return new Run();
  }

  @Override
  public void suspend() {
    if (storage == null) {
      return;
    }
    if (changeFlowState(FlowState.SUSPENDING)) {
      suspending = true;
    }
  }

  @Override
  public void reset() {
    if (!storageEnsured) {
      throw new InvalidStateException("Can not reset an engine which has not been prepared");
    }
    Compilation c = compilation;
    for (int i = 0; i < c.atomCount; i++) {
      resetAtom(i);
    }
    changeFlowState(FlowState.PENDING);
  }

  /** Back to PENDING/EXECUTE; a PENDING event when the state changed. */
  private AtomState resetAtom(int i) {
    Storage s = storage;
    String name = compilation.names[i];
    AtomState old = s.getAtomState(name);
    if (old != AtomState.PENDING) {
      s.reset(name, AtomState.PENDING);
      notifyAtom(i, old, AtomState.PENDING, null, null);
    }
    s.setAtomIntention(name, Intention.EXECUTE);
    return old;
  }

  @Override
  public FlowDetail flowDetail() {
    return storage().flowDetail();
  }

  @Override
  public Optional<String> logBookUuid() {
    storage();
    return Optional.ofNullable(logBookUuid);
  }

  @Override
  public FlowState flowState() {
    return storage().getFlowState();
  }

  @Override
  public Notifier<FlowState, FlowEvent> notifier() {
    return flowNotifier;
  }

  @Override
  public Notifier<AtomState, AtomEvent> atomNotifier() {
    return atomNotifier;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (ownsConnection && connection != null) {
        connection.close();
        ownsConnection = false;
      }
    }
  }

  private boolean changeFlowState(FlowState to) {
    Storage s = storage();
    FlowState old;
    boolean moved;
    synchronized (flowStateLock) {
      old = s.getFlowState();
      moved = s.changeFlowState(to);
    }
    if (moved) {
      flowNotifier.emit(to, new FlowEvent(s.flowName(), s.flowUuid(), old, to));
    }
    return moved;
  }

  private void notifyAtom(int i, AtomState old, AtomState now, Object result, Failure failure) {
    if (atomNotifier.isEmpty()) {
      return;
    }
    Compilation c = compilation;
    atomNotifier.emit(
        now,
        new AtomEvent(
            c.names[i],
            uuids[i],
            c.isRetry[i] ? AtomKind.RETRY : AtomKind.TASK,
            old,
            now,
            result,
            failure));
  }

  // ---------------------------------------------------------------- atom work (executor side)

  /** What a worker reports back to the engine thread. */
  private record Completion(int atom, boolean revert, Failure failure, Throwable engineError) {}

  private Arguments arguments(int i) {
    Compilation c = compilation;
    Atom a = c.atoms[i];
    String name = c.names[i];
    Map<String, Object> values =
        a.argumentMapping().isEmpty()
            ? Map.of()
            : storage.fetchMappedArgs(
                a.argumentMapping(), name, c.scopeWalker(i), a.optionalArguments());
    return Arguments.of(values, a.argumentTypes(), (p, d) -> recordProgress(name, p, d));
  }

  private void recordProgress(String name, double progress, Map<String, Object> details) {
    try {
      storage.setTaskProgress(name, progress, details.isEmpty() ? null : details);
    } catch (RuntimeException e) {
      LOG.warn("Could not record the progress of atom '{}'", name, e);
    }
  }

  private Completion execute(int i, AtomState old) {
    Compilation c = compilation;
    Storage s = storage;
    String name = c.names[i];
    Atom atom = c.atoms[i];
    Stamp startedAt = Stamp.of(cfg.clock.instant());
    AtomDetail before = s.atomDetail(name);
    int attempt = previousAttempts(before) + 1;
    Map<String, Object> start =
        ArrayMap.ofDistinct(
            new Object[] {
              AtomDetail.META_PROGRESS,
              PROGRESS_NONE,
              AtomDetail.META_STARTED_AT,
              startedAt,
              AtomDetail.META_ATTEMPT,
              attempt,
              AtomDetail.META_HOST,
              HOST,
              AtomDetail.META_PID,
              PID,
              AtomDetail.META_USER,
              USER
            });
    s.setAtomState(name, AtomState.RUNNING, start);
    if (old != AtomState.RUNNING) {
      // Re-running an atom left RUNNING is silent (TaskFlow's identity transition).
      notifyAtom(i, old, AtomState.RUNNING, null, null);
    }
    long t0 = System.nanoTime();
    Object result = null;
    Failure failure = null;
    try {
      Arguments args = arguments(i);
      result =
          atom instanceof Task t
              ? cfg.taskRunner.execute(invocation(t, before, attempt, args))
              : ((Retry) atom).execute(args, s.getRetryHistory(name));
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      failure = failureOf(t);
    }
    Stamp endedAt = Stamp.of(cfg.clock.instant());
    Double duration = (System.nanoTime() - t0) / 1e9;
    if (failure == null) {
      try {
        s.save(
            name,
            result,
            AtomState.SUCCESS,
            ArrayMap.ofDistinct(
                new Object[] {
                  AtomDetail.META_PROGRESS,
                  PROGRESS_DONE,
                  AtomDetail.META_ENDED_AT,
                  endedAt,
                  AtomDetail.META_DURATION,
                  duration
                }));
      } catch (InvalidResultException | IllegalArgumentException e) {
        // The task worked but its result cannot be recorded: a failure of the task, so the flow
        // reverts instead of continuing with a result a resumed run could not see.
        failure = Failure.of(new IllegalArgumentException(e.getMessage(), e));
        result = null;
      }
    }
    if (failure != null) {
      s.save(
          name,
          failure,
          AtomState.FAILURE,
          ArrayMap.ofDistinct(
              new Object[] {
                AtomDetail.META_ENDED_AT, endedAt, AtomDetail.META_DURATION, duration
              }));
      notifyAtom(i, AtomState.RUNNING, AtomState.FAILURE, null, failure);
    } else {
      notifyAtom(i, AtomState.RUNNING, AtomState.SUCCESS, result, null);
    }
    return new Completion(i, false, failure, null);
  }

  /**
   * The failure to record for what a task threw. A failure that arrived already captured (a {@link
   * WrappedFailureException} holding one failure, as a remote worker reports it) is recorded as it
   * is, with its original type names, not as a wrapper.
   */
  private static Failure failureOf(Throwable t) {
    if (t instanceof WrappedFailureException w && w.failures().size() == 1) {
      return w.failures().get(0);
    }
    return Failure.of(t);
  }

  private TaskRunner.Invocation invocation(Task t, AtomDetail d, int attempt, Arguments args) {
    return new TaskRunner.Invocation(t, d.name(), d.uuid(), storage.flowUuid(), attempt, args);
  }

  private static int previousAttempts(AtomDetail d) {
    Object a = d.meta().get(AtomDetail.META_ATTEMPT);
    return a instanceof Number n ? n.intValue() : 0;
  }

  private Completion revert(int i, AtomState old) {
    Compilation c = compilation;
    Storage s = storage;
    String name = c.names[i];
    Atom atom = c.atoms[i];
    if (old != AtomState.REVERTING) {
      s.setAtomState(name, AtomState.REVERTING, Map.of(AtomDetail.META_PROGRESS, 0.0));
      notifyAtom(i, old, AtomState.REVERTING, null, null);
    }
    Object revertResult = null;
    Failure failure = null;
    try {
      Arguments args = arguments(i);
      Map<String, Failure> failures = s.getExecuteFailures();
      if (atom instanceof Task t) {
        AtomDetail d = s.atomDetail(name);
        revertResult =
            cfg.taskRunner.revert(
                invocation(t, d, previousAttempts(d), args), executeResult(s, name), failures);
      } else {
        revertResult = ((Retry) atom).revert(args, s.getRetryHistory(name), failures);
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      failure = failureOf(t);
    }
    if (failure == null) {
      try {
        if (atom instanceof Task) {
          s.save(name, revertResult, AtomState.REVERTED, Map.of(AtomDetail.META_PROGRESS, 1.0));
        } else {
          // A reverted retry forgets its attempts, so a rerun starts counting afresh; its revert
          // result is kept (TaskFlow loses it).
          s.saveRetryReverted(name, revertResult);
        }
      } catch (InvalidResultException | IllegalArgumentException e) {
        failure = Failure.of(new IllegalArgumentException(e.getMessage(), e));
      }
    }
    if (failure != null) {
      s.save(name, failure, AtomState.REVERT_FAILURE);
      notifyAtom(i, AtomState.REVERTING, AtomState.REVERT_FAILURE, null, failure);
    } else {
      notifyAtom(i, AtomState.REVERTING, AtomState.REVERTED, revertResult, null);
    }
    return new Completion(i, true, failure, null);
  }

  private static Object executeResult(Storage s, String name) {
    try {
      return s.getExecuteResult(name);
    } catch (NotFoundException e) {
      return null; // e.g. reverting an atom whose execution never finished
    }
  }

  // ---------------------------------------------------------------- the run (engine thread)

  private enum Phase {
    START,
    RESUMING,
    SCHEDULING,
    WAITING,
    ANALYZING
  }

  /** Which atoms a failure sends back (TaskFlow's resolution strategies). */
  private record Resolution(Retry.Decision decision, int retry, boolean fromRetry) {}

  private static final Resolution REVERT_EVERYTHING =
      new Resolution(Retry.Decision.REVERT_ALL, -1, false);

  private final class Run implements EngineRun {
    private Phase phase = Phase.START;
    private boolean finished;
    private Compilation c;
    private Storage s;
    private int n;
    private AtomState[] state;
    private Intention[] intention;

    /** Per retry: how many atoms of its scope are done (SUCCESS or IGNORE). */
    private int[] scopeDone;

    private int[] pendingPreds;
    private int[] pendingSuccs;
    private final IntQueue candidates = new IntQueue();
    private final IntList nextUp = new IntList();
    private boolean[] inNextUp;
    private final IntList stack = new IntList();
    private final BlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final List<Completion> drained = new ArrayList<>();
    private int inFlight;

    /**
     * Whether a failure of this run was resolved with "revert everything". It is final: a later
     * failure resolved by a retry as RETRY (e.g. a parallel branch failing afterwards) must not
     * bring its scope back to life (TaskFlow bug 2043808).
     */
    private boolean revertingAll;

    private final List<Failure> retained = new ArrayList<>();
    private Throwable engineError;
    private Executor executor;
    private ExecutorService ownedPool;

    @Override
    public boolean hasNext() {
      return !finished;
    }

    @Override
    public EngineState next() {
      if (finished) {
        throw new NoSuchElementException("the run has ended");
      }
      if (phase == Phase.START) {
        begin();
        phase = Phase.RESUMING;
        return EngineState.RESUMING;
      }
      try {
        switch (phase) {
          case RESUMING:
            resume();
            phase = Phase.SCHEDULING;
            return EngineState.SCHEDULING;
          case SCHEDULING:
            schedule();
            phase = Phase.WAITING;
            return EngineState.WAITING;
          case WAITING:
            awaitCompletions();
            phase = Phase.ANALYZING;
            return EngineState.ANALYZING;
          default:
            analyze();
            if (canSchedule() && !nextUp.isEmpty()) {
              phase = Phase.SCHEDULING;
              return EngineState.SCHEDULING;
            }
            if (inFlight > 0) {
              phase = Phase.WAITING;
              return EngineState.WAITING;
            }
            return finish();
        }
      } catch (RuntimeException | Error e) {
        if (!finished) {
          abort(e);
        }
        throw e;
      }
    }

    @Override
    public void close() {
      if (finished || phase == Phase.START) {
        finished = true;
        return;
      }
      suspend();
      while (!finished) {
        next();
      }
    }

    private void begin() {
      if (!running.compareAndSet(false, true)) {
        finished = true;
        throw new IllegalStateException(
            "Engine is already running (in another thread or a listener); try again later");
      }
      try {
        suspending = false;
        compile();
        prepare();
        validate();
        c = compilation;
        s = storage;
        n = c.atomCount;
        changeFlowState(FlowState.RUNNING);
        startExecutor();
        loadStates();
      } catch (RuntimeException | Error e) {
        finished = true;
        stopExecutor();
        running.set(false);
        throw e;
      }
    }

    private void startExecutor() {
      if (!cfg.parallel) {
        executor = Runnable::run;
      } else if (cfg.executor != null) {
        executor = cfg.executor;
      } else {
        AtomicInteger count = new AtomicInteger();
        String prefix = "taskflow4j-" + s.flowName() + "-";
        ThreadFactory tf =
            r -> {
              Thread t = new Thread(r, prefix + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            };
        ownedPool = Executors.newFixedThreadPool(cfg.maxWorkers, tf);
        executor = ownedPool;
      }
    }

    private void stopExecutor() {
      if (ownedPool != null) {
        ownedPool.shutdown();
        ownedPool = null;
      }
    }

    /** Mirrors the recorded states and derives the readiness counters, in topological order. */
    private void loadStates() {
      state = new AtomState[n];
      intention = new Intention[n];
      List<StateAndIntention> recorded = s.getAtomsStatesInOrder(Arrays.asList(c.names));
      for (int i = 0; i < n; i++) {
        StateAndIntention si = recorded.get(i);
        state[i] = si.state();
        intention[i] = si.intention();
      }
      scopeDone = new int[n];
      for (int i = 0; i < n; i++) {
        if (doneForScope(state[i])) {
          countInScopes(i, 1);
        }
      }
      int nodes = c.nodeCount;
      pendingPreds = new int[nodes];
      pendingSuccs = new int[nodes];
      inNextUp = new boolean[n];
      int[] topo = c.topo;
      for (int t = 0; t < nodes; t++) {
        int v = topo[t];
        int count = 0;
        for (int e = c.predStart[v]; e < c.predStart[v + 1]; e++) {
          if (!execDone(c.pred[e])) {
            count++;
          }
        }
        pendingPreds[v] = count;
      }
      for (int t = nodes - 1; t >= 0; t--) {
        int v = topo[t];
        int count = 0;
        for (int e = c.succStart[v]; e < c.succStart[v + 1]; e++) {
          if (!revertDone(c.succ[e])) {
            count++;
          }
        }
        pendingSuccs[v] = count;
      }
    }

    /**
     * Done for its successors: succeeded (or ignored) and every predecessor done too. Being
     * transitive matters after a resume, where an atom left running can finish before atoms it
     * depends on.
     */
    private boolean execDone(int node) {
      return pendingPreds[node] == 0 && (node >= n || execBase(node));
    }

    private boolean execBase(int i) {
      AtomState st = state[i];
      Intention it = intention[i];
      return (st == AtomState.SUCCESS || st == AtomState.IGNORE)
          && (it == Intention.EXECUTE || it == Intention.IGNORE);
    }

    /** Reverted (or never run) and every successor too, so predecessors may revert. */
    private boolean revertDone(int node) {
      return pendingSuccs[node] == 0 && (node >= n || revertBase(node));
    }

    private boolean revertBase(int i) {
      AtomState st = state[i];
      return st == AtomState.PENDING || st == AtomState.REVERTED || st == AtomState.IGNORE;
    }

    /** Changes an atom's mirrored state/intention and updates its neighbours' counters. */
    private void setMirror(int i, AtomState st, Intention it) {
      boolean oldE = execDone(i);
      boolean oldR = revertDone(i);
      boolean wasDone = doneForScope(state[i]);
      if (wasDone != doneForScope(st)) {
        countInScopes(i, wasDone ? -1 : 1);
      }
      state[i] = st;
      intention[i] = it;
      boolean newE = execDone(i);
      boolean newR = revertDone(i);
      if (oldE != newE) {
        propagateExec(i, newE);
      }
      if (oldR != newR) {
        propagateRevert(i, newR);
      }
    }

    private static boolean doneForScope(AtomState st) {
      return st == AtomState.SUCCESS || st == AtomState.IGNORE;
    }

    /** Adds {@code delta} to the done-count of every retry guarding atom {@code i}. */
    private void countInScopes(int i, int delta) {
      for (int r = c.retryOf[i]; r >= 0; r = c.retryOf[r]) {
        scopeDone[r] += delta;
      }
    }

    /**
     * After atom {@code i} succeeded: ends the current attempt of each retry (itself, if it is one,
     * and those guarding it) whose whole scope is now done, so the logbook tells when a successful
     * attempt ended as well as a failed one.
     */
    private void closeFinishedAttempts(int i) {
      for (int r = c.isRetry[i] ? i : c.retryOf[i]; r >= 0; r = c.retryOf[r]) {
        if (state[r] == AtomState.SUCCESS && scopeDone[r] == c.scopeEnd[r] - r - 1) {
          s.closeRetryAttempt(c.names[r]);
        }
      }
    }

    private void propagateExec(int node, boolean done) {
      stack.clear();
      stack.add(node);
      while (!stack.isEmpty()) {
        int v = stack.removeLast();
        for (int e = c.succStart[v]; e < c.succStart[v + 1]; e++) {
          int w = c.succ[e];
          if (done) {
            if (--pendingPreds[w] == 0) {
              if (w < n) {
                candidates.add(w);
              }
              if (w >= n || execBase(w)) {
                stack.add(w);
              }
            }
          } else if (pendingPreds[w]++ == 0 && (w >= n || execBase(w))) {
            stack.add(w);
          }
        }
      }
    }

    private void propagateRevert(int node, boolean done) {
      stack.clear();
      stack.add(node);
      while (!stack.isEmpty()) {
        int v = stack.removeLast();
        for (int e = c.predStart[v]; e < c.predStart[v + 1]; e++) {
          int w = c.pred[e];
          if (done) {
            if (--pendingSuccs[w] == 0) {
              if (w < n) {
                candidates.add(w);
              }
              if (w >= n || revertBase(w)) {
                stack.add(w);
              }
            }
          } else if (pendingSuccs[w]++ == 0 && (w >= n || revertBase(w))) {
            stack.add(w);
          }
        }
      }
    }

    private boolean canTransition(int i, AtomState to) {
      return c.isRetry[i]
          ? AtomState.checkRetryTransition(state[i], to)
          : AtomState.checkTaskTransition(state[i], to);
    }

    private boolean ready(int i) {
      Intention it = intention[i];
      if (it == Intention.EXECUTE) {
        return pendingPreds[i] == 0 && canTransition(i, AtomState.RUNNING);
      }
      if (it == Intention.REVERT || it == Intention.RETRY) {
        return pendingSuccs[i] == 0 && canTransition(i, AtomState.REVERTING);
      }
      return false;
    }

    private void addNextUp(int i) {
      if (!inNextUp[i]) {
        inNextUp[i] = true;
        nextUp.add(i);
      }
    }

    /** TaskFlow's resume: re-resolve recorded failures, restart retrying scopes, pick work. */
    private void resume() {
      if (!cfg.neverResolve) {
        for (int i = 0; i < n; i++) {
          if (state[i] == AtomState.FAILURE) {
            resolve(i, recordedFailure(i));
          }
        }
      }
      for (int i = 0; i < n; i++) {
        if (c.isRetry[i] && state[i] == AtomState.RETRYING) {
          retryScope(i);
        }
      }
      candidates.clear();
      for (int i = 0; i < n; i++) {
        if (ready(i)) {
          addNextUp(i);
        }
      }
      // Atoms a previous run left half-done run again (at-least-once), after the ready ones.
      for (int i = 0; i < n; i++) {
        if (state[i] == AtomState.RUNNING || state[i] == AtomState.REVERTING) {
          addNextUp(i);
        }
      }
    }

    private Failure recordedFailure(int i) {
      Object r = executeResult(s, c.names[i]);
      if (r instanceof Failure f) {
        return f;
      }
      Failure f = s.atomDetail(c.names[i]).failure();
      return f != null
          ? f
          : Failure.of(new IllegalStateException("atom '" + c.names[i] + "' failed"));
    }

    private boolean canSchedule() {
      return engineError == null && retained.isEmpty() && !suspending;
    }

    private void schedule() {
      if (!canSchedule()) {
        return;
      }
      int count = nextUp.size();
      for (int k = 0; k < count; k++) {
        int i = nextUp.get(k);
        inNextUp[i] = false;
        dispatch(i);
        if (engineError != null) {
          for (int j = k + 1; j < count; j++) {
            inNextUp[nextUp.get(j)] = false;
          }
          break;
        }
      }
      nextUp.clear();
    }

    private void dispatch(int i) {
      AtomState old = state[i];
      Intention it = intention[i];
      Runnable job;
      if (it == Intention.EXECUTE) {
        setMirror(i, AtomState.RUNNING, it);
        job = () -> report(i, false, old);
      } else if (it == Intention.REVERT) {
        setMirror(i, AtomState.REVERTING, it);
        job = () -> report(i, true, old);
      } else if (it == Intention.RETRY && c.isRetry[i]) {
        s.setAtomState(c.names[i], AtomState.RETRYING);
        notifyAtom(i, old, AtomState.RETRYING, null, null);
        setMirror(i, AtomState.RETRYING, it);
        retryScope(i);
        setMirror(i, AtomState.RUNNING, Intention.EXECUTE);
        job = () -> report(i, false, AtomState.RETRYING);
      } else {
        throw new IllegalStateException(
            "Unknown how to schedule atom '" + c.names[i] + "' with intention " + it);
      }
      inFlight++;
      try {
        executor.execute(job);
      } catch (RejectedExecutionException e) {
        inFlight--;
        engineError = e;
      }
    }

    /** Runs on the executor: the atom's work, then hands the outcome to the engine thread. */
    private void report(int i, boolean isRevert, AtomState old) {
      Completion done;
      try {
        done = isRevert ? revert(i, old) : execute(i, old);
      } catch (Throwable t) {
        done = new Completion(i, isRevert, null, t);
      }
      completions.add(done);
    }

    /** TaskFlow's retry_subflow: the retry executes again; its scope starts over. */
    private void retryScope(int r) {
      s.setAtomIntention(c.names[r], Intention.EXECUTE);
      setMirror(r, state[r], Intention.EXECUTE);
      for (int i = r + 1; i < c.scopeEnd[r]; i++) {
        resetAtom(i);
        setMirror(i, AtomState.PENDING, Intention.EXECUTE);
      }
    }

    private void awaitCompletions() {
      if (inFlight == 0) {
        return;
      }
      if (completions.isEmpty()) {
        try {
          drained.add(completions.take());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TaskFlowException("Interrupted while waiting for atoms to finish", e);
        }
      }
    }

    private void analyze() {
      completions.drainTo(drained);
      inFlight -= drained.size();
      for (Completion done : drained) {
        int i = done.atom();
        if (done.engineError() != null) {
          if (engineError == null) {
            engineError = done.engineError();
          } else {
            engineError.addSuppressed(done.engineError());
          }
          continue;
        }
        Failure f = done.failure();
        if (!done.revert()) {
          setMirror(i, f == null ? AtomState.SUCCESS : AtomState.FAILURE, intention[i]);
          if (f == null) {
            closeFinishedAttempts(i);
          } else {
            if (cfg.neverResolve) {
              retained.add(f);
            } else {
              resolve(i, f);
            }
          }
        } else {
          setMirror(i, f == null ? AtomState.REVERTED : AtomState.REVERT_FAILURE, intention[i]);
          if (f != null) {
            retained.add(f); // a failed revert cannot be resolved: the flow ends in FAILURE
          }
        }
        candidates.add(i);
      }
      drained.clear();
      while (!candidates.isEmpty()) {
        int i = candidates.poll();
        if (ready(i)) {
          addNextUp(i);
        }
      }
    }

    private void resolve(int atom, Failure failure) {
      Resolution r = determine(atom, failure);
      if (r.decision() == Retry.Decision.REVERT_ALL) {
        revertingAll = true;
      } else if (revertingAll) {
        // The retries were asked (their histories record the failure), but everything reverts.
        r = REVERT_EVERYTHING;
      }
      switch (r.decision()) {
        case REVERT_ALL -> {
          for (int i = 0; i < n; i++) {
            changeIntention(i, Intention.REVERT);
          }
        }
        case REVERT -> {
          changeIntention(r.retry(), Intention.REVERT);
          for (int i = r.retry() + 1; i < c.scopeEnd[r.retry()]; i++) {
            changeIntention(i, Intention.REVERT);
          }
        }
        case RETRY -> {
          changeIntention(r.retry(), Intention.RETRY);
          for (int i = r.retry() + 1; i < c.scopeEnd[r.retry()]; i++) {
            changeIntention(i, Intention.REVERT);
          }
        }
      }
    }

    private Resolution determine(int atom, Failure failure) {
      int r = c.retryOf[atom];
      if (r < 0) {
        return REVERT_EVERYTHING;
      }
      String retryName = c.names[r];
      s.saveRetryFailure(retryName, c.names[atom], failure);
      Retry.Decision d = ((Retry) c.atoms[r]).onFailure(arguments(r), s.getRetryHistory(retryName));
      if (d == null) {
        throw new IllegalStateException("retry '" + retryName + "' returned no decision");
      }
      switch (d) {
        case RETRY:
          return new Resolution(Retry.Decision.RETRY, r, true);
        case REVERT:
          Resolution parent = determine(r, failure);
          if (cfg.deferReverts) {
            return parent;
          }
          if (parent.fromRetry() && parent.decision() != Retry.Decision.REVERT) {
            return parent;
          }
          return new Resolution(Retry.Decision.REVERT, r, true);
        default:
          return new Resolution(Retry.Decision.REVERT_ALL, -1, true);
      }
    }

    private void changeIntention(int i, Intention it) {
      if (intention[i] != it) {
        s.setAtomIntention(c.names[i], it);
        setMirror(i, state[i], it);
      }
      candidates.add(i);
    }

    private boolean allSucceeded() {
      for (int i = 0; i < n; i++) {
        if (state[i] != AtomState.SUCCESS && state[i] != AtomState.IGNORE) {
          return false;
        }
      }
      return true;
    }

    private EngineState finish() {
      finished = true;
      stopExecutor();
      if (engineError != null) {
        // Cut short (see abort): the flow keeps the unfinished state it has in the store.
        running.set(false);
        logStopped(engineError);
        throw propagate(engineError);
      }
      EngineState fin;
      if (!retained.isEmpty()) {
        fin = EngineState.FAILURE;
      } else if (!nextUp.isEmpty()) {
        fin = EngineState.SUSPENDED;
      } else if (allSucceeded()) {
        fin = EngineState.SUCCESS;
      } else {
        fin = EngineState.REVERTED;
      }
      try {
        recordFinalState(FlowState.valueOf(fin.name()));
      } finally {
        running.set(false);
      }
      if (fin == EngineState.FAILURE) {
        Failure.reraiseIfAny(retained);
      }
      if (fin == EngineState.REVERTED) {
        List<Failure> all = new ArrayList<>(s.getExecuteFailures().values());
        all.addAll(s.getRevertFailures().values());
        Failure.reraiseIfAny(all);
      }
      return fin;
    }

    /**
     * Writes the state the run ended in. A final state refused because another engine changed the
     * flow's own fields (a second resumer that will stop at its first atom write) is still recorded
     * when every atom is as this run left it; see {@link Storage#finishOverChangedFlow}.
     */
    private void recordFinalState(FlowState end) {
      try {
        changeFlowState(end);
      } catch (ConflictException e) {
        FlowState old = s.getFlowState();
        if (!end.isFinished() || !s.finishOverChangedFlow(end)) {
          throw e;
        }
        LOG.info(
            "Flow '{}' ({}) was changed by another writer; its atoms were as this run left them,"
                + " so its final state {} was recorded over it",
            s.flowName(),
            s.flowUuid(),
            end);
        flowNotifier.emit(end, new FlowEvent(s.flowName(), s.flowUuid(), old, end));
      }
    }

    private RuntimeException propagate(Throwable t) {
      if (t instanceof RuntimeException re) {
        return re;
      }
      if (t instanceof Error err) {
        throw err;
      }
      return new TaskFlowException("The engine failed: " + t, t);
    }

    /**
     * An error on the engine thread cut the run short. As for an error of an atom's work (see
     * {@link #finish}), nothing more is written: the atoms still in flight are waited for (so none
     * writes after the run has returned), and the flow keeps the unfinished state the store has,
     * exactly as after a crash, so every path that looks for unfinished flows resumes it. Writing
     * FAILURE here would hide the flow from them while atoms are still RUNNING, and after a lost
     * conflict it would overwrite the state of the engine that won.
     */
    private void abort(Throwable e) {
      finished = true;
      try {
        awaitInFlight(e);
      } finally {
        stopExecutor();
        running.set(false);
      }
      logStopped(e);
    }

    /** Waits for the atoms in flight to report; an interrupt ends the wait early. */
    private void awaitInFlight(Throwable cause) {
      while (inFlight > 0) {
        Completion done;
        try {
          done = completions.take();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt(); // the caller wants out: stop waiting
          return;
        }
        inFlight--;
        if (done.engineError() != null && done.engineError() != cause) {
          cause.addSuppressed(done.engineError());
        }
      }
    }

    private void logStopped(Throwable e) {
      String flow =
          s == null ? "'" + root.name() + "'" : "'" + s.flowName() + "' (" + s.flowUuid() + ")";
      String state = s == null ? "unchanged" : s.getFlowState().name();
      if (e instanceof TaskFlowException) {
        // An expected kind (a refused or failed write, a lost claim): the caller gets it; no trace.
        LOG.warn(
            "The run of flow {} stopped; the flow stays {} for a later resume: {}",
            flow,
            state,
            e.getMessage());
      } else {
        LOG.error(
            "The run of flow {} stopped on an error; the flow stays {} for a later resume",
            flow,
            state,
            e);
      }
    }
  }
}
