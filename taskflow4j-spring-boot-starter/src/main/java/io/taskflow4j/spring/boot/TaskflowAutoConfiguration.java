package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConfigurationCondition;

/**
 * The store of logbooks ({@link Backend}), the jobboard ({@link Jobboard}) and the flow factories
 * ({@link FlowFactories}: the installed ones plus every {@link FlowFactory} bean), from the {@code
 * taskflow4j.*} properties. Each bean gives way to one the application defines. The conductor is
 * {@link TaskflowConductorAutoConfiguration}'s; health, {@link TaskflowHealthAutoConfiguration}'s
 * (Boot 3) and {@link TaskflowHealthContributorAutoConfiguration}'s (Boot 4).
 *
 * <p>Meters and traces are {@link TaskflowMetricsAutoConfiguration}'s (with taskflow4j-micrometer
 * and a MeterRegistry): it wraps the {@link Backend} bean and contributes a {@link
 * io.taskflow4j.conductor.ConductorListener} bean, which the conductor takes up.
 */
@AutoConfiguration(
    afterName = {
      // Boot 3, then Boot 4 (which moved it to spring-boot-jdbc): for
      // taskflow4j.connection=datasource
      "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
@ConditionalOnProperty(prefix = "taskflow4j", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(TaskflowProperties.class)
public class TaskflowAutoConfiguration {

  /** The logbook store of {@code taskflow4j.connection}; closed with the context. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "taskflow4j", name = "connection")
  public Backend taskflowBackend(TaskflowProperties props, ObjectProvider<DataSource> dataSource) {
    return TaskflowStores.backend(props, dataSource::getIfAvailable);
  }

  /**
   * The jobboard of {@code taskflow4j.board}, else of {@code taskflow4j.connection}; closed with
   * the context (after the conductor released its claims).
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @Conditional(OnBoardStore.class)
  public Jobboard taskflowJobboard(
      TaskflowProperties props, ObjectProvider<DataSource> dataSource) {
    return TaskflowStores.board(props, dataSource::getIfAvailable);
  }

  /** The installed flow factories plus every {@link FlowFactory} bean of the application. */
  @Bean
  @ConditionalOnMissingBean
  public FlowFactories taskflowFlowFactories(ObjectProvider<FlowFactory> factories) {
    return FlowFactories.installed().with(factories.orderedStream().toArray(FlowFactory[]::new));
  }

  /** A board is configured: {@code taskflow4j.board} or {@code taskflow4j.connection} is set. */
  static final class OnBoardStore extends AnyNestedCondition {
    OnBoardStore() {
      super(ConfigurationCondition.ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnProperty(prefix = "taskflow4j", name = "board")
    static final class Board {}

    @ConditionalOnProperty(prefix = "taskflow4j", name = "connection")
    static final class Connection {}
  }
}
