package io.taskflow4j.storage;

import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.RetryDetail;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Result resolution: who provides each result name (atoms by their {@link ResultMapping}s, values
 * injected at flow level), and the lookups of one value, of every value and of an atom's mapped
 * arguments, with TaskFlow's visibility rules. Every read holds the structure read lock; every
 * registration its write lock.
 */
final class ResultIndex {
  /** States in which an atom's execute result (or failure) may be read. */
  private static final Set<AtomState> EXECUTE_VISIBLE =
      EnumSet.of(AtomState.SUCCESS, AtomState.FAILURE, AtomState.REVERTING);

  /** States in which an atom's revert result (or failure) may be read. */
  private static final Set<AtomState> REVERT_VISIBLE =
      EnumSet.of(AtomState.REVERTED, AtomState.REVERT_FAILURE, AtomState.REVERTING);

  /** Marks a provider whose results may not be read in its current state. */
  private static final Object HIDDEN = new Object();

  private final AtomTable table;
  private final DetailWriter details;

  /**
   * Result name → who provides it: the providing atom's entry itself when it is the name's only
   * source and gives its whole result (nearly every name of a large flow, which so needs no object
   * per name), else a {@link Providers}. Guarded by the structure lock.
   */
  private NameIndex<Provided> providers = new NameIndex<>(null, 16);

  /** Values injected transiently at flow level (kept in memory only). Guarded by structure. */
  private final Map<String, Object> transients = new LinkedHashMap<>();

  /**
   * Where {@link #providersNamed} found its last answer: an engine asks in flow order, so the next
   * answer is usually at the next position (a hint only: racy on purpose).
   */
  private int providerCursor;

  ResultIndex(AtomTable table, DetailWriter details) {
    this.table = table;
    this.details = details;
  }

  // ---------------------------------------------------------------- registration

  /** Sizes the index once for {@code count} atoms about to be added to an empty flow. */
  void expect(int count) {
    if (providers.isEmpty() && count > 12) {
      // Rehashing 100,000 entries several times costs more than the whole run of a small flow.
      providers = new NameIndex<>(null, count);
    }
  }

  /** See {@link NameIndex#prefetch}. */
  void prefetch(int from, int to, IntFunction<String> nameAt) {
    providers.prefetch(from, to, nameAt);
  }

  /** Registers the names atom {@code e} provides by {@code mapping} (structure write lock held). */
  void register(AtomEntry e, ResultMapping mapping) {
    ResultMapping current = e.mapping();
    ResultMapping merged = current.merge(mapping);
    if (merged == current) {
      return;
    }
    e.setMapping(merged);
    merged.forEach((name, key) -> addProvider(name, e, key));
  }

  /** Registers atom {@code e} as a provider of {@code resultName} (structure write lock held). */
  private void addProvider(String resultName, AtomEntry e, Object key) {
    Provided got =
        providers.computeIfAbsent(
            resultName, n -> key == null ? e : new Providers().withAtom(e, key));
    if (got == e && key == null) {
      return;
    }
    providersToExtend(resultName, got).putAtom(e, key);
  }

  /**
   * The {@link Providers} of {@code resultName}, which {@code got} provides now: itself, or one
   * made in its place for a sole atom (structure write lock held).
   */
  private Providers providersToExtend(String resultName, Provided got) {
    if (got instanceof Providers ps) {
      return ps;
    }
    Providers ps = new Providers().withAtom((AtomEntry) got, null);
    providers.replace(resultName, ps);
    return ps;
  }

  /**
   * Registers values injected at flow level under {@code resultName}: by the injector named {@code
   * providerName}, or transient ones for {@code null} (structure write lock held).
   */
  void addDefaultProvider(String resultName, String providerName) {
    Providers ps =
        providersToExtend(resultName, providers.computeIfAbsent(resultName, n -> new Providers()));
    if (ps.defaults.isEmpty()) {
      ps.defaults = new ArrayList<>(1); // mutable, and holds null (the transient values)
    }
    if (!ps.defaults.contains(providerName)) {
      ps.defaults.add(providerName);
    }
  }

  /** Keeps transient values injected at flow level (structure write lock held). */
  void putTransients(Map<String, ?> pairs) {
    for (Map.Entry<String, ?> p : pairs.entrySet()) {
      transients.put(Objects.requireNonNull(p.getKey(), "injected name"), p.getValue());
      addDefaultProvider(p.getKey(), null);
    }
  }

  // ---------------------------------------------------------------- one atom's results

