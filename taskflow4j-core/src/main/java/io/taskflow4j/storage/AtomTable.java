package io.taskflow4j.storage;

import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.NotFoundException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The atoms of one flow detail: their entries by name in the flow detail's order, their ordinals,
 * the retries among them and which of them have failed. Adds atoms ({@link #ensureAtoms}) and finds
 * them ({@link #entry}).
 */
final class AtomTable {
  /** How many names {@link NameIndex#prefetch} reads ahead when many atoms are added at once. */
  private static final int PREFETCH = 32;

  /**
   * Guards the structure: the set of atoms, the providers and the transient values. Operations on
   * one atom hold the read lock plus that atom's own monitor (its entry); adding atoms or providers
   * holds the write lock.
   */
  final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();

  /** Atom entries by name, in the flow detail's order. Guarded by {@link #structure}. */
  private NameIndex<AtomEntry> atoms = new NameIndex<>(AtomEntry::name, 16);

  /** Names of the retry atoms, in order. Guarded by {@link #structure}. */
  private final List<String> retryNames = new ArrayList<>();

  /** The next atom ordinal. Guarded by {@link #structure}. */
  private int ordinals;

  /**
   * The entry {@link #entry} found last. An engine asks about one atom several times in a row, and
   * an entry never changes once made, so this spares most lookups in a map as large as the flow.
   */
  private volatile AtomEntry recent;

  /**
   * Where {@link #entry} found its last answer: an engine asks in flow order, so the next answer is
   * usually at the next position (a hint only: racy on purpose).
   */
  private int atomCursor;

  /** Names of atoms whose stored detail has an execute or revert failure. */
  private final Set<String> failedAtoms = ConcurrentHashMap.newKeySet();

  /** A table of the stored details {@code stored} (a repeated name: the last one counts). */
  AtomTable(List<AtomDetail> stored) {
    for (AtomDetail ad : stored) {
      AtomEntry previous = atoms.get(ad.name());
      if (previous != null && previous.kind == AtomKind.RETRY) {
        retryNames.remove(ad.name());
      }
      AtomEntry e = new AtomEntry(ad.name(), AtomKind.of(ad), ad, nextOrdinal(ad.name()));
      e.liveFailure = AtomEntry.liveOrNull(ad.failure(), null, null);
      e.liveRevertFailure = AtomEntry.liveOrNull(ad.revertFailure(), null, null);
      atoms.put(e);
      if (e.kind == AtomKind.RETRY) {
        retryNames.add(ad.name());
      }
      trackFailures(e, ad);
    }
  }

  /**
   * See {@link Storage#ensureAtoms}: new entries are made by {@code details}' store, written there
   * in one write, and only then join this table; mappings are registered with {@code results} last,
   * so a failed write registers nothing.
   */
  List<String> ensureAtoms(List<AtomSpec> specs, DetailWriter details, ResultIndex results) {
    Objects.requireNonNull(specs, "specs");
    structure.writeLock().lock();
    try {
      int count = specs.size();
      if (atoms.isEmpty()) {
        results.expect(count);
      }
      // The entries made here, by name (a name repeated in specs shares its first entry); they
      // join the store's index only once their details are written. For a store that holds no
      // atoms yet, this index becomes the store's: one insertion per atom, not two.
      NameIndex<AtomEntry> created = new NameIndex<>(AtomEntry::name, count);
      AtomEntry[] entries = new AtomEntry[count];
      String[] uuids = new String[count];
      for (int at = 0; at < count; at++) {
        if (at % PREFETCH == 0 && atoms.isEmpty()) {
          created.prefetch(at, Math.min(count, at + PREFETCH), k -> nameOf(specs.get(k)));
        }
        AtomSpec spec = Objects.requireNonNull(specs.get(at), "atom spec");
        if (Storage.INJECTOR_NAME.equals(spec.name())) {
          throw new IllegalArgumentException(
              "the atom name '" + Storage.INJECTOR_NAME + "' is reserved for injected values");
        }
        AtomEntry e = atoms.get(spec.name());
        if (e == null) {
          e =
              created.computeIfAbsent(
                  spec.name(), n -> details.newEntry(spec, n, ordinals + created.size()));
        }
        if (e.kind != spec.kind()) {
          throw new DuplicateException(
              "Atom detail '"
                  + spec.name()
                  + "' already exists in flow detail '"
                  + details.header().name()
                  + "'");
        }
        entries[at] = e;
        uuids[at] = e.uuid();
      }
      if (!created.isEmpty()) {
        details.writeCreated(created);
        if (atoms.isEmpty()) {
          atoms = created;
        } else {
          for (AtomEntry e : created) {
            atoms.add(e);
          }
        }
        for (AtomEntry e : created) {
          if (e.kind == AtomKind.RETRY) {
            retryNames.add(e.name);
          }
        }
        ordinals += created.size();
      }
      for (int i = 0; i < count; i++) {
        if (i % PREFETCH == 0) {
          results.prefetch(
              i, Math.min(count, i + PREFETCH), k -> specs.get(k).provides().wholeName());
        }
        results.register(entries[i], specs.get(i).provides());
      }
      return Collections.unmodifiableList(Arrays.asList(uuids));
    } finally {
      structure.writeLock().unlock();
    }
  }

  private static String nameOf(AtomSpec spec) {
    return spec == null ? null : spec.name();
  }

  /** Adds an entry made outside {@link #ensureAtoms} (structure write lock held). */
  void put(AtomEntry e) {
    atoms.put(e);
  }

  /** The ordinal of a new entry named {@code name} (an existing name keeps its place). */
  int nextOrdinal(String name) {
    AtomEntry existing = atoms.get(name);
    return existing != null ? existing.ordinal : ordinals++;
  }

  /**
   * The entry named {@code name}.
   *
   * @throws NotFoundException when there is none
   */
  AtomEntry entry(String name) {
    Objects.requireNonNull(name, "atom name");
    AtomEntry r = recent;
    if (r != null && (r.name == name || r.name.equals(name))) {
      return r;
    }
    structure.readLock().lock();
    try {
      int p = atoms.indexOf(name, atomCursor);
      if (p < 0) {
        throw new NotFoundException("Unknown atom name '" + name + "'");
      }
      AtomEntry e = atoms.atFound(p);
      atomCursor = p;
      recent = e;
      return e;
    } finally {
      structure.readLock().unlock();
    }
  }

  /** The entry named {@code name}, or {@code null} (structure lock held). */
  AtomEntry get(String name) {
    return atoms.get(name);
  }

  /** {@code header} with every atom detail (O(number of atoms)). */
  FlowDetail snapshot(FlowDetail header) {
    structure.readLock().lock();
    try {
      List<AtomDetail> ads = new ArrayList<>(atoms.size());
      for (AtomEntry e : atoms) {
        ads.add(e.detail());
      }
      return header.withAtoms(ads);
    } finally {
      structure.readLock().unlock();
    }
  }

  /** How many atoms there are (structure lock held). */
  int size() {
    return atoms.size();
  }

  /** The state and intention of each named atom, by position. */
  /** {@link #statesInOrder} keyed by name, in the order given (unmodifiable). */
  Map<String, StateAndIntention> statesByName(java.util.Collection<String> names) {
    List<String> ordered = names instanceof List<String> l ? l : new ArrayList<>(names);
    List<StateAndIntention> states = statesInOrder(ordered);
    Map<String, StateAndIntention> out =
        new LinkedHashMap<>(io.taskflow4j.internal.Capacity.forEntries(states.size()));
    for (int i = 0; i < states.size(); i++) {
      out.put(ordered.get(i), states.get(i));
    }
    return Collections.unmodifiableMap(out);
  }

  List<StateAndIntention> statesInOrder(List<String> names) {
    StateAndIntention[] out = new StateAndIntention[names.size()];
    structure.readLock().lock();
    try {
      for (int i = 0; i < out.length; i++) {
        AtomEntry e = entry(names.get(i));
        out[i] = StateAndIntention.of(e.state(), e.intention());
      }
    } finally {
      structure.readLock().unlock();
    }
    return Collections.unmodifiableList(Arrays.asList(out));
  }

  /** Names of the retry atoms, in order (structure lock held). */
  List<String> retryNames() {
    return retryNames;
  }

  /** Notes whether the atom's detail {@code d} has a failure. */
  void trackFailures(AtomEntry e, AtomDetail d) {
    if (d.failure() != null || d.revertFailure() != null) {
      failedAtoms.add(e.name);
    } else {
      failedAtoms.remove(e.name);
    }
  }

  /** Whether any atom has an execute or revert failure. */
  boolean hasFailures() {
    return !failedAtoms.isEmpty();
  }

  /** The execute (or {@code revert}) failures by atom name, live ones when known. */
  Map<String, Failure> failures(boolean revert) {
    if (failedAtoms.isEmpty()) {
      return Map.of();
    }
    Map<String, Failure> out = new LinkedHashMap<>();
    structure.readLock().lock();
    try {
      // Only the failed atoms are visited (the engine asks on every revert), in atom order.
      List<AtomEntry> failed = new ArrayList<>(failedAtoms.size());
      for (String name : failedAtoms) {
        AtomEntry e = atoms.get(name);
        if (e != null) {
          failed.add(e);
        }
      }
      failed.sort((a, b) -> Integer.compare(a.ordinal, b.ordinal));
      for (AtomEntry e : failed) {
        AtomDetail d = e.detail();
        Failure f = revert ? e.revertFailure(d) : e.executeFailure(d);
        if (f != null) {
          out.put(e.name, f);
        }
      }
    } finally {
      structure.readLock().unlock();
    }
    return Collections.unmodifiableMap(out);
  }
}
