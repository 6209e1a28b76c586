package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.NotFoundException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The store-write timers of one backend, one per operation and outcome, each made on first use (so
 * an outcome that never happens publishes no histogram) and cached in an array: timing a write
 * builds no tag.
 */
final class StoreMeters {
  static final String WRITES = "taskflow4j.store.writes";

  /** The writes timed. */
  enum Op {
    SAVE_LOGBOOK,
    REPLACE_LOGBOOK,
    UPDATE_FLOW,
    UPDATE_ATOM,
    UPDATE_ATOMS,
    DESTROY_LOGBOOK,
    DESTROY_LOGBOOK_IF_EMPTY,
    DESTROY_FLOW,
    DESTROY_FLOWS,
    CLEAR_ALL,
    ADVANCE_FENCE;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  /** How a write ended. */
  enum Outcome {
    SUCCESS,
    CONFLICT,
    FENCED,
    NOT_FOUND,
    ERROR;

    final String tag = name().toLowerCase(Locale.ROOT);

    static Outcome of(RuntimeException e) {
      if (e instanceof FencedException) {
        return FENCED;
      }
      if (e instanceof ConflictException) {
        return CONFLICT;
      }
      if (e instanceof NotFoundException) {
        return NOT_FOUND;
      }
      return ERROR;
    }
  }

  private static final int OUTCOMES = Outcome.values().length;

  private final MeterRegistry registry;
  private final Tags tags;
  private final AtomicReferenceArray<Timer> timers =
      new AtomicReferenceArray<>(Op.values().length * OUTCOMES);

  StoreMeters(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
  }

  void record(Op op, Outcome outcome, long startNanos) {
    timer(op, outcome).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  Timer timer(Op op, Outcome outcome) {
    int i = op.ordinal() * OUTCOMES + outcome.ordinal();
    Timer t = timers.get(i);
    if (t == null) {
      // Registering the same id twice returns the same timer: a race here is harmless.
      t =
          Timer.builder(WRITES)
              .description("Writes to the store (checkpoints), by operation and outcome")
              .tags(tags)
              .tag("operation", op.tag)
              .tag("outcome", outcome.tag)
              .publishPercentileHistogram()
              .register(registry);
      timers.set(i, t);
    }
    return t;
  }
}
