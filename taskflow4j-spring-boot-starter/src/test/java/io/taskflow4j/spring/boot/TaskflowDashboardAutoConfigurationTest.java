package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class TaskflowDashboardAutoConfigurationTest {
  @TempDir Path dir;

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(TaskflowAutoConfigurationTest.ALL)
          .withConfiguration(AutoConfigurations.of(TaskflowDashboardAutoConfiguration.class));

  String dirStore() {
    return "dir://" + dir.resolve("flows").toAbsolutePath();
  }

  static HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void enabledTheDashboardServesTheContextsStoreOnItsPort() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(),
            "taskflow4j.conductor.enabled=false",
            "taskflow4j.dashboard.enabled=true",
            "taskflow4j.dashboard.port=0")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              TaskflowDashboardLifecycle lifecycle = ctx.getBean(TaskflowDashboardLifecycle.class);
              assertThat(lifecycle.isRunning()).isTrue();
              HttpResponse<String> flows = get(lifecycle.port(), "/api/flows", null);
              assertThat(flows.statusCode()).as(flows.body()).isEqualTo(200);
              assertThat(flows.body()).contains("\"flows\":[]");
              HttpResponse<String> info = get(lifecycle.port(), "/api/info", null);
              assertThat(info.body()).contains("\"read_only\":true").contains("dir://");
            });
  }

  @Test
  void disabledOrAbsentThereIsNoDashboard() {
    runner
        .withPropertyValues("taskflow4j.connection=" + dirStore())
        .run(ctx -> assertThat(ctx).doesNotHaveBean(TaskflowDashboardLifecycle.class));
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(), "taskflow4j.dashboard.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(TaskflowDashboardLifecycle.class));
  }

  @Test
  void actionsWithoutATokenFailTheContextWithAClearMessage() {
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(),
            "taskflow4j.conductor.enabled=false",
            "taskflow4j.dashboard.enabled=true",
            "taskflow4j.dashboard.port=0",
            "taskflow4j.dashboard.allow-actions=true")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("taskflow4j.dashboard.allow-actions=true needs")
                  .hasMessageContaining("taskflow4j.dashboard.token-file");
            });
  }

  @Test
  void withATokenFileActionsAreOfferedToThoseWhoHaveTheToken() throws Exception {
    String token = "0123456789abcdef0123456789abcdef";
    Path file = dir.resolve("token");
    Files.writeString(file, token + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    runner
        .withPropertyValues(
            "taskflow4j.connection=" + dirStore(),
            "taskflow4j.conductor.enabled=false",
            "taskflow4j.dashboard.enabled=true",
            "taskflow4j.dashboard.port=0",
            "taskflow4j.dashboard.token-file=" + file,
            "taskflow4j.dashboard.allow-actions=true")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              int port = ctx.getBean(TaskflowDashboardLifecycle.class).port();
              assertThat(get(port, "/api/flows", null).statusCode()).isEqualTo(401);
              HttpResponse<String> session = get(port, "/api/session", token);
              assertThat(session.statusCode()).isEqualTo(200);
              assertThat(session.body()).contains("\"actions\":true").contains("csrf_token");
            });
  }
}
