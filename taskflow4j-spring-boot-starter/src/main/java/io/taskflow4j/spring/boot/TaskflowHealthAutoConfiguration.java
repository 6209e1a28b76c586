package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The {@code taskflow4j} health indicator on Spring Boot 3 (Actuator's {@code
 * org.springframework.boot.actuate.health}); Boot 4 gets {@link
 * TaskflowHealthContributorAutoConfiguration} instead. Off with {@code
 * management.health.taskflow4j.enabled=false}.
 */
@AutoConfiguration(
    after = {TaskflowAutoConfiguration.class, TaskflowConductorAutoConfiguration.class})
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnMissingClass("org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(Backend.class)
@ConditionalOnProperty(
    prefix = "management.health.taskflow4j",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class TaskflowHealthAutoConfiguration {

  /** The check behind the indicator: the store, the board and the conductor, if any. */
  @Bean
  @ConditionalOnMissingBean
  public TaskflowHealth taskflowHealth(
      Backend backend, ObjectProvider<Jobboard> board, ObjectProvider<Conductor> conductor) {
    return new TaskflowHealth(backend, board.getIfUnique(), conductor.getIfUnique());
  }

  /** Shown as {@code taskflow4j} in {@code /actuator/health}. */
  @Bean
  @ConditionalOnMissingBean(name = "taskflow4jHealthIndicator")
  public TaskflowHealthIndicator taskflow4jHealthIndicator(TaskflowHealth health) {
    return new TaskflowHealthIndicator(health);
  }
}
