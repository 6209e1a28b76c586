package io.taskflow4j.engine;

import io.taskflow4j.Atom;
import io.taskflow4j.FlowElement;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.storage.Storage;
import io.taskflow4j.storage.StorageOptions;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Where engines come from.
 *
 * <pre>{@code
 * Engine engine = Engines.load(flow)
 *     .backend(Backends.open("dir:///var/lib/app/flows"))
 *     .store(Map.of("order_id", 42))
 *     .parallel()
 *     .build();
 * engine.run();
 * }</pre>
 *
 * <p>To resume a run in another process, record how to rebuild the flow: {@link #loadFromFactory}
 * stores the factory in the flow detail, and {@link #loadFromDetail} rebuilds the flow from it and
 * continues the run.
 */
public final class Engines {
  /** The default number of worker threads of a parallel engine without an executor. */
  public static final int DEFAULT_MAX_WORKERS =
      Math.max(2, Math.min(64, 5 * Runtime.getRuntime().availableProcessors()));

  private Engines() {}

  /** Starts configuring an engine for {@code flow} (a flow, or a single atom). */
  public static Builder load(FlowElement flow) {
    return new Builder(Objects.requireNonNull(flow, "flow"), null);
  }

  /** Loads and runs {@code flow} on a serial engine without persistence; returns all results. */
  public static Map<String, Object> run(FlowElement flow) {
    return load(flow).run();
  }

  /**
   * Builds the flow with a {@link FlowFactory} and records the factory, so {@link #loadFromDetail}
   * can rebuild it in another process.
   */
  public static Builder loadFromFactory(
      Class<? extends FlowFactory> factory, List<?> args, Map<String, ?> kwargs) {
    Map<String, Object> meta = factoryMeta(factory.getName(), args, kwargs);
    return new Builder(build(meta, "(new flow)", "-"), meta);
  }

  /**
   * Builds the flow with a public static method {@code owner.method(...)} returning a flow, and
   * records it. The method takes either {@code (List<Object> args, Map<String, Object> kwargs)} or
   * one parameter per element of {@code args} (converted to the parameter types; {@code kwargs}
   * must then be empty).
   */
  public static Builder loadFromFactory(
      Class<?> owner, String method, List<?> args, Map<String, ?> kwargs) {
    Map<String, Object> meta = factoryMeta(owner.getName() + "#" + method, args, kwargs);
    return new Builder(build(meta, "(new flow)", "-"), meta);
  }

  /**
   * Rebuilds the flow of {@code flowDetail} from its recorded factory and configures an engine to
   * continue that run; add the backend holding it with {@link Builder#backend}.
   *
   * @throws FlowFactoryException when no factory is recorded or it cannot be used
   */
  public static Builder loadFromDetail(FlowDetail flowDetail) {
    Objects.requireNonNull(flowDetail, "flowDetail");
    return new Builder(flowFromDetail(flowDetail), null).flowDetail(flowDetail);
  }

  /** As {@link #loadFromDetail(FlowDetail)}, over {@code backend}; builds the engine. */
  public static Engine loadFromDetail(FlowDetail flowDetail, Backend backend) {
    return loadFromDetail(flowDetail).backend(backend).build();
  }

  /**
   * Rebuilds a flow from the factory recorded in a flow detail's meta.
   *
   * @throws FlowFactoryException when no factory is recorded or it cannot be used
   */
  public static Flow flowFromDetail(FlowDetail flowDetail) {
    Object factory = flowDetail.meta().get(FlowDetail.META_FACTORY);
    if (!(factory instanceof Map<?, ?> m) || !(m.get("name") instanceof String)) {
      throw new FlowFactoryException(
          "Cannot reconstruct flow '"
              + flowDetail.name()
              + "' ("
              + flowDetail.uuid()
              + "): no factory information saved in its flow detail; load the flow with"
              + " Engines.loadFromFactory(...) so it can be rebuilt");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) m;
    return build(meta, flowDetail.name(), flowDetail.uuid());
  }

  private static Map<String, Object> factoryMeta(String name, List<?> args, Map<String, ?> kwargs) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", name);
    meta.put("args", Json.normalize(args == null ? List.of() : args));
    meta.put("kwargs", Json.normalize(kwargs == null ? Map.of() : kwargs));
    return meta;
  }

  @SuppressWarnings("unchecked")
  private static Flow build(Map<String, Object> meta, String flowName, String flowUuid) {
    String name = (String) meta.get("name");
    List<Object> args = meta.get("args") instanceof List<?> l ? (List<Object>) l : List.of();
    Map<String, Object> kwargs =
        meta.get("kwargs") instanceof Map<?, ?> k ? (Map<String, Object>) k : Map.of();
    int hash = name.indexOf('#');
    String className = hash < 0 ? name : name.substring(0, hash);
    String where = "flow '" + flowName + "' (" + flowUuid + ")";
    Class<?> type;
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      type = Class.forName(className, true, cl != null ? cl : Engines.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new FlowFactoryException(
          "Could not load factory class '"
              + className
              + "' of "
              + where
              + "; is it on the class path?",
          e);
    }
    Object flow;
    try {
      if (hash < 0) {
        if (!FlowFactory.class.isAssignableFrom(type)) {
          throw new FlowFactoryException(
              "Factory class '"
                  + className
                  + "' of "
                  + where
                  + " does not implement "
                  + FlowFactory.class.getName());
        }
        FlowFactory f = (FlowFactory) type.getConstructor().newInstance();
        flow = f.create(args, kwargs);
      } else {
        flow = callStatic(type, name.substring(hash + 1), args, kwargs, where);
      }
    } catch (InvocationTargetException e) {
      throw new FlowFactoryException(
          "Factory '" + name + "' of " + where + " failed: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new FlowFactoryException(
          "Could not use factory '"
              + name
              + "' of "
              + where
              + " (it needs to be public, with a public no-argument constructor): "
              + e,
          e);
    }
    if (!(flow instanceof Flow f)) {
      throw new FlowFactoryException(
          "Factory '"
              + name
              + "' of "
              + where
              + " returned "
              + (flow == null ? "null" : flow.getClass().getName())
              + " instead of a flow");
    }
    return f;
  }

  private static Object callStatic(
      Class<?> type, String method, List<Object> args, Map<String, Object> kwargs, String where)
      throws ReflectiveOperationException {
    List<Method> candidates = new ArrayList<>();
    for (Method m : type.getMethods()) {
      if (m.getName().equals(method) && Modifier.isStatic(m.getModifiers())) {
        candidates.add(m);
      }
    }
    for (Method m : candidates) {
      Class<?>[] p = m.getParameterTypes();
      if (p.length == 2 && p[0] == List.class && p[1] == Map.class) {
        return m.invoke(null, args, kwargs);
      }
    }
    if (kwargs.isEmpty()) {
      for (Method m : candidates) {
        java.lang.reflect.Type[] p = m.getGenericParameterTypes();
        if (p.length == args.size()) {
          Object[] values = new Object[p.length];
          for (int i = 0; i < p.length; i++) {
            values[i] = Json.convert(args.get(i), p[i]);
          }
          return m.invoke(null, values);
        }
      }
    }
    throw new FlowFactoryException(
        "Factory class '"
            + type.getName()
            + "' of "
            + where
            + " has no public static method '"
            + method
            + "' taking (List, Map) or "
            + args.size()
            + " argument(s)");
  }

  /** Configures an engine; {@link #build()} makes it. */
  public static final class Builder {
    final FlowElement flow;
    final Map<String, Object> factory;
    Backend backend;
    Connection connection;
    LogBook logBook;
    FlowDetail flowDetail;
    Map<String, Object> store = Map.of();
    Map<String, Object> transientStore = Map.of();
    Executor executor;
    TaskRunner taskRunner = TaskRunner.LOCAL;
    boolean parallel;
    int maxWorkers = DEFAULT_MAX_WORKERS;
    boolean deferReverts;
    boolean neverResolve;
    boolean injectTransient = true;
    Clock clock = Clock.systemUTC();
    StorageOptions storageOptions;
    io.taskflow4j.retention.Retention retention = io.taskflow4j.retention.Retention.KEEP;
    boolean exclusive;

    private Builder(FlowElement flow, Map<String, Object> factory) {
      if (!(flow instanceof Flow) && !(flow instanceof Atom)) {
        throw new IllegalArgumentException(
            "only flows and atoms can be loaded, not " + flow.getClass().getName());
      }
      this.flow = flow;
      this.factory = factory;
    }

    /** Records the run in this backend (a connection is taken and closed with the engine). */
    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      this.connection = null;
      return this;
    }

    /** Records the run through this connection (left open; the caller owns it). */
    public Builder connection(Connection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
      this.backend = null;
      return this;
    }

    /** Adds the new flow detail to this logbook (else a new logbook named after the flow). */
    public Builder logBook(LogBook book) {
      this.logBook = Objects.requireNonNull(book, "logBook");
      return this;
    }

    /**
     * Runs against this stored flow detail: resumes what it records. With a backend or connection
     * only its uuid matters: when the engine starts it reads the detail's stored form with every
     * atom detail, so a lazily read ({@code getFlowDetails(uuid, true)}) or older copy is fine, and
     * the engine never adds a second atom detail under a name the store holds. A detail that is not
     * stored is refused with a {@link io.taskflow4j.persistence.NotFoundException} when the engine
     * starts. Without a backend, the detail given is the whole record.
     */
    public Builder flowDetail(FlowDetail flowDetail) {
      this.flowDetail = Objects.requireNonNull(flowDetail, "flowDetail");
      return this;
    }

    /**
     * Resumes the stored flow ({@link #flowDetail}) as its only runner among resumes: when the
     * engine starts it raises the flow's fence ({@link io.taskflow4j.storage.FlowFences}) above any
     * other resume's, reads the flow after that, and makes every write through a view fenced by its
     * token. Another process resuming the same flow at the same time (two replicas that each resume
     * the unfinished flows when they start, say) then cannot leave it stuck: the resume that raised
     * the fence last runs the flow, and the other has its next write refused and stops with a
     * {@link io.taskflow4j.persistence.FencedException}, writing nothing more, as when its claim on
     * a job is lost. The task that was in flight in the process that stopped runs again in the
     * other (tasks run at least once). The store must support fencing (every built-in backend
     * does); a new run (no flow detail given) has a fresh uuid no other process knows, and ignores
     * this. Conductors fence their jobs' runs by their claims and need none of this.
     */
    public Builder exclusive() {
      this.exclusive = true;
      return this;
    }

    /** Values injected persistently (they survive a reload of the flow detail). */
    public Builder store(Map<String, ?> values) {
      this.store = new LinkedHashMap<>(Objects.requireNonNull(values, "store"));
      return this;
    }

    /** Values injected for this engine only (not recorded). */
    public Builder transientStore(Map<String, ?> values) {
      this.transientStore = new LinkedHashMap<>(Objects.requireNonNull(values, "transientStore"));
      return this;
    }

    /** A parallel engine running atoms on this executor (not shut down by the engine). */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      this.parallel = true;
      return this;
    }

    /**
     * Runs tasks through {@code runner} (for example on remote workers) instead of in the engine's
     * threads; the engine still records every state change before it notifies.
     */
    public Builder taskRunner(TaskRunner runner) {
      this.taskRunner = Objects.requireNonNull(runner, "runner");
      return this;
    }

    /** A parallel engine with its own pool of {@link #DEFAULT_MAX_WORKERS} threads per run. */
    public Builder parallel() {
      this.parallel = true;
      return this;
    }

    /** A parallel engine with its own pool of {@code maxWorkers} threads per run. */
    public Builder parallel(int maxWorkers) {
      if (maxWorkers < 1) {
        throw new IllegalArgumentException("maxWorkers must be at least 1, was " + maxWorkers);
      }
      this.parallel = true;
      this.maxWorkers = maxWorkers;
      return this;
    }

    /** A serial engine: atoms run one at a time in the caller's thread (the default). */
    public Builder serial() {
      this.parallel = false;
      this.executor = null;
      return this;
    }

    /** TaskFlow's {@code defer_reverts}: a retry's REVERT defers to the enclosing retry. */
    public Builder deferReverts(boolean value) {
      this.deferReverts = value;
      return this;
    }

    /** TaskFlow's {@code never_resolve}: failures end the run in FAILURE without reverting. */
    public Builder neverResolve(boolean value) {
      this.neverResolve = value;
      return this;
    }

    /** Whether atoms' {@code inject} values stay out of the logbook (default true). */
    public Builder injectTransient(boolean value) {
      this.injectTransient = value;
      return this;
    }

    /** The clock for the times recorded in atom meta. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * What happens to the flow's logbook record once a run has finished and every listener has
     * heard of its final state: kept ({@link io.taskflow4j.retention.Retention#KEEP}, the default),
     * or deleted when the run succeeded ({@code DISCARD_ON_SUCCESS}), or kept only when something
     * failed ({@code KEEP_FAILED}). A logbook the engine created for the flow is deleted with it
     * when that leaves it empty. A delete that fails is logged, never the run's failure.
     */
    public Builder retention(io.taskflow4j.retention.Retention policy) {
      this.retention = java.util.Objects.requireNonNull(policy, "retention");
      return this;
    }

    /** Options of the engine's storage (write retries, clock, ids). */
    public Builder storageOptions(StorageOptions options) {
      this.storageOptions = Objects.requireNonNull(options, "storageOptions");
      return this;
    }

    /**
     * Makes the engine (nothing is compiled or written yet). The engine takes the configuration as
     * it is now: changing this builder afterwards changes only the engines it builds later.
     */
    public Engine build() {
      return new ActionEngine(config());
    }

    private EngineConfig config() {
      Flow root = flow instanceof Flow f ? f : LinearFlow.of(flow.name()).add((Atom) flow);
      return new EngineConfig(
          root,
          factory,
          storageOpener(root.name()),
          frozen(store),
          frozen(transientStore),
          executor,
          taskRunner,
          parallel,
          maxWorkers,
          deferReverts,
          neverResolve,
          injectTransient,
          clock,
          retention);
    }

    private static Map<String, Object> frozen(Map<String, Object> values) {
      return values.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * How the engine opens its storage: the one place where the engine's configuration meets the
     * persistence types. Nothing is read or written until the engine asks.
     */
    private Supplier<Storage> storageOpener(String flowName) {
      Backend backend = this.backend;
      Connection connection = this.connection;
      LogBook book = this.logBook;
      FlowDetail given = this.flowDetail;
      Map<String, Object> factory = this.factory;
      StorageOptions configured = this.storageOptions;
      Clock clock = this.clock;
      boolean exclusive = this.exclusive;
      return () -> {
        StorageOptions options =
            configured != null ? configured : StorageOptions.builder().clock(clock).build();
        if (given != null) {
          return openStored(backend, connection, given, options, exclusive);
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        if (factory != null) {
          meta.put(FlowDetail.META_FACTORY, factory);
        }
        FlowDetail fresh = FlowDetail.create(flowName).withMeta(meta);
        return backend != null
            ? Storage.open(backend, book, fresh, options)
            : Storage.open(connection, book, fresh, options);
      };
    }

    private static Storage openStored(
        Backend backend,
        Connection connection,
        FlowDetail given,
        StorageOptions options,
        boolean exclusive) {
      try {
        if (exclusive && (backend != null || connection != null)) {
          return backend != null
              ? Storage.openStoredExclusive(backend, given, options)
              : Storage.openStoredExclusive(connection, given, options);
        }
        return backend != null
            ? Storage.openStored(backend, given, options)
            : Storage.openStored(connection, given, options);
      } catch (NotFoundException e) {
        throw new NotFoundException(
            "Flow detail '"
                + given.name()
                + "' ("
                + given.uuid()
                + ") is not in the store, so there is nothing to resume; save it through its"
                + " logbook first (Connection.saveLogBook), or leave out flowDetail(...) to start a"
                + " new run",
            e);
      }
    }

    /** Builds, runs, and returns every published value ({@code storage().fetchAll()}). */
    public Map<String, Object> run() {
      try (Engine engine = build()) {
        engine.run();
        return engine.storage().fetchAll();
      }
    }
  }
}
