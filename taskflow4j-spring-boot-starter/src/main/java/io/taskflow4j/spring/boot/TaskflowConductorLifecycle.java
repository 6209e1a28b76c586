package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.Conductor;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs a conductor for as long as the application context: started once every bean is ready, and
 * stopped before the backend and the board close, gracefully: running flows are suspended and their
 * jobs released, so a peer resumes them at once instead of after a lease. A conductor cannot be
 * started twice, so a stopped context does not restart it.
 */
public class TaskflowConductorLifecycle implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(TaskflowConductorLifecycle.class);

  private final Conductor conductor;
  private final Duration grace;
  private volatile boolean running;
  private boolean started;

  public TaskflowConductorLifecycle(Conductor conductor, Duration grace) {
    this.conductor = Objects.requireNonNull(conductor, "conductor");
    this.grace = Objects.requireNonNull(grace, "grace");
  }

  /** The conductor this runs. */
  public Conductor conductor() {
    return conductor;
  }

  @Override
  public synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    conductor.start();
    running = true;
  }

  @Override
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    if (!conductor.stop(grace)) {
      LOG.warn(
          "Conductor {} did not settle every job within {}; the unsettled ones lapse after their"
              + " lease",
          conductor.owner(),
          grace);
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
