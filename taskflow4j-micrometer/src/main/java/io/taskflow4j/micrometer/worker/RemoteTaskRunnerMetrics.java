package io.taskflow4j.micrometer.worker;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.taskflow4j.worker.RemoteTaskRunner;
import java.util.Objects;

/**
 * Meters of a {@link RemoteTaskRunner} (the engine side of remote workers), read from its own
 * counters when the registry publishes: dispatches, re-dispatches, dispatches lost to missed
 * heartbeats, ignored (late or duplicate) replies, and the live workers. Needs {@code
 * taskflow4j-worker} on the class path (an optional dependency of this module).
 *
 * <pre>{@code
 * new RemoteTaskRunnerMetrics(runner, Tags.of("topic", "billing")).bindTo(registry);
 * }</pre>
 */
public final class RemoteTaskRunnerMetrics implements MeterBinder {
  static final String DISPATCHES = "taskflow4j.worker.dispatches";
  static final String REDISPATCHES = "taskflow4j.worker.redispatches";
  static final String HEARTBEAT_MISSES = "taskflow4j.worker.heartbeat.misses";
  static final String IGNORED_REPLIES = "taskflow4j.worker.replies.ignored";
  static final String LIVE_WORKERS = "taskflow4j.worker.live";

  private final RemoteTaskRunner runner;
  private final Tags tags;

  /** Meters of {@code runner}, without extra tags. */
  public RemoteTaskRunnerMetrics(RemoteTaskRunner runner) {
    this(runner, Tags.empty());
  }

  /** Meters of {@code runner}, carrying {@code tags} (a {@code topic}, say) besides their own. */
  public RemoteTaskRunnerMetrics(RemoteTaskRunner runner, Iterable<Tag> tags) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder(DISPATCHES, runner, RemoteTaskRunner::dispatches)
        .description("Task requests sent to remote workers")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(REDISPATCHES, runner, RemoteTaskRunner::redispatches)
        .description("Dispatches abandoned and sent again")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(HEARTBEAT_MISSES, runner, RemoteTaskRunner::heartbeatMisses)
        .description("Dispatches abandoned because their worker missed its heartbeats")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(IGNORED_REPLIES, runner, RemoteTaskRunner::ignoredReplies)
        .description("Replies ignored because their attempt was no longer live")
        .tags(tags)
        .register(registry);
    Gauge.builder(LIVE_WORKERS, runner, r -> r.liveWorkers().size())
        .description("Workers presumed live on the runner's topic")
        .tags(tags)
        .register(registry);
  }
}
