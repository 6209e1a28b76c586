package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.micrometer.TaskflowMetrics.AtomMeters;
import io.taskflow4j.micrometer.TaskflowMetrics.FlowMeters;
import io.taskflow4j.micrometer.TaskflowMetrics.Plan;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counts one engine's runs into {@link TaskflowMetrics}' meters. Atom events of a parallel engine
 * arrive on its pool threads; an outcome carries the engine's own timing of the atom's work ({@link
 * AtomEvent#nanos()}), so nothing is kept per atom here. Registered for the atom states it counts
 * only: the engine builds no event for a state nobody listens to (RUNNING, PENDING...).
 */
final class EngineMetrics implements AutoCloseable {
  private static final AtomState[] COUNTED = {
    AtomState.SUCCESS,
    AtomState.FAILURE,
    AtomState.REVERTED,
    AtomState.REVERT_FAILURE,
    AtomState.RETRYING
  };

  private final Engine engine;
  private final List<Registration> registrations = new ArrayList<>();
  private final TaskflowMetrics metrics;
  private final MeterRegistry registry;
  private volatile FlowMeters flow;
  private volatile long flowStarted;

  /**
   * This run's atoms by position ({@link TaskflowMetrics.Plan}), checked against the engine's as
   * the run starts; null until then, or when the engine does not number its atoms.
   */
  private volatile Plan plan;

  EngineMetrics(TaskflowMetrics metrics, MeterRegistry registry, Engine engine) {
    this.engine = engine;
    this.metrics = metrics;
    this.registry = registry;
    registrations.add(engine.notifier().registerAny(this::onFlowEvent));
    for (AtomState s : COUNTED) {
      registrations.add(engine.atomNotifier().register(s, this::onAtomEvent));
    }
  }

  /** Stops counting this engine's events. */
  @Override
  public void close() {
    registrations.forEach(Registration::close);
  }

  private FlowMeters flow(String flowName) {
    FlowMeters f = flow;
    if (f == null || !f.name.equals(flowName)) {
      f = metrics.flow(registry, flowName);
      flow = f;
    }
    return f;
  }

  private void onFlowEvent(FlowEvent e) {
    FlowState s = e.state();
    if (s == FlowState.RUNNING) {
      flowStarted = System.nanoTime();
      FlowMeters f = flow(e.flowName());
      f.started.increment();
      plan = f.plan(engine.atomNames());
      return;
    }
    long t0 = flowStarted;
    if (t0 == 0) {
      return; // preparing (RESUMING, SUSPENDED) before a run
    }
    Timer t = flow(e.flowName()).finished(s);
    if (t != null) {
      t.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      flowStarted = 0;
    }
  }

  private void onAtomEvent(AtomEvent e) {
    switch (e.state()) {
      case SUCCESS, FAILURE, REVERTED, REVERT_FAILURE -> {
        // The engine timed the atom's work: no clock read and no state per atom here.
        long nanos = e.nanos();
        if (nanos >= 0) {
          Plan p = plan;
          if (p == null || !p.record(e.atomIndex(), e.kind(), e.state(), nanos)) {
            meters(e).outcome(e.state()).record(nanos);
          }
        }
      }
      case RETRYING -> meters(e).retries().increment();
      default -> {}
    }
  }

  private AtomMeters meters(AtomEvent e) {
    FlowMeters f = flow;
    if (f == null) {
      f = flow(engine.flowDetail().name());
    }
    return f.atom(e.atomName(), e.kind());
  }
}
