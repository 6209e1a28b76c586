package io.taskflow4j.jobs;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A conductor registered on a board (alive while its registration is).
 *
 * @param id its owner id ({@code name@host:pid/incarnation})
 * @param name its name
 * @param host its host
 * @param pid its process id
 * @param since when it registered
 * @param meta what else it told about itself
 * @param lastSeen its last heartbeat, in this JVM's clock; {@code null} when the board keeps none
 *     (a registration that is a file lock, a ZooKeeper session or an entry in memory is alive
 *     without one)
 */
public record ConductorInfo(
    String id,
    String name,
    String host,
    long pid,
    Instant since,
    Map<String, Object> meta,
    Instant lastSeen) {
  /** Checks the fields. */
  public ConductorInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    meta = meta == null ? Map.of() : Map.copyOf(meta);
  }

  /** A conductor whose last heartbeat is not known ({@link #lastSeen} {@code null}). */
  public ConductorInfo(
      String id, String name, String host, long pid, Instant since, Map<String, Object> meta) {
    this(id, name, host, pid, since, meta, null);
  }
}
