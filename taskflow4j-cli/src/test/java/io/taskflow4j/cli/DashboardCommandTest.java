package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardCommandTest {
  @TempDir Path dir;

  private String demoStore() {
    String connection = "sqlite:///" + dir.resolve("demo.db");
    Cli.run("demo", "--connection", connection, "--delay", "0").expect(0);
    return connection;
  }

  @Test
  void servesTheStoreUntilStoppedAndPrintsItsAddress() throws Exception {
    String connection = demoStore();
    Process p =
        new ProcessBuilder(
                List.of(
                    Cli.javaBinary(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "dashboard",
                    "--connection",
                    connection,
                    "--port",
                    "0"))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      // (logback's own status lines of the test class path come first)
      String line = out.readLine();
      while (line != null && !line.startsWith("Dashboard of ")) {
        line = out.readLine();
      }
      assertThat(line).startsWith("Dashboard of " + connection + " at http://127.0.0.1:");
      Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)").matcher(line);
      assertThat(m.find()).isTrue();
      HttpResponse<String> flows =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(m.group(1) + "api/flows")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(flows.statusCode()).isEqualTo(200);
      assertThat(flows.body()).contains("\"flow_name\":\"order-processing\"");
    } finally {
      p.destroy();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void theDemoWithDashboardServesTheFlowItRan() throws Exception {
    String connection = "sqlite:///" + dir.resolve("demo-dashboard.db");
    Process p =
        new ProcessBuilder(
                List.of(
                    Cli.javaBinary(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "demo",
                    "--connection",
                    connection,
                    "--delay",
                    "0",
                    "--dashboard",
                    "--dashboard-port",
                    "0"))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      Pattern finished = Pattern.compile("^Flow (\\S+) (\\S+) finished: SUCCESS$");
      String flowUuid = null;
      String line = out.readLine();
      while (line != null && !line.startsWith("Dashboard of ")) {
        Matcher f = finished.matcher(line);
        if (f.matches()) {
          flowUuid = f.group(2);
        }
        line = out.readLine();
      }
      assertThat(flowUuid).as("the demo's flow, as it printed it").isNotNull();
      assertThat(line).startsWith("Dashboard of " + connection + " at http://127.0.0.1:");
      Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)").matcher(line);
      assertThat(m.find()).isTrue();
      HttpResponse<String> flows =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(m.group(1) + "api/flows")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(flows.statusCode()).isEqualTo(200);
      assertThat(flows.body())
          .contains("\"flow_uuid\":\"" + flowUuid + "\"")
          .contains("\"flow_name\":\"order-processing\"")
          .contains("\"state\":\"SUCCESS\"");
      assertThat(p.isAlive()).as("the demo serves until stopped").isTrue();
    } finally {
      p.destroy();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void refusesAnotherAddressWithoutAToken() {
    String connection = demoStore();
    Cli.Result r =
        Cli.run("dashboard", "--connection", connection, "--bind", "0.0.0.0", "--port", "0")
            .expect(ExitCodes.USAGE);
    assertThat(r.err())
        .contains("refusing to serve the dashboard on 0.0.0.0 without a token")
        .contains("--token-file");
  }

  @Test
  void refusesATokenFileOthersCanRead() throws Exception {
    String connection = demoStore();
    Path token = dir.resolve("token");
    Files.writeString(token, "0123456789abcdef0123456789\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result r =
        Cli.run(
                "dashboard",
                "--connection",
                connection,
                "--bind",
                "0.0.0.0",
                "--token-file",
                token.toString())
            .expect(ExitCodes.USAGE);
    assertThat(r.err()).contains("can be read by other users").contains("chmod 600");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(token, "short\n");
    assertThat(
            Cli.run("dashboard", "--connection", connection, "--token-file", token.toString())
                .expect(ExitCodes.USAGE)
                .err())
        .contains("shorter than 16 characters");
  }

  @Test
  void refusesActionsWithoutATokenEvenOnLoopback() {
    String connection = demoStore();
    Cli.Result r =
        Cli.run("dashboard", "--connection", connection, "--port", "0", "--allow-actions")
            .expect(ExitCodes.USAGE);
    assertThat(r.err()).contains("--allow-actions needs --token-file").contains("openssl rand");
  }

  @Test
  void withActionsAllowedDeletesAFinishedFlowOfTheStore() throws Exception {
    String connection = demoStore();
    String token = "0123456789abcdef0123456789abcdef";
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token + "\n");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    Process p =
        new ProcessBuilder(
                List.of(
                    Cli.javaBinary(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "dashboard",
                    "--connection",
                    connection,
                    "--port",
                    "0",
                    "--token-file",
                    tokenFile.toString(),
                    "--allow-actions"))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      while (line != null && !line.startsWith("Dashboard of ")) {
        line = out.readLine();
      }
      assertThat(line).isNotNull();
      Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)").matcher(line);
      assertThat(m.find()).isTrue();
      assertThat(out.readLine()).startsWith("Actions allowed");
      String url = m.group(1);
      HttpClient http = HttpClient.newHttpClient();
      ObjectMapper json = new ObjectMapper();
      JsonNode session =
          json.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create(url + "api/session"))
                          .header("Authorization", "Bearer " + token)
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      JsonNode flow =
          json.readTree(
                  http.send(
                          HttpRequest.newBuilder(URI.create(url + "api/flows"))
                              .header("Authorization", "Bearer " + token)
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body())
              .get("flows")
              .get(0);
      HttpResponse<String> deleted =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(url + "api/flows/" + flow.get("flow_uuid").asText() + "/delete"))
                  .header("Authorization", "Bearer " + token)
                  .header("X-CSRF-Token", session.get("csrf_token").asText())
                  .header("Origin", url.substring(0, url.length() - 1))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"revision\": " + flow.get("revision").asLong() + "}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
      try (io.taskflow4j.persistence.Backend b =
          io.taskflow4j.persistence.Backends.fetch(connection)) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> b.getConnection().getFlowDetails(flow.get("flow_uuid").asText()))
            .isInstanceOf(io.taskflow4j.persistence.NotFoundException.class);
      }
    } finally {
      p.destroy();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
