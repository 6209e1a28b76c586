package io.taskflow4j.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskFlowException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every request: checks the method, the host and the token, sets the security headers, and
 * routes to the API ({@link Api}) or to a static asset. Errors are JSON bodies, never stack traces.
 */
final class DashboardHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardHandler.class);

  static final String COOKIE = "tf4j_dashboard";
  private static final String STATIC_ROOT = "/io/taskflow4j/dashboard/static/";

  /** The pages: a path people type, served by one HTML file each. */
  private static final Map<String, String> PAGES =
      Map.of(
          "/", "index.html",
          "/flows", "flows.html",
          "/flow", "flow.html",
          "/jobs", "jobs.html");

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");

  private final Dashboard.Settings settings;
  private final Api api;
  private final Actions actions;
  private final ObjectMapper mapper = new ObjectMapper();
  private final Map<String, byte[]> assets = new ConcurrentHashMap<>();

  DashboardHandler(Dashboard.Settings settings) {
    this.settings = settings;
    this.api = new Api(settings);
    this.actions = settings.allowActions() ? new Actions(settings) : null;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Headers h = ex.getResponseHeaders();
      h.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
      h.set("X-Content-Type-Options", "nosniff");
      h.set("Referrer-Policy", "no-referrer");
      h.set("X-Frame-Options", "DENY");
      h.set("Cache-Control", "no-cache");
      try {
        route(ex);
      } catch (HttpProblem p) {
        sendError(ex, p.status(), p.getMessage());
      } catch (NotFoundException e) {
        sendError(ex, 404, BackendConf.maskText(e.getMessage()));
      } catch (CorruptRecordException e) {
        sendError(ex, 500, "a damaged record: " + BackendConf.maskText(e.getMessage()));
      } catch (TaskFlowException e) {
        LOG.warn("The store could not be read: {}", BackendConf.maskText(e.getMessage()));
        sendError(ex, 503, "the store could not be read: " + BackendConf.maskText(e.getMessage()));
      } catch (IOException e) {
        throw e;
      } catch (RuntimeException e) {
        LOG.error("The dashboard failed to answer {}", ex.getRequestURI().getRawPath(), e);
        sendError(ex, 500, "internal error (" + e.getClass().getSimpleName() + "); see the log");
      }
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    if (method.equals("POST") && actions != null) {
      post(ex);
      return;
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", actions != null ? "GET, HEAD, POST" : "GET, HEAD");
      throw new HttpProblem(
          405,
          actions != null
              ? "only GET, HEAD and (for actions) POST are answered"
              : "the dashboard is read-only: only GET and HEAD are answered; start it with"
                  + " --allow-actions (and a token) to allow actions");
    }
    checkHost(ex);
    String path = ex.getRequestURI().getRawPath();
    Map<String, String> params = parseQuery(ex.getRequestURI().getRawQuery());
    if (settings.token() != null && !authorized(ex, params)) {
      return;
    }
    params.remove("token");
    if (path.equals("/api/session")) {
      Api.noParams(params, "/session");
      sendJson(ex, 200, session(), false);
      return;
    }
    if (actions != null && path.startsWith("/api/") && Actions.isAction(path.substring(4))) {
      ex.getResponseHeaders().set("Allow", "POST");
      throw new HttpProblem(405, "an action is a POST request: POST " + path);
    }
    if (path.startsWith("/api/")) {
      Object body = api.answer(path.substring("/api".length()), params);
      sendJson(ex, 200, body, true);
      return;
    }
    String page = PAGES.get(path);
    if (page != null) {
      sendAsset(ex, page);
      return;
    }
    if (path.startsWith("/static/")) {
      String name = path.substring("/static/".length());
      if (!name.matches("[a-z0-9][a-z0-9.-]*\\.(css|js|svg|png|ico)")) {
        throw HttpProblem.notFound("no such file: " + path);
      }
      sendAsset(ex, name);
      return;
    }
    if (path.equals("/favicon.ico")) {
      sendAsset(ex, "favicon.svg");
      return;
    }
    java.util.regex.Matcher flow = FLOW_PATH.matcher(path);
    if (flow.matches()) {
      // A flow's address as people write it (in an alert, a ticket): its page.
      ex.getResponseHeaders().set("Location", "/flow?uuid=" + flow.group(1));
      send(ex, 302, new byte[0], false);
      return;
    }
    throw HttpProblem.notFound("no such page: " + path + "; the pages are /, /flows, /jobs");
  }

  /**
   * {@code /flows/UUID} and {@code /flow/UUID}: one path segment of characters a query may hold as
   * they are (percent-escapes included), so the redirect's target is the same text.
   */
  private static final java.util.regex.Pattern FLOW_PATH =
      java.util.regex.Pattern.compile("/flows?/([A-Za-z0-9._~%-]{1,300})/?");

  /**
   * What the pages need to know before offering actions: whether actions are allowed and, when they
   * are, the value each action request must echo in {@code X-CSRF-Token}. Only a page of the
   * dashboard's own origin can read it (the server sends no CORS header), and only with the token.
   */
  private Map<String, Object> session() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("actions", actions != null);
    m.put("board", settings.jobboard() != null);
    if (actions != null) {
      m.put("csrf_token", settings.csrfToken());
    }
    return m;
  }

  /** The largest action body read. */
  private static final int MAX_BODY = 8 * 1024;

  /**
   * Answers an action: the host, the token (header or cookie only), the cross-site defences, then
   * the action itself; logs who asked (the remote address), what, and how it ended.
   */
  private void post(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String who = ex.getRemoteAddress().getAddress().getHostAddress();
    try {
      checkHost(ex);
      if (!parseQuery(ex.getRequestURI().getRawQuery()).isEmpty()) {
        throw HttpProblem.badRequest(
            "an action takes no query parameters; send the token as 'Authorization: Bearer"
                + " TOKEN' or with the dashboard's cookie");
      }
      authorized(ex, new LinkedHashMap<>());
      checkSameOrigin(ex);
      if (!path.startsWith("/api/")) {
        throw HttpProblem.notFound("no such action: POST " + path);
      }
      Map<String, Object> body = readBody(ex);
      Map<String, Object> done;
      try {
        done = actions.run(path.substring("/api".length()), body);
      } catch (ConflictException e) {
        throw new HttpProblem(409, BackendConf.maskText(e.getMessage()));
      }
      LOG.info("Dashboard action POST {} from {}: {}", path, who, done.get("message"));
      sendJson(ex, 200, done, false);
    } catch (HttpProblem | NotFoundException e) {
      LOG.info(
          "Dashboard action POST {} from {} refused: {}", printable(path), who, e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      LOG.warn("Dashboard action POST {} from {} failed: {}", printable(path), who, e.toString());
      throw e;
    }
  }

  private static String printable(String s) {
    String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  /**
   * Refuses a request another site's page could have made: it must echo the server's CSRF token
   * (which only a page of this origin can read), and name this origin ({@code Origin} equal to the
   * {@code Host} the browser addressed) or say it is same-origin ({@code Sec-Fetch-Site}).
   */
  private void checkSameOrigin(HttpExchange ex) {
    Headers h = ex.getRequestHeaders();
    String given = h.getFirst("X-CSRF-Token");
    if (given == null
        || !MessageDigest.isEqual(
            given.strip().getBytes(StandardCharsets.UTF_8),
            settings.csrfToken().getBytes(StandardCharsets.UTF_8))) {
      throw new HttpProblem(
          403,
          "an action needs the header X-CSRF-Token with the value of GET /api/session's"
              + " csrf_token"
              + (given == null ? "" : " (the one given is not this server's)"));
    }
    String site = h.getFirst("Sec-Fetch-Site");
    if (site != null && !site.equalsIgnoreCase("same-origin")) {
      throw new HttpProblem(
          403, "an action must come from the dashboard's own pages (Sec-Fetch-Site: " + site + ")");
    }
    String origin = h.getFirst("Origin");
    if (origin == null) {
      if (site == null) {
        throw new HttpProblem(
            403,
            "an action needs an Origin header naming the dashboard (e.g. Origin: http://HOST:PORT)"
                + " or Sec-Fetch-Site: same-origin");
      }
      return;
    }
    String host = h.getFirst("Host");
    if (host == null
        || !(origin.equalsIgnoreCase("http://" + host)
            || origin.equalsIgnoreCase("https://" + host))) {
      throw new HttpProblem(
          403,
          "an action must come from the dashboard's own pages; Origin "
              + printable(origin)
              + " is another site");
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> readBody(HttpExchange ex) throws IOException {
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) {
      throw new HttpProblem(413, "an action's body is at most " + MAX_BODY + " bytes");
    }
    if (bytes.length == 0) {
      return Map.of();
    }
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new HttpProblem(415, "an action's body must be JSON (Content-Type: application/json)");
    }
    Object value;
    try {
      value = mapper.readValue(bytes, Object.class);
    } catch (IOException e) {
      throw HttpProblem.badRequest("the body is not JSON");
    }
    if (!(value instanceof Map<?, ?> m)) {
      throw HttpProblem.badRequest("the body must be a JSON object");
    }
    return (Map<String, Object>) m;
  }

  /**
   * Without a token the dashboard is reachable from this machine only; a page on another site could
   * still send requests here through a DNS name that resolves to 127.0.0.1 (DNS rebinding), with
   * that name in the Host header: such requests are refused.
   */
  private void checkHost(HttpExchange ex) {
    if (settings.token() != null || !settings.loopback()) {
      return;
    }
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null) {
      return;
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      name = end < 0 ? name : name.substring(0, end + 1);
    } else if (name.indexOf(':') >= 0) {
      name = name.substring(0, name.indexOf(':'));
    }
    if (!(name.equals("localhost")
        || name.equals("[::1]")
        || name.startsWith("127.")
        || name.endsWith(".localhost"))) {
      throw new HttpProblem(
          403,
          "the dashboard answers requests for localhost only (Host was "
              + host
              + "); to serve other names, start it with a token");
    }
  }

  /**
   * Checks the token: the bearer header, the cookie, or {@code ?token=} (which sets the cookie and
   * redirects to the same address without the token, so it leaves the address bar and history).
   *
   * @return whether to go on answering the request
   */
  private boolean authorized(HttpExchange ex, Map<String, String> params) throws IOException {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      if (matches(auth.substring(7).strip())) {
        return true;
      }
      throw new HttpProblem(401, "the bearer token is not this dashboard's token");
    }
    String query = params.get("token");
    if (query != null) {
      if (!matches(query)) {
        throw new HttpProblem(401, "the token is not this dashboard's token");
      }
      Headers h = ex.getResponseHeaders();
      h.add(
          "Set-Cookie",
          COOKIE + "=" + settings.token() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
      params.remove("token");
      h.set("Location", ex.getRequestURI().getRawPath() + encodeQuery(params));
      ex.sendResponseHeaders(303, -1);
      return false;
    }
    List<String> cookies = ex.getRequestHeaders().get("Cookie");
    if (cookies != null) {
      for (String header : cookies) {
        for (String part : header.split(";")) {
          String c = part.strip();
          if (c.startsWith(COOKIE + "=") && matches(c.substring(COOKIE.length() + 1))) {
            return true;
          }
        }
      }
    }
    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"taskflow4j dashboard\"");
    throw new HttpProblem(
        401,
        "this dashboard needs its token: open it once with ?token=TOKEN, or send"
            + " 'Authorization: Bearer TOKEN'");
  }

  private boolean matches(String given) {
    return MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), settings.token().getBytes(StandardCharsets.UTF_8));
  }

  static Map<String, String> parseQuery(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key;
      String value;
      try {
        key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw HttpProblem.badRequest("the query string is not well encoded: " + e.getMessage());
      }
      if (params.put(key, value) != null) {
        throw HttpProblem.badRequest("the parameter '" + key + "' is given twice");
      }
    }
    return params;
  }

  private static String encodeQuery(Map<String, String> params) {
    if (params.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : params.entrySet()) {
      sb.append(sb.length() == 0 ? '?' : '&')
          .append(java.net.URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  private void sendAsset(HttpExchange ex, String name) throws IOException {
    byte[] body = assets.computeIfAbsent(name, DashboardHandler::load);
    if (body.length == 0) {
      throw HttpProblem.notFound("no such file: " + name);
    }
    String ext = name.substring(name.lastIndexOf('.') + 1);
    ex.getResponseHeaders().set("Content-Type", TYPES.getOrDefault(ext, "text/plain"));
    send(ex, 200, body, true);
  }

  private static byte[] load(String name) {
    try (InputStream in = DashboardHandler.class.getResourceAsStream(STATIC_ROOT + name)) {
      return in == null ? new byte[0] : in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private void sendJson(HttpExchange ex, int status, Object body, boolean etag) throws IOException {
    byte[] bytes;
    try {
      bytes = mapper.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a dashboard answer could not be written as JSON", e);
    }
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    send(ex, status, bytes, etag);
  }

  private void sendError(HttpExchange ex, int status, String message) throws IOException {
    if (wantsPage(ex)) {
      sendErrorPage(ex, status, message);
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("status", status);
    sendJson(ex, status, body, false);
  }

  /**
   * Whether a browser asked for a page (not the API, and HTML accepted): it is answered with an
   * error page a person can read and leave, other clients with the JSON error.
   */
  private static boolean wantsPage(HttpExchange ex) {
    String path = ex.getRequestURI().getRawPath();
    String accept = ex.getRequestHeaders().getFirst("Accept");
    return path != null
        && !path.startsWith("/api/")
        && accept != null
        && accept.toLowerCase(java.util.Locale.ROOT).contains("text/html");
  }

  /** The error as a page: the message as escaped text, and the way back to the pages. */
  private static void sendErrorPage(HttpExchange ex, int status, String message)
      throws IOException {
    String title = status + (status == 404 ? " Not found" : " Error");
    String html =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<title>"
            + escapeHtml(title)
            + " · taskflow4j</title>\n"
            + "<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body>\n<header>\n"
            + "  <a class=\"brand\" href=\"/\">taskflow4j</a>\n  <nav>\n"
            + "    <a href=\"/\">Overview</a>\n    <a href=\"/flows\">Flows</a>\n"
            + "    <a href=\"/jobs\">Jobs</a>\n  </nav>\n</header>\n<main>\n<h1>"
            + escapeHtml(title)
            + "</h1>\n<p class=\"error\">"
            + escapeHtml(message)
            + "</p>\n</main>\n</body>\n</html>\n";
    ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    send(ex, status, html.getBytes(StandardCharsets.UTF_8), false);
  }

  /** Text made safe to place in HTML, between tags or in a quoted attribute. */
  static String escapeHtml(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Sends a body; with an ETag, answers 304 when the client holds that version already. */
  private static void send(HttpExchange ex, int status, byte[] body, boolean etag)
      throws IOException {
    if (etag && status == 200) {
      String tag = "\"" + digest(body) + "\"";
      ex.getResponseHeaders().set("ETag", tag);
      String match = ex.getRequestHeaders().getFirst("If-None-Match");
      if (match != null && (match.equals(tag) || match.equals("W/" + tag))) {
        ex.sendResponseHeaders(304, -1);
        return;
      }
    }
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : (body.length == 0 ? -1 : body.length));
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String digest(byte[] body) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(body);
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
