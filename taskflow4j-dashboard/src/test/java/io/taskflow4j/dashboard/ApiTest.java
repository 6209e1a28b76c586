package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON API as a script uses it: the JDK's HTTP client against a dashboard on a SQLite store.
 */
class ApiTest {
  @TempDir static Path dir;

  static Backend backend;
  static Jobboard board;
  static Dashboard dashboard;
  static FlowDetail order;
  static FlowDetail hostile;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() {
    String connection = "sqlite:///" + dir.resolve("flows.db");
    backend = Backends.fetch(connection);
    backend.getConnection().upgrade();
    order = Fixtures.runOrder(backend, "A-1001", 0);
    hostile = Fixtures.runHostile(backend);
    board = Jobboards.open(Map.of("connection", "memory"));
    dashboard =
        Dashboard.builder()
            .backend(backend)
            .jobboard(board)
            .storeLabel("postgresql://app:s3cret@db/flows")
            .port(0)
            .start();
  }

  @AfterAll
  static void stop() {
    dashboard.close();
    board.close();
    backend.close();
  }

  static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(dashboard.url() + path.substring(1)));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode getJson(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    return json.readTree(r.body());
  }

  @Test
  void theOverviewCountsFlowsByStateAndNamesTheFailingTasks() throws Exception {
    JsonNode o = getJson("/api/overview");
    assertThat(o.get("flows").asLong()).isEqualTo(2);
    assertThat(o.get("flows_by_state").get("SUCCESS").asLong()).isEqualTo(1);
    assertThat(o.get("hours")).hasSize(24);
    long inHours = 0;
    for (JsonNode h : o.get("hours")) {
      inHours += h.get("flows").asLong();
    }
    assertThat(inHours).isEqualTo(2);
    List<String> failing = new ArrayList<>();
    o.get("failing_tasks").forEach(t -> failing.add(t.get("name").asText()));
    assertThat(failing).contains("charge-card", "fails-with-html");
  }

  @Test
  void theFlowsListingFiltersByStateAndNameAndPagesWithACursor() throws Exception {
    JsonNode all = getJson("/api/flows");
    assertThat(all.get("flows")).hasSize(2);
    JsonNode success = getJson("/api/flows?state=success");
    assertThat(success.get("flows")).hasSize(1);
    JsonNode f = success.get("flows").get(0);
    assertThat(f.get("flow_name").asText()).isEqualTo("order-processing");
    assertThat(f.get("atoms").asInt()).isEqualTo(6);
    assertThat(f.get("atom_states").get("SUCCESS").asInt()).isEqualTo(6);
    assertThat(f.get("duration_ms").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(getJson("/api/flows?name=order").get("flows")).hasSize(1);
    assertThat(getJson("/api/flows?name=nothing").get("flows")).isEmpty();
    assertThat(getJson("/api/flows?since=1h").get("flows")).hasSize(2);
    assertThat(getJson("/api/flows?before=2000-01-01T00:00:00Z").get("flows")).isEmpty();

    JsonNode first = getJson("/api/flows?limit=1");
    assertThat(first.get("flows")).hasSize(1);
    String next = first.get("next").asText();
    JsonNode second = getJson("/api/flows?limit=1&after=" + next);
    assertThat(second.get("flows")).hasSize(1);
    assertThat(second.get("flows").get(0).get("flow_uuid").asText())
        .isNotEqualTo(first.get("flows").get(0).get("flow_uuid").asText());
  }

  @Test
  void badParametersAreRefusedWithAClearMessage() throws Exception {
    assertError(get("/api/flows?state=DONE"), 400, "'DONE' is not a flow state");
    assertError(get("/api/flows?since=yesterday"), 400, "since must be an ISO-8601 time");
    assertError(get("/api/flows?limit=0"), 400, "limit must be a whole number from 1 to 500");
    assertError(get("/api/flows?after=xyz"), 400, "is not a cursor of a flow listing");
    assertError(get("/api/flows?colour=red"), 400, "unknown parameter 'colour'");
    assertError(get("/api/overview?x=1"), 400, "takes no parameters");
  }

  @Test
  void unknownPathsAndFlowsAre404WithAJsonError() throws Exception {
    assertError(get("/api/nothing"), 404, "no such API path");
    assertError(get("/nothing"), 404, "no such page");
    assertError(get("/static/../pom.xml"), 404, "no such");
    assertError(get("/api/flows/0b1c0000-0000-0000-0000-000000000000"), 404, "");
  }

  @Test
  void aBrowserGetsAnErrorPageOfEscapedTextWithTheWayBack() throws Exception {
    HttpResponse<String> r =
        get("/nothing%3Cscript%3Ealert(1)%3C/script%3E", "Accept", "text/html,*/*;q=0.8");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(r.headers().firstValue("Content-Security-Policy")).isPresent();
    assertThat(r.body())
        .contains("<h1>404 Not found</h1>")
        .contains("no such page: /nothing%3Cscript%3Ealert(1)%3C/script%3E")
        .contains("<a href=\"/flows\">Flows</a>")
        .doesNotContain("<script");
    // a path a browser sends with the markup itself is escaped, not echoed
    assertThat(DashboardHandler.escapeHtml("<b a='x' b=\"y\">&</b>"))
        .isEqualTo("&lt;b a=&#39;x&#39; b=&quot;y&quot;&gt;&amp;&lt;/b&gt;");
    // the API answers JSON whatever the client accepts, and other clients get JSON too
    assertError(get("/api/nothing", "Accept", "text/html"), 404, "no such API path");
    assertError(get("/nothing"), 404, "no such page");
  }

  @Test
  void aFlowsAddressAsPeopleWriteItLeadsToItsPage() throws Exception {
    for (String path : new String[] {"/flows/", "/flow/"}) {
      HttpResponse<String> r = get(path + order.uuid());
      assertThat(r.statusCode()).isEqualTo(302);
      assertThat(r.headers().firstValue("Location")).hasValue("/flow?uuid=" + order.uuid());
    }
    assertThat(get("/flows/" + order.uuid() + "/").headers().firstValue("Location"))
        .hasValue("/flow?uuid=" + order.uuid());
    // percent-escapes go on as they came, so the page reads the same uuid
    assertThat(get("/flows/a%22%3E").headers().firstValue("Location"))
        .hasValue("/flow?uuid=a%22%3E");
    // only one segment of such characters: anything else is no page
    assertError(get("/flows/a/b"), 404, "no such page");
    assertError(get("/flows/a;b=c"), 404, "no such page");
  }

  @Test
  void theFlowViewHasEachAtomsTimesResultFailureAndRetries() throws Exception {
    JsonNode f = getJson("/api/flows/" + order.uuid());
    assertThat(f.get("state").asText()).isEqualTo("SUCCESS");
    assertThat(f.get("atoms")).hasSize(6);
    JsonNode charge = null;
    JsonNode retry = null;
    for (JsonNode a : f.get("atoms")) {
      assertThat(a.get("started_at").asText()).isNotEmpty();
      assertThat(a.get("ended_at").asText()).isNotEmpty();
      if (a.get("name").asText().equals("charge-card")) {
        charge = a;
      } else if (a.get("name").asText().equals("charge-retry")) {
        retry = a;
      }
    }
    assertThat(charge).isNotNull();
    assertThat(charge.get("state").asText()).isEqualTo("SUCCESS");
    assertThat(charge.get("result").get("text").asText()).contains("PAY-2");
    assertThat(charge.get("earlier_attempts")).hasSize(1);
    JsonNode earlier = charge.get("earlier_attempts").get(0);
    assertThat(earlier.get("failure").get("types").get(0).asText())
        .isEqualTo("java.lang.IllegalStateException");
    assertThat(earlier.get("failure").get("message").asText()).contains("payment gateway");
    assertThat(earlier.get("failure").get("traceback").asText()).contains("ChargeCard.execute");
    assertThat(retry.get("type").asText()).isEqualTo("retry");
    assertThat(retry.get("history")).hasSize(2);
    assertThat(retry.get("history").get(0).get("failures").get(0).get("atom").asText())
        .isEqualTo("charge-card");

    JsonNode raw = getJson(charge.get("raw").asText());
    assertThat(raw.get("type").asText()).isEqualTo("TASK_DETAIL");
    assertThat(raw.get("atom").get("results").get("receipt").asText()).isEqualTo("PAY-2");
  }

  @Test
  void answersCarryAnETagAndAnUnchangedOneIs304() throws Exception {
    HttpResponse<String> first = get("/api/flows/" + order.uuid());
    String tag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = get("/api/flows/" + order.uuid(), "If-None-Match", tag);
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    HttpResponse<String> other = get("/api/flows/" + order.uuid(), "If-None-Match", "\"x\"");
    assertThat(other.statusCode()).isEqualTo(200);
  }

  @Test
  void everyAnswerCarriesTheSecurityHeaders() throws Exception {
    for (String path : List.of("/", "/flows", "/static/app.js", "/api/overview", "/api/nothing")) {
      HttpResponse<String> r = get(path);
      assertThat(r.headers().firstValue("Content-Security-Policy").orElse(""))
          .as(path)
          .startsWith("default-src 'self'");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
      assertThat(r.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
    }
    HttpResponse<String> page = get("/");
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).doesNotContain("<script>").contains("src=\"/static/app.js\"");
  }

  @Test
  void theDashboardIsReadOnly() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(dashboard.url() + "api/flows"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertError(r, 405, "read-only");
  }

  @Test
  void passwordsOfConnectionStringsNeverReachTheApi() throws Exception {
    HttpResponse<String> info = get("/api/info");
    assertThat(info.body()).contains("postgresql://app:***@db/flows").doesNotContain("s3cret");
    assertThat(get("/api/overview").body()).doesNotContain("s3cret");
  }

  @Test
  void requestsForAnotherHostAreRefusedWithoutAToken() throws Exception {
    // the JDK's client will not set Host: the request is written by hand, as a browser would send
    // it
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", dashboard.port())) {
      s.getOutputStream()
          .write(
              "GET /api/info HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n"
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer =
          new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 403").contains("localhost only");
    }
    assertThat(get("/api/info").statusCode()).isEqualTo(200);
  }

  @Test
  void theJobsViewListsJobsInClaimingOrderWithConductors() throws Exception {
    board.post(new JobSpec("first", null, Map.of(), null, null));
    board.post(new JobSpec("second", null, Map.of(), null, null));
    try (var reg =
        board.register(io.taskflow4j.jobs.OwnerId.generate("c1"), Map.of("max_jobs", 2))) {
      JsonNode jobs = getJson("/api/jobs");
      assertThat(jobs.get("jobs").get(0).get("name").asText()).isEqualTo("first");
      assertThat(jobs.get("jobs").get(1).get("state").asText()).isEqualTo("UNCLAIMED");
      assertThat(jobs.get("jobs").get(0).get("token").asLong()).isZero();
      assertThat(jobs.get("jobs").get(0).get("lease_until").isNull()).isTrue();
      assertThat(jobs.get("conductors")).hasSize(1);
      assertThat(jobs.get("conductors").get(0).get("name").asText()).isEqualTo("c1");
      // the memory board keeps no heartbeat: the key is there, empty
      assertThat(jobs.get("conductors").get(0).get("last_seen").isNull()).isTrue();
      var claim = board.claimNext(io.taskflow4j.jobs.OwnerId.generate("c1")).orElseThrow();
      try {
        JsonNode claimed = getJson("/api/jobs").get("jobs").get(0);
        assertThat(claimed.get("state").asText()).isEqualTo("CLAIMED");
        assertThat(java.time.Instant.parse(claimed.get("lease_until").asText()))
            .isAfter(java.time.Instant.now());
      } finally {
        claim.release();
      }
    }
  }

  /**
   * A board with a backlog is not sent whole at every poll: the first jobs in claiming order, with
   * the count of the rest, read from the board's own SQL board here (counted and cut in the
   * database).
   */
  @Test
  void theJobsViewSendsTheFirstJobsAndCountsTheRest() throws Exception {
    String connection = "sqlite:///" + dir.resolve("board.db");
    try (io.taskflow4j.persistence.Backend b = Backends.open(connection);
        io.taskflow4j.jobs.Jobboard sql = Jobboards.open(connection);
        Dashboard d = Dashboard.builder().backend(b).jobboard(sql).port(0).start()) {
      for (int i = 0; i < 5; i++) {
        sql.post(new JobSpec("job-" + i, null, Map.of(), null, null));
      }
      var claim = sql.claimNext(io.taskflow4j.jobs.OwnerId.generate("c1")).orElseThrow();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(d.url() + "api/jobs?limit=2")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode jobs = json.readTree(r.body());
      assertThat(jobs.get("jobs")).hasSize(2);
      assertThat(jobs.get("jobs").get(0).get("name").asText()).isEqualTo("job-0");
      assertThat(jobs.get("jobs").get(0).get("state").asText()).isEqualTo("CLAIMED");
      assertThat(jobs.get("jobs").get(1).get("name").asText()).isEqualTo("job-1");
      assertThat(jobs.get("jobs_total").asLong()).isEqualTo(5);
      assertThat(jobs.get("jobs_by_state").get("UNCLAIMED").asLong()).isEqualTo(4);
      assertThat(jobs.get("jobs_by_state").get("CLAIMED").asLong()).isEqualTo(1);
      claim.trash("not needed");
      JsonNode after =
          json.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create(d.url() + "api/jobs")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      assertThat(after.get("jobs")).hasSize(4);
      assertThat(after.get("jobs_total").asLong()).isEqualTo(4);
      assertThat(after.get("trashed").asLong()).isEqualTo(1);
    }
    assertError(get("/api/jobs?limit=0"), 400, "limit must be a whole number from 1 to 500");
    assertError(get("/api/jobs?limit=501"), 400, "limit must be a whole number from 1 to 500");
    assertError(get("/api/jobs?page=2"), 400, "unknown parameter 'page'");
  }

  @Test
  void aNonLoopbackBindWithoutATokenIsRefused() {
    assertThatThrownBy(() -> Dashboard.builder().backend(backend).bindAddress("0.0.0.0").start())
        .isInstanceOf(DashboardException.class)
        .hasMessageContaining("without a token");
    assertThatThrownBy(() -> Dashboard.builder().backend(backend).token("short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 16 characters");
  }

  @Test
  void withATokenEveryRequestNeedsItAndTheQueryTokenSetsACookie() throws Exception {
    String token = "0123456789abcdef0123";
    try (Dashboard d =
        Dashboard.builder().backend(backend).bindAddress("0.0.0.0").token(token).port(0).start()) {
      String base = "http://127.0.0.1:" + d.port();
      HttpClient noRedirects = HttpClient.newHttpClient();
      HttpResponse<String> none =
          noRedirects.send(
              HttpRequest.newBuilder(URI.create(base + "/api/info")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertError(none, 401, "needs its token");
      assertThat(none.body()).doesNotContain(token);
      HttpResponse<String> wrong =
          noRedirects.send(
              HttpRequest.newBuilder(URI.create(base + "/api/info"))
                  .header("Authorization", "Bearer wrong-token-xxxxxxxx")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertError(wrong, 401, "not this dashboard's token");
      HttpResponse<String> bearer =
          noRedirects.send(
              HttpRequest.newBuilder(URI.create(base + "/api/info"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(bearer.statusCode()).isEqualTo(200);
      HttpResponse<String> query =
          noRedirects.send(
              HttpRequest.newBuilder(URI.create(base + "/flows?state=SUCCESS&token=" + token))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(query.statusCode()).isEqualTo(303);
      assertThat(query.headers().firstValue("Location")).hasValue("/flows?state=SUCCESS");
      String cookie = query.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
      HttpResponse<String> withCookie =
          noRedirects.send(
              HttpRequest.newBuilder(URI.create(base + "/api/info"))
                  .header("Cookie", cookie.substring(0, cookie.indexOf(';')))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(withCookie.statusCode()).isEqualTo(200);
    }
  }

  static void assertError(HttpResponse<String> r, int status, String text) throws IOException {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("error").asText()).contains(text);
    assertThat(body.get("status").asInt()).isEqualTo(status);
  }
}
