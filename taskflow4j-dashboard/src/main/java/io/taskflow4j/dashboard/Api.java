package io.taskflow4j.dashboard;

import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON API: each method answers one path under {@code /api} with plain maps and lists (written
 * by Jackson without any type information). Reads the store only through its query API and single
 * flows: nothing here loads a whole store.
 */
final class Api {
  /** How many characters of a result the flow view carries; the atom's raw JSON has all of it. */
  static final int RESULT_PREVIEW = 400;

  /** How many flows the overview reads to find the most failing tasks. */
  static final int FAILING_SAMPLE = 20;

  /** The largest page of the flows listing. */
  static final int MAX_PAGE = 500;

  private static final Pattern UUID_PART = Pattern.compile("[A-Za-z0-9._:-]{1,200}");
  private static final Pattern RELATIVE = Pattern.compile("(\\d{1,6})([smhdw])");

  private final Dashboard.Settings settings;

  Api(Dashboard.Settings settings) {
    this.settings = settings;
  }

  /** Answers {@code path} (without the {@code /api} prefix). */
  Object answer(String path, Map<String, String> params) {
    String[] parts = path.split("/", -1);
    // parts[0] is the empty string before the leading slash
    if (parts.length == 2) {
      switch (parts[1]) {
        case "info":
          noParams(params, path);
          return info();
        case "overview":
          noParams(params, path);
          return overview();
        case "flows":
          return flows(params);
        case "jobs":
          return jobs(params);
        default:
          break;
      }
    }
    if (parts.length == 3 && parts[1].equals("flows")) {
      noParams(params, path);
      return flow(uuid(parts[2], "flow"));
    }
    if (parts.length == 5 && parts[1].equals("flows") && parts[3].equals("atoms")) {
      noParams(params, path);
      return atom(uuid(parts[2], "flow"), uuid(parts[4], "atom"));
    }
    throw HttpProblem.notFound(
        "no such API path: /api"
            + path
            + "; the API answers /api/info, /api/overview, /api/flows, /api/flows/{uuid},"
            + " /api/flows/{uuid}/atoms/{uuid} and /api/jobs");
  }

  static void noParams(Map<String, String> params, String path) {
    if (!params.isEmpty()) {
      throw HttpProblem.badRequest(
          "/api" + path + " takes no parameters; got " + String.join(", ", params.keySet()));
    }
  }

  private static String uuid(String raw, String what) {
    String s = java.net.URLDecoder.decode(raw, java.nio.charset.StandardCharsets.UTF_8);
    if (!UUID_PART.matcher(s).matches()) {
      throw HttpProblem.badRequest("'" + printable(s) + "' is not a " + what + " uuid");
    }
    return s;
  }

  private Connection connection() {
    return settings.backend().getConnection();
  }

  // --- /api/info -------------------------------------------------------------------------------