  /** See {@link Storage#getExecuteResult}. */
  Object executeResult(String name) {
    AtomEntry e = table.entry(name);
    AtomDetail d = e.detail();
    if (d.failure() != null) {
      return e.executeFailure(d);
    }
    if (!EXECUTE_VISIBLE.contains(d.state())) {
      throw new NotFoundException(
          "Result for atom '"
              + name
              + "' execution is not known"
              + (d.state() == AtomState.IGNORE ? " (as it was ignored)" : ""));
    }
    return AtomEntry.lastResults(d);
  }

  /** See {@link Storage#getRevertResult}. */
  Object revertResult(String name) {
    AtomEntry e = table.entry(name);
    AtomDetail d = e.detail();
    if (d.revertFailure() != null) {
      return e.revertFailure(d);
    }
    if (!REVERT_VISIBLE.contains(d.state())) {
      throw new NotFoundException(
          "Result for atom '"
              + name
              + "' revert is not known"
              + (d.state() == AtomState.IGNORE ? " (as it was ignored)" : ""));
    }
    return d.revertResults();
  }

  // ---------------------------------------------------------------- fetching

  /**
   * The value of {@code name}: from the first provider (injected ones first) whose results may be
   * read.
   *
   * @throws NotFoundException when no provider is registered, or none has produced it yet
   */
  Object fetch(String name) {
    table.structure.readLock().lock();
    try {
      Provided ps = providersNamed(name);
      if (ps == null) {
        throw notMapped(name);
      }
      for (String p : ps.defaults()) {
        Object c = defaultContainer(p);
        if (c instanceof Map<?, ?> m && m.containsKey(name)) {
          return m.get(name);
        }
      }
      for (int i = 0; i < ps.atomCount(); i++) {
        AtomEntry e = ps.atom(i);
        Object c = atomContainer(e);
        if (c != HIDDEN) {
          return extract(name, e.name, ps.key(i), c);
        }
      }
      throw new NotFoundException("Unable to find result '" + name + "', searched " + describe(ps));
    } finally {
      table.structure.readLock().unlock();
    }
  }

  /**
   * Every name whose value may be read now; a name with several readable providers maps to the list
   * of their values (injected ones first). Results of reverted atoms are not shown.
   */
  Map<String, Object> fetchAll() {
    table.structure.readLock().lock();
    try {
      // Result names are distinct: the answer is built as one array (a flow of 100,000 names
      // would otherwise make an entry object, and a list, per name).
      Object[] out = new Object[2 * providers.size()];
      int filled = 0;
      for (int k = 0; k < providers.size(); k++) {
        String name = providers.nameAt(k);
        Provided ps = providers.atFound(k);
        Object first = null;
        List<Object> values = null; // made for a second value only
        int count = 0;
        try {
          List<String> defaults = ps.defaults();
          for (int d = 0; d < defaults.size(); d++) {
            Object c = defaultContainer(defaults.get(d));
            if (c instanceof Map<?, ?> m && m.containsKey(name)) {
              Object v = m.get(name);
              if (count++ == 0) {
                first = v;
              } else {
                values = addValue(values, first, v);
              }
            }
          }
          for (int i = 0; i < ps.atomCount(); i++) {
            AtomEntry e = ps.atom(i);
            Object c = atomContainer(e);
            if (c != HIDDEN) {
              Object v = extract(name, e.name, ps.key(i), c);
              if (count++ == 0) {
                first = v;
              } else {
                values = addValue(values, first, v);
              }
            }
          }
        } catch (NotFoundException e) {
          continue;
        }
        if (count > 0) {
          out[filled++] = name;
          out[filled++] = count == 1 ? first : Collections.unmodifiableList(values);
        }
      }
      return ArrayMap.ofDistinct(filled == out.length ? out : Arrays.copyOf(out, filled));
    } finally {
      table.structure.readLock().unlock();
    }
  }

  /** {@code values} (made with {@code first} at the second value) with {@code v} added. */
  private static List<Object> addValue(List<Object> values, Object first, Object v) {
    if (values == null) {
      values = new ArrayList<>(2);
      values.add(first);
    }
    values.add(v);
    return values;
  }

