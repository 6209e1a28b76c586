package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class TaskflowHealthTest {
  final ApplicationContextRunner runner =
      new ApplicationContextRunner().withConfiguration(TaskflowAutoConfigurationTest.ALL);

  @TempDir Path dir;

  @Test
  void upWithTheKindOfStoreAndItsConnection() {
    String store = "dir://" + dir.toAbsolutePath();
    runner
        .withPropertyValues("taskflow4j.connection=" + store)
        .run(
            ctx -> {
              HealthProbe.Reading h = HealthProbe.read(ctx);
              assertThat(h.status()).isEqualTo("UP");
              assertThat(h.details())
                  .containsEntry("backend", "dir")
                  .containsEntry("connection", store)
                  .containsEntry("conductors", 1)
                  .containsKey("conductor");
            });
  }

  @Test
  void downWhenTheStoreCannotBeReachedWithoutThePassword() {
    // Nothing listens on port 1; the schema is not made at startup, so the context starts.
    runner
        .withPropertyValues(
            "taskflow4j.connection=postgresql://app:s3cr3t-pw@127.0.0.1:1/flows"
                + "?pool_timeout=1&max_retries=0",
            "taskflow4j.initialize-schema=false",
            "taskflow4j.board=memory://",
            "taskflow4j.conductor.enabled=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              HealthProbe.Reading h = HealthProbe.read(ctx);
              assertThat(h.status()).isEqualTo("DOWN");
              assertThat(h.details()).containsEntry("backend", "postgresql");
              assertThat(h.details().get("connection")).asString().contains("127.0.0.1:1");
              assertThat(h.details().get("error")).asString().startsWith("store: ");
              assertThat(h.details().toString()).doesNotContain("s3cr3t-pw");
            });
  }

  @Test
  void theIndicatorCanBeSwitchedOff() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=memory://", "management.health.taskflow4j.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean("taskflow4jHealthIndicator"));
  }
}
