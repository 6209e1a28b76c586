package io.taskflow4j.spring.boot;

import java.util.Objects;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The store's and the board's health on Spring Boot 3's Actuator ({@code
 * org.springframework.boot.actuate.health}), as {@code taskflow4j} in {@code /actuator/health}.
 */
public class TaskflowHealthIndicator implements HealthIndicator {
  private final TaskflowHealth health;

  public TaskflowHealthIndicator(TaskflowHealth health) {
    this.health = Objects.requireNonNull(health, "health");
  }

  @Override
  public Health health() {
    TaskflowHealth.Result r = health.check();
    // Not withException: it would show the exception's message unmasked.
    return (r.up() ? Health.up() : Health.down()).withDetails(r.details()).build();
  }
}
