package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.springframework.context.ApplicationContext;

/**
 * Reads the {@code taskflow4j} health indicator of a context on either Boot line, whose Health
 * types differ by package (Boot 3: org.springframework.boot.actuate.health, Boot 4:
 * org.springframework.boot.health.contributor), and checks the line's own indicator is the one.
 */
final class HealthProbe {
  private HealthProbe() {}

  /** Whether Boot 4's health API is on the class path. */
  static boolean boot4() {
    try {
      Class.forName("org.springframework.boot.health.contributor.HealthIndicator");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * The indicator's status code and details.
   *
   * @param status UP or DOWN
   * @param details the health's details
   */
  record Reading(String status, Map<String, Object> details) {}

  @SuppressWarnings("unchecked")
  static Reading read(ApplicationContext ctx) {
    Object indicator = ctx.getBean("taskflow4jHealthIndicator");
    assertThat(indicator)
        .isInstanceOf(boot4() ? TaskflowHealthContributor.class : TaskflowHealthIndicator.class);
    try {
      Object health = indicator.getClass().getMethod("health").invoke(indicator);
      Object status = health.getClass().getMethod("getStatus").invoke(health);
      String code = (String) status.getClass().getMethod("getCode").invoke(status);
      Map<String, Object> details =
          (Map<String, Object>) health.getClass().getMethod("getDetails").invoke(health);
      return new Reading(code, details);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot read the health of " + indicator, e);
    }
  }
}
