package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.listeners.Listener;
import io.taskflow4j.micrometer.TaskflowMetrics.AtomMeters;
import io.taskflow4j.micrometer.TaskflowMetrics.FlowMeters;
import io.taskflow4j.persistence.FlowState;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts one engine's runs into {@link TaskflowMetrics}' meters. Atom events of a parallel engine
 * arrive on its pool threads, each atom's in order: the state kept per atom is written and read by
 * whichever thread carries that atom's event, hence volatile.
 */
final class EngineMetrics extends Listener {
  private final TaskflowMetrics metrics;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, AtomRun> atoms = new ConcurrentHashMap<>();
  private volatile FlowMeters flow;
  private volatile long flowStarted;

  /** One atom of this engine: its meters, and when its current execution or revert started. */
  private static final class AtomRun {
    final AtomMeters meters;
    volatile long started;

    AtomRun(AtomMeters meters) {
      this.meters = meters;
    }
  }

  EngineMetrics(TaskflowMetrics metrics, MeterRegistry registry, Engine engine) {
    super(engine);
    this.metrics = metrics;
    this.registry = registry;
  }

  private FlowMeters flow(String flowName) {
    FlowMeters f = flow;
    if (f == null || !f.name.equals(flowName)) {
      f = metrics.flow(registry, flowName);
      flow = f;
    }
    return f;
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    FlowState s = e.state();
    if (s == FlowState.RUNNING) {
      flowStarted = System.nanoTime();
      flow(e.flowName()).started.increment();
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

  @Override
  protected void onAtomEvent(AtomEvent e) {
    switch (e.state()) {
      case RUNNING, REVERTING -> run(e).started = System.nanoTime();
      case SUCCESS, FAILURE, REVERTED, REVERT_FAILURE -> {
        AtomRun r = run(e);
        long t0 = r.started;
        if (t0 != 0) {
          r.meters.outcome(e.state()).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          r.started = 0;
        }
      }
      case RETRYING -> run(e).meters.retries().increment();
      default -> {}
    }
  }

  private AtomRun run(AtomEvent e) {
    AtomRun r = atoms.get(e.atomName());
    if (r == null) {
      FlowMeters f = flow;
      if (f == null) {
        f = flow(engine().flowDetail().name());
      }
      FlowMeters fm = f;
      r = atoms.computeIfAbsent(e.atomName(), n -> new AtomRun(fm.atom(n, e.kind())));
    }
    return r;
  }
}
