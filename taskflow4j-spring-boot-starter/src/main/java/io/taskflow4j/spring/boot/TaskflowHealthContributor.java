package io.taskflow4j.spring.boot;

import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The store's and the board's health on Spring Boot 4 ({@code
 * org.springframework.boot.health.contributor}, module spring-boot-health), as {@code taskflow4j}
 * in {@code /actuator/health}.
 */
public class TaskflowHealthContributor implements HealthIndicator {
  private final TaskflowHealth health;

  public TaskflowHealthContributor(TaskflowHealth health) {
    this.health = Objects.requireNonNull(health, "health");
  }

  @Override
  public Health health() {
    TaskflowHealth.Result r = health.check();
    // Not withException: it would show the exception's message unmasked.
    return (r.up() ? Health.up() : Health.down()).withDetails(r.details()).build();
  }
}
