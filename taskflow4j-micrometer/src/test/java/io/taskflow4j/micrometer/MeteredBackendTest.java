package io.taskflow4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.memory.MemoryBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeteredBackendTest {
  private final MeterRegistry registry = new SimpleMeterRegistry();

  /** The names of the meters configured to publish a percentile histogram. */
  private final java.util.Set<String> withHistogram =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  MeteredBackendTest() {
    registry
        .config()
        .meterFilter(
            new io.micrometer.core.instrument.config.MeterFilter() {
              @Override
              public io.micrometer.core.instrument.distribution.DistributionStatisticConfig
                  configure(
                      io.micrometer.core.instrument.Meter.Id id,
                      io.micrometer.core.instrument.distribution.DistributionStatisticConfig
                          config) {
                if (Boolean.TRUE.equals(config.isPercentileHistogram())) {
                  withHistogram.add(id.getName() + " " + id.getTag("operation"));
                }
                return config;
              }
            });
  }

  private Timer writes(String backend, String operation, String outcome) {
    return registry
        .get(StoreMeters.WRITES)
        .tags("backend", backend, "operation", operation, "outcome", outcome)
        .timer();
  }

  private double count(String operation, String outcome) {
    return registry
        .find(StoreMeters.WRITES)
        .tags("operation", operation, "outcome", outcome)
        .timers()
        .stream()
        .mapToLong(Timer::count)
        .sum();
  }

  @Test
  void timesEveryCheckpointOfARunWithAHistogram() {
    try (Backend backend = MeteredBackend.wrap(new MemoryBackend(), registry)) {
      Engines.load(TestFlows.linear("lin")).backend(backend).logBook(LogBook.create("b")).run();
      String name = backend.conf().backendName();
      Timer atoms = writes(name, "update_atom", "success");
      // each of the three tasks is recorded as RUNNING and as SUCCESS, but the first RUNNING,
      // which goes with the run's first flow write
      assertThat(atoms.count()).isEqualTo(5);
      assertThat(atoms.totalTime(TimeUnit.NANOSECONDS)).isPositive();
      assertThat(withHistogram)
          .as("percentile histograms published (the simple registry keeps no buckets)")
          .contains(StoreMeters.WRITES + " update_atom", StoreMeters.WRITES + " update_flow");
      assertThat(writes(name, "update_flow", "success").count()).isGreaterThanOrEqualTo(2);
      assertThat(count("update_atom", "conflict") + count("update_atom", "error")).isZero();
    }
  }

  @Test
  void countsConflictsAndFencedWrites() {
    try (Backend backend = MeteredBackend.wrap(new MemoryBackend(), registry);
        Connection conn = backend.getConnection()) {
      LogBook book = conn.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f")));
      FlowDetail stored = book.flows().get(0);
      conn.updateFlowDetails(stored.withState(FlowState.RUNNING));
      // a second writer still holding the old revision
      assertThatThrownBy(() -> conn.updateFlowDetails(stored.withState(FlowState.SUCCESS)))
          .isInstanceOf(ConflictException.class);
      assertThat(count("update_flow", "conflict")).isEqualTo(1);
      assertThat(count("update_flow", "success")).isEqualTo(1);

      conn.advanceFence(new Fence("job-1", 1));
      Connection first = conn.fenced(new Fence("job-1", 1));
      FlowDetail current = conn.getFlowDetails(stored.uuid(), true);
      FlowDetail written = first.updateFlowDetails(current.withState(FlowState.SUSPENDED));
      conn.advanceFence(new Fence("job-1", 2)); // a peer claimed the job
      assertThatThrownBy(() -> first.updateFlowDetails(written.withState(FlowState.RUNNING)))
          .isInstanceOf(FencedException.class);
      assertThat(count("update_flow", "fenced")).isEqualTo(1);
      assertThat(count("update_flow", "success")).as("the fenced view's own write").isEqualTo(2);
      assertThat(count("advance_fence", "success")).isEqualTo(2);
      assertThat(count("save_logbook", "success")).isEqualTo(1);
    }
  }

  @Test
  void timesASqliteFileStorePerBackend(@TempDir Path dir) {
    Backend sqlite = Backends.fetch("sqlite:///" + dir.resolve("flows.db"));
    try (Backend backend = MeteredBackend.wrap(sqlite, registry);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      Engines.load(TestFlows.linear("lin")).backend(backend).logBook(LogBook.create("b")).run();
      // t1's RUNNING with the run's start (a flow write), then each result together with the
      // next task's RUNNING, then t3's result with the flow's final state: no atom written alone.
      assertThat(count("update_atom", "success")).isZero();
      assertThat(writes("sqlite", "update_flow", "success").count()).isEqualTo(2);
      Timer together = writes("sqlite", "update_atoms", "success");
      assertThat(together.count()).isEqualTo(2);
      assertThat(together.max(TimeUnit.NANOSECONDS)).isPositive();
      assertThat(withHistogram).contains(StoreMeters.WRITES + " update_atoms");
      conn.destroyLogBook(conn.getLogBooks().get(0).uuid());
      assertThat(writes("sqlite", "destroy_logbook", "success").count()).isEqualTo(1);
    }
  }

  /**
   * A metered connection passes a jobboard's completion on with the fence: a SQL board on the same
   * SQLite file completes its job in the timed write of the flow's final state.
   */
  @Test
  void aMeteredFencedViewCompletesItsJobInTheFlowsFinalWrite(@TempDir Path dir) {
    String url = "sqlite:///" + dir.resolve("flows.db");
    try (io.taskflow4j.jobs.Jobboard board =
            io.taskflow4j.jobs.Jobboards.open(url + "?board=metered");
        Backend backend = MeteredBackend.wrap(Backends.fetch(url), registry);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      LogBook book = LogBook.create("b").withFlow(FlowDetail.create("f"));
      conn.saveLogBook(book);
      FlowDetail fd = conn.getFlowDetails(book.flows().get(0).uuid());
      io.taskflow4j.jobs.Job job = board.post(io.taskflow4j.jobs.JobSpec.of("j", null, fd.uuid()));
      io.taskflow4j.jobs.Claim claim =
          board.claim(job.uuid(), io.taskflow4j.jobs.OwnerId.generate("m")).orElseThrow();
      Connection view = board.fencedCompleting(claim, conn, fd.uuid());
      double before = count("update_flow", "success");

      view.updateFlowDetails(fd.withState(FlowState.SUCCESS));

      assertThat(count("update_flow", "success")).isEqualTo(before + 1);
      assertThat(claim.isCompleted()).isTrue();
      assertThat(board.jobs()).isEmpty();
    }
  }

  @Test
  void atomsWrittenTogetherCountConflictsAndFencedWritesAsOneWrite(@TempDir Path dir) {
    Backend sqlite = Backends.fetch("sqlite:///" + dir.resolve("flows.db"));
    try (Backend backend = MeteredBackend.wrap(sqlite, registry);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      assertThat(conn.updatesAtomsTogether()).isTrue();
      Engines.load(TestFlows.linear("lin")).backend(backend).logBook(LogBook.create("b")).run();
      String flowUuid = conn.getLogBooks().get(0).flows().get(0).uuid();
      List<AtomDetail> atoms = conn.getFlowDetails(flowUuid).atoms();
      double before = count("update_atoms", "success");

      List<AtomDetail> pair = List.of(atoms.get(0).withMeta(Map.of("k", 1)), atoms.get(1));
      assertThat(conn.updateAtomDetails(pair)).hasSize(2);
      assertThat(count("update_atoms", "success")).isEqualTo(before + 1);
      assertThat(count("update_atom", "conflict")).isZero();

      assertThatThrownBy(() -> conn.updateAtomDetails(pair)) // stale revisions now
          .isInstanceOf(ConflictException.class);
      assertThat(count("update_atoms", "conflict")).isEqualTo(1);

      conn.advanceFence(new Fence("job-1", 1));
      Connection first = conn.fenced(new Fence("job-1", 1));
      conn.advanceFence(new Fence("job-1", 2)); // a peer claimed the job
      List<AtomDetail> current = conn.getFlowDetails(flowUuid).atoms().subList(0, 2);
      assertThatThrownBy(() -> first.updateAtomDetails(current))
          .isInstanceOf(FencedException.class);
      assertThat(count("update_atoms", "fenced")).isEqualTo(1);
    }
  }

  @Test
  void atomsABackendWritesOneByOneAreTimedOneByOne() {
    try (Backend backend = MeteredBackend.wrap(new MemoryBackend(), registry);
        Connection conn = backend.getConnection()) {
      assertThat(conn.updatesAtomsTogether()).isFalse();
      Engines.load(TestFlows.linear("lin")).backend(backend).logBook(LogBook.create("b")).run();
      String flowUuid = conn.getLogBooks().get(0).flows().get(0).uuid();
      List<AtomDetail> atoms = conn.getFlowDetails(flowUuid).atoms();
      double before = count("update_atom", "success");
      conn.updateAtomDetails(atoms.subList(0, 2));
      assertThat(count("update_atom", "success")).isEqualTo(before + 2);
      assertThat(count("update_atoms", "success")).isZero();
    }
  }
}
