package io.taskflow4j.spring.boot;

import io.taskflow4j.dashboard.Dashboard;
import io.taskflow4j.dashboard.DashboardException;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import java.nio.file.Path;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The web dashboard of the application's {@link Backend} and {@link Jobboard}, when
 * taskflow4j-dashboard is on the class path and {@code taskflow4j.dashboard.enabled=true}: served
 * on its own port ({@code taskflow4j.dashboard.port}, default 8081) by the JDK's HTTP server, apart
 * from the application's web server, and started and stopped with the context.
 */
@AutoConfiguration(after = TaskflowAutoConfiguration.class)
@ConditionalOnClass(name = "io.taskflow4j.dashboard.Dashboard")
@ConditionalOnProperty(prefix = "taskflow4j", name = "enabled", matchIfMissing = true)
@ConditionalOnProperty(prefix = "taskflow4j.dashboard", name = "enabled", havingValue = "true")
public class TaskflowDashboardAutoConfiguration {

  /**
   * The dashboard, checked now (so a bad setting fails the context) and started with the context.
   *
   * @param props the properties under {@code taskflow4j}
   * @param backend the store to show
   * @param board the board whose jobs to show, when there is one
   * @return the lifecycle that serves the dashboard
   */
  @Bean
  @ConditionalOnMissingBean
  public TaskflowDashboardLifecycle taskflowDashboard(
      TaskflowProperties props, Backend backend, ObjectProvider<Jobboard> board) {
    TaskflowProperties.Dashboard d = props.getDashboard();
    String token = d.getTokenFile() == null ? null : readToken(Path.of(d.getTokenFile()));
    if (d.isAllowActions() && token == null) {
      throw new DashboardException(
          "taskflow4j.dashboard.allow-actions=true needs taskflow4j.dashboard.token-file, even on"
              + " 127.0.0.1: without a token any local process or web page could change the store;"
              + " make one with: openssl rand -hex 24 > FILE && chmod 600 FILE");
    }
    Dashboard.Builder builder =
        Dashboard.builder()
            .backend(backend)
            .jobboard(board.getIfUnique())
            .port(d.getPort())
            .bindAddress(d.getBind())
            .token(token)
            .allowActions(d.isAllowActions());
    if (props.getConnection() != null && !TaskflowProperties.isDataSource(props.getConnection())) {
      builder.storeLabel(props.getConnection());
    }
    if (props.getBoard() != null) {
      builder.boardLabel(props.getBoard());
    }
    return new TaskflowDashboardLifecycle(builder);
  }

  /** The token: the first line of a file only its owner may read. */
  static String readToken(Path file) {
    try {
      return Dashboard.readTokenFile(file);
    } catch (DashboardException e) {
      throw new DashboardException(e.getMessage() + " (taskflow4j.dashboard.token-file)");
    }
  }
}