  /**
   * The arguments of an atom: for each {@code argName → resultName}, the first of: the atom's
   * transient injected args, its persistent injected args, values injected at flow level, then the
   * nearest provider visible from the atom ({@code scope} levels, nearest first; without a scope or
   * atom, every provider in order). Optional arguments without a value are left out.
   *
   * @throws NotFoundException when a required argument has no value
   */
  Map<String, Object> fetchMappedArgs(
      Map<String, String> mapping, String atomName, ScopeWalker scope, Set<String> optionalArgs) {
    Set<String> optional = optionalArgs == null ? Set.of() : optionalArgs;
    table.structure.readLock().lock();
    try {
      AtomEntry e = atomName == null ? null : table.entry(atomName);
      if (mapping == null || mapping.isEmpty()) {
        return Map.of();
      }
      Map<String, Object> transientArgs = e == null ? Map.of() : e.transientArgs;
      Map<String, Object> persistentArgs =
          e == null ? Map.of() : Injections.injectedArgs(e.detail());
      List<List<String>> levels = null;
      boolean levelsFetched = false;
      // The arguments, as alternating names and values (the mapping's names are distinct); the
      // mapping is read by position, without an entry object per argument.
      Object[] pairs = ArrayMap.entriesOf(mapping);
      Object[] out = new Object[pairs.length];
      int filled = 0;
      for (int j = 0; j < pairs.length; j += 2) {
        String bound = (String) pairs[j];
        String name = (String) pairs[j + 1];
        if (transientArgs.containsKey(name)) {
          out[filled++] = bound;
          out[filled++] = transientArgs.get(name);
          continue;
        }
        if (persistentArgs.containsKey(name)) {
          out[filled++] = bound;
          out[filled++] = persistentArgs.get(name);
          continue;
        }
        Provided ps = providersNamed(name);
        if (ps == null) {
          if (optional.contains(bound)) {
            continue;
          }
          throw notMapped(name);
        }
        if (!levelsFetched && scope != null && atomName != null && ps.atomCount() > 0) {
          levels = scope.visibleLevels(atomName);
          levelsFetched = true;
        }
        try {
          Object value = locate(bound, name, ps, levels);
          out[filled++] = bound;
          out[filled++] = value;
        } catch (NotFoundException ex) {
          if (!optional.contains(bound)) {
            throw ex;
          }
        }
      }
      return ArrayMap.ofDistinct(filled == out.length ? out : Arrays.copyOf(out, filled));
    } finally {
      table.structure.readLock().unlock();
    }
  }

  /** Finds one value of {@code name} (structure lock held). */
  private Object locate(String bound, String name, Provided ps, List<List<String>> levels) {
    // Indexed loops: an engine fetches for every atom it runs, and an iterator is an object each.
    List<String> defaults = ps.defaults();
    for (int k = 0; k < defaults.size(); k++) {
      Object c = defaultContainer(defaults.get(k));
      if (c instanceof Map<?, ?> m && m.containsKey(name)) {
        return m.get(name);
      }
    }
    if (levels == null) {
      for (int i = 0; i < ps.atomCount(); i++) {
        Object c = atomContainer(ps.atom(i));
        if (c != HIDDEN && ResultMapping.canExtract(ps.key(i), c)) {
          return ResultMapping.extract(ps.key(i), c);
        }
      }
      throw notProduced(bound, name, ps.atomCount() + ps.defaults().size());
    }
    int scanned = ps.defaults().size();
    for (int l = 0; l < levels.size(); l++) {
      List<String> level = levels.get(l);
      List<String> found = null;
      for (int k = 0; k < level.size(); k++) {
        String atomName = level.get(k);
        int at = ps.indexOf(atomName);
        if (at < 0) {
          continue;
        }
        scanned++;
        AtomEntry e = ps.atom(at);
        Object key = ps.key(at);
        AtomDetail d = e.detail();
        Object c = atomContainer(e);
        if (c == HIDDEN) {
          if (d.state() == AtomState.IGNORE) {
            continue; // an ignored provider produced nothing; look further
          }
          throw new NotFoundException(
              "Expected to be able to find output '"
                  + name
                  + "' produced by '"
                  + atomName
                  + "' but was unable to get at that provider's results (it is "
                  + d.state()
                  + ")");
        }
        if (ResultMapping.canExtract(key, c)) {
          return ResultMapping.extract(key, c);
        }
        if (found == null) {
          found = new ArrayList<>(1);
        }
        found.add(atomName);
      }
      if (found != null) {
        throw new NotFoundException(
            "Unable to find result '"
                + name
                + "', expected to find it created by one of "
                + quote(found)
                + " but was unable to perform successful extraction");
      }
    }
    throw notProduced(bound, name, scanned);
  }

