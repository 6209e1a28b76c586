package io.taskflow4j.jobs;

import io.taskflow4j.persistence.Json;
import java.util.Map;
import java.util.Objects;

/**
 * What to post on a board.
 *
 * @param name a name for people (not unique)
 * @param book the logbook holding the flow detail to run; may be {@code null} for a job that names
 *     no logbook
 * @param details JSON details; conductors read {@code flow_uuid} (which flow detail of the book to
 *     run) and {@code store} (values merged over the flow's stored inputs)
 * @param priority how urgent
 * @param idempotencyKey when not {@code null}, posting again with the same key returns the job
 *     already posted (while it is on the board) instead of posting a second one
 */
public record JobSpec(
    String name,
    BookRef book,
    Map<String, Object> details,
    JobPriority priority,
    String idempotencyKey) {

  /** The key of the flow detail's uuid in {@link #details()}. */
  public static final String FLOW_UUID = "flow_uuid";

  /** The key of the extra store values in {@link #details()}. */
  public static final String STORE = "store";

  /** Checks and normalizes the fields (details become immutable JSON values). */
  @SuppressWarnings("unchecked")
  public JobSpec {
    Objects.requireNonNull(name, "job name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("job name must not be blank");
    }
    details = details == null ? Map.of() : (Map<String, Object>) Json.normalize(details);
    priority = priority == null ? JobPriority.NORMAL : priority;
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw new IllegalArgumentException(
          "idempotency key must be 1 to 200 characters, not '" + idempotencyKey + "'");
    }
  }

  /** A NORMAL-priority job running flow detail {@code flowUuid} of {@code book}. */
  public static JobSpec of(String name, BookRef book, String flowUuid) {
    return new JobSpec(name, book, Map.of(FLOW_UUID, flowUuid), JobPriority.NORMAL, null);
  }

  /** This spec with another priority. */
  public JobSpec withPriority(JobPriority p) {
    return new JobSpec(name, book, details, p, idempotencyKey);
  }

  /** This spec with an idempotency key. */
  public JobSpec withIdempotencyKey(String key) {
    return new JobSpec(name, book, details, priority, key);
  }

  /** This spec with other details. */
  public JobSpec withDetails(Map<String, ?> d) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) (Map<String, ?>) d;
    return new JobSpec(name, book, m, priority, idempotencyKey);
  }
}
