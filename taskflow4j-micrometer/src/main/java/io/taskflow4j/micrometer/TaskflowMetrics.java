package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.storage.AtomKind;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters of engine runs: flows started and finished, atom executions and reverts (timed), retries;
 * and, through {@link #conductorListener()}, the jobs a conductor claims and settles. A {@link
 * MeterBinder}: bind it once to a registry, then attach it to every engine it should count.
 *
 * <pre>{@code
 * TaskflowMetrics metrics = TaskflowMetrics.bind(registry);
 * Engine engine = Engines.load(flow).backend(backend).build();
 * try (var metered = metrics.listen(engine)) {
 *   engine.run();
 * }
 * }</pre>
 *
 * <p>The meters are named and tagged as {@code docs/METRICS.md} lists. Tags carry flow and atom
 * <em>names</em>, never uuids, so their number is bounded by the code: at most {@link
 * #DEFAULT_MAX_ATOM_NAMES} distinct atom names get meters of their own (per instance), the others
 * share {@code atom=_other} — a flow built with thousands of generated task names does not flood
 * the registry.
 *
 * <p>Cheap on the engine's hot path: meters are made once per flow and atom name and cached, so an
 * outcome costs finding its atom's meters and two atomic additions, with no clock read and no tag
 * or string built. Atom executions and reverts are {@link FunctionTimer}s (count and total time);
 * {@link Builder#atomHistograms} makes them full {@link Timer}s, with a maximum and the percentiles
 * or histograms the registry's filters ask for, at about twice the cost per atom.
 */
public final class TaskflowMetrics implements MeterBinder {
  private static final Logger LOG = LoggerFactory.getLogger(TaskflowMetrics.class);

  /**
   * How many outcome positions of a run {@code FlowMeters.timerAt} remembers per flow name (an
   * array of at most this many references); later outcomes are looked up by name.
   */
  private static final int MAX_REMEMBERED = 1 << 16;

  /** How many distinct atom names get meters of their own by default. */
  public static final int DEFAULT_MAX_ATOM_NAMES = 1000;

  /** The atom tag's value for atoms beyond the limit of distinct names. */
  public static final String OTHER_ATOM = "_other";

  static final String FLOWS_STARTED = "taskflow4j.flows.started";
  static final String FLOWS_FINISHED = "taskflow4j.flows.finished";
  static final String ATOM_EXECUTIONS = "taskflow4j.atoms.executions";
  static final String ATOM_REVERTS = "taskflow4j.atoms.reverts";
  static final String RETRIES = "taskflow4j.retries";
  static final String CONDUCTOR_CLAIMS = "taskflow4j.conductor.claims";
  static final String CONDUCTOR_SETTLED = "taskflow4j.conductor.jobs.settled";
  static final String CONDUCTOR_ACTIVE = "taskflow4j.conductor.jobs.active";

  private final Tags tags;
  private final int maxAtomNames;
  private final boolean atomHistograms;
  private final ConcurrentMap<String, FlowMeters> flows = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger atomNames =
      new java.util.concurrent.atomic.AtomicInteger();
  private final AtomicBoolean warnedOverflow = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicInteger activeJobs =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile MeterRegistry registry;
  private Counter conductorClaims;
  private final java.util.Map<io.taskflow4j.conductor.JobOutcome.Kind, Timer> settled =
      new java.util.EnumMap<>(io.taskflow4j.conductor.JobOutcome.Kind.class);

  /** Meters without extra tags. */
  public TaskflowMetrics() {
    this(Tags.empty());
  }

  /** Meters carrying {@code tags} besides their own. */
  public TaskflowMetrics(Iterable<Tag> tags) {
    this(tags, DEFAULT_MAX_ATOM_NAMES);
  }

  /**
   * Meters carrying {@code tags}, with at most {@code maxAtomNames} distinct atom names as tag
   * values (0: no atom gets meters of its own, every atom is counted as {@value #OTHER_ATOM}).
   */
  public TaskflowMetrics(Iterable<Tag> tags, int maxAtomNames) {
    this(builder().tags(tags).maxAtomNames(maxAtomNames));
  }

  private TaskflowMetrics(Builder b) {
    this.tags = b.tags;
    this.maxAtomNames = b.maxAtomNames;
    this.atomHistograms = b.atomHistograms;
  }

  /** Metrics configured step by step: extra tags, the limit of atom names, full atom timers. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures {@link TaskflowMetrics}. */
  public static final class Builder {
    private Tags tags = Tags.empty();
    private int maxAtomNames = DEFAULT_MAX_ATOM_NAMES;
    private boolean atomHistograms;

    private Builder() {}

    /** Tags every meter carries besides its own (none by default). */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
      return this;
    }

    /**
     * At most {@code maxAtomNames} distinct atom names as tag values (default {@value
     * #DEFAULT_MAX_ATOM_NAMES}; 0: no atom gets meters of its own, every atom is counted as {@value
     * #OTHER_ATOM}).
     */
    public Builder maxAtomNames(int maxAtomNames) {
      if (maxAtomNames < 0) {
        throw new IllegalArgumentException("maxAtomNames cannot be negative, was " + maxAtomNames);
      }
      this.maxAtomNames = maxAtomNames;
      return this;
    }

    /**
     * Whether atom executions and reverts are timed by full {@link Timer}s, which also publish a
     * maximum and, where the registry's filters ask for them (Spring Boot's {@code
     * management.metrics.distribution.*}), percentiles and a histogram. Off by default: they are
     * {@link FunctionTimer}s then, publishing count and total time (rates and means per atom),
     * which cost the engine about half as much per atom (docs/METRICS.md gives the figures). Flow
     * and store timers are full timers either way.
     */
    public Builder atomHistograms(boolean atomHistograms) {
      this.atomHistograms = atomHistograms;
      return this;
    }

    /** The metrics, not bound yet: {@link #bindTo} or {@link #bind(MeterRegistry)} them. */
    public TaskflowMetrics build() {
      return new TaskflowMetrics(this);
    }

    /** The metrics, bound to {@code registry}. */
    public TaskflowMetrics bind(MeterRegistry registry) {
      TaskflowMetrics m = build();
      m.bindTo(registry);
      return m;
    }
  }

  /** Binds new metrics (without extra tags) to {@code registry}: the one-call way in. */
  public static TaskflowMetrics bind(MeterRegistry registry) {
    TaskflowMetrics m = new TaskflowMetrics();
    m.bindTo(registry);
    return m;
  }

  /**
   * Makes the meters that do not depend on a flow (the conductor's) and remembers the registry;
   * flow and atom meters are made on first use. Bind once.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (this) {
      if (this.registry != null && this.registry != registry) {
        throw new IllegalStateException(
            "TaskflowMetrics is bound to a registry already; make one instance per registry"
                + " (a CompositeMeterRegistry publishes to several)");
      }
      if (this.registry == registry) {
        return;
      }
      conductorClaims =
          Counter.builder(CONDUCTOR_CLAIMS)
              .description("Jobs claimed by conductors")
              .tags(tags)
              .register(registry);
      for (io.taskflow4j.conductor.JobOutcome.Kind k :
          io.taskflow4j.conductor.JobOutcome.Kind.values()) {
        settled.put(
            k,
            Timer.builder(CONDUCTOR_SETTLED)
                .description("Jobs conductors settled, by outcome, timed from the claim")
                .tags(tags)
                .tag("outcome", k.name().toLowerCase(java.util.Locale.ROOT))
                .register(registry));
      }
      io.micrometer.core.instrument.Gauge.builder(
              CONDUCTOR_ACTIVE, activeJobs, java.util.concurrent.atomic.AtomicInteger::get)
          .description("Jobs claimed by conductors and not settled yet")
          .tags(tags)
          .register(registry);
      this.registry = registry;
    }
  }

  void conductorClaimed() {
    conductorClaims.increment();
    activeJobs.incrementAndGet();
  }

  void conductorSettled(io.taskflow4j.conductor.JobOutcome outcome) {
    activeJobs.decrementAndGet();
    settled.get(outcome.kind()).record(outcome.took());
  }

  /**
   * Counts {@code engine}'s runs until the returned registration is closed (closing is optional
   * when the engine is dropped after its run).
   *
   * @throws IllegalStateException when not bound to a registry yet
   */
  public Registration listen(Engine engine) {
    return new EngineMetrics(this, requireBound(), engine)::close;
  }

  /**
   * A conductor listener counting claims and settlements ({@code taskflow4j.conductor.*}) and
   * counting every engine the conductor runs, as {@link #listen} does:
   *
   * <pre>{@code
   * Conductor.builder(board, MeteredBackend.wrap(backend, registry))
   *     .listener(metrics.conductorListener())
   *     .build();
   * }</pre>
   */
  public ConductorListener conductorListener() {
    return new ConductorMetrics(this, requireBound(), null);
  }

  /** As {@link #conductorListener()}, also observing (tracing) every engine with {@code obs}. */
  public ConductorListener conductorListener(TaskflowObservations obs) {
    return new ConductorMetrics(this, requireBound(), Objects.requireNonNull(obs, "obs"));
  }

  Tags tags() {
    return tags;
  }

  private MeterRegistry requireBound() {
    MeterRegistry r = registry;
    if (r == null) {
      throw new IllegalStateException(
          "TaskflowMetrics is not bound to a registry: call bindTo(registry) first, or make it"
              + " with TaskflowMetrics.bind(registry)");
    }
    return r;
  }

  FlowMeters flow(MeterRegistry r, String flowName) {
    FlowMeters f = flows.get(flowName);
    return f != null ? f : flows.computeIfAbsent(flowName, n -> new FlowMeters(r, n));
  }

  /** The meters of one flow name, and of its atoms by name. */
  final class FlowMeters {
    private final MeterRegistry registry;
    final String name;
    final Counter started;
    final Timer success;
    final Timer reverted;
    final Timer failure;
    final Timer suspended;
    private final ConcurrentMap<String, AtomMeters> atoms = new ConcurrentHashMap<>();
    private volatile AtomMeters other;
    private Object[] order = new Object[16];

    FlowMeters(MeterRegistry r, String name) {
      this.registry = r;
      this.name = name;
      Tags t = tags.and("flow", name);
      started =
          Counter.builder(FLOWS_STARTED)
              .description("Flow runs started (entered RUNNING)")
              .tags(t)
              .register(r);
      success = finished(r, t, "success");
      reverted = finished(r, t, "reverted");
      failure = finished(r, t, "failure");
      suspended = finished(r, t, "suspended");
    }

    private static Timer finished(MeterRegistry r, Tags t, String state) {
      return Timer.builder(FLOWS_FINISHED)
          .description("Flow runs ended, by end state, timed from RUNNING")
          .tags(t)
          .tag("state", state)
          .register(r);
    }

    /** The timer of a run that ended in {@code s}, or null when {@code s} does not end a run. */
    Timer finished(FlowState s) {
      return switch (s) {
        case SUCCESS -> success;
        case REVERTED -> reverted;
        case FAILURE -> failure;
        case SUSPENDED -> suspended;
        default -> null;
      };
    }

    /**
     * The timer of {@code atomName}'s outcome {@code state}, the {@code k}-th outcome of a run. A
     * flow run again repeats the order of its outcomes (a chain always does), so what was found for
     * the {@code k}-th outcome of an earlier run is checked first: the timer, which knows its atom
     * and state, and its atom's name — instead of a lookup that hashes the name and reads a table,
     * the entry's key, its meters and then the timer: cache misses, every one, on a run that
     * streams through megabytes of its own data between two outcomes. Where the order differs
     * (parallel runs, retries), the name is looked up and remembered. The remembered positions are
     * read and written without a lock: a stale one fails the name check and costs a lookup.
     */
    AtomTimer timerAt(int k, String atomName, AtomKind kind, AtomState state) {
      Object[] seen = order;
      if (k < seen.length) {
        Object r = seen[k];
        if (r instanceof AtomTimer t) {
          if (t.counts(atomName, state)) {
            return t;
          }
        } else if (r instanceof Remembered m
            && m.state == state
            && (m.name == atomName || m.name.equals(atomName))) {
          return m.timer;
        }
      }
      AtomTimer t = atom(atomName, kind).outcome(state);
      if (k < MAX_REMEMBERED) {
        if (k >= seen.length) {
          seen =
              java.util.Arrays.copyOf(
                  seen, Math.min(MAX_REMEMBERED, Math.max(k + 1, 2 * seen.length)));
          order = seen;
        }
        seen[k] = t.counts(atomName, state) ? t : new Remembered(atomName, state, t);
      }
      return t;
    }

    AtomMeters atom(String atomName, AtomKind kind) {
      AtomMeters a = atoms.get(atomName);
      if (a != null) {
        return a;
      }
      if (atomNames.get() >= maxAtomNames) {
        return other(kind);
      }
      return atoms.computeIfAbsent(
          atomName,
          n -> {
            atomNames.incrementAndGet();
            return new AtomMeters(registry, name, n, kind);
          });
    }

    private AtomMeters other(AtomKind kind) {
      if (warnedOverflow.compareAndSet(false, true)) {
        LOG.warn(
            "More than {} distinct atom names: further atoms are counted with atom={} (raise the"
                + " limit with new TaskflowMetrics(tags, maxAtomNames))",
            maxAtomNames,
            OTHER_ATOM);
      }
      AtomMeters o = other;
      if (o == null) {
        synchronized (this) {
          o = other;
          if (o == null) {
            o = new AtomMeters(registry, name, OTHER_ATOM, kind);
            other = o;
          }
        }
      }
      return o;
    }
  }

  /** The meters of one atom name in one flow. */
  final class AtomMeters {
    final AtomTimer executedSuccess;
    final AtomTimer executedFailure;
    final AtomTimer reverted;
    final AtomTimer revertFailure;
    private final MeterRegistry registry;
    private final Tags atomTags;
    private volatile Counter retries;

    AtomMeters(MeterRegistry r, String flowName, String atomName, AtomKind kind) {
      this.registry = r;
      this.atomTags =
          tags.and(
              Tags.of(
                  "flow",
                  flowName,
                  "atom",
                  atomName,
                  "kind",
                  kind == AtomKind.RETRY ? "retry" : "task"));
      String executions =
          "Atom executions, by outcome: the atom's own work, as the engine timed it";
      String reverts = "Atom reverts, by outcome: the atom's own work, as the engine timed it";
      executedSuccess = timer(atomName, AtomState.SUCCESS, ATOM_EXECUTIONS, executions, "success");
      executedFailure = timer(atomName, AtomState.FAILURE, ATOM_EXECUTIONS, executions, "failure");
      reverted = timer(atomName, AtomState.REVERTED, ATOM_REVERTS, reverts, "reverted");
      revertFailure =
          timer(atomName, AtomState.REVERT_FAILURE, ATOM_REVERTS, reverts, "revert_failure");
    }

    private AtomTimer timer(
        String atomName, AtomState state, String name, String description, String outcome) {
      if (atomHistograms) {
        Timer t =
            Timer.builder(name)
                .description(description)
                .tags(atomTags)
                .tag("outcome", outcome)
                .register(registry);
        return new FullTimer(atomName, state, t);
      }
      Tally tally = new Tally(atomName, state);
      FunctionTimer.builder(name, tally, Tally::count, Tally::totalNanos, TimeUnit.NANOSECONDS)
          .description(description)
          .tags(atomTags)
          .tag("outcome", outcome)
          .register(registry);
      return tally;
    }

    /** The timer for the outcome {@code s}, or null when {@code s} is no outcome. */
    AtomTimer outcome(AtomState s) {
      return switch (s) {
        case SUCCESS -> executedSuccess;
        case FAILURE -> executedFailure;
        case REVERTED -> reverted;
        case REVERT_FAILURE -> revertFailure;
        default -> null;
      };
    }

    /** Made on first use: only retry controllers retry. */
    Counter retries() {
      Counter c = retries;
      if (c == null) {
        c =
            Counter.builder(RETRIES)
                .description("Times a retry controller ran its subflow again")
                .tags(atomTags)
                .register(registry);
        retries = c;
      }
      return c;
    }
  }

  /**
   * The {@code k}-th outcome of an earlier run, when it went to a timer of another atom's name (the
   * shared {@value #OTHER_ATOM} one): its atom, its state and that timer.
   */
  private record Remembered(String name, AtomState state, AtomTimer timer) {}

  /**
   * Where one atom name's outcomes of one state are timed: a {@link Tally} or a full {@link Timer}.
   * It knows the atom and the state it counts, so that {@link FlowMeters#timerAt} can check a
   * remembered timer against an event reading the timer alone.
   */
  abstract static class AtomTimer {
    final String atomName;
    final AtomState state;

    AtomTimer(String atomName, AtomState state) {
      this.atomName = atomName;
      this.state = state;
    }

    abstract void record(long nanos);

    /** Whether this timer is the one of {@code atomName}'s outcome {@code s}. */
    final boolean counts(String atomName, AtomState s) {
      String n = this.atomName;
      return state == s && (n == atomName || n.equals(atomName));
    }
  }

  /** A full {@link Timer} ({@code atomHistograms}). */
  static final class FullTimer extends AtomTimer {
    private final Timer timer;

    FullTimer(String atomName, AtomState state, Timer timer) {
      super(atomName, state);
      this.timer = timer;
    }

    @Override
    void record(long nanos) {
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The count and total time of one atom name's outcomes, published as a {@link FunctionTimer}: two
   * fields side by side, so recording an outcome touches one object and reads no clock (a {@link
   * Timer} keeps a time-windowed maximum besides, which reads the wall clock on every record and
   * spreads over several objects). The registry reads it as it publishes; count and total may be
   * one record apart then, as a Timer's are.
   */
  static final class Tally extends AtomTimer {
    private static final VarHandle COUNT;
    private static final VarHandle TOTAL;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        COUNT = l.findVarHandle(Tally.class, "count", long.class);
        TOTAL = l.findVarHandle(Tally.class, "total", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    Tally(String atomName, AtomState state) {
      super(atomName, state);
    }

    @SuppressWarnings("unused") // through COUNT
    private volatile long count;

    @SuppressWarnings("unused") // through TOTAL
    private volatile long total;

    @Override
    void record(long nanos) {
      TOTAL.getAndAdd(this, nanos);
      COUNT.getAndAdd(this, 1L);
    }

    long count() {
      return count;
    }

    double totalNanos() {
      return total;
    }
  }
}
