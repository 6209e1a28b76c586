package io.taskflow4j.spring.boot;

import io.taskflow4j.dashboard.Dashboard;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Serves the web dashboard for as long as the application context runs: started once every bean is
 * ready, stopped before the backend and the board close. The settings are checked when this bean is
 * made, so a dashboard that could not start (actions without a token, say) fails the context at
 * once.
 */
public class TaskflowDashboardLifecycle implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(TaskflowDashboardLifecycle.class);

  private final Dashboard.Builder builder;
  private volatile Dashboard dashboard;

  /**
   * A lifecycle that starts the dashboard {@code builder} describes.
   *
   * @param builder a builder with every setting given; started by {@link #start()}
   */
  public TaskflowDashboardLifecycle(Dashboard.Builder builder) {
    this.builder = Objects.requireNonNull(builder, "builder");
  }

  /**
   * The running dashboard.
   *
   * @return the dashboard, or {@code null} while the context has not started it
   */
  public Dashboard dashboard() {
    return dashboard;
  }

  /**
   * The port the dashboard listens on (the one chosen when port 0 was configured).
   *
   * @return the port
   * @throws IllegalStateException when the dashboard is not running
   */
  public int port() {
    Dashboard d = dashboard;
    if (d == null) {
      throw new IllegalStateException("the dashboard is not running");
    }
    return d.port();
  }

  @Override
  public synchronized void start() {
    if (dashboard != null) {
      return;
    }
    dashboard = builder.start();
    LOG.info("taskflow4j dashboard at {}", dashboard.url());
  }

  @Override
  public synchronized void stop() {
    Dashboard d = dashboard;
    dashboard = null;
    if (d != null) {
      d.close();
    }
  }

  @Override
  public boolean isRunning() {
    return dashboard != null;
  }
}
