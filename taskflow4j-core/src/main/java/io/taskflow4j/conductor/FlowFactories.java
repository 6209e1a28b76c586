package io.taskflow4j.conductor;

import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.engine.FlowFactoryException;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.persistence.FlowDetail;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The flow factories a conductor can rebuild flows with, by name: each factory is known by its
 * {@link FlowFactory#name()} and its class name. Immutable.
 *
 * <pre>{@code
 * FlowFactories factories = FlowFactories.installed().with(new OrderFlow());
 * }</pre>
 */
public final class FlowFactories {
  private final Map<String, FlowFactory> byName;
  private final boolean loadClasses;

  private FlowFactories(Map<String, FlowFactory> byName, boolean loadClasses) {
    this.byName = byName;
    this.loadClasses = loadClasses;
  }

  /**
   * The factories listed in {@code META-INF/services/io.taskflow4j.engine.FlowFactory} on the class
   * path (the bench workloads {@code chain} and {@code fanout} among them); a flow detail naming
   * another factory class is rebuilt by loading that class.
   */
  public static FlowFactories installed() {
    Map<String, FlowFactory> m = new LinkedHashMap<>();
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    for (FlowFactory f :
        ServiceLoader.load(
            FlowFactory.class, cl != null ? cl : FlowFactories.class.getClassLoader())) {
      put(m, f);
    }
    return new FlowFactories(m, true);
  }

  /** Exactly these factories; flow details naming anything else are refused. */
  public static FlowFactories of(FlowFactory... factories) {
    Map<String, FlowFactory> m = new LinkedHashMap<>();
    for (FlowFactory f : factories) {
      put(m, f);
    }
    return new FlowFactories(m, false);
  }

  /** These factories plus {@code more}. */
  public FlowFactories with(FlowFactory... more) {
    Map<String, FlowFactory> m = new LinkedHashMap<>(byName);
    for (FlowFactory f : more) {
      put(m, f);
    }
    return new FlowFactories(m, loadClasses);
  }

  private static void put(Map<String, FlowFactory> m, FlowFactory f) {
    Objects.requireNonNull(f, "factory");
    m.put(f.name(), f);
    m.putIfAbsent(f.getClass().getName(), f);
  }

  /** The names known (short names and class names). */
  public Set<String> names() {
    return new TreeSet<>(byName.keySet());
  }

  /** The factory known by {@code name}, if any. */
  public Optional<FlowFactory> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * The factory known by {@code name}.
   *
   * @throws FlowFactoryException naming the known ones when there is none
   */
  public FlowFactory require(String name) {
    FlowFactory f = byName.get(name);
    if (f == null) {
      throw new FlowFactoryException(
          "No flow factory named '"
              + name
              + "'; known: "
              + String.join(", ", new TreeSet<>(shortNames()))
              + " (register one in META-INF/services/io.taskflow4j.engine.FlowFactory)");
    }
    return f;
  }

  private List<String> shortNames() {
    return byName.entrySet().stream()
        .filter(e -> e.getKey().equals(e.getValue().name()))
        .map(Map.Entry::getKey)
        .toList();
  }

  /**
   * What to record in a flow detail as its factory's name: the class name when the class can be
   * loaded and instantiated by name (so any process can rebuild it, even without this registry),
   * else the factory's {@link FlowFactory#name()}.
   */
  public static String recordedName(FlowFactory f) {
    Class<?> c = f.getClass();
    boolean loadable =
        Modifier.isPublic(c.getModifiers())
            && !c.isSynthetic()
            && !c.isAnonymousClass()
            && !c.isLocalClass()
            && (c.getEnclosingClass() == null || Modifier.isStatic(c.getModifiers()));
    if (loadable) {
      try {
        c.getConstructor();
        return c.getName();
      } catch (NoSuchMethodException e) {
        // fall through
      }
    }
    return f.name();
  }

  /**
   * Rebuilds the flow of a flow detail from the factory its meta records: through this registry by
   * name, else (for {@link #installed()}) by loading the recorded class.
   *
   * @throws FlowFactoryException when no factory is recorded or none can be used
   */
  @SuppressWarnings("unchecked")
  public Flow rebuild(FlowDetail fd) {
    Object meta = fd.meta().get(FlowDetail.META_FACTORY);
    if (meta instanceof Map<?, ?> m && m.get("name") instanceof String name) {
      FlowFactory f = byName.get(name);
      if (f != null) {
        List<Object> args = m.get("args") instanceof List<?> l ? (List<Object>) l : List.of();
        Map<String, Object> kwargs =
            m.get("kwargs") instanceof Map<?, ?> k ? (Map<String, Object>) k : Map.of();
        Flow flow;
        try {
          flow = f.create(args, kwargs);
        } catch (RuntimeException e) {
          throw new FlowFactoryException(
              "Factory '" + name + "' of flow '" + fd.name() + "' (" + fd.uuid() + ") failed: " + e,
              e);
        }
        if (flow == null) {
          throw new FlowFactoryException(
              "Factory '" + name + "' of flow '" + fd.name() + "' returned no flow");
        }
        return flow;
      }
      if (!loadClasses) {
        throw new FlowFactoryException(
            "Flow '"
                + fd.name()
                + "' ("
                + fd.uuid()
                + ") needs factory '"
                + name
                + "', which is not registered; known: "
                + String.join(", ", new TreeSet<>(shortNames())));
      }
    }
    return Engines.flowFromDetail(fd);
  }

  @Override
  public String toString() {
    return "FlowFactories" + new TreeSet<>(shortNames());
  }
}
