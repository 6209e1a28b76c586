package io.taskflow4j.retention;

import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Deletes finished flows whose record was last updated before a cut-off, with their atom details,
 * and the logbooks that leaves empty: the retention that keeps a store from growing without bound.
 *
 * <pre>{@code
 * PruneReport r = Pruner.builder(connection).olderThan(Duration.ofDays(30)).boards(board).build().run();
 * }</pre>
 *
 * <p><b>What it never deletes.</b> An unfinished flow (only {@code SUCCESS}, {@code REVERTED} and
 * {@code FAILURE} may be asked for); a flow a job on one of the given boards refers to (posted or
 * claimed: by its flow uuid, or by its logbook when the job names no flow; the boards are read
 * again before each batch); a flow another process changed after the pruner saw it (each delete is
 * conditional on the revision the listing reported, so a resume that moved a flow back to RUNNING
 * keeps it); a logbook that still holds a flow (deleted only if empty, atomically).
 *
 * <p><b>How it deletes.</b> A page of {@link Builder#batchSize} flows at a time from {@link
 * Connection#findFlows} (the listing is newest first, and the cut-off bounds it), deleted with one
 * {@link Connection#destroyFlowDetails} per page: on SQL one transaction per batch (200 flows by
 * default), so no transaction is large and running engines wait at most for one batch; {@link
 * Builder#pauseBetweenBatches} spaces the batches further. Safe to run from several processes at
 * once (a flow deleted by another is skipped).
 *
 * <p>A dry run lists and counts what would be deleted and deletes nothing.
 */
public final class Pruner {
  /** The states a prune deletes unless told otherwise: every finished state. */
  public static final Set<FlowState> FINISHED =
      Set.copyOf(EnumSet.of(FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE));

  private final Connection connection;
  private final Instant cutoff;
  private final Set<FlowState> states;
  private final List<Jobboard> boards;
  private final int batchSize;
  private final Duration pause;
  private final boolean dryRun;
  private final PruneListener listener;

  private Pruner(Builder b, Instant cutoff) {
    this.connection = b.connection;
    this.cutoff = cutoff;
    this.states = Set.copyOf(b.states);
    this.boards = List.copyOf(b.boards);
    this.batchSize = b.batchSize;
    this.pause = b.pause;
    this.dryRun = b.dryRun;
    this.listener = b.listener;
  }

  /** Starts configuring a prune of the store {@code connection} reads and writes. */
  public static Builder builder(Connection connection) {
    return new Builder(connection);
  }

  /** The instant before which a flow's last update makes it old enough to delete. */
  public Instant cutoff() {
    return cutoff;
  }

  /** The query that selects the flows this prune considers (the first page). */
  public FlowQuery query() {
    return FlowQuery.all().states(states).updatedBefore(cutoff).limit(batchSize);
  }

  /** How many flows the store holds that this prune would consider, by state (nothing deleted). */
  public Map<FlowState, Long> count() {
    return connection.countFlows(query());
  }

  /**
   * Runs the prune.
   *
   * @return what was deleted (or, in a dry run, would be) and what was kept, and why
   * @throws io.taskflow4j.persistence.StorageException when the store fails (what was deleted
   *     before stays deleted; running again continues)
   */
  public PruneReport run() {
    long started = System.nanoTime();
    Map<FlowState, Long> deleted = new EnumMap<>(FlowState.class);
    long referenced = 0;
    long changed = 0;
    long books = 0;
    FlowQuery q = query();
    while (true) {
      FlowPage page = connection.findFlows(q);
      if (page.flows().isEmpty()) {
        break;
      }
      Refs refs = Refs.of(boards);
      Set<String> touchedBooks = new LinkedHashSet<>();
      Map<String, Long> doomed = new java.util.LinkedHashMap<>();
      for (FlowSummary f : page.flows()) {
        if (refs.protects(f)) {
          referenced++;
          listener.kept(f, PruneListener.Reason.REFERENCED_BY_JOB);
        } else {
          doomed.put(f.flowUuid(), f.revision());
        }
      }
      Set<String> gone = dryRun ? doomed.keySet() : connection.destroyFlowDetails(doomed);
      for (FlowSummary f : page.flows()) {
        if (!doomed.containsKey(f.flowUuid())) {
          continue;
        }
        if (gone.contains(f.flowUuid())) {
          touchedBooks.add(f.bookUuid());
          deleted.merge(f.state(), 1L, Long::sum);
          listener.deleted(f);
        } else {
          changed++;
          listener.kept(f, PruneListener.Reason.CHANGED);
        }
      }
      if (dryRun) {
        touchedBooks.clear();
      }
      for (String book : touchedBooks) {
        if (connection.destroyLogBookIfEmpty(book)) {
          books++;
          listener.bookDeleted(book);
        }
      }
      if (page.next().isEmpty()) {
        break;
      }
      q = q.after(page.nextCursor());
      pauseBetweenBatches();
    }
    return new PruneReport(
        cutoff,
        dryRun,
        deleted,
        books,
        referenced,
        changed,
        Duration.ofNanos(System.nanoTime() - started));
  }

  private void pauseBetweenBatches() {
    if (pause.isZero()) {
      return;
    }
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new io.taskflow4j.persistence.StorageException(
          "The prune was interrupted between two batches; what was deleted stays deleted", e);
    }
  }

  /** The flows and books the jobs of some boards refer to, read once per batch. */
  private record Refs(Set<String> flows, Set<String> books) {
    static Refs of(List<Jobboard> boards) {
      Set<String> flows = new HashSet<>();
      Set<String> books = new HashSet<>();
      for (Jobboard board : boards) {
        for (Job job : board.jobs()) {
          if (job.flowUuid().isPresent()) {
            flows.add(job.flowUuid().get());
          } else if (job.book() != null) {
            books.add(job.book().uuid());
          }
        }
      }
      return new Refs(flows, books);
    }

    boolean protects(FlowSummary f) {
      return flows.contains(f.flowUuid()) || books.contains(f.bookUuid());
    }
  }

  /** Configures a {@link Pruner}. */
  public static final class Builder {
    private final Connection connection;
    private Duration olderThan;
    private Instant before;
    private Clock clock = Clock.systemUTC();
    private Set<FlowState> states = FINISHED;
    private final Set<Jobboard> boards = new LinkedHashSet<>();
    private int batchSize = 200;
    private Duration pause = Duration.ZERO;
    private boolean dryRun;
    private PruneListener listener = PruneListener.NONE;

    private Builder(Connection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
    }

    /** Deletes flows last updated more than {@code age} ago (one of this or {@link #before}). */
    public Builder olderThan(Duration age) {
      Objects.requireNonNull(age, "age");
      if (age.isNegative()) {
        throw new IllegalArgumentException("the age of what to prune must not be negative: " + age);
      }
      this.olderThan = age;
      this.before = null;
      return this;
    }

    /** Deletes flows last updated before {@code cutoff}. */
    public Builder before(Instant cutoff) {
      this.before = Objects.requireNonNull(cutoff, "cutoff");
      this.olderThan = null;
      return this;
    }

    /** The clock {@link #olderThan} counts from (the system's UTC clock by default). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Deletes only flows in these states (by default every finished one).
     *
     * @throws IllegalArgumentException when a state is not finished: a prune never deletes an
     *     unfinished flow
     */
    public Builder states(Collection<FlowState> finished) {
      Objects.requireNonNull(finished, "states");
      if (finished.isEmpty()) {
        throw new IllegalArgumentException(
            "name at least one state to prune: SUCCESS, REVERTED or FAILURE");
      }
      for (FlowState s : finished) {
        if (!FINISHED.contains(s)) {
          throw new IllegalArgumentException(
              "a prune deletes only finished flows (SUCCESS, REVERTED, FAILURE), not "
                  + s
                  + " ones: an unfinished flow may still be resumed");
        }
      }
      this.states = EnumSet.copyOf(finished);
      return this;
    }

    /** Keeps every flow a job on one of these boards refers to. */
    public Builder boards(Collection<? extends Jobboard> jobboards) {
      for (Jobboard b : jobboards) {
        boards.add(Objects.requireNonNull(b, "board"));
      }
      return this;
    }

    /** Keeps every flow a job on one of these boards refers to. */
    public Builder boards(Jobboard... jobboards) {
      return boards(List.of(jobboards));
    }

    /** Flows listed and deleted per batch (200 by default; 1 to 10,000). */
    public Builder batchSize(int n) {
      if (n < 1 || n > FlowQuery.MAX_LIMIT) {
        throw new IllegalArgumentException(
            "a batch holds 1 to " + FlowQuery.MAX_LIMIT + " flows; " + n + " was asked for");
      }
      this.batchSize = n;
      return this;
    }

    /** A pause between two batches, to leave a busy store more room (none by default). */
    public Builder pauseBetweenBatches(Duration p) {
      Objects.requireNonNull(p, "pause");
      if (p.isNegative()) {
        throw new IllegalArgumentException("a pause must not be negative: " + p);
      }
      this.pause = p;
      return this;
    }

    /** Lists and counts what would be deleted, deleting nothing. */
    public Builder dryRun(boolean value) {
      this.dryRun = value;
      return this;
    }

    /** Hears of each flow deleted or kept, as it happens (for progress). */
    public Builder listener(PruneListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /**
     * The pruner; the cut-off of {@link #olderThan} is fixed now.
     *
     * @throws IllegalStateException when neither {@link #olderThan} nor {@link #before} was given
     */
    public Pruner build() {
      Instant cutoff = before;
      if (cutoff == null) {
        if (olderThan == null) {
          throw new IllegalStateException(
              "say how old a flow must be to be pruned: olderThan(Duration) or before(Instant)");
        }
        cutoff = clock.instant().minus(olderThan);
      }
      return new Pruner(this, cutoff);
    }
  }
}
