package io.taskflow4j.persistence;

import io.taskflow4j.internal.Uuids;
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

  private FlowDetail(
      String uuid,
      String name,
      FlowState state,
      Map<String, Object> meta,
      Map<String, AtomDetail> atoms,
      long revision) {
    this.uuid = uuid;
    this.name = name;
    this.state = state;
    this.meta = meta;
    this.atoms = atoms;
    this.revision = revision;
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
        revision);
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
    return new FlowDetail(uuid, name, Objects.requireNonNull(s, "state"), meta, atoms, revision);
  }

  public FlowDetail withMeta(Map<String, ?> m) {
    return new FlowDetail(uuid, name, state, Json.normalizeMap(m), atoms, revision);
  }

  /** A copy whose meta is this meta with {@code entries} put over it. */
  public FlowDetail withMetaEntries(Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return this;
    }
    return withMeta(Json.merge(meta, entries));
  }

  public FlowDetail withRevision(long r) {
    return r == revision ? this : new FlowDetail(uuid, name, state, meta, atoms, r);
  }

  /** A copy with this atom detail added, or replacing the one with the same uuid (in place). */
  public FlowDetail withAtom(AtomDetail ad) {
    Objects.requireNonNull(ad, "atom detail must not be null");
    Map<String, AtomDetail> copy = new LinkedHashMap<>(atoms);
    copy.put(ad.uuid(), ad);
    return new FlowDetail(uuid, name, state, meta, Collections.unmodifiableMap(copy), revision);
  }

  /** A copy holding exactly these atom details. */
  public FlowDetail withAtoms(List<? extends AtomDetail> ads) {
    return of(uuid, name, state, meta, ads, revision);
  }

  /** A copy with every atom detail removed (what a lazy load returns). */
  public FlowDetail withoutAtoms() {
    return atoms.isEmpty() ? this : new FlowDetail(uuid, name, state, meta, Map.of(), revision);
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
    return of(uuid, name, state, meta, all, revision);
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
