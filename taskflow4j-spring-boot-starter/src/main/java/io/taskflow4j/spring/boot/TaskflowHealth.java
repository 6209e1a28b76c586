package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The health of the store and the board, for either line of Spring Boot's health API ({@link
 * TaskflowHealthIndicator} for Boot 3, {@link TaskflowHealthContributor} for Boot 4): UP when the
 * store validates (reachable, schema current) and the board answers; DOWN with the error otherwise.
 * Connection strings and error messages are masked: no password ever shows in the details.
 */
public final class TaskflowHealth {
  private final Backend backend;
  private final Jobboard board; // may be null
  private final Conductor conductor; // may be null

  /** Checks {@code backend}, and {@code board} and {@code conductor} where not {@code null}. */
  public TaskflowHealth(Backend backend, Jobboard board, Conductor conductor) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.board = board;
    this.conductor = conductor;
  }

  /**
   * The outcome of one check.
   *
   * @param up whether everything answered
   * @param details what was checked and found (no secrets)
   */
  public record Result(boolean up, Map<String, Object> details) {}

  /** Checks the store, then the board; never throws. */
  public Result check() {
    Map<String, Object> details = new LinkedHashMap<>();
    BackendConf conf = backend.conf();
    if (conf != null) {
      details.put("backend", conf.backendName());
      details.put("connection", BackendConf.mask(conf.connection()));
    }
    try (Connection c = backend.getConnection()) {
      c.validate();
    } catch (RuntimeException | Error e) {
      details.put("error", "store: " + describe(e));
      return new Result(false, details);
    }
    if (board != null) {
      try {
        details.put("board", BackendConf.maskText(board.describe()));
        details.put("conductors", board.conductors().size());
      } catch (RuntimeException e) {
        details.put("error", "board: " + describe(e));
        return new Result(false, details);
      }
    }
    if (conductor != null) {
      Conductor.Stats s = conductor.stats();
      details.put("conductor", conductor.owner().toString());
      details.put("running", s.running());
      details.put("completed", s.completed());
    }
    return new Result(true, details);
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    return BackendConf.maskText(e.getClass().getSimpleName() + ": " + msg);
  }
}
