package io.taskflow4j.dashboard;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The actions a dashboard started with actions allowed answers ({@code POST} only; the handler has
 * checked the token and the cross-site defences first): resume a flow, trash a job, delete a
 * finished flow. Each answers a small JSON document saying what was done, or an {@link HttpProblem}
 * saying why nothing was.
 */
final class Actions {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

  /** The prefix of the idempotency key of a resume job: a second click finds the first job. */
  static final String RESUME_KEY_PREFIX = "dashboard-resume:";

  private final Dashboard.Settings settings;

  Actions(Dashboard.Settings settings) {
    this.settings = settings;
  }

  /**
   * Runs the action at {@code path} (without the {@code /api} prefix) with the request's JSON body.
   *
   * @throws HttpProblem 404 for no such action, 400 for a bad body, 409 when the store or the board
   *     refuses (unfinished flow, changed revision, claimed job), 503 without a board
   */
  Map<String, Object> run(String path, Map<String, Object> body) {
    String[] parts = path.split("/", -1);
    if (parts.length == 4 && parts[1].equals("flows") && parts[3].equals("resume")) {
      return resume(id(parts[2], "flow"), body);
    }
    if (parts.length == 4 && parts[1].equals("flows") && parts[3].equals("delete")) {
      return delete(id(parts[2], "flow"), body);
    }
    if (parts.length == 4 && parts[1].equals("jobs") && parts[3].equals("trash")) {
      return trash(id(parts[2], "job"), body);
    }
    throw HttpProblem.notFound(
        "no such action: POST /api"
            + path
            + "; the actions are POST /api/flows/{uuid}/resume, /api/flows/{uuid}/delete and"
            + " /api/jobs/{uuid}/trash");
  }

  /** Whether {@code path} names an action (so a GET of it is told to POST instead). */
  static boolean isAction(String path) {
    String[] parts = path.split("/", -1);
    return parts.length == 4
        && ((parts[1].equals("flows") && (parts[3].equals("resume") || parts[3].equals("delete")))
            || (parts[1].equals("jobs") && parts[3].equals("trash")));
  }

  private static String id(String raw, String what) {
    String s = java.net.URLDecoder.decode(raw, java.nio.charset.StandardCharsets.UTF_8);
    if (!ID.matcher(s).matches()) {
      throw HttpProblem.badRequest("this is not a " + what + " uuid");
    }
    return s;
  }

  private Connection connection() {
    return settings.backend().getConnection();
  }

  private Jobboard board(String action) {
    Jobboard board = settings.jobboard();
    if (board == null) {
      throw new HttpProblem(
          503,
          "cannot "
              + action
              + ": the dashboard has no jobboard; start it with --board URI (or give the Dashboard a"
              + " jobboard)");
    }
    return board;
  }

  /**
   * Resumes a flow the way a deployment with conductors does: by posting a job naming it, which a
   * conductor claims and runs from its last checkpoint. The dashboard runs no flow itself: it has
   * neither the flows' code nor a place to run them for long.
   */
  private Map<String, Object> resume(String flowUuid, Map<String, Object> body) {
    Jobboard board = board("resume a flow");
    String bookUuid = text(body, "book_uuid", true);
    Connection c = connection();
    LogBook book;
    try {
      book = c.getLogBook(bookUuid, false);
    } catch (NotFoundException e) {
      throw HttpProblem.notFound("no logbook " + bookUuid);
    }
    FlowDetail fd =
        book.find(flowUuid)
            .orElseThrow(
                () -> HttpProblem.notFound("no flow " + flowUuid + " in logbook " + bookUuid));
    if (fd.state().isFinished()) {
      throw new HttpProblem(
          409,
          "the flow " + flowUuid + " already finished (" + fd.state() + "): nothing to resume");
    }
    for (Job j : board.jobs()) {
      if (j.flowUuid().filter(flowUuid::equals).isPresent()) {
        return answer(
            "resume", "already_posted", "job " + j.uuid() + " already runs this flow", j.uuid());
      }
    }
    Job job =
        board.post(
            JobSpec.of(fd.name(), new BookRef(book.name(), book.uuid()), flowUuid)
                .withIdempotencyKey(RESUME_KEY_PREFIX + flowUuid));
    return answer(
        "resume",
        "posted",
        "job " + job.uuid() + " posted: a conductor will resume it",
        job.uuid());
  }

  /** Trashes a job nobody holds: claims it, then moves it to the trash (both fenced). */
  private Map<String, Object> trash(String jobUuid, Map<String, Object> body) {
    Jobboard board = board("trash a job");
    String reason = text(body, "reason", false);
    Optional<Claim> claim;
    try {
      claim = board.claim(jobUuid, OwnerId.generate("dashboard"));
    } catch (NotFoundException e) {
      throw HttpProblem.notFound("no job " + jobUuid + " on the board");
    }
    if (claim.isEmpty()) {
      throw new HttpProblem(
          409,
          "the job "
              + jobUuid
              + " is claimed by a conductor; a job can be trashed only while nobody holds it");
    }
    try (Claim held = claim.get()) {
      held.trash(reason == null || reason.isBlank() ? "trashed from the dashboard" : reason);
    } catch (FencedException e) {
      throw new HttpProblem(409, "the job " + jobUuid + " was taken meanwhile: " + e.getMessage());
    }
    return answer("trash", "trashed", "job " + jobUuid + " moved to the trash", jobUuid);
  }

  /**
   * Deletes a finished flow, if it is still at the revision the page showed: a flow that changed
   * since (resumed, say) is left alone.
   */
  private Map<String, Object> delete(String flowUuid, Map<String, Object> body) {
    Object r = body.get("revision");
    if (!(r instanceof Number n) || n.longValue() < 1 || n.doubleValue() != n.longValue()) {
      throw HttpProblem.badRequest(
          "give the flow's revision as shown by the page: {\"revision\": N} (N at least 1)");
    }
    long revision = n.longValue();
    Connection c = connection();
    FlowDetail fd = c.getFlowDetails(flowUuid, true);
    if (!fd.state().isFinished()) {
      throw new HttpProblem(
          409,
          "the flow "
              + flowUuid
              + " is "
              + fd.state()
              + ": only finished flows (SUCCESS, REVERTED, FAILURE) can be deleted");
    }
    if (fd.revision() != revision) {
      throw staleRevision(flowUuid, fd.revision(), revision);
    }
    try {
      c.destroyFlowDetail(flowUuid, revision);
    } catch (ConflictException e) {
      throw staleRevision(flowUuid, -1, revision);
    }
    return answer(
        "delete", "deleted", "flow " + flowUuid + " (" + fd.state() + ") deleted", flowUuid);
  }

  private static HttpProblem staleRevision(String flowUuid, long now, long shown) {
    return new HttpProblem(
        409,
        "the flow "
            + flowUuid
            + " changed since the page showed it (revision "
            + shown
            + (now > 0 ? ", now " + now : "")
            + "): nothing was deleted; reload and decide again");
  }

  private static String text(Map<String, Object> body, String key, boolean required) {
    Object v = body.get(key);
    if (v == null && !required) {
      return null;
    }
    if (!(v instanceof String s) || s.isBlank() || s.length() > 1000) {
      throw HttpProblem.badRequest("the body needs \"" + key + "\" as a string");
    }
    return s;
  }

  private static Map<String, Object> answer(
      String action, String outcome, String message, String uuid) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("action", action);
    m.put("outcome", outcome);
    m.put("message", message);
    m.put("uuid", uuid);
    return m;
  }
}