  private Map<String, Object> info() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("store", settings.storeLabel());
    m.put("board", settings.boardLabel());
    m.put("read_only", !settings.allowActions());
    return m;
  }

  // --- /api/overview ---------------------------------------------------------------------------

  private Map<String, Object> overview() {
    Connection c = connection();
    Instant now = settings.clock().instant();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("store", settings.storeLabel());
    Map<FlowState, Long> counts = c.countFlows(FlowQuery.all());
    Map<String, Object> byState = new LinkedHashMap<>();
    long total = 0;
    for (FlowState s : FlowState.values()) {
      long n = counts.getOrDefault(s, 0L);
      byState.put(s.name(), n);
      total += n;
    }
    m.put("flows_by_state", byState);
    m.put("flows", total);

    // the last day, hour by hour, by the time each flow was last written (the indexed time)
    Instant end = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
    int hours = (int) Math.max(1, settings.overviewWindow().toHours());
    List<Object> buckets = new ArrayList<>(hours);
    for (int i = hours; i >= 1; i--) {
      Instant from = end.minus(i, ChronoUnit.HOURS);
      Map<FlowState, Long> n =
          c.countFlows(
              FlowQuery.all().updatedSince(from).updatedBefore(from.plus(1, ChronoUnit.HOURS)));
      long runs = n.values().stream().mapToLong(Long::longValue).sum();
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("hour", from.toString());
      b.put("flows", runs);
      b.put("failures", n.getOrDefault(FlowState.FAILURE, 0L));
      buckets.add(b);
    }
    m.put("hours", buckets);
    m.put("failing_tasks", failingTasks(c));
    m.put("failing_sample", FAILING_SAMPLE);
    return m;
  }

  /**
   * The tasks that failed most in the latest failed flows and in the latest flows of any state (a
   * failure a retry overcame is counted too): bounded, at most {@value #FAILING_SAMPLE} flows of
   * each kind are read.
   */
  private List<Object> failingTasks(Connection c) {
    Set<String> flowUuids = new LinkedHashSet<>();
    for (FlowSummary s :
        c.findFlows(FlowQuery.all().states(FlowState.FAILURE).limit(FAILING_SAMPLE)).flows()) {
      flowUuids.add(s.flowUuid());
    }
    for (FlowSummary s : c.findFlows(FlowQuery.all().limit(FAILING_SAMPLE)).flows()) {
      flowUuids.add(s.flowUuid());
    }
    Map<String, int[]> byTask = new HashMap<>();
    Map<String, String> lastType = new HashMap<>();
    for (String uuid : flowUuids) {
      FlowDetail fd;
      try {
        fd = c.getFlowDetails(uuid);
      } catch (io.taskflow4j.persistence.NotFoundException
          | io.taskflow4j.persistence.CorruptRecordException e) {
        continue;
      }
      for (AtomDetail ad : fd.atoms()) {
        if (ad.failure() != null) {
          byTask.computeIfAbsent(ad.name(), k -> new int[2])[0]++;
          lastType.putIfAbsent(ad.name(), ad.failure().typeName());
        }
        if (ad instanceof RetryDetail rd) {
          for (RetryDetail.Attempt a : rd.history()) {
            for (Map.Entry<String, Failure> e : a.failures().entrySet()) {
              byTask.computeIfAbsent(e.getKey(), k -> new int[2])[1]++;
              lastType.putIfAbsent(e.getKey(), e.getValue().typeName());
            }
          }
        }
      }
    }
    List<Map.Entry<String, int[]>> sorted = new ArrayList<>(byTask.entrySet());
    sorted.sort(
        (a, b) -> {
          int x =
              Integer.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]);
          return x != 0 ? x : a.getKey().compareTo(b.getKey());
        });
    List<Object> out = new ArrayList<>();
    for (Map.Entry<String, int[]> e : sorted.subList(0, Math.min(10, sorted.size()))) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", e.getKey());
      t.put("failed", e.getValue()[0]);
      t.put("retried", e.getValue()[1]);
      t.put("exception", lastType.get(e.getKey()));
      out.add(t);
    }
    return out;
  }

  // --- /api/flows ------------------------------------------------------------------------------

  private static final Set<String> FLOW_PARAMS =
      Set.of("state", "since", "before", "name", "limit", "after");

  private Map<String, Object> flows(Map<String, String> params) {
    for (String k : params.keySet()) {
      if (!FLOW_PARAMS.contains(k)) {
        throw HttpProblem.badRequest(
            "unknown parameter '"
                + printable(k)
                + "' of /api/flows; it takes "
                + String.join(", ", new TreeSet<>(FLOW_PARAMS)));
      }
    }
    Instant now = settings.clock().instant();
    FlowQuery q = FlowQuery.all();
    String state = params.get("state");
    if (state != null && !state.isBlank()) {
      List<FlowState> states = new ArrayList<>();
      for (String s : state.split(",")) {
        try {
          states.add(FlowState.valueOf(s.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw HttpProblem.badRequest(
              "state '"
                  + printable(s.strip())
                  + "' is not a flow state; the states are "
                  + Arrays.toString(FlowState.values()));
        }
      }
      q = q.states(states);
    }
    q = q.updatedSince(time(params.get("since"), "since", now));
    q = q.updatedBefore(time(params.get("before"), "before", now));
    String name = params.get("name");
    if (name != null && !name.isEmpty()) {
      q = q.flowNamePrefix(name);
    }
    q = q.limit(limit(params, 50));
    String after = params.get("after");
    if (after != null && !after.isEmpty()) {
      try {
        q = q.after(after);
      } catch (IllegalArgumentException e) {
        throw HttpProblem.badRequest(e.getMessage());
      }
    }
    FlowPage page = connection().findFlows(q);
    List<Object> flows = new ArrayList<>(page.flows().size());
    for (FlowSummary s : page.flows()) {
      flows.add(summary(s, now));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("flows", flows);
    m.put("next", page.nextCursor());
    return m;
  }

  private static Instant time(String text, String name, Instant now) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String t = text.strip();
    Matcher rel = RELATIVE.matcher(t);
    if (rel.matches()) {
      long n = Long.parseLong(rel.group(1));
      Duration d =
          switch (rel.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
          };
      return now.minus(d);
    }
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException e) {
      // an HTML datetime-local field: a date and time without a zone, read as UTC
    }
    try {
      return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw HttpProblem.badRequest(
          name
              + " must be an ISO-8601 time (2026-12-05T14:00:00Z, or 2026-12-05T14:00 in UTC) or"
              + " an age (30m, 12h, 7d, 2w), not '"
              + printable(t)
              + "'");
    }
  }

  private static Map<String, Object> summary(FlowSummary s, Instant now) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("flow_uuid", s.flowUuid());
    f.put("flow_name", s.flowName());
    f.put("state", s.state().name());
    f.put("book_uuid", s.bookUuid());
    f.put("book_name", s.bookName());
    f.put("revision", s.revision());
    f.put("created_at", s.createdAt().toString());
    f.put("updated_at", s.updatedAt().toString());
    Instant end = s.state().isFinished() ? s.updatedAt() : now;
    f.put("duration_ms", Math.max(0, Duration.between(s.createdAt(), end).toMillis()));
    f.put("atoms", s.atoms());
    Map<String, Object> counts = new LinkedHashMap<>();
    s.atomCounts().forEach((k, v) -> counts.put(k.name(), v));
    f.put("atom_states", counts);
    return f;
  }

  // --- /api/flows/{uuid} -----------------------------------------------------------------------

  private Map<String, Object> flow(String flowUuid) {
    FlowDetail fd = connection().getFlowDetails(flowUuid);
    Instant now = settings.clock().instant();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("flow_uuid", fd.uuid());
    m.put("flow_name", fd.name());
    m.put("state", fd.state().name());
    m.put("finished", fd.state().isFinished());
    m.put("revision", fd.revision());
    m.put("created_at", text(fd.createdAt()));
    m.put("updated_at", text(fd.updatedAt()));
    Map<String, Integer> counts = new LinkedHashMap<>();
    // earlier attempts of atoms in a retry's scope, from the retries' histories
    Map<String, List<Object>> earlier = new HashMap<>();
    for (AtomDetail ad : fd.atoms()) {
      counts.merge(ad.state().name(), 1, Integer::sum);
      if (ad instanceof RetryDetail rd) {
        collectEarlierAttempts(rd, earlier);
      }
    }
    m.put("atom_states", counts);
    List<Object> atoms = new ArrayList<>(fd.atoms().size());
    for (AtomDetail ad : fd.atoms()) {
      atoms.add(atom(fd.uuid(), ad, earlier.getOrDefault(ad.name(), List.of())));
    }
    m.put("atoms", atoms);
    return m;
  }

  private static void collectEarlierAttempts(RetryDetail rd, Map<String, List<Object>> earlier) {
    List<?> infos = rd.meta().get("attempts") instanceof List<?> l ? l : List.of();
    List<RetryDetail.Attempt> history = rd.history();
    for (int i = 0; i < history.size(); i++) {
      Map<?, ?> info = i < infos.size() && infos.get(i) instanceof Map<?, ?> im ? im : Map.of();
      for (Map.Entry<String, Failure> e : history.get(i).failures().entrySet()) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("retry", rd.name());
        a.put("attempt", i + 1);
        a.put("state", "FAILURE");
        a.put("started_at", info.get("started_at") instanceof String s ? s : null);
        a.put("ended_at", info.get("ended_at") instanceof String s ? s : null);
        a.put("failure", failure(e.getValue()));
        earlier.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(a);
      }
    }
  }

  private static Map<String, Object> atom(String flowUuid, AtomDetail ad, List<Object> earlier) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("uuid", ad.uuid());
    a.put("name", ad.name());
    a.put("type", ad instanceof RetryDetail ? "retry" : "task");
    a.put("state", ad.state().name());
    a.put("intention", ad.intention().name());
    Map<String, Object> meta = ad.meta();
    a.put("started_at", meta.get(AtomDetail.META_STARTED_AT) instanceof String s ? s : null);
    a.put("ended_at", meta.get(AtomDetail.META_ENDED_AT) instanceof String s ? s : null);
    a.put("duration", meta.get(AtomDetail.META_DURATION) instanceof Number n ? n : null);
    a.put("attempt", meta.get(AtomDetail.META_ATTEMPT) instanceof Number n ? n : null);
    a.put("host", meta.get(AtomDetail.META_HOST) instanceof String s ? s : null);
    a.put("progress", meta.get(AtomDetail.META_PROGRESS) instanceof Number n ? n : null);
    if (ad instanceof TaskDetail td) {
      a.put("result", preview(td.results()));
    } else if (ad instanceof RetryDetail rd) {
      a.put(
          "result",
          rd.history().isEmpty()
              ? null
              : preview(rd.history().get(rd.history().size() - 1).value()));
      a.put("history", history(rd));
    }
    a.put("failure", failure(ad.failure()));
    a.put("revert_result", preview(ad.revertResults()));
    a.put("revert_failure", failure(ad.revertFailure()));
    a.put("earlier_attempts", earlier);
    a.put("raw", "/api/flows/" + flowUuid + "/atoms/" + ad.uuid());
    return a;
  }

  private static List<Object> history(RetryDetail rd) {
    List<?> infos = rd.meta().get("attempts") instanceof List<?> l ? l : List.of();
    List<Object> out = new ArrayList<>();
    List<RetryDetail.Attempt> history = rd.history();
    for (int i = 0; i < history.size(); i++) {
      RetryDetail.Attempt at = history.get(i);
      Map<?, ?> info = i < infos.size() && infos.get(i) instanceof Map<?, ?> im ? im : Map.of();
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("attempt", i + 1);
      h.put("value", preview(at.value()));
      h.put("started_at", info.get("started_at") instanceof String s ? s : null);
      h.put("ended_at", info.get("ended_at") instanceof String s ? s : null);
      List<Object> failures = new ArrayList<>();
      for (Map.Entry<String, Failure> e : at.failures().entrySet()) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("atom", e.getKey());
        f.putAll(failure(e.getValue()));
        failures.add(f);
      }
      h.put("failures", failures);
      out.add(h);
    }
    return out;
  }

  /** A result as JSON text, cut at {@value #RESULT_PREVIEW} characters. */
  private static Map<String, Object> preview(Object value) {
    if (value == null) {
      return null;
    }
    String text;
    try {
      text = Json.write(value);
    } catch (RuntimeException e) {
      text = String.valueOf(value);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    boolean cut = text.length() > RESULT_PREVIEW;
    r.put("text", cut ? text.substring(0, RESULT_PREVIEW) : text);
    r.put("truncated", cut);
    r.put("length", text.length());
    return r;
  }

  private static Map<String, Object> failure(Failure f) {
    if (f == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("types", f.excTypeNames());
    m.put("type", f.typeName());
    m.put("message", f.exceptionStr());
    m.put("traceback", f.tracebackStr());
    List<Object> causes = new ArrayList<>();
    for (Failure c : f.causes()) {
      causes.add(failure(c));
    }
    m.put("causes", causes);
    return m;
  }

  // --- /api/flows/{uuid}/atoms/{uuid} ----------------------------------------------------------

  private Map<String, Object> atom(String flowUuid, String atomUuid) {
    Connection c = connection();
    c.getFlowDetails(flowUuid, true); // 404 for an unknown flow
    AtomDetail ad = c.getAtomDetails(atomUuid);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("flow_uuid", flowUuid);
    m.putAll(TaskFlowFormat.atomToEnvelope(ad));
    return m;
  }

  // --- /api/jobs -------------------------------------------------------------------------------

  /** The {@code limit} parameter: a whole number from 1 to {@link #MAX_PAGE}, else {@code dflt}. */
  private static int limit(Map<String, String> params, int dflt) {
    String l = params.get("limit");
    if (l == null || l.isEmpty()) {
      return dflt;
    }
    int limit;
    try {
      limit = Integer.parseInt(l);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > MAX_PAGE) {
      throw HttpProblem.badRequest(
          "limit must be a whole number from 1 to " + MAX_PAGE + ", not '" + printable(l) + "'");
    }
    return limit;
  }

  /** How many jobs {@code /api/jobs} lists unless asked for another number (up to MAX_PAGE). */
  static final int JOBS_SHOWN = 200;

  /**
   * The first jobs in claiming order (a board with a backlog is not sent whole at every poll), the
   * count of every state, and the conductors.
   */
  private Map<String, Object> jobs(Map<String, String> params) {
    for (String k : params.keySet()) {
      if (!k.equals("limit")) {
        throw HttpProblem.badRequest(
            "unknown parameter '" + printable(k) + "' of /api/jobs; it takes: limit");
      }
    }
    int limit = limit(params, JOBS_SHOWN);
    Map<String, Object> m = new LinkedHashMap<>();
    Jobboard board = settings.jobboard();
    m.put("board", settings.boardLabel());
    if (board == null) {
      m.put("jobs", List.of());
      m.put("conductors", List.of());
      return m;
    }
    Duration lease = board.leaseTime();
    m.put("lease_seconds", lease.toMillis() / 1000.0);
    Map<io.taskflow4j.persistence.JobState, Long> counts = board.countJobs();
    List<Job> list = new ArrayList<>(board.jobs(limit));
    list.sort(Job::compareForClaiming);
    List<Object> jobs = new ArrayList<>(list.size());
    for (Job j : list) {
      jobs.add(job(j));
    }
    long unclaimed = counts.getOrDefault(io.taskflow4j.persistence.JobState.UNCLAIMED, 0L);
    long claimed = counts.getOrDefault(io.taskflow4j.persistence.JobState.CLAIMED, 0L);
    Map<String, Long> byState = new LinkedHashMap<>(); // every state a key, as on the board
    for (io.taskflow4j.persistence.JobState s : io.taskflow4j.persistence.JobState.values()) {
      byState.put(s.name(), 0L);
    }
    byState.put(io.taskflow4j.persistence.JobState.UNCLAIMED.name(), unclaimed);
    byState.put(io.taskflow4j.persistence.JobState.CLAIMED.name(), claimed);
    m.put("jobs", jobs);
    // counted a moment apart from the list: a busy board may differ by the jobs of that moment
    m.put("jobs_total", Math.max(unclaimed + claimed, jobs.size()));
    m.put("jobs_by_state", byState);
    m.put("trashed", counts.getOrDefault(io.taskflow4j.persistence.JobState.TRASHED, 0L));
    List<Object> conductors = new ArrayList<>();
    for (ConductorInfo ci : board.conductors()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("id", ci.id());
      c.put("name", ci.name());
      c.put("host", ci.host());
      c.put("pid", ci.pid());
      c.put("since", text(ci.since()));
      c.put("meta", Json.normalize(ci.meta()));
      c.put("last_seen", text(ci.lastSeen()));
      conductors.add(c);
    }
    m.put("conductors", conductors);
    return m;
  }

  private static Map<String, Object> job(Job j) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", j.uuid());
    m.put("name", j.name());
    m.put("state", j.state().name());
    m.put("priority", j.priority().name());
    m.put("sequence", j.sequence());
    m.put("created_on", text(j.createdOn()));
    m.put("owner", j.owner());
    m.put("lease_until", text(j.leaseUntil()));
    m.put("token", j.token());
    m.put("failures", j.failures());
    m.put("flow_uuid", j.flowUuid().orElse(null));
    m.put("book_uuid", j.book() == null ? null : j.book().uuid());
    m.put("book_name", j.book() == null ? null : j.book().name());
    return m;
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }

  private static String printable(String s) {
    String cut = s.length() > 60 ? s.substring(0, 60) + "..." : s;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
