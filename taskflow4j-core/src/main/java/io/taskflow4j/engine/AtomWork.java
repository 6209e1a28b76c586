package io.taskflow4j.engine;

import io.taskflow4j.Arguments;
import io.taskflow4j.Atom;
import io.taskflow4j.Retry;
import io.taskflow4j.Task;
import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.Stamp;
import io.taskflow4j.persistence.WrappedFailureException;
import io.taskflow4j.storage.InvalidResultException;
import io.taskflow4j.storage.Storage;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An atom's own work, on the executor (inline for the serial engine): record RUNNING (or
 * REVERTING), fetch the arguments, execute (or revert), record the outcome, and only then notify.
 * One per run, over that run's compilation and storage.
 */
final class AtomWork {
  // The engine's one log category, which users already configure, whichever file logs.
  private static final Logger LOG = LoggerFactory.getLogger(ActionEngine.class);

  private static final String HOST = HostIdentity.hostName();
  // In its stored form (a JSON number reads back as the smallest type that holds it), so that
  // storing it does not box a new number for every atom.
  private static final Object PID = Json.normalize(HostIdentity.pid());
  private static final Double PROGRESS_NONE = 0.0;
  private static final Double PROGRESS_DONE = 1.0;
  private static final String USER = System.getProperty("user.name", "unknown");

  /** What a worker reports back to the engine thread. */
  record Completion(
      int atom, boolean revert, Failure failure, Throwable engineError, boolean notStarted) {
    Completion(int atom, boolean revert, Failure failure, Throwable engineError) {
      this(atom, revert, failure, engineError, false);
    }
  }

  private final ActionEngine engine;
  private final EngineConfig cfg;
  private final Compilation compilation;
  private final Storage storage;

  /**
   * Whether a task's SUCCESS may be held back to share the commit of the next atom's RUNNING marker
   * ({@link Storage#saveLater}): on a serial run that its engine drives to the end, where the next
   * write follows at once on the same thread; and on a parallel run's own workers ({@link
   * WorkerPool}), each holding its result until its own next marker, or until it finds no job.
   */
  private final boolean holdResults;

  /**
   * Where a parallel run's held result's completion goes once it is stored (the engine thread's
   * queue), or {@code null} on a serial run, whose completion is returned at once.
   */
  private final Consumer<Completion> later;

  AtomWork(
      ActionEngine engine,
      Compilation compilation,
      Storage storage,
      boolean holdResults,
      Consumer<Completion> later) {
    this.engine = engine;
    this.cfg = engine.cfg;
    this.compilation = compilation;
    this.storage = storage;
    this.holdResults = holdResults;
    this.later = later;
  }

  Arguments arguments(int i) {
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

  Completion execute(int i, AtomState old) {
    Compilation c = compilation;
    Storage s = storage;
    String name = c.names[i];
    Atom atom = c.atoms[i];
    Stamp startedAt = Stamp.of(cfg.clock().instant());
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
    if (holdResults && engine.suspending) {
      // The previous atom's result was written with this marker and its listeners, told only
      // then, asked the run to stop: this atom has not started and goes back to what it was.
      s.restoreDetail(name, before);
      return new Completion(i, false, null, null, true);
    }
    if (old != AtomState.RUNNING) {
      // Re-running an atom left RUNNING is silent (TaskFlow's identity transition).
      engine.notifyAtom(i, old, AtomState.RUNNING, null, null);
    }
    long t0 = System.nanoTime();
    Object result = null;
    Failure failure = null;
    try {
      Arguments args = arguments(i);
      result =
          atom instanceof Task t
              ? cfg.taskRunner().execute(invocation(t, before, attempt, args))
              : ((Retry) atom).execute(args, s.getRetryHistory(name));
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      failure = failureOf(t);
    }
    Stamp endedAt = Stamp.of(cfg.clock().instant());
    long took = System.nanoTime() - t0;
    Double duration = took / 1e9;
    if (failure == null) {
      Map<String, Object> end =
          ArrayMap.ofDistinct(
              new Object[] {
                AtomDetail.META_PROGRESS,
                PROGRESS_DONE,
                AtomDetail.META_ENDED_AT,
                endedAt,
                AtomDetail.META_DURATION,
                duration
              });
      try {
        if (holdResults && atom instanceof Task) {
          // Written with the next atom's RUNNING marker; the listeners hear of it after that.
          Object done = result;
          if (later == null) {
            s.saveLater(
                name,
                result,
                end,
                () -> engine.notifyAtom(i, AtomState.RUNNING, AtomState.SUCCESS, done, null, took));
            return new Completion(i, false, null, null);
          }
          // Parallel: the engine thread, too, learns of it only once it is stored, and of a
          // failed write as this atom's engine error. The write may be another worker's (with
          // its marker) or an idle worker's: an Error of a listener is this atom's to report,
          // as its own worker would have, never the writer's.
          s.saveLater(
              name,
              result,
              end,
              () -> {
                Throwable listenerError = null;
                try {
                  engine.notifyAtom(i, AtomState.RUNNING, AtomState.SUCCESS, done, null, took);
                } catch (Throwable t) {
                  listenerError = t;
                }
                later.accept(new Completion(i, false, null, listenerError));
              },
              failed -> later.accept(new Completion(i, false, null, failed)));
          return null;
        }
        s.save(name, result, AtomState.SUCCESS, end);
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
      engine.notifyAtom(i, AtomState.RUNNING, AtomState.FAILURE, null, failure, took);
    } else {
      engine.notifyAtom(i, AtomState.RUNNING, AtomState.SUCCESS, result, null, took);
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

  Completion revert(int i, AtomState old) {
    Compilation c = compilation;
    Storage s = storage;
    String name = c.names[i];
    Atom atom = c.atoms[i];
    if (old != AtomState.REVERTING) {
      s.setAtomState(name, AtomState.REVERTING, Map.of(AtomDetail.META_PROGRESS, 0.0));
      engine.notifyAtom(i, old, AtomState.REVERTING, null, null);
    }
    Object revertResult = null;
    Failure failure = null;
    long t0 = System.nanoTime();
    try {
      Arguments args = arguments(i);
      Map<String, Failure> failures = s.getExecuteFailures();
      if (atom instanceof Task t) {
        AtomDetail d = s.atomDetail(name);
        revertResult =
            cfg.taskRunner()
                .revert(
                    invocation(t, d, previousAttempts(d), args), executeResult(s, name), failures);
      } else {
        revertResult = ((Retry) atom).revert(args, s.getRetryHistory(name), failures);
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      failure = failureOf(t);
    }
    long took = System.nanoTime() - t0;
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
      engine.notifyAtom(i, AtomState.REVERTING, AtomState.REVERT_FAILURE, null, failure, took);
    } else {
      engine.notifyAtom(i, AtomState.REVERTING, AtomState.REVERTED, revertResult, null, took);
    }
    return new Completion(i, true, failure, null);
  }

  static Object executeResult(Storage s, String name) {
    try {
      return s.getExecuteResult(name);
    } catch (NotFoundException e) {
      return null; // e.g. reverting an atom whose execution never finished
    }
  }
}
