package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
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
 * The actions of a dashboard started with {@code allowActions(true)}: what each changes in the
 * store or the board, and every way a request without the token, the CSRF token or a same-origin
 * proof is refused.
 */
class ActionsTest {
  static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir static Path dir;

  static Backend backend;
  static Jobboard board;
  static Dashboard dashboard;
  static Dashboard readOnly;
  static String csrf;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    backend = Backends.fetch("sqlite:///" + dir.resolve("flows.db"));
    backend.getConnection().upgrade();
    board = Jobboards.open(Map.of("connection", "memory"));
    dashboard =
        Dashboard.builder()
            .backend(backend)
            .jobboard(board)
            .token(TOKEN)
            .allowActions(true)
            .port(0)
            .start();
    readOnly = Dashboard.builder().backend(backend).jobboard(board).token(TOKEN).port(0).start();
    HttpResponse<String> s = send(dashboard, "GET", "/api/session", null, auth());
    assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
    JsonNode session = json.readTree(s.body());
    assertThat(session.get("actions").asBoolean()).isTrue();
    csrf = session.get("csrf_token").asText();
    assertThat(csrf).hasSizeGreaterThanOrEqualTo(32);
  }

  @AfterAll
  static void stop() {
    dashboard.close();
    readOnly.close();
    board.close();
    backend.close();
  }

  static String origin(Dashboard d) {
    String url = d.url();
    return url.substring(0, url.length() - 1);
  }

  static List<String> auth() {
    return List.of("Authorization", "Bearer " + TOKEN);
  }

  /** The headers a page of the dashboard sends with an action. */
  static List<String> page(Dashboard d) {
    List<String> h = new ArrayList<>(auth());
    h.addAll(List.of("X-CSRF-Token", csrf, "Origin", origin(d)));
    return h;
  }

  static HttpResponse<String> send(
      Dashboard d, String method, String path, String body, List<String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.url() + path.substring(1)));
    if (!headers.isEmpty()) {
      b.headers(headers.toArray(String[]::new));
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return send(dashboard, "POST", path, body, page(dashboard));
  }

  static void assertError(HttpResponse<String> r, int status, String text) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = json.readTree(r.body());
    assertThat(e.get("error").asText()).contains(text);
    assertThat(r.body()).doesNotContain(TOKEN).doesNotContain("Exception");
  }

  static FlowDetail finishedFlow() {
    return Fixtures.runOrder(backend, "A-" + System.nanoTime(), 0);
  }

  static LogBook unfinishedFlow() {
    LogBook book =
        LogBook.create("waiting")
            .withFlow(FlowDetail.create("half-done").withState(FlowState.RUNNING));
    backend.getConnection().saveLogBook(book);
    return book;
  }

  static Job postJob() {
    LogBook book = unfinishedFlow();
    return board.post(
        JobSpec.of("half-done", new BookRef(book.name(), book.uuid()), book.flows().get(0).uuid()));
  }

  // --- delete ----------------------------------------------------------------------------------

  @Test
  void deletesAFinishedFlowAtTheRevisionThePageShowed() throws Exception {
    FlowDetail fd = finishedFlow();
    long revision = backend.getConnection().getFlowDetails(fd.uuid()).revision();
    HttpResponse<String> r =
        post("/api/flows/" + fd.uuid() + "/delete", "{\"revision\": " + revision + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json.readTree(r.body()).get("outcome").asText()).isEqualTo("deleted");
    assertThatThrownBy(() -> backend.getConnection().getFlowDetails(fd.uuid()))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void refusesToDeleteAnUnfinishedFlow() throws Exception {
    FlowDetail fd = unfinishedFlow().flows().get(0);
    long revision = backend.getConnection().getFlowDetails(fd.uuid()).revision();
    assertError(
        post("/api/flows/" + fd.uuid() + "/delete", "{\"revision\": " + revision + "}"),
        409,
        "only finished flows");
    assertThat(backend.getConnection().getFlowDetails(fd.uuid())).isNotNull();
  }

  @Test
  void refusesToDeleteAFlowThatChangedSinceThePageShowedIt() throws Exception {
    FlowDetail fd = finishedFlow();
    Connection c = backend.getConnection();
    long shown = c.getFlowDetails(fd.uuid()).revision();
    c.updateFlowDetails(c.getFlowDetails(fd.uuid()).withMetaEntries(Map.of("note", "changed")));
    assertThat(c.getFlowDetails(fd.uuid()).revision()).isGreaterThan(shown);
    assertError(
        post("/api/flows/" + fd.uuid() + "/delete", "{\"revision\": " + shown + "}"),
        409,
        "changed since the page showed it");
    assertThat(c.getFlowDetails(fd.uuid())).isNotNull();
  }

  @Test
  void aDeleteNeedsTheRevision() throws Exception {
    FlowDetail fd = finishedFlow();
    assertError(post("/api/flows/" + fd.uuid() + "/delete", "{}"), 400, "revision");
  }

  // --- resume ----------------------------------------------------------------------------------

  @Test
  void resumesAFlowByPostingAJobForItOnce() throws Exception {
    LogBook book = unfinishedFlow();
    String flow = book.flows().get(0).uuid();
    String body = "{\"book_uuid\": \"" + book.uuid() + "\"}";
    HttpResponse<String> r = post("/api/flows/" + flow + "/resume", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode done = json.readTree(r.body());
    assertThat(done.get("outcome").asText()).isEqualTo("posted");
    Job job = board.job(done.get("uuid").asText()).orElseThrow();
    assertThat(job.flowUuid()).hasValue(flow);
    assertThat(job.book().uuid()).isEqualTo(book.uuid());
    assertThat(job.state()).isEqualTo(JobState.UNCLAIMED);
    // a second click finds the job already posted
    JsonNode again = json.readTree(post("/api/flows/" + flow + "/resume", body).body());
    assertThat(again.get("outcome").asText()).isEqualTo("already_posted");
    assertThat(board.jobs().stream().filter(j -> j.flowUuid().orElse("").equals(flow))).hasSize(1);
  }

  @Test
  void refusesToResumeAFinishedFlow() throws Exception {
    FlowDetail fd = finishedFlow();
    String book =
        backend.getConnection().getLogBooks(false).stream()
            .filter(b -> b.find(fd.uuid()).isPresent())
            .findFirst()
            .orElseThrow()
            .uuid();
    assertError(
        post("/api/flows/" + fd.uuid() + "/resume", "{\"book_uuid\": \"" + book + "\"}"),
        409,
        "already finished");
  }

  @Test
  void resumeWithoutABoardIsUnavailableWithAClearMessage() throws Exception {
    LogBook book = unfinishedFlow();
    try (Dashboard noBoard =
        Dashboard.builder().backend(backend).token(TOKEN).allowActions(true).port(0).start()) {
      String sessionCsrf =
          json.readTree(send(noBoard, "GET", "/api/session", null, auth()).body())
              .get("csrf_token")
              .asText();
      List<String> h = new ArrayList<>(auth());
      h.addAll(List.of("X-CSRF-Token", sessionCsrf, "Origin", origin(noBoard)));
      assertError(
          send(
              noBoard,
              "POST",
              "/api/flows/" + book.flows().get(0).uuid() + "/resume",
              "{\"book_uuid\": \"" + book.uuid() + "\"}",
              h),
          503,
          "the dashboard has no jobboard");
    }
  }

  // --- trash -----------------------------------------------------------------------------------

  @Test
  void trashesAJobNobodyHolds() throws Exception {
    Job job = postJob();
    HttpResponse<String> r = post("/api/jobs/" + job.uuid() + "/trash", "{\"reason\": \"stuck\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(board.job(job.uuid())).isEmpty();
    assertThat(board.trashedJobs()).extracting(Job::uuid).contains(job.uuid());
  }

  @Test
  void refusesToTrashAClaimedJob() throws Exception {
    Job job = postJob();
    try (var claim =
        board.claim(job.uuid(), io.taskflow4j.jobs.OwnerId.generate("conductor")).orElseThrow()) {
      assertError(post("/api/jobs/" + job.uuid() + "/trash", null), 409, "claimed");
      assertThat(board.job(job.uuid())).isPresent();
      claim.release();
    }
  }

  // --- refusals --------------------------------------------------------------------------------

  @Test
  void withoutActionsAllowedTheActionsAreRefused() throws Exception {
    FlowDetail fd = finishedFlow();
    HttpResponse<String> r =
        send(readOnly, "POST", "/api/flows/" + fd.uuid() + "/delete", "{\"revision\": 1}", auth());
    assertError(r, 405, "read-only");
    assertError(
        send(readOnly, "GET", "/api/flows/" + fd.uuid() + "/delete", null, auth()),
        404,
        "no such API path");
    JsonNode session = json.readTree(send(readOnly, "GET", "/api/session", null, auth()).body());
    assertThat(session.get("actions").asBoolean()).isFalse();
    assertThat(session.has("csrf_token")).isFalse();
    assertThat(backend.getConnection().getFlowDetails(fd.uuid())).isNotNull();
  }

  @Test
  void anActionIsAPostRequest() throws Exception {
    FlowDetail fd = finishedFlow();
    HttpResponse<String> r =
        send(dashboard, "GET", "/api/flows/" + fd.uuid() + "/delete", null, page(dashboard));
    assertError(r, 405, "POST");
    assertThat(r.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void anActionWithoutTheTokenIsRefused() throws Exception {
    FlowDetail fd = finishedFlow();
    List<String> noToken = List.of("X-CSRF-Token", csrf, "Origin", origin(dashboard));
    assertError(
        send(
            dashboard, "POST", "/api/flows/" + fd.uuid() + "/delete", "{\"revision\": 1}", noToken),
        401,
        "needs its token");
    assertError(send(dashboard, "GET", "/api/session", null, List.of()), 401, "needs its token");
    assertThat(backend.getConnection().getFlowDetails(fd.uuid())).isNotNull();
  }

  @Test
  void anActionWithoutTheCsrfTokenIsRefused() throws Exception {
    FlowDetail fd = finishedFlow();
    long revision = backend.getConnection().getFlowDetails(fd.uuid()).revision();
    String body = "{\"revision\": " + revision + "}";
    List<String> missing = new ArrayList<>(auth());
    missing.addAll(List.of("Origin", origin(dashboard)));
    assertError(
        send(dashboard, "POST", "/api/flows/" + fd.uuid() + "/delete", body, missing),
        403,
        "X-CSRF-Token");
    List<String> wrong = new ArrayList<>(missing);
    wrong.addAll(List.of("X-CSRF-Token", "f".repeat(48)));
    assertError(
        send(dashboard, "POST", "/api/flows/" + fd.uuid() + "/delete", body, wrong),
        403,
        "is not this server's");
    assertThat(backend.getConnection().getFlowDetails(fd.uuid())).isNotNull();
  }

  @Test
  void anActionFromAnotherSiteIsRefused() throws Exception {
    FlowDetail fd = finishedFlow();
    long revision = backend.getConnection().getFlowDetails(fd.uuid()).revision();
    String body = "{\"revision\": " + revision + "}";
    String path = "/api/flows/" + fd.uuid() + "/delete";
    List<String> foreign = new ArrayList<>(auth());
    foreign.addAll(List.of("X-CSRF-Token", csrf, "Origin", "https://evil.example"));
    assertError(send(dashboard, "POST", path, body, foreign), 403, "another site");
    List<String> crossSite = new ArrayList<>(auth());
    crossSite.addAll(List.of("X-CSRF-Token", csrf, "Sec-Fetch-Site", "cross-site"));
    assertError(send(dashboard, "POST", path, body, crossSite), 403, "own pages");
    List<String> noOrigin = new ArrayList<>(auth());
    noOrigin.addAll(List.of("X-CSRF-Token", csrf));
    assertError(send(dashboard, "POST", path, body, noOrigin), 403, "Origin");
    assertThat(backend.getConnection().getFlowDetails(fd.uuid())).isNotNull();
    // the same request from the dashboard's own page (as a browser marks it) is answered
    List<String> sameOrigin = new ArrayList<>(auth());
    sameOrigin.addAll(List.of("X-CSRF-Token", csrf, "Sec-Fetch-Site", "same-origin"));
    assertThat(send(dashboard, "POST", path, body, sameOrigin).statusCode()).isEqualTo(200);
  }

  @Test
  void actionsNeedATokenEvenOnLoopback() {
    assertThatThrownBy(
            () -> Dashboard.builder().backend(backend).allowActions(true).port(0).start())
        .isInstanceOf(DashboardException.class)
        .hasMessageContaining("refusing to allow actions without a token")
        .hasMessageContaining("--token-file");
  }
}
