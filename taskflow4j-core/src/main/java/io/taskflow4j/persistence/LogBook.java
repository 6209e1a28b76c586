package io.taskflow4j.persistence;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The top of the logbook tree: a named collection of {@link FlowDetail}s (insertion ordered, unique
 * by uuid). Immutable.
 *
 * <p>Times are kept to the microsecond, as TaskFlow stores them.
 */
public final class LogBook {
  private final String uuid;
  private final String name;
  private final Instant createdAt;
  private final Instant updatedAt;
  private final Map<String, Object> meta;
  private final Map<String, FlowDetail> flows;

  private LogBook(
      String uuid,
      String name,
      Instant createdAt,
      Instant updatedAt,
      Map<String, Object> meta,
      Map<String, FlowDetail> flows) {
    this.uuid = uuid;
    this.name = name;
    this.createdAt = createdAt;
    this.updatedAt = updatedAt;
    this.meta = meta;
    this.flows = flows;
  }

  /** A new, empty logbook with a random uuid, created now. */
  public static LogBook create(String name) {
    return of(UUID.randomUUID().toString(), name, Instant.now(), null, Map.of(), List.of());
  }

  /** A logbook from all its parts. */
  public static LogBook of(
      String uuid,
      String name,
      Instant createdAt,
      Instant updatedAt,
      Map<String, ?> meta,
      List<FlowDetail> flows) {
    TaskDetail.requireUuid(uuid);
    Objects.requireNonNull(name, "name must not be null");
    InvalidTextException.require(name, "the logbook name");
    Map<String, FlowDetail> byUuid = new LinkedHashMap<>();
    for (FlowDetail fd : flows) {
      byUuid.put(Objects.requireNonNull(fd, "flow detail").uuid(), fd);
    }
    return new LogBook(
        uuid,
        name,
        micros(createdAt == null ? Instant.now() : createdAt),
        micros(updatedAt),
        Json.normalizeMap(meta),
        Collections.unmodifiableMap(byUuid));
  }

  private static Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  public String uuid() {
    return uuid;
  }

  public String name() {
    return name;
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** When a flow detail was last added, or {@code null}. */
  public Instant updatedAt() {
    return updatedAt;
  }

  public Map<String, Object> meta() {
    return meta;
  }

  /** The flow details in insertion order. */
  public List<FlowDetail> flows() {
    return List.copyOf(flows.values());
  }

  /** The number of flow details. */
  public int size() {
    return flows.size();
  }

  /** The flow detail with this uuid. */
  public Optional<FlowDetail> find(String flowUuid) {
    return Optional.ofNullable(flows.get(flowUuid));
  }

  public LogBook withMeta(Map<String, ?> m) {
    return new LogBook(uuid, name, createdAt, updatedAt, Json.normalizeMap(m), flows);
  }

  public LogBook withUpdatedAt(Instant t) {
    return new LogBook(uuid, name, createdAt, micros(t), meta, flows);
  }

  /**
   * A copy with this flow detail added (or replacing the one with the same uuid, in place), and
   * {@code updatedAt} set to now, as TaskFlow's {@code add} does.
   */
  public LogBook withFlow(FlowDetail fd) {
    Objects.requireNonNull(fd, "flow detail must not be null");
    Map<String, FlowDetail> copy = new LinkedHashMap<>(flows);
    copy.put(fd.uuid(), fd);
    return new LogBook(
        uuid, name, createdAt, micros(Instant.now()), meta, Collections.unmodifiableMap(copy));
  }

  /** A copy holding exactly these flow details. */
  public LogBook withFlows(List<FlowDetail> fds) {
    return of(uuid, name, createdAt, updatedAt, meta, new ArrayList<>(fds));
  }

  /** A copy without flow details (what a lazy load returns). */
  public LogBook withoutFlows() {
    return flows.isEmpty() ? this : new LogBook(uuid, name, createdAt, updatedAt, meta, Map.of());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogBook b
        && uuid.equals(b.uuid)
        && name.equals(b.name)
        && Objects.equals(createdAt, b.createdAt)
        && Objects.equals(updatedAt, b.updatedAt)
        && meta.equals(b.meta)
        && List.copyOf(flows.values()).equals(List.copyOf(b.flows.values()));
  }

  @Override
  public int hashCode() {
    return Objects.hash(uuid, name);
  }

  @Override
  public String toString() {
    return "LogBook{name='" + name + "', uuid=" + uuid + ", flows=" + flows.size() + '}';
  }
}
