package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.InvalidStateException;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.TaskDetail;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Injected values: at flow level (persistent ones in the {@value Storage#INJECTOR_NAME} task
 * detail, transient ones in the {@link ResultIndex}) and for one atom (persistent ones in its
 * metadata, transient ones in its entry).
 */
final class Injections {
  private final AtomTable table;
  private final ResultIndex results;
  private final DetailWriter details;
  private final StorageOptions options;

  Injections(AtomTable table, ResultIndex results, DetailWriter details, StorageOptions options) {
    this.table = table;
    this.results = results;
    this.details = details;
    this.options = options;
  }

  /** Registers the values of a stored injector as provided (when the storage opens). */
  void registerStored() {
    AtomEntry injector = table.get(Storage.INJECTOR_NAME);
    if (injector != null) {
      for (String key : injectedValues(injector, details.header().name()).keySet()) {
        results.addDefaultProvider(key, Storage.INJECTOR_NAME);
      }
    }
  }

  /** See {@link Storage#inject}. */
  void inject(Map<String, ?> pairs, boolean transientValues) {
    if (pairs == null || pairs.isEmpty()) {
      return;
    }
    if (transientValues) {
      table.structure.writeLock().lock();
      try {
        results.putTransients(pairs);
      } finally {
        table.structure.writeLock().unlock();
      }
      return;
    }
    Map<String, Object> values = normalizeInjected(Storage.INJECTOR_NAME, pairs);
    table.structure.writeLock().lock();
    try {
      AtomEntry injector = table.get(Storage.INJECTOR_NAME);
      if (injector == null) {
        TaskDetail td =
            TaskDetail.of(Storage.INJECTOR_NAME, options.uuidSupplier().get())
                .put(AtomState.SUCCESS, values);
        FlowDetail written = details.writeNewAtoms("the injected values", List.of(td));
        table.put(
            new AtomEntry(
                Storage.INJECTOR_NAME,
                AtomKind.TASK,
                written.find(td.uuid()).orElse(td),
                table.nextOrdinal(Storage.INJECTOR_NAME)));
      } else {
        Map<String, Object> merged =
            new LinkedHashMap<>(injectedValues(injector, details.header().name()));
        merged.putAll(values);
        details.updateAtom(
            Storage.INJECTOR_NAME, d -> ((TaskDetail) d).withResults(merged), null, null);
      }
      registerStored();
    } finally {
      table.structure.writeLock().unlock();
    }
  }

  /** See {@link Storage#injectAtomArgs}. */
  void injectAtomArgs(String atomName, Map<String, ?> pairs, boolean transientValues) {
    AtomEntry e = table.entry(atomName);
    if (pairs == null || pairs.isEmpty()) {
      return;
    }
    if (transientValues) {
      synchronized (e) {
        Map<String, Object> merged = new LinkedHashMap<>(e.transientArgs);
        merged.putAll(pairs);
        e.transientArgs = Collections.unmodifiableMap(merged);
      }
      return;
    }
    Map<String, Object> values = normalizeInjected(atomName, pairs);
    details.updateAtom(
        atomName,
        d -> {
          Map<String, Object> merged = new LinkedHashMap<>(injectedArgs(d));
          merged.putAll(values);
          return d.withMetaEntries(Map.of(AtomDetail.META_INJECTED, merged));
        },
        null,
        null);
  }

  private static Map<String, Object> normalizeInjected(String owner, Map<String, ?> pairs) {
    for (String k : pairs.keySet()) {
      Objects.requireNonNull(k, "injected name");
    }
    try {
      return Json.normalizeMap(pairs);
    } catch (IllegalArgumentException e) {
      throw new InvalidResultException(
          owner,
          "Values injected "
              + (Storage.INJECTOR_NAME.equals(owner) ? "into the flow" : "for atom '" + owner + "'")
              + " cannot be stored: "
              + e.getMessage()
              + ". Inject JSON values, or inject them transiently",
          e);
    }
  }

  /** The arguments injected persistently for the atom of detail {@code d}. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> injectedArgs(AtomDetail d) {
    return d.meta().get(AtomDetail.META_INJECTED) instanceof Map<?, ?> m
        ? (Map<String, Object>) m
        : Map.of();
  }

  /**
   * The values the injector of flow detail {@code flowName} holds.
   *
   * @throws InvalidStateException when its stored detail is not a task detail holding a map
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> injectedValues(AtomEntry injector, String flowName) {
    AtomDetail d = injector.detail();
    if (!(d instanceof TaskDetail td)) {
      throw new InvalidStateException(
          "The injector detail of flow detail '" + flowName + "' is not a task detail");
    }
    if (td.results() == null) {
      return Map.of();
    }
    if (!(td.results() instanceof Map<?, ?> m)) {
      throw new InvalidStateException(
          "The injector detail of flow detail '"
              + flowName
              + "' holds a "
              + td.results().getClass().getSimpleName()
              + " instead of a map of injected values");
    }
    return (Map<String, Object>) m;
  }
}
