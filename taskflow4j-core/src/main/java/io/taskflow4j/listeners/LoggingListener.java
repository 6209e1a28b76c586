package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Logs every flow and atom transition through SLF4J: at the given level (DEBUG by default), and
 * failures (FAILURE, REVERT_FAILURE, a flow ending FAILURE or REVERTED) at WARN with the failure.
 */
public class LoggingListener extends Listener {
  private final Logger log;
  private final Level level;

  /** Logs to the {@code io.taskflow4j.listeners.LoggingListener} logger at DEBUG. */
  public LoggingListener(Engine engine) {
    this(engine, LoggerFactory.getLogger(LoggingListener.class), Level.DEBUG);
  }

  /** Logs to {@code log} at {@code level}. */
  public LoggingListener(Engine engine, Logger log, Level level) {
    super(engine);
    this.log = Objects.requireNonNull(log, "log");
    this.level = Objects.requireNonNull(level, "level");
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    boolean bad = e.state() == FlowState.FAILURE || e.state() == FlowState.REVERTED;
    log.atLevel(bad ? Level.WARN : level)
        .log(
            "Flow '{}' ({}) transitioned into state '{}' from state '{}'",
            e.flowName(),
            e.flowUuid(),
            e.state(),
            e.oldState());
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    String kind = e.kind().name().charAt(0) + e.kind().name().substring(1).toLowerCase();
    if (e.failure() != null) {
      log.atLevel(Level.WARN)
          .log(
              "{} '{}' ({}) transitioned into state '{}' from state '{}' with failure: {}",
              kind,
              e.atomName(),
              e.atomUuid(),
              e.state(),
              e.oldState(),
              e.failure().pformat(e.state() == AtomState.FAILURE));
    } else if (e.hasOutcome()) {
      log.atLevel(level)
          .log(
              "{} '{}' ({}) transitioned into state '{}' from state '{}' with result '{}'",
              kind,
              e.atomName(),
              e.atomUuid(),
              e.state(),
              e.oldState(),
              e.result());
    } else {
      log.atLevel(level)
          .log(
              "{} '{}' ({}) transitioned into state '{}' from state '{}'",
              kind,
              e.atomName(),
              e.atomUuid(),
              e.state(),
              e.oldState());
    }
  }
}
