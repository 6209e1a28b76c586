package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.Jobboard;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of a jobboard, counted from the events it delivers ({@link Jobboard#subscribe}): claims,
 * claims ended by their owner (completed, released, trashed), lease losses, takeovers and posted
 * jobs. A board reports what is done through it and, as far as its store can tell, what peers do
 * (the memory board tells every board on the same jobs; the SQL, ZooKeeper and file boards what
 * their notifications or watches show), so claims and takeovers of peers may be counted too; lease
 * losses are always this board's own.
 *
 * <p>A <em>takeover</em> is a claim of a job whose previous claim, as this board saw it, was never
 * completed, released or trashed: its owner died or was cut off and its lease lapsed. To know the
 * previous claim the binder keeps the uuid of each job it saw claimed until the job is settled
 * (memory bounded by the jobs on the board).
 *
 * <pre>{@code
 * JobboardMetrics boardMetrics = new JobboardMetrics(board);
 * boardMetrics.bindTo(registry);
 * ...
 * boardMetrics.close(); // stops listening
 * }</pre>
 */
public final class JobboardMetrics implements MeterBinder, AutoCloseable {
  static final String CLAIMS = "taskflow4j.jobboard.claims";
  static final String CLAIMS_ENDED = "taskflow4j.jobboard.claims.ended";
  static final String LEASE_LOSSES = "taskflow4j.jobboard.lease.losses";
  static final String TAKEOVERS = "taskflow4j.jobboard.takeovers";
  static final String POSTED = "taskflow4j.jobboard.jobs.posted";

  private final Jobboard board;
  private final Tags tags;
  private final Map<String, String> claimedBy = new ConcurrentHashMap<>();
  private volatile Jobboard.Subscription subscription;
  private Counter claims;
  private Counter completed;
  private Counter released;
  private Counter trashed;
  private Counter leaseLosses;
  private Counter takeovers;
  private Counter posted;

  /** Meters of {@code board}, without extra tags. */
  public JobboardMetrics(Jobboard board) {
    this(board, Tags.empty());
  }

  /** Meters of {@code board}, carrying {@code tags} besides their own. */
  public JobboardMetrics(Jobboard board, Iterable<Tag> tags) {
    this.board = Objects.requireNonNull(board, "board");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /** Makes the meters and starts listening to the board. Bind once. */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    if (subscription != null) {
      throw new IllegalStateException("JobboardMetrics is bound already; make one per registry");
    }
    claims = counter(registry, CLAIMS, "Claims of jobs seen by the board");
    completed = ended(registry, "completed");
    released = ended(registry, "released");
    trashed = ended(registry, "trashed");
    leaseLosses = counter(registry, LEASE_LOSSES, "Claims held through the board that were lost");
    takeovers =
        counter(registry, TAKEOVERS, "Claims of jobs whose previous claim was never given back");
    posted = counter(registry, POSTED, "Jobs posted");
    subscription = board.subscribe(this::onEvent);
  }

  private Counter counter(MeterRegistry registry, String name, String description) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }

  private Counter ended(MeterRegistry registry, String outcome) {
    return Counter.builder(CLAIMS_ENDED)
        .description("Claims ended by their owner, by outcome")
        .tags(tags)
        .tag("outcome", outcome)
        .register(registry);
  }

  private void onEvent(JobEvent e) {
    switch (e.kind()) {
      case POSTED -> posted.increment();
      case CLAIMED -> {
        claims.increment();
        String owner = e.owner() == null ? "" : e.owner();
        String previous = claimedBy.put(e.jobUuid(), owner);
        if (previous != null) {
          takeovers.increment();
        }
      }
      case COMPLETED -> {
        claimedBy.remove(e.jobUuid());
        completed.increment();
      }
      case RELEASED -> {
        claimedBy.remove(e.jobUuid());
        released.increment();
      }
      case TRASHED -> {
        claimedBy.remove(e.jobUuid());
        trashed.increment();
      }
      case LOST -> leaseLosses.increment();
    }
  }

  /** Stops listening to the board (the meters stay registered). */
  @Override
  public synchronized void close() {
    Jobboard.Subscription s = subscription;
    if (s != null) {
      s.close();
    }
  }
}
