package io.taskflow4j.engine;

import io.taskflow4j.Atom;
import io.taskflow4j.MissingDependenciesException;
import io.taskflow4j.Provides;
import io.taskflow4j.Retry;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.storage.AtomKind;
import io.taskflow4j.storage.AtomSpec;
import io.taskflow4j.storage.ResultMapping;
import io.taskflow4j.storage.Storage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

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
 *
 * <p>Files: this one holds the engine's lifecycle (storage, prepare, reset, close) and the
 * notifications; {@link AtomWork} an atom's own work on the executor; {@link FlowRun} one run's
 * scheduling on the engine thread. The configuration is an {@link EngineConfig} taken at build
 * time, and persistence is reached only through {@link Storage}.
 */
final class ActionEngine implements Engine {
  final EngineConfig cfg;
  final Flow root;
  final Notifier<FlowState, FlowEvent> flowNotifier = new Notifier<>(FlowState.class);
  private final Notifier<AtomState, AtomEvent> atomNotifier = new Notifier<>(AtomState.class);
  final AtomicBoolean running = new AtomicBoolean();
  private final Object flowStateLock = new Object();
  volatile Compilation compilation;
  volatile Storage storage;
  private volatile boolean storageEnsured;
  private String[] uuids;
  volatile boolean suspending;

  ActionEngine(EngineConfig cfg) {
    this.cfg = cfg;
    this.root = cfg.flow();
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
  public List<String> atomNames() {
    compile();
    return compilation.nameList;
  }

  @Override
  public Storage storage() {
    Storage s = storage;
    if (s == null) {
      synchronized (this) {
        s = storage;
        if (s == null) {
          s = cfg.storage().get();
          storage = s;
        }
      }
    }
    return s;
  }

  @Override
  public void prepare() {
    prepare(false);
  }

  /**
   * As {@link #prepare()}; {@code beforeRun}: a run starts right after, so the atom details this
   * creates are written with the run's next write of the flow detail (its RUNNING state), not on
   * their own: one write, and one commit, fewer as a run starts. A run that fails before that write
   * writes them alone ({@link #flushPreparedAtoms}).
   */
  void prepare(boolean beforeRun) {
    compile();
    Storage s = storage();
    if (!storageEnsured) {
      synchronized (this) {
        if (!storageEnsured) {
          ensureStorage(s, beforeRun);
          storageEnsured = true;
        }
      }
    }
    if (s.getFlowState() == FlowState.REVERTED) {
      reset();
    }
  }

  /**
   * Writes atom details that {@link #prepare(boolean)} left for the run's first write, when the run
   * ended before it; a failure to write them is added to {@code cause}, which the caller throws.
   */
  void flushPreparedAtoms(Throwable cause) {
    Storage s = storage;
    if (s == null) {
      return;
    }
    try {
      s.writeDeferredAtoms();
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  private void ensureStorage(Storage s, boolean beforeRun) {
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
    if (beforeRun) {
      s.deferNewAtoms();
    }
    uuids = s.ensureAtoms(specs).toArray(new String[0]);
    for (Atom a : c.atoms) {
      if (!a.injected().isEmpty()) {
        s.injectAtomArgs(a.name(), a.injected(), cfg.injectTransient());
      }
    }
    if (!cfg.store().isEmpty()) {
      s.inject(cfg.store(), false);
    }
    if (!cfg.transientStore().isEmpty()) {
      s.inject(cfg.transientStore(), true);
    }
    Map<String, Object> factory = cfg.factory();
    if (factory != null) {
      Object recorded = s.flowMeta().get(FlowDetail.META_FACTORY);
      if (!Json.normalize(factory).equals(recorded)) {
        s.updateFlowMetadata(Map.of(FlowDetail.META_FACTORY, factory));
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
    try (EngineRun r = new FlowRun(this, true)) {
      while (r.hasNext()) {
        r.next();
      }
    }
  }

  @Override
  public EngineRun runIter() {
    return new FlowRun(this, false);
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
  AtomState resetAtom(int i) {
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
    return storage().logBookUuid();
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
      Storage s = storage;
      if (s != null) {
        s.close(); // closes the connection only when the storage took it from a backend
      }
    }
  }

  boolean changeFlowState(FlowState to) {
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

  /**
   * Moves the flow to {@code to} as a run starts, with the write that marks its first atom RUNNING
   * when the storage can hold the state for it ({@link Storage#changeFlowStateLater}): one write
   * fewer per run. Listeners hear of the state once it is written; else as {@link
   * #changeFlowState}.
   */
  void changeFlowStateWithFirstMarker(FlowState to) {
    Storage s = storage();
    synchronized (flowStateLock) {
      FlowState old = s.getFlowState();
      FlowEvent event = new FlowEvent(s.flowName(), s.flowUuid(), old, to);
      if (s.changeFlowStateLater(to, () -> flowNotifier.emit(to, event))) {
        return;
      }
    }
    changeFlowState(to);
  }

  void notifyAtom(int i, AtomState old, AtomState now, Object result, Failure failure) {
    notifyAtom(i, old, now, result, failure, -1);
  }

  /** As above, for an outcome of work that took {@code nanos} ({@link AtomEvent#nanos()}). */
  void notifyAtom(int i, AtomState old, AtomState now, Object result, Failure failure, long nanos) {
    if (!atomNotifier.listensTo(now)) {
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
            failure,
            nanos,
            i));
  }
}