  /**
   * The argument names (keys of {@code mapping}) that nothing could ever provide: not injected for
   * the atom or the flow, and no provider visible in {@code scope} (any provider without a scope).
   * Optional arguments are never reported.
   */
  Set<String> fetchUnsatisfiedArgs(
      String atomName, Map<String, String> mapping, ScopeWalker scope, Set<String> optionalArgs) {
    Set<String> optional = optionalArgs == null ? Set.of() : optionalArgs;
    table.structure.readLock().lock();
    try {
      AtomEntry e = atomName == null ? null : table.entry(atomName);
      if (mapping == null || mapping.isEmpty()) {
        return Set.of();
      }
      Map<String, Object> transientArgs = e == null ? Map.of() : e.transientArgs;
      Map<String, Object> persistentArgs =
          e == null ? Map.of() : Injections.injectedArgs(e.detail());
      List<List<String>> levels = null;
      boolean levelsFetched = false;
      Set<String> missing = null; // made for the first missing argument: most atoms have none
      for (Map.Entry<String, String> m : mapping.entrySet()) {
        String bound = m.getKey();
        String name = m.getValue();
        if (optional.contains(bound)
            || transientArgs.containsKey(name)
            || persistentArgs.containsKey(name)) {
          continue;
        }
        Provided ps = providersNamed(name);
        if (ps == null) {
          missing = added(missing, bound);
          continue;
        }
        boolean satisfied = false;
        for (String p : ps.defaults()) {
          if (defaultContainer(p) instanceof Map<?, ?> c && c.containsKey(name)) {
            satisfied = true;
            break;
          }
        }
        if (!satisfied && ps.atomCount() > 0) {
          if (!levelsFetched && scope != null && atomName != null) {
            levels = scope.visibleLevels(atomName);
            levelsFetched = true;
          }
          satisfied = levels == null || anyVisible(ps, levels);
        }
        if (!satisfied) {
          missing = added(missing, bound);
        }
      }
      return missing == null ? Set.of() : Collections.unmodifiableSet(missing);
    } finally {
      table.structure.readLock().unlock();
    }
  }

  private static Set<String> added(Set<String> missing, String bound) {
    Set<String> out = missing == null ? new LinkedHashSet<>() : missing;
    out.add(bound);
    return out;
  }

  private static boolean anyVisible(Provided ps, List<List<String>> levels) {
    // by index: the levels are small immutable lists, and an iterator per list costs more
    for (int i = 0; i < levels.size(); i++) {
      List<String> level = levels.get(i);
      for (int j = 0; j < level.size(); j++) {
        if (ps.indexOf(level.get(j)) >= 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** The container of injected values of a default provider ({@code null} = transient). */
  private Object defaultContainer(String provider) {
    if (provider == null) {
      return transients;
    }
    AtomEntry injector = table.get(provider);
    return injector == null ? HIDDEN : Injections.injectedValues(injector, details.header().name());
  }

  /** What an atom's results are for fetching: its result, its failure, or HIDDEN. */
  private Object atomContainer(AtomEntry e) {
    AtomDetail d = e.detail();
    if (!EXECUTE_VISIBLE.contains(d.state())) {
      return HIDDEN;
    }
    if (d.failure() != null) {
      return e.executeFailure(d);
    }
    if (d instanceof RetryDetail r && r.history().isEmpty()) {
      return HIDDEN;
    }
    return AtomEntry.lastResults(d);
  }

  private static Object extract(String name, String provider, Object key, Object container) {
    if (!ResultMapping.canExtract(key, container)) {
      throw new NotFoundException(
          "Unable to find result '"
              + name
              + "', expected to be able to find it created by '"
              + provider
              + "' but was unable to perform successful extraction");
    }
    return ResultMapping.extract(key, container);
  }

  private static NotFoundException notMapped(String name) {
    return new NotFoundException(
        "Name '" + name + "' is not mapped as a produced output by any providers");
  }

  private static NotFoundException notProduced(String bound, String name, int scanned) {
    return new NotFoundException(
        "Mapped argument '"
            + bound
            + "' <= '"
            + name
            + "' was not produced by any accessible provider ("
            + scanned
            + " possible providers were scanned)");
  }

  private static String quote(Collection<String> names) {
    List<String> q = new ArrayList<>(names.size());
    for (String n : names) {
      q.add("'" + n + "'");
    }
    return q.toString();
  }

  private static String describe(Provided ps) {
    List<String> names = new ArrayList<>();
    for (String d : ps.defaults()) {
      names.add(d == null ? "<transient>" : d);
    }
    for (int i = 0; i < ps.atomCount(); i++) {
      names.add(ps.atom(i).name);
    }
    return quote(names);
  }

  /** The providers of {@code name}, or null (structure lock held). */
  private Provided providersNamed(String name) {
    int p = providers.indexOf(name, providerCursor);
    if (p < 0) {
      return null;
    }
    providerCursor = p;
    return providers.atFound(p);
  }
}
