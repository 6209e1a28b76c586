package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardCommandTest {
  @TempDir Path dir;

  /** The command run in a process of its own, its address read from what it printed. */
  private record Served(Process process, String url, List<String> before) implements AutoCloseable {
    static Served start(String... args) throws IOException {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  Cli.javaBinary(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName()));
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      // (logback's own status lines of the test class path and a demo's lines come first)
      List<String> before = new ArrayList<>();
      String line = out.readLine();
      while (line != null && !line.startsWith("Dashboard of ")) {
        before.add(line);
        line = out.readLine();
      }
      assertThat(line).as("the command's address line").isNotNull();
      Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)").matcher(line);
      assertThat(m.find()).as(line).isTrue();
      before.add(line);
      String next = out.readLine();
      if (next != null) {
        before.add(next);
      }
      return new Served(p, m.group(1), before);
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path));
      if (headers.length > 0) {
        b.headers(headers);
      }
      return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private String demoStore() {
    String connection = "sqlite:///" + dir.resolve("demo.db");
    Cli.run("demo", "--connection", connection, "--delay", "0").expect(0);
    return connection;
  }

  @Test
  void servesTheStoreUntilStoppedAndPrintsItsAddress() throws Exception {
    String connection = demoStore();
    try (Served served = Served.start("dashboard", "--connection", connection, "--port", "0")) {
      assertThat(served.before())
          .anyMatch(l -> l.startsWith("Dashboard of " + connection + " at http://127.0.0.1:"));
      HttpResponse<String> flows = served.get("api/flows");
      assertThat(flows.statusCode()).isEqualTo(200);
      assertThat(flows.body()).contains("\"flow_name\":\"order-processing\"");
    }
  }

  @Test
  void aStoreAnotherProcessHoldsLockedAnswersWithinSecondsThatItCannotBeRead() throws Exception {
    String connection = demoStore();
    Path file = dir.resolve("demo.db");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet mode = st.executeQuery("PRAGMA journal_mode=DELETE")) {
      // As TaskFlow leaves a SQLite file: a rollback journal, where a writer's lock stops readers.
      assertThat(mode.next()).isTrue();
      assertThat(mode.getString(1)).isEqualTo("delete");
    }
    try (Served served = Served.start("dashboard", "--connection", connection, "--port", "0");
        java.sql.Connection raw = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        java.sql.Statement st = raw.createStatement()) {
      assertThat(served.get("api/flows").statusCode()).isEqualTo(200);
      // A writer frozen inside its transaction (paused, or stopped with SIGSTOP) holds the lock.
      st.execute("BEGIN EXCLUSIVE");
      st.executeUpdate("UPDATE flowdetails SET name = name");
      long t0 = System.nanoTime();
      HttpResponse<String> flows = served.get("api/flows");
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
      assertThat(flows.statusCode()).as(flows.body()).isEqualTo(503);
      assertThat(flows.body()).contains("could not be read").contains("locked");
      // a viewer's patience, not an engine's (a 30 s wait retried six times)
      assertThat(seconds).isLessThan(30);
      st.execute("ROLLBACK");
      assertThat(served.get("api/flows").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aViewersPatienceIsAddedToSqlStoresOnlyWhereTheUserSetNone() {
    assertThat(DashboardCommand.forViewing("sqlite:///a.db"))
        .isEqualTo("sqlite:///a.db?pool_timeout=5&max_retries=1");
    assertThat(DashboardCommand.forViewing("postgresql://u@h/db?pool_timeout=60"))
        .isEqualTo("postgresql://u@h/db?pool_timeout=60&max_retries=1");
    assertThat(DashboardCommand.forViewing("dir:///var/flows")).isEqualTo("dir:///var/flows");
  }

  @Test
  void theDemoWithDashboardServesTheFlowItRan() throws Exception {
    String connection = "sqlite:///" + dir.resolve("demo-dashboard.db");
    try (Served served =
        Served.start(
            "demo",
            "--connection",
            connection,
            "--delay",
            "0",
            "--dashboard",
            "--dashboard-port",
            "0")) {
      Pattern finished = Pattern.compile("^Flow (\\S+) (\\S+) finished: SUCCESS$");
      String flowUuid = null;
      for (String line : served.before()) {
        Matcher f = finished.matcher(line);
        if (f.matches()) {
          flowUuid = f.group(2);
        }
      }
      assertThat(flowUuid).as("the demo's flow, as it printed it").isNotNull();
      assertThat(served.before())
          .anyMatch(l -> l.startsWith("Dashboard of " + connection + " at http://127.0.0.1:"));
      HttpResponse<String> flows = served.get("api/flows");
      assertThat(flows.statusCode()).isEqualTo(200);
      assertThat(flows.body())
          .contains("\"flow_uuid\":\"" + flowUuid + "\"")
          .contains("\"flow_name\":\"order-processing\"")
          .contains("\"state\":\"SUCCESS\"");
      assertThat(served.process().isAlive()).as("the demo serves until stopped").isTrue();
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
    try (Served served =
        Served.start(
            "dashboard",
            "--connection",
            connection,
            "--port",
            "0",
            "--token-file",
            tokenFile.toString(),
            "--allow-actions")) {
      assertThat(served.before().get(served.before().size() - 1)).startsWith("Actions allowed");
      String url = served.url();
      ObjectMapper json = new ObjectMapper();
      String bearer = "Bearer " + token;
      JsonNode session = json.readTree(served.get("api/session", "Authorization", bearer).body());
      JsonNode flow =
          json.readTree(served.get("api/flows", "Authorization", bearer).body())
              .get("flows")
              .get(0);
      HttpResponse<String> deleted =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              url + "api/flows/" + flow.get("flow_uuid").asText() + "/delete"))
                      .header("Authorization", bearer)
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
    }
  }
}
