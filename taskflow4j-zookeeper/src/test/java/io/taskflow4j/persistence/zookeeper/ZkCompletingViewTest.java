package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ZooKeeper board completes a claimed job in the multi-operation that writes its flow's final
 * state ({@link Jobboard#fencedCompleting}), when the logbook store is on the board's ensemble: one
 * transaction, the job's lock, znode and idempotency key deleted with the flow's state, or neither
 * stored; a claim no longer held leaves the job and stores the flow all the same.
 */
@Timeout(120)
class ZkCompletingViewTest {
  @EmbeddedZooKeeper(tickMs = 250)
  private static TestingServer server;

  private static CuratorFramework admin;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private String path;

  @BeforeAll
  static void startServer() throws Exception {
    admin = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (admin != null) {
      admin.close();
    }
  }

  @BeforeEach
  void freshStore() {
    path = ZkTesting.freshPath("completing");
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    opened.add(c);
    return c;
  }

  private String url() {
    return "zookeeper://" + server.getConnectString() + path;
  }

  private Jobboard board() {
    return track(Jobboards.open(url()));
  }

  /** A store on the board's ensemble whose logbook writes pass through {@code hook}. */
  private Connection store(ZkWriteHook hook) {
    Backend b = track(ZkBackendProvider.create(BackendConf.parse(url()), hook));
    Connection conn = track(b.getConnection());
    conn.upgrade();
    return conn;
  }

  /** Logbook writes sent, and a crash point to arm. */
  private static final class Hook implements ZkWriteHook {
    final AtomicInteger sent = new AtomicInteger();
    final AtomicReference<Runnable> beforeNext = new AtomicReference<>();
    final AtomicReference<KeeperException.Code> failBefore = new AtomicReference<>();
    final AtomicReference<KeeperException.Code> failAfter = new AtomicReference<>();

    @Override
    public void beforeWrite(String what) throws KeeperException {
      Runnable r = beforeNext.getAndSet(null);
      if (r != null) {
        r.run();
      }
      KeeperException.Code c = failBefore.getAndSet(null);
      if (c != null) {
        throw KeeperException.create(c, "injected before the send");
      }
      sent.incrementAndGet();
    }

    @Override
    public void afterWrite(String what) throws KeeperException {
      KeeperException.Code c = failAfter.getAndSet(null);
      if (c != null) {
        throw KeeperException.create(c, "injected after the write");
      }
    }
  }

  /** Two flows of one task each (the second to show another flow's final state carries nothing). */
  private static List<FlowDetail> saveFlows(Connection conn) {
    LogBook book =
        LogBook.create("b")
            .withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t")))
            .withFlow(FlowDetail.create("other"));
    conn.saveLogBook(book);
    return List.of(
        conn.getFlowDetails(book.flows().get(0).uuid()),
        conn.getFlowDetails(book.flows().get(1).uuid()));
  }

  private record Finishing(Job job, Claim claim, Connection view) {}

  /** A job posted for {@code fd} (with an idempotency key), claimed, fenced, and its view. */
  private static Finishing claimToFinish(Jobboard board, Connection conn, FlowDetail fd) {
    Job job =
        board.post(
            JobSpec.of("j", new BookRef("b", "u"), fd.uuid())
                .withIdempotencyKey("key-" + fd.uuid()));
    Claim claim = board.claim(job.uuid(), OwnerId.generate("owner")).orElseThrow();
    conn.advanceFence(claim.fence());
    return new Finishing(job, claim, board.fencedCompleting(claim, conn, fd.uuid()));
  }

  private String jobPath(Job job) {
    return path + "/jobs/" + ZkPostings.jobName(job);
  }

  private boolean exists(String p) throws Exception {
    return admin.checkExists().forPath(p) != null;
  }

  @Test
  void onlyTheFlowsFinalStateCompletesItsJobInOneTransactionWithIt() throws Exception {
    Jobboard board = board();
    Hook hook = new Hook();
    Connection conn = store(hook);
    List<FlowDetail> flows = saveFlows(conn);
    FlowDetail fd = flows.get(0);
    Finishing f = claimToFinish(board, conn, fd);
    String keyPath = path + "/.keys/key-" + fd.uuid();
    assertThat(exists(keyPath)).isTrue();

    FlowDetail running = f.view().updateFlowDetails(fd.withState(FlowState.RUNNING));
    f.view().updateFlowDetails(flows.get(1).withState(FlowState.SUCCESS));
    assertThat(board.jobs()).extracting(Job::uuid).containsExactly(f.job().uuid());
    assertThat(f.claim().isHeld()).isTrue();

    AtomDetail started =
        f.view().updateAtomDetails(running.atoms().get(0).withState(AtomState.RUNNING));
    hook.sent.set(0);
    FlowDetail done =
        f.view()
            .updateFlowDetails(
                running.withState(FlowState.SUCCESS).withAtom(started.put(AtomState.SUCCESS, 42)));
    assertThat(hook.sent).as("one transaction").hasValue(1);
    assertThat(board.jobs()).isEmpty();
    assertThat(exists(jobPath(f.job()))).isFalse();
    assertThat(exists(jobPath(f.job()) + ".lock")).isFalse();
    assertThat(exists(keyPath)).as("the idempotency key goes with the job").isFalse();
    assertThat(f.claim().isCompleted()).isTrue();
    assertThat(f.claim().isHeld()).isFalse();
    // the board's watch sees the lock vanish: not a loss, as the claim ended here
    TimeUnit.MILLISECONDS.sleep(300);
    assertThat(f.claim().lost()).isNotCompleted();
    FlowDetail stored = conn.getFlowDetails(fd.uuid());
    assertThat(stored.state()).isEqualTo(FlowState.SUCCESS);
    assertThat(((Number) stored.atoms().get(0).lastResults()).longValue()).isEqualTo(42L);

    // Later writes of the flow go through, and carry nothing more.
    f.view().updateFlowDetails(done.withoutAtoms().withMeta(Map.of("k", "v")));
    assertThat(conn.getFlowDetails(fd.uuid()).meta()).containsEntry("k", "v");
    assertThat(f.claim().isCompleted()).isTrue();
    assertThatThrownBy(f.claim()::complete).isInstanceOf(FencedException.class);
  }

  /**
   * A claim that lost the job before the final write (its lock replaced by a peer's, as TaskFlow's
   * board claims without raising the fence) stores the flow's state and leaves the job to the peer.
   */
  @Test
  void aFinalWriteAfterTheLockWentStoresTheFlowAndLeavesTheJob() throws Exception {
    Jobboard board = board();
    Connection conn = store(ZkWriteHook.NONE);
    FlowDetail fd = saveFlows(conn).get(0);
    Finishing f = claimToFinish(board, conn, fd);
    String lock = jobPath(f.job()) + ".lock";
    admin.delete().forPath(lock);
    admin.create().forPath(lock, Json.writeBytes(Map.of("owner", "taskflow-peer")));

    f.view().updateFlowDetails(fd.withState(FlowState.REVERTED));
    assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(FlowState.REVERTED);
    assertThat(f.claim().isCompleted()).isFalse();
    assertThat(f.claim().isHeld()).isFalse();
    assertThat(exists(jobPath(f.job()))).isTrue();
    assertThat(exists(lock)).as("the peer's lock is left alone").isTrue();
  }

  /**
   * A peer claims the job between the write's reads and its commit: the job's version check fails
   * the transaction, which is planned again from fresh reads, and stores the flow without the
   * completion; the claim is lost.
   */
  @Test
  void aClaimTakenBetweenTheReadsAndTheCommitFailsOnlyTheCompletion() throws Exception {
    Jobboard board = board();
    Hook hook = new Hook();
    Connection conn = store(hook);
    FlowDetail fd = saveFlows(conn).get(0);
    Finishing f = claimToFinish(board, conn, fd);
    String job = jobPath(f.job());
    hook.beforeNext.set(
        () -> {
          try {
            admin.setData().forPath(job, admin.getData().forPath(job)); // the job's version moves
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    hook.sent.set(0);

    f.view().updateFlowDetails(fd.withState(FlowState.FAILURE));
    assertThat(hook.sent).as("planned and sent again").hasValue(2);
    assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(FlowState.FAILURE);
    assertThat(exists(job)).isTrue();
    assertThat(f.claim().isCompleted()).isFalse();
    assertThat(f.claim().isHeld()).isFalse();
    assertThat(f.claim().lost().toCompletableFuture().getNow("not lost"))
        .contains(f.job().uuid())
        .contains("final state was stored");
  }

  /** A final write refused by the fence (a peer took over) stores neither the flow nor the end. */
  @Test
  void aFinalWriteRefusedByTheFenceNeitherStoresTheFlowNorCompletesTheJob() throws Exception {
    Jobboard board = board();
    Connection conn = store(ZkWriteHook.NONE);
    FlowDetail fd = saveFlows(conn).get(0);
    Finishing f = claimToFinish(board, conn, fd);
    FlowDetail running = f.view().updateFlowDetails(fd.withState(FlowState.RUNNING));
    conn.advanceFence(new Fence(f.claim().fence().key(), f.claim().token() + 1));

    assertThatThrownBy(
            () ->
                f.view()
                    .updateFlowDetails(
                        running
                            .withState(FlowState.SUCCESS)
                            .withAtom(running.atoms().get(0).put(AtomState.SUCCESS, 1))))
        .isExactlyInstanceOf(FencedException.class);
    FlowDetail stored = conn.getFlowDetails(fd.uuid());
    assertThat(stored.state()).isEqualTo(FlowState.RUNNING);
    assertThat(stored.atoms().get(0).state()).isEqualTo(AtomState.PENDING);
    assertThat(f.claim().isCompleted()).isFalse();
    assertThat(exists(jobPath(f.job()))).isTrue();
    assertThat(exists(jobPath(f.job()) + ".lock")).isTrue();
  }

  /**
   * A crash before the final write's send stores neither the flow's state nor the completion; a
   * reply lost after the server applied it is found applied on the retry (the job's checked znode
   * is gone with it), and the claim is completed.
   */
  @Test
  void aCrashBeforeTheSendStoresNeitherAndALostReplyIsFoundLanded() throws Exception {
    Jobboard board = board();
    Hook hook = new Hook();
    Connection conn = store(hook);
    List<FlowDetail> flows = saveFlows(conn);

    FlowDetail first = flows.get(0);
    Finishing f = claimToFinish(board, conn, first);
    hook.failBefore.set(KeeperException.Code.SYSTEMERROR);
    assertThatThrownBy(() -> f.view().updateFlowDetails(first.withState(FlowState.SUCCESS)))
        .isInstanceOf(TaskFlowException.class);
    assertThat(conn.getFlowDetails(first.uuid()).state()).isNotEqualTo(FlowState.SUCCESS);
    assertThat(exists(jobPath(f.job()))).isTrue();
    assertThat(f.claim().isHeld()).isTrue();
    f.claim().complete();

    FlowDetail second = flows.get(1);
    Finishing g = claimToFinish(board, conn, second);
    hook.failAfter.set(KeeperException.Code.CONNECTIONLOSS);
    g.view().updateFlowDetails(second.withState(FlowState.SUCCESS));
    assertThat(hook.failAfter.get()).as("the reply was lost").isNull();
    assertThat(conn.getFlowDetails(second.uuid()).state()).isEqualTo(FlowState.SUCCESS);
    assertThat(exists(jobPath(g.job()))).isFalse();
    assertThat(g.claim().isCompleted()).isTrue();
  }

  /**
   * A conductor on a ZooKeeper store and board of one ensemble completes each job in the flow's
   * final write: right after the store applied that transaction, before the conductor could write
   * anything more, the job's znode is already gone.
   */
  @Test
  void aConductorCompletesItsJobsInTheirFlowsFinalWrites() throws Exception {
    Jobboard board = board();
    Map<String, Boolean> jobLeftAfterLastWrite = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicReference<String> watched = new AtomicReference<>();
    ZkWriteHook hook =
        new ZkWriteHook() {
          @Override
          public void beforeWrite(String what) {}

          @Override
          public void afterWrite(String what) {
            String job = watched.get();
            if (job != null) {
              try {
                jobLeftAfterLastWrite.put(job, exists(job));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          }
        };
    Backend backend = track(ZkBackendProvider.create(BackendConf.parse(url()), hook));
    Connection conn = track(backend.getConnection());
    conn.upgrade();
    java.util.concurrent.BlockingQueue<io.taskflow4j.conductor.JobOutcome> settled =
        new java.util.concurrent.LinkedBlockingQueue<>();
    io.taskflow4j.conductor.Conductor conductor =
        io.taskflow4j.conductor.Conductor.builder(board, backend)
            .name("completing")
            .factories(io.taskflow4j.conductor.FlowFactories.installed())
            .listener(
                new io.taskflow4j.conductor.ConductorListener() {
                  @Override
                  public void settled(io.taskflow4j.conductor.JobOutcome o) {
                    settled.add(o);
                  }
                })
            .build();
    try {
      for (int i = 0; i < 3; i++) {
        Job job =
            io.taskflow4j.conductor.FlowJobs.post(
                board,
                conn,
                io.taskflow4j.conductor.FlowJob.of(new io.taskflow4j.workloads.Workloads.Chain(), 2)
                    .named("j" + i));
        watched.set(jobPath(job));
        if (i == 0) {
          conductor.start();
        }
        io.taskflow4j.conductor.JobOutcome o = settled.poll(30, TimeUnit.SECONDS);
        assertThat(o).as("job %d settled", i).isNotNull();
        assertThat(o.kind()).isEqualTo(io.taskflow4j.conductor.JobOutcome.Kind.COMPLETED);
        assertThat(jobLeftAfterLastWrite)
            .as("the job was gone once the flow's last write was applied")
            .containsEntry(jobPath(job), false);
      }
      assertThat(board.jobs()).isEmpty();
    } finally {
      conductor.stop(java.time.Duration.ofSeconds(5));
    }
  }

  /** A store on another ensemble, or another kind of store, gets the plain fenced view. */
  @Test
  void aStoreElsewhereWritesTheFlowAloneAndTheJobIsCompletedOnItsOwn() throws Exception {
    Jobboard board = board();
    try (TestingServer other = new TestingServer(true);
        Backend elsewhere = Backends.open("zookeeper://" + other.getConnectString() + path);
        Connection conn = elsewhere.getConnection()) {
      conn.upgrade();
      FlowDetail fd = saveFlows(conn).get(0);
      Finishing f = claimToFinish(board, conn, fd);
      f.view().updateFlowDetails(fd.withState(FlowState.SUCCESS));
      assertThat(conn.getFlowDetails(fd.uuid()).state()).isEqualTo(FlowState.SUCCESS);
      assertThat(f.claim().isHeld()).isTrue();
      assertThat(board.jobs()).extracting(Job::uuid).containsExactly(f.job().uuid());
      f.claim().complete();
      assertThat(board.jobs()).isEmpty();
    }
    try (Backend memory = Backends.open("memory://");
        Connection conn = memory.getConnection()) {
      FlowDetail fd = saveFlows(conn).get(0);
      Finishing f = claimToFinish(board, conn, fd);
      f.view().updateFlowDetails(fd.withState(FlowState.SUCCESS));
      assertThat(f.claim().isHeld()).isTrue();
      f.claim().complete();
    }
  }
}
