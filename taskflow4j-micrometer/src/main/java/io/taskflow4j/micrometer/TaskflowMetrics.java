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
import java.util.List;
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
   * The most atoms a flow may have for {@code FlowMeters.plan} to keep its timers by position;
   * atoms of a larger flow are looked up by name.
   */
  private static final int MAX_PLANNED = 1 << 16;

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
    private volatile Plan plan;

    /** Numbers the atoms' meters ({@link AtomMeters#number}). */
    final java.util.concurrent.atomic.AtomicInteger atomNumbers =
        new java.util.concurrent.atomic.AtomicInteger();

    /** The atoms' tallies per outcome state, by {@link TaskflowMetrics#outcomeSlot}. */
    final Slab[] slabs = {new Slab(), new Slab(), new Slab(), new Slab()};

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
     * The plan of a run whose atoms are {@code names} (in the engine's order): the last run's when
     * its atoms were the same, else a new one, which later runs built alike share. Null when the
     * flow is too large to plan ({@link #MAX_PLANNED}) or its engine does not number its atoms.
     */
    Plan plan(List<String> names) {
      int n = names.size();
      if (n == 0 || n > MAX_PLANNED) {
        return null;
      }
      Plan p = plan;
      if (p == null || !p.matches(names)) {
        p = new Plan(this, names);
        plan = p;
      }
      return p;
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
            return new AtomMeters(registry, this, n, kind);
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
            o = new AtomMeters(registry, this, OTHER_ATOM, kind);
            other = o;
          }
        }
      }
      return o;
    }
  }

  /** The meters of one atom name in one flow. */
  final class AtomMeters {
    /** The atom's number in its flow's meters, from 0 as first seen: its place in their slabs. */
    final int number;

    /** The timers of the atom's outcomes, by {@link TaskflowMetrics#outcomeSlot}. */
    private final AtomTimer[] timers = new AtomTimer[OUTCOMES];

    private final MeterRegistry registry;
    private final Tags atomTags;
    private volatile Counter retries;

    AtomMeters(MeterRegistry r, FlowMeters flow, String atomName, AtomKind kind) {
      this.registry = r;
      this.number = flow.atomNumbers.getAndIncrement();
      String flowName = flow.name;
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
      Slab[] slabs = flow.slabs;
      timers[0] = timer(slabs[0], ATOM_EXECUTIONS, executions, "success");
      timers[1] = timer(slabs[1], ATOM_EXECUTIONS, executions, "failure");
      timers[2] = timer(slabs[2], ATOM_REVERTS, reverts, "reverted");
      timers[3] = timer(slabs[3], ATOM_REVERTS, reverts, "revert_failure");
    }

    private AtomTimer timer(Slab slab, String name, String description, String outcome) {
      if (atomHistograms) {
        Timer t =
            Timer.builder(name)
                .description(description)
                .tags(atomTags)
                .tag("outcome", outcome)
                .register(registry);
        return new FullTimer(t);
      }
      Tally tally = new Tally(slab, number);
      FunctionTimer.builder(name, tally, Tally::count, Tally::totalNanos, TimeUnit.NANOSECONDS)
          .description(description)
          .tags(atomTags)
          .tag("outcome", outcome)
          .register(registry);
      return tally;
    }

    /** The timer for the outcome {@code s}, or null when {@code s} is no outcome. */
    AtomTimer outcome(AtomState s) {
      int slot = outcomeSlot(s);
      return slot < 0 ? null : timers[slot];
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
   * One flow's atoms by position, as an engine numbers them ({@code AtomEvent.atomIndex}), and the
   * timer of each atom's outcomes by state, filled in as outcomes arrive. A run checks once, as it
   * starts, that its atoms are the plan's, name by name in one pass; its outcomes then find their
   * timers by position: an array read instead of hashing the name and reading a table, the entry's
   * key, its meters and then the timer. Each of these would be a cache miss, on a run that streams
   * through megabytes of its own data between two outcomes. Timers are filled in without a lock:
   * two threads finding the same one store the same timer.
   */
  final class Plan {
    private final FlowMeters meters;

    /**
     * The atoms' names one after the other, and where each ends: a run checking its atoms against
     * the plan reads one string front to back, which the processor fetches ahead, rather than a
     * string object and its bytes per atom, scattered over the heap.
     */
    private final String joined;

    private final int[] ends;

    /**
     * By atom position, the atom's number in its flow's meters plus one; 0 until its first outcome.
     */
    private final int[] numbers;

    /** By atom position, its meters when they are full timers ({@code atomHistograms}). */
    private final AtomMeters[] full;

    Plan(FlowMeters meters, List<String> names) {
      this.meters = meters;
      int n = names.size();
      StringBuilder b = new StringBuilder(8 * n);
      this.ends = new int[n];
      for (int i = 0; i < n; i++) {
        b.append(names.get(i));
        ends[i] = b.length();
      }
      this.joined = b.toString();
      this.numbers = new int[n];
      this.full = atomHistograms ? new AtomMeters[n] : null;
    }

    /** Whether {@code atoms} are this plan's atoms, in its order. */
    boolean matches(List<String> atoms) {
      int[] es = ends;
      if (atoms.size() != es.length) {
        return false;
      }
      String j = joined;
      int from = 0;
      for (int i = 0; i < es.length; i++) {
        String a = atoms.get(i);
        int len = es[i] - from;
        if (a.length() != len || !j.regionMatches(from, a, 0, len)) {
          return false;
        }
        from = es[i];
      }
      return true;
    }

    private String name(int index) {
      return joined.substring(index == 0 ? 0 : ends[index - 1], ends[index]);
    }

    /**
     * Records the outcome {@code state} of the atom at {@code index}, which took {@code nanos};
     * false when {@code state} is no outcome or {@code index} is not one of the plan's.
     */
    boolean record(int index, AtomKind kind, AtomState state, long nanos) {
      int slot = outcomeSlot(state);
      if (slot < 0 || index < 0 || index >= numbers.length) {
        return false;
      }
      AtomMeters[] fs = full;
      if (fs != null) {
        AtomMeters a = fs[index];
        if (a == null) {
          a = meters.atom(name(index), kind);
          fs[index] = a;
        }
        a.outcome(state).record(nanos);
        return true;
      }
      int n = numbers[index];
      if (n == 0) {
        n = meters.atom(name(index), kind).number + 1;
        numbers[index] = n;
      }
      meters.slabs[slot].add(n - 1, nanos);
      return true;
    }
  }

  /** How many outcome states atoms are timed in ({@link #outcomeSlot}). */
  private static final int OUTCOMES = 4;

  /**
   * Where an outcome state's timers and tallies are kept, in an atom's meters and in its flow's
   * slabs: 0 to {@link #OUTCOMES} - 1, or -1 for a state that is no outcome.
   */
  static int outcomeSlot(AtomState s) {
    return switch (s) {
      case SUCCESS -> 0;
      case FAILURE -> 1;
      case REVERTED -> 2;
      case REVERT_FAILURE -> 3;
      default -> -1;
    };
  }

  /**
   * Where one atom name's outcomes of one state are timed: a {@link Tally} or a full {@link Timer}.
   */
  abstract static class AtomTimer {
    abstract void record(long nanos);
  }

  /** A full {@link Timer} ({@code atomHistograms}). */
  static final class FullTimer extends AtomTimer {
    private final Timer timer;

    FullTimer(Timer timer) {
      this.timer = timer;
    }

    @Override
    void record(long nanos) {
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The counts and total times of one flow's atom outcomes of one state, by atom number ({@link
   * AtomMeters#number}): pairs of longs in chunks of {@value #CHUNK} atoms. A flow's atoms are
   * numbered as they are first seen, so the outcomes of a run that repeats an earlier one's order
   * are added to consecutive memory, which the processor fetches ahead: a {@link Tally} object per
   * atom and state, read and written once per run, cost a cache miss on each outcome. Chunks are
   * made on first use and never move; additions are atomic (a parallel engine's outcomes arrive on
   * its pool threads).
   */
  static final class Slab {
    private static final int CHUNK_BITS = 7;
    static final int CHUNK = 1 << CHUNK_BITS;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private volatile long[][] chunks = new long[1][];

    /** Adds one outcome of {@code nanos} to atom {@code number}. */
    void add(int number, long nanos) {
      long[] c = chunk(number);
      int at = (number & (CHUNK - 1)) << 1;
      LONGS.getAndAdd(c, at, nanos);
      LONGS.getAndAdd(c, at + 1, 1L);
    }

    long count(int number) {
      return read(number, 1);
    }

    long totalNanos(int number) {
      return read(number, 0);
    }

    /** A pair's long at {@code offset}; 0 when its chunk was never written (no chunk is made). */
    private long read(int number, int offset) {
      long[][] cs = chunks;
      int i = number >>> CHUNK_BITS;
      long[] c = i < cs.length ? cs[i] : null;
      return c == null ? 0 : (long) LONGS.getVolatile(c, ((number & (CHUNK - 1)) << 1) + offset);
    }

    private long[] chunk(int number) {
      long[][] cs = chunks;
      int i = number >>> CHUNK_BITS;
      long[] c;
      if (i < cs.length && (c = cs[i]) != null) {
        return c;
      }
      return makeChunk(i);
    }

    private synchronized long[] makeChunk(int i) {
      long[][] cs = chunks;
      if (i >= cs.length) {
        cs = java.util.Arrays.copyOf(cs, Math.max(i + 1, 2 * cs.length));
      }
      long[] c = cs[i];
      if (c == null) {
        c = new long[2 * CHUNK];
        cs[i] = c;
      }
      chunks = cs; // publishes the new chunk (and a grown array) to readers
      return c;
    }
  }

  /**
   * The count and total time of one atom name's outcomes of one state, published as a {@link
   * FunctionTimer}: a place in its flow's {@link Slab}. Recording reads no clock (a {@link Timer}
   * keeps a time-windowed maximum besides, which reads the wall clock on every record and spreads
   * over several objects). The registry reads it as it publishes; count and total may be one record
   * apart then, as a Timer's are.
   */
  static final class Tally extends AtomTimer {
    private final Slab slab;
    private final int number;

    Tally(Slab slab, int number) {
      this.slab = slab;
      this.number = number;
    }

    @Override
    void record(long nanos) {
      slab.add(number, nanos);
    }

    long count() {
      return slab.count(number);
    }

    double totalNanos() {
      return slab.totalNanos(number);
    }
  }
}
