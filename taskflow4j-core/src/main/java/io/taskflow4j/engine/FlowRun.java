package io.taskflow4j.engine;

import io.taskflow4j.Retry;
import io.taskflow4j.engine.AtomWork.Completion;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.storage.StateAndIntention;
import io.taskflow4j.storage.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of an {@link ActionEngine}, driven step by step on the engine thread: it mirrors the
 * atoms' recorded states, keeps the readiness counters, dispatches atoms to the executor, and
 * resolves failures through the retries (TaskFlow's runtime and completer).
 */
final class FlowRun implements Engine.EngineRun {
  // The engine's one log category, which users already configure, whichever file logs.
  private static final Logger LOG = LoggerFactory.getLogger(ActionEngine.class);

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

  private final ActionEngine engine;
  private final EngineConfig cfg;
  private final Flow root;
  private AtomWork work;
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
   * failure resolved by a retry as RETRY (e.g. a parallel branch failing afterwards) must not bring
   * its scope back to life (TaskFlow bug 2043808).
   */
  private boolean revertingAll;

  private final List<Failure> retained = new ArrayList<>();
  private Throwable engineError;
  private Executor executor;
  private WorkerPool ownedPool;

  /** Whether {@link ActionEngine#run()} drives this run to its end (no caller between steps). */
  private final boolean driven;

  FlowRun(ActionEngine engine, boolean driven) {
    this.driven = driven;
    this.engine = engine;
    this.cfg = engine.cfg;
    this.root = engine.root;
  }

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
    engine.suspend();
    while (!finished) {
      next();
    }
  }

  private void begin() {
    if (!engine.running.compareAndSet(false, true)) {
      finished = true;
      throw new IllegalStateException(
          "Engine is already running (in another thread or a listener); try again later");
    }
    try {
      engine.suspending = false;
      engine.compile();
      engine.prepare(true);
      engine.validate();
      c = engine.compilation;
      s = engine.storage;
      boolean ownWorkers = cfg.parallel() && cfg.executor() == null;
      work =
          new AtomWork(
              engine,
              c,
              s,
              driven && (!cfg.parallel() || ownWorkers),
              driven && ownWorkers ? completions::add : null);
      n = c.atomCount;
      if (driven && !cfg.parallel()) {
        // Atoms run one at a time on this thread: the first one's RUNNING marker carries this.
        engine.changeFlowStateWithFirstMarker(FlowState.RUNNING);
      } else {
        engine.changeFlowState(FlowState.RUNNING);
      }
      startExecutor();
      loadStates();
    } catch (RuntimeException | Error e) {
      finished = true;
      stopExecutor();
      engine.flushPreparedAtoms(e); // as prepare() alone would have written them
      engine.running.set(false);
      throw e;
    }
  }

  private void startExecutor() {
    if (!cfg.parallel()) {
      executor = Runnable::run;
    } else if (cfg.executor() != null) {
      executor = cfg.executor();
    } else {
      // A worker with no job writes the result it holds (see AtomWork#execute).
      ownedPool =
          new WorkerPool(
              cfg.maxWorkers(),
              DaemonThreads.numbered("taskflow4j-" + s.flowName() + "-"),
              s::flush);
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
    if (!cfg.neverResolve()) {
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
    Object r = AtomWork.executeResult(s, c.names[i]);
    if (r instanceof Failure f) {
      return f;
    }
    Failure f = s.atomDetail(c.names[i]).failure();
    return f != null
        ? f
        : Failure.of(new IllegalStateException("atom '" + c.names[i] + "' failed"));
  }

  private boolean canSchedule() {
    return engineError == null && retained.isEmpty() && !engine.suspending;
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
      engine.notifyAtom(i, old, AtomState.RETRYING, null, null);
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

  /**
   * Runs on the executor: the atom's work, then hands the outcome to the engine thread (unless the
   * work held its result back: its completion follows the result's write).
   */
  private void report(int i, boolean isRevert, AtomState old) {
    Completion done;
    try {
      done = isRevert ? work.revert(i, old) : work.execute(i, old);
    } catch (Throwable t) {
      done = new Completion(i, isRevert, null, t);
    }
    if (done != null) {
      completions.add(done);
    }
  }

  /** TaskFlow's retry_subflow: the retry executes again; its scope starts over. */
  private void retryScope(int r) {
    s.setAtomIntention(c.names[r], Intention.EXECUTE);
    setMirror(r, state[r], Intention.EXECUTE);
    for (int i = r + 1; i < c.scopeEnd[r]; i++) {
      engine.resetAtom(i);
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
        } else if (done.engineError() != engineError) {
          // A failed joint write is both atoms' error (the held result's and the marker's).
          engineError.addSuppressed(done.engineError());
        }
        continue;
      }
      if (done.notStarted()) {
        // Suspended between its marker and its start (see AtomWork#execute): still to run.
        setMirror(i, s.getAtomState(c.names[i]), intention[i]);
        addNextUp(i);
        continue;
      }
      Failure f = done.failure();
      if (!done.revert()) {
        setMirror(i, f == null ? AtomState.SUCCESS : AtomState.FAILURE, intention[i]);
        if (f == null) {
          closeFinishedAttempts(i);
        } else {
          if (cfg.neverResolve()) {
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
    Retry.Decision d =
        ((Retry) c.atoms[r]).onFailure(work.arguments(r), s.getRetryHistory(retryName));
    if (d == null) {
      throw new IllegalStateException("retry '" + retryName + "' returned no decision");
    }
    switch (d) {
      case RETRY:
        return new Resolution(Retry.Decision.RETRY, r, true);
      case REVERT:
        Resolution parent = determine(r, failure);
        if (cfg.deferReverts()) {
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
      writeHeldResult(engineError);
      engine.running.set(false);
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
      engine.running.set(false);
    }
    applyRetention(FlowState.valueOf(fin.name()));
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
   * Deletes the flow's record when the engine's retention says so, after every listener heard of
   * the final state. A failed delete is logged: the run's outcome is what the store recorded.
   */
  private void applyRetention(FlowState end) {
    io.taskflow4j.retention.Retention policy = engine.cfg.retention();
    if (policy == io.taskflow4j.retention.Retention.KEEP || !end.isFinished()) {
      return;
    }
    try {
      if (policy.discards(end, s.flowDetail())) {
        s.discard();
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "Flow '{}' ({}) ended {}; its record was to be deleted ({}) but was kept: {}",
          s.flowName(),
          s.flowUuid(),
          end,
          policy,
          e.toString());
    }
  }

  /**
   * Writes the state the run ended in. A final state refused because another engine changed the
   * flow's own fields (a second resumer that will stop at its first atom write) is still recorded
   * when every atom is as this run left it; see {@link Storage#finishOverChangedFlow}.
   */
  private void recordFinalState(FlowState end) {
    try {
      engine.changeFlowState(end);
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
      engine.flowNotifier.emit(end, new FlowEvent(s.flowName(), s.flowUuid(), old, end));
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
   * An error on the engine thread cut the run short. As for an error of an atom's work (see {@link
   * #finish}), nothing more is written: the atoms still in flight are waited for (so none writes
   * after the run has returned), and the flow keeps the unfinished state the store has, exactly as
   * after a crash, so every path that looks for unfinished flows resumes it. Writing FAILURE here
   * would hide the flow from them while atoms are still RUNNING, and after a lost conflict it would
   * overwrite the state of the engine that won.
   */
  private void abort(Throwable e) {
    finished = true;
    try {
      awaitInFlight(e);
      writeHeldResult(e);
    } finally {
      stopExecutor();
      engine.running.set(false);
    }
    logStopped(e);
  }

  /**
   * Writes a finished task's result that waited for the next atom's RUNNING marker ({@link
   * Storage#saveLater}), so that a run cut short keeps every result it had: what cut it short was
   * not that write (it would have taken the result with it). A failure is added to {@code cause}.
   */
  private void writeHeldResult(Throwable cause) {
    if (s == null) {
      return;
    }
    try {
      s.flush();
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      if (e != cause) {
        cause.addSuppressed(e);
      }
    }
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
