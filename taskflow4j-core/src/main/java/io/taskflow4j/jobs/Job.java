package io.taskflow4j.jobs;

import io.taskflow4j.persistence.JobState;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A job as a board lists it: a value, read at one moment (its state may have changed since).
 *
 * @param uuid the job's identity
 * @param name a name for people
 * @param book the logbook it works on, or {@code null}
 * @param details its JSON details
 * @param priority how urgent
 * @param sequence its place in the board's posting order (oldest first)
 * @param createdOn when it was posted
 * @param state UNCLAIMED or CLAIMED for a job on the board, TRASHED for one of the trash ({@link
 *     Jobboard#trashedJobs})
 * @param owner the owner's id while CLAIMED (and its lease has not lapsed), else {@code null}
 * @param token the token of the latest claim (0 if never claimed)
 * @param failures how many times a conductor gave the job back after a permanent failure
 * @param idempotencyKey the key it was posted with, or {@code null}
 * @param leaseUntil when the current claim's lease lapses unless renewed, in this JVM's clock;
 *     {@code null} while unclaimed, or when the board cannot tell (a claim that is a file lock or a
 *     ZooKeeper session has no expiry time to read)
 */
public record Job(
    String uuid,
    String name,
    BookRef book,
    Map<String, Object> details,
    JobPriority priority,
    long sequence,
    Instant createdOn,
    JobState state,
    String owner,
    long token,
    int failures,
    String idempotencyKey,
    Instant leaseUntil) {

  /** Checks the fields. */
  public Job {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(name, "name");
    details = details == null ? Map.of() : Map.copyOf(details);
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(createdOn, "createdOn");
    Objects.requireNonNull(state, "state");
  }

  /** A job whose lease expiry is not known ({@link #leaseUntil} {@code null}). */
  public Job(
      String uuid,
      String name,
      BookRef book,
      Map<String, Object> details,
      JobPriority priority,
      long sequence,
      Instant createdOn,
      JobState state,
      String owner,
      long token,
      int failures,
      String idempotencyKey) {
    this(
        uuid,
        name,
        book,
        details,
        priority,
        sequence,
        createdOn,
        state,
        owner,
        token,
        failures,
        idempotencyKey,
        null);
  }

  /** This job with another lease expiry. */
  public Job withLeaseUntil(Instant until) {
    return new Job(
        uuid,
        name,
        book,
        details,
        priority,
        sequence,
        createdOn,
        state,
        owner,
        token,
        failures,
        idempotencyKey,
        until);
  }

  /** The flow detail to run ({@code details.flow_uuid}), if given. */
  public Optional<String> flowUuid() {
    return details.get(JobSpec.FLOW_UUID) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** Extra store values ({@code details.store}), empty if none. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> store() {
    return details.get(JobSpec.STORE) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  /** The board's order: higher priority first, then older first. */
  public static int compareForClaiming(Job a, Job b) {
    int c = Integer.compare(a.priority.code(), b.priority.code());
    return c != 0 ? c : Long.compare(a.sequence, b.sequence);
  }
}
