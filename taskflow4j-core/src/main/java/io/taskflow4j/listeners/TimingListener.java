package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records how long atoms and the flow took: {@code meta['duration']} in seconds (TaskFlow's {@code
 * DurationListener}), measured from RUNNING (or REVERTING) to the outcome. Costs one more write per
 * atom; a failed write is logged, never thrown.
 */
public class TimingListener extends Listener {
  private static final Logger LOG = LoggerFactory.getLogger(TimingListener.class);

  /** The meta key written. */
  public static final String META_DURATION = "duration";

  private final Map<String, Long> started = new ConcurrentHashMap<>();
  private volatile long flowStarted;

  public TimingListener(Engine engine) {
    super(engine);
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    if (e.state() == FlowState.RUNNING) {
      flowStarted = System.nanoTime();
    } else if (flowStarted != 0 && (e.state().isFinished() || e.state() == FlowState.SUSPENDED)) {
      double seconds = (System.nanoTime() - flowStarted) / 1e9;
      try {
        engine().storage().updateFlowMetadata(Map.of(META_DURATION, seconds));
      } catch (RuntimeException ex) {
        LOG.warn("Could not record the duration of flow '{}'", e.flowName(), ex);
      }
    }
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    AtomState s = e.state();
    if (s == AtomState.RUNNING || s == AtomState.REVERTING) {
      started.put(e.atomName(), System.nanoTime());
    } else if (e.hasOutcome()) {
      Long t0 = started.remove(e.atomName());
      if (t0 != null) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        try {
          engine().storage().updateAtomMetadata(e.atomName(), Map.of(META_DURATION, seconds));
        } catch (RuntimeException ex) {
          LOG.warn("Could not record the duration of atom '{}'", e.atomName(), ex);
        }
      }
    }
  }
}
