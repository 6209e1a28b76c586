package io.taskflow4j.persistence;

import io.taskflow4j.internal.Uuids;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The logbook record of one run of a flow: its state, metadata and the {@link AtomDetail}s of its
 * atoms (in insertion order, unique by uuid). Immutable.
 *
 * <p>{@link #revision()} is the revision of the flow detail's own fields (name, state, meta); each
 * atom detail carries its own. See {@link AtomDetail} for how revisions detect concurrent writers.
 */
public final class FlowDetail {
  /** Flow-meta key of the recorded flow factory ({@code {name, args, kwargs}}). */
  public static final String META_FACTORY = "factory";

  /** Flow-meta key of the store given when the flow was loaded. */
  public static final String META_STORE = "store";

  private final String uuid;
  private final String name;
  private final FlowState state;
  private final Map<String, Object> meta;
  private final Map<String, AtomDetail> atoms;
  private final long revision;
  private final Instant createdAt;
  private final Instant updatedAt;

  private FlowDetail(
      String uuid,
      String name,
      FlowState state,
      Map<String, Object> meta,
      Map<String, AtomDetail> atoms,
      long revision,
      Instant createdAt,
      Instant updatedAt) {
    this.uuid = uuid;
    this.name = name;
    this.state = state;
    this.meta = meta;
    this.atoms = atoms;
    this.revision = revision;
    this.createdAt = createdAt;
    this.updatedAt = updatedAt;
  }

  /** A new PENDING flow detail with a random uuid. */
  public static FlowDetail create(String name) {
    return of(name, Uuids.random());
  }

  /** A new PENDING flow detail. */
  public static FlowDetail of(String name, String uuid) {
    return of(uuid, name, FlowState.PENDING, Map.of(), List.of(), 0);
  }

  /** A flow detail from all its parts (atoms keep their order; a repeated uuid keeps the last). */
  public static FlowDetail of(
      String uuid,
      String name,
      FlowState state,
      Map<String, ?> meta,
      List<? extends AtomDetail> atoms,
      long revision) {
    TaskDetail.requireUuid(uuid);
    TaskDetail.requireId(name, "name");
    if (revision < 0) {
      throw new IllegalArgumentException("revision must be >= 0, was " + revision);
    }
    Map<String, AtomDetail> byUuid = new LinkedHashMap<>(Math.max(4, atoms.size() * 2));
    for (AtomDetail ad : atoms) {
      byUuid.put(Objects.requireNonNull(ad, "atom detail").uuid(), ad);
    }
    return new FlowDetail(
        uuid,
        name,
        state == null ? FlowState.PENDING : state,
        Json.normalizeMap(meta),
        Collections.unmodifiableMap(byUuid),
        revision,
        null,
        null);
  }

  public String uuid() {
    return uuid;
  }

  public String name() {
    return name;
  }

  /** The flow's state ({@code PENDING} for a flow that never ran). */
  public FlowState state() {
    return state;
  }

  public Map<String, Object> meta() {
    return meta;
  }

  public long revision() {
    return revision;
  }

  /**
   * When the store first saved this flow detail, as the store records it: set on a detail read from
   * a store, {@code null} on one made in memory (and on one read from a store that does not know
   * it). Like {@link #revision()}, it describes the stored record; it takes no part in {@link
   * #equals}.
   */
  public Instant createdAt() {
    return createdAt;
  }

  /**
   * When the store last wrote this flow detail's own record (its name, state or meta; writing its
   * atom details does not count), as the store records it; on a detail read from a store never
   * {@code null} when {@link #createdAt()} is not (a record never updated reports its creation
   * time). This is the age that retention measures ({@link Connection#findFlows}). It takes no part
   * in {@link #equals}.
   */
  public Instant updatedAt() {
    return updatedAt;
  }

  /**
   * A copy carrying these record times (truncated to microseconds, as stores keep them). Stores set
   * them on what they read; {@link Connection#replaceLogBook} writes the times a flow detail
   * carries, so a copied store keeps its flows' ages. Other writes stamp the time of the write.
   */
  public FlowDetail withTimes(Instant created, Instant updated) {
    Instant c = micros(created);
    Instant u = updated == null ? c : micros(updated);
    if (Objects.equals(c, createdAt) && Objects.equals(u, updatedAt)) {
      return this;
    }
    return new FlowDetail(uuid, name, state, meta, atoms, revision, c, u);
  }

  private static Instant micros(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
  }

  /** The atom details in insertion order. */
  public List<AtomDetail> atoms() {
    return List.copyOf(atoms.values());
  }

  /** The number of atom details. */
  public int size() {
    return atoms.size();
  }

  /** The atom detail with this uuid. */
  public Optional<AtomDetail> find(String atomUuid) {
    return Optional.ofNullable(atoms.get(atomUuid));
  }

  /** The first atom detail with this name. */
  public Optional<AtomDetail> findByName(String atomName) {
    for (AtomDetail ad : atoms.values()) {
      if (ad.name().equals(atomName)) {
        return Optional.of(ad);
      }
    }
    return Optional.empty();
  }

  public FlowDetail withState(FlowState s) {
    return new FlowDetail(
        uuid,
        name,
        Objects.requireNonNull(s, "state"),
        meta,
        atoms,
        revision,
        createdAt,
        updatedAt);
  }

  public FlowDetail withMeta(Map<String, ?> m) {
    return new FlowDetail(
        uuid, name, state, Json.normalizeMap(m), atoms, revision, createdAt, updatedAt);
  }

  /** A copy whose meta is this meta with {@code entries} put over it. */
  public FlowDetail withMetaEntries(Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return this;
    }
    return withMeta(Json.merge(meta, entries));
  }

  public FlowDetail withRevision(long r) {
    return r == revision
        ? this
        : new FlowDetail(uuid, name, state, meta, atoms, r, createdAt, updatedAt);
  }

  /** A copy with this atom detail added, or replacing the one with the same uuid (in place). */
  public FlowDetail withAtom(AtomDetail ad) {
    Objects.requireNonNull(ad, "atom detail must not be null");
    Map<String, AtomDetail> copy = new LinkedHashMap<>(atoms);
    copy.put(ad.uuid(), ad);
    return new FlowDetail(
        uuid, name, state, meta, Collections.unmodifiableMap(copy), revision, createdAt, updatedAt);
  }

  /** A copy holding exactly these atom details. */
  public FlowDetail withAtoms(List<? extends AtomDetail> ads) {
    return of(uuid, name, state, meta, ads, revision).withTimes(createdAt, updatedAt);
  }

  /** A copy with every atom detail removed (what a lazy load returns). */
  public FlowDetail withoutAtoms() {
    return atoms.isEmpty()
        ? this
        : new FlowDetail(uuid, name, state, meta, Map.of(), revision, createdAt, updatedAt);
  }

  /** A copy with all of {@code ads} added or replaced. */
  public FlowDetail withAtomsAdded(List<? extends AtomDetail> ads) {
    List<AtomDetail> all = new ArrayList<>(atoms.values());
    Map<String, AtomDetail> copy = new LinkedHashMap<>(atoms);
    for (AtomDetail ad : ads) {
      copy.put(ad.uuid(), ad);
    }
    all.clear();
    all.addAll(copy.values());
    return of(uuid, name, state, meta, all, revision).withTimes(createdAt, updatedAt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowDetail f
        && uuid.equals(f.uuid)
        && name.equals(f.name)
        && state == f.state
        && meta.equals(f.meta)
        && revision == f.revision
        && List.copyOf(atoms.values()).equals(List.copyOf(f.atoms.values()));
  }

  @Override
  public int hashCode() {
    return Objects.hash(uuid, name, state, revision);
  }

  @Override
  public String toString() {
    return "FlowDetail{name='"
        + name
        + "', uuid="
        + uuid
        + ", state="
        + state
        + ", atoms="
        + atoms.size()
        + ", revision="
        + revision
        + '}';
  }
}
