package io.taskflow4j.micrometer;

import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_ACTION;
import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_KIND;
import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_NAME;
import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_RUN;
import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_STATE;
import static io.taskflow4j.micrometer.TaskflowObservations.ATOM_UUID;
import static io.taskflow4j.micrometer.TaskflowObservations.FLOW_NAME;
import static io.taskflow4j.micrometer.TaskflowObservations.FLOW_RUN;
import static io.taskflow4j.micrometer.TaskflowObservations.FLOW_STATE;
import static io.taskflow4j.micrometer.TaskflowObservations.FLOW_UUID;
import static io.taskflow4j.micrometer.TaskflowObservations.LOGBOOK_UUID;
import static io.taskflow4j.micrometer.TaskflowObservations.UNFINISHED;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.listeners.Listener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.WrappedFailureException;
import io.taskflow4j.storage.AtomKind;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Observes one engine: an observation per flow run (RUNNING to its end state) and one per atom
 * execution (RUNNING to SUCCESS or FAILURE) or revert (REVERTING to REVERTED or REVERT_FAILURE),
 * parented explicitly on the flow's, because a parallel engine starts and ends atoms on its pool
 * threads. The flow's scope is opened only around an atom observation's start (so that a tracer
 * which prefers the thread's current span agrees with the explicit parent) and closed at once: the
 * engine's threads are left as they were.
 */
final class ObservedEngine extends Listener {
  private final ObservationRegistry registry;
  private final Map<String, Observation> atoms = new ConcurrentHashMap<>();
  private volatile Observation flow;
  private volatile String flowName;
  private volatile String flowUuid;
  private volatile String bookUuid;

  /** The first failure of the current run: the flow's error when it does not succeed. */
  private volatile Failure firstFailure;

  ObservedEngine(ObservationRegistry registry, Engine engine) {
    super(engine);
    this.registry = registry;
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    FlowState s = e.state();
    if (s == FlowState.RUNNING) {
      stopAll(UNFINISHED);
      flowName = e.flowName();
      flowUuid = e.flowUuid();
      bookUuid = engine().logBookUuid().orElse(null);
      firstFailure = null;
      Observation o =
          Observation.createNotStarted(FLOW_RUN, registry)
              .contextualName("flow " + e.flowName())
              .lowCardinalityKeyValue(FLOW_NAME, e.flowName())
              .highCardinalityKeyValue(FLOW_UUID, e.flowUuid());
      if (bookUuid != null) {
        o.highCardinalityKeyValue(LOGBOOK_UUID, bookUuid);
      }
      flow = o.start();
    } else if (s.isFinished() || s == FlowState.SUSPENDED) {
      Observation o = flow;
      if (o == null) {
        return; // preparing (RESUMING, SUSPENDED) before a run
      }
      Failure f = firstFailure;
      if (f != null && s != FlowState.SUCCESS) {
        o.error(throwable(f));
      }
      stopAll(lower(s));
    }
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    AtomState s = e.state();
    switch (s) {
      case RUNNING -> start(e, "execute");
      case REVERTING -> start(e, "revert");
      case SUCCESS, FAILURE, REVERTED, REVERT_FAILURE -> {
        Observation o = atoms.remove(e.atomName());
        if (e.failure() != null && firstFailure == null) {
          firstFailure = e.failure();
        }
        if (o != null) {
          if (e.failure() != null) {
            o.error(throwable(e.failure()));
          }
          o.lowCardinalityKeyValue(ATOM_STATE, lower(s)).stop();
        }
      }
      default -> {}
    }
  }

  private void start(AtomEvent e, String action) {
    Observation o =
        Observation.createNotStarted(ATOM_RUN, registry)
            .contextualName(action + " " + e.atomName())
            .parentObservation(flow)
            .lowCardinalityKeyValue(FLOW_NAME, orUnknown(flowName))
            .lowCardinalityKeyValue(ATOM_NAME, e.atomName())
            .lowCardinalityKeyValue(ATOM_KIND, e.kind() == AtomKind.RETRY ? "retry" : "task")
            .lowCardinalityKeyValue(ATOM_ACTION, action)
            .highCardinalityKeyValue(ATOM_UUID, e.atomUuid());
    String fu = flowUuid;
    if (fu != null) {
      o.highCardinalityKeyValue(FLOW_UUID, fu);
    }
    String bu = bookUuid;
    if (bu != null) {
      o.highCardinalityKeyValue(LOGBOOK_UUID, bu);
    }
    Observation parent = flow;
    if (parent != null) {
      // A tracer prefers the span current on this thread to the parent observation's when they
      // differ (Micrometer Tracing does): a serial engine runs atoms on the caller's thread, where
      // the caller's span may be current. The flow's scope is open only while the atom starts.
      try (Observation.Scope scope = parent.openScope()) {
        o.start();
      }
    } else {
      o.start();
    }
    Observation previous = atoms.put(e.atomName(), o);
    if (previous != null) {
      previous.lowCardinalityKeyValue(ATOM_STATE, UNFINISHED).stop();
    }
  }

  /** Stops the open atom observations as unfinished, then the flow's with {@code state}. */
  private synchronized void stopAll(String state) {
    for (String name : List.copyOf(atoms.keySet())) {
      Observation o = atoms.remove(name);
      if (o != null) {
        o.lowCardinalityKeyValue(ATOM_STATE, UNFINISHED).stop();
      }
    }
    Observation o = flow;
    if (o != null) {
      flow = null;
      o.lowCardinalityKeyValue(FLOW_STATE, state).stop();
    }
  }

  @Override
  public void close() {
    super.close();
    stopAll(UNFINISHED);
  }

  private static Throwable throwable(Failure f) {
    return f.exception().orElseGet(() -> new WrappedFailureException(List.of(f)));
  }

  private static String lower(Enum<?> state) {
    return state.name().toLowerCase(Locale.ROOT);
  }

  private static String orUnknown(String s) {
    return s == null ? "unknown" : s;
  }
}
