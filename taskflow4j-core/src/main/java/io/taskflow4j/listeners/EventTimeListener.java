package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records when each state was entered: {@code meta['<STATE>-timestamp']} (seconds since the epoch,
 * as a number) on atoms and on the flow (TaskFlow's {@code EventTimeListener}). One more write per
 * event; a failed write is logged, never thrown.
 */
public class EventTimeListener extends Listener {
  private static final Logger LOG = LoggerFactory.getLogger(EventTimeListener.class);

  private final Clock clock;

  public EventTimeListener(Engine engine) {
    this(engine, Clock.systemUTC());
  }

  public EventTimeListener(Engine engine, Clock clock) {
    super(engine);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private double now() {
    return clock.millis() / 1000.0;
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    try {
      engine().storage().updateFlowMetadata(Map.of(e.state() + "-timestamp", now()));
    } catch (RuntimeException ex) {
      LOG.warn("Could not record the event time of flow '{}'", e.flowName(), ex);
    }
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    try {
      engine().storage().updateAtomMetadata(e.atomName(), Map.of(e.state() + "-timestamp", now()));
    } catch (RuntimeException ex) {
      LOG.warn("Could not record the event time of atom '{}'", e.atomName(), ex);
    }
  }
}
