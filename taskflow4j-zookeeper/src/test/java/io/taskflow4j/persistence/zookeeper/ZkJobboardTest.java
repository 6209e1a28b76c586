package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the ZooKeeper jobboard adds to the kit: tokens are the job znode's version, a lost session
 * loses the claim and fences the old owner's logbook writes, the znodes are TaskFlow's, and its
 * speed.
 */
@Timeout(120)
class ZkJobboardTest {
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
    path = ZkTesting.freshPath("board");
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    opened.add(c);
    return c;
  }

  private ZkJobboard board(Duration lease) {
    return (ZkJobboard)
        track(
            Jobboards.open(
                Map.of(
                    "connection",
                    "zookeeper://" + server.getConnectString() + path,
                    Jobboards.LEASE,
                    lease.toString())));
  }

  private static JobSpec spec(String name) {
    return JobSpec.of(name, new BookRef("book", UUID.randomUUID().toString()), "flow-1");
  }

  private int jobVersion(Job job) throws Exception {
    Stat s =
        admin.checkExists().forPath(path + "/jobs/" + String.format("job%010d", job.sequence()));
    return s.getVersion();
  }

  /**
   * A batch claim lists the board once, not once per job (each listing reads the whole jobs
   * directory), and claims in claiming order, each job with its own lock and token.
   */
  @Test
  void aBatchClaimListsTheBoardOnce() throws Exception {
    ZkJobboard a = board(Duration.ofSeconds(5));
    List<Job> posted = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      posted.add(a.post(spec("j" + i)));
    }
    ZkJobboard b = board(Duration.ofSeconds(5));
    OwnerId me = OwnerId.generate("c1");
    long before = b.listings();
    List<Claim> first = b.claimNext(me, 8);
    assertThat(b.listings() - before).as("listings for a batch of 8").isEqualTo(1);
    assertThat(first)
        .extracting(c -> c.job().uuid())
        .containsExactlyElementsOf(posted.subList(0, 8).stream().map(Job::uuid).toList());
    for (Claim c : first) {
      assertThat(c.isHeld()).isTrue();
      assertThat(c.token()).isEqualTo(jobVersion(c.job())).isEqualTo(1);
    }
    List<Claim> rest = b.claimNext(me, 8);
    assertThat(rest)
        .extracting(c -> c.job().uuid())
        .containsExactly(posted.get(8).uuid(), posted.get(9).uuid());
    assertThat(b.listings() - before).as("listings for both batches").isEqualTo(2);
    assertThat(b.claimNext(me, 8)).isEmpty();
    assertThat(a.unclaimedJobs()).isEmpty();
    assertThat(a.jobs()).allSatisfy(j -> assertThat(j.owner()).isEqualTo(me.id()));
    assertThat(b.completeAll(first)).isEmpty();
    assertThat(b.completeAll(rest)).isEmpty();
    assertThat(a.jobs()).isEmpty();
  }

  /**
   * Two claimers taking batches at once from the same listing race for the same jobs: every job is
   * claimed exactly once, and neither comes back empty-handed while jobs are free.
   */
  @Test
  void concurrentBatchClaimsTakeEachJobOnce() throws Exception {
    ZkJobboard a = board(Duration.ofSeconds(5));
    for (int i = 0; i < 40; i++) {
      a.post(spec("j" + i));
    }
    List<ZkJobboard> boards = List.of(board(Duration.ofSeconds(5)), board(Duration.ofSeconds(5)));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<Claim>>> got = new ArrayList<>();
      for (ZkJobboard b : boards) {
        got.add(
            pool.submit(
                () -> {
                  OwnerId me = OwnerId.generate("c");
                  List<Claim> mine = new ArrayList<>();
                  for (List<Claim> c = b.claimNext(me, 6); !c.isEmpty(); c = b.claimNext(me, 6)) {
                    assertThat(c.size()).isLessThanOrEqualTo(6);
                    mine.addAll(c);
                  }
                  return mine;
                }));
      }
      Set<String> seen = ConcurrentHashMap.newKeySet();
      int total = 0;
      for (Future<List<Claim>> f : got) {
        for (Claim c : f.get(60, TimeUnit.SECONDS)) {
          assertThat(seen.add(c.job().uuid())).as("claimed twice: %s", c.job().uuid()).isTrue();
          assertThat(c.isHeld()).isTrue();
          total++;
        }
      }
      assertThat(total).isEqualTo(40);
      assertThat(a.unclaimedJobs()).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void tokenIsTheJobVersionAndGrowsAcrossClaimReleaseClaim() throws Exception {
    Jobboard a = board(Duration.ofSeconds(5));
    Job job = a.post(spec("j"));
    OwnerId me = OwnerId.generate("c1");
    Claim first = a.claim(job.uuid(), me).orElseThrow();
    assertThat(first.token()).isEqualTo(jobVersion(job)).isEqualTo(1);
    @SuppressWarnings("unchecked")
    Map<Object, Object> lock =
        (Map<Object, Object>)
            Json.read(
                admin
                    .getData()
                    .forPath(path + "/jobs/" + String.format("job%010d.lock", job.sequence())));
    assertThat(lock).containsEntry("owner", me.id());
    assertThat(((Number) lock.get("token")).longValue()).isEqualTo(1L);
    first.release();
    Claim second = a.claim(job.uuid(), me).orElseThrow();
    assertThat(second.token()).isEqualTo(2).isEqualTo(jobVersion(job));
    second.releaseAfterFailure("boom");
    Claim third = a.claimNext(me).orElseThrow();
    assertThat(third.token()).isGreaterThan(second.token()).isEqualTo(jobVersion(job));
    assertThat(a.job(job.uuid()).orElseThrow().failures()).isEqualTo(1);
    third.complete();
    assertThat(a.jobs()).isEmpty();
  }

  @Test
  void anExpiredSessionLosesTheClaimAndFencesTheOldOwnersWrites() throws Exception {
    Duration lease = Duration.ofSeconds(1);
    ZkJobboard a = board(lease);
    Jobboard b = board(lease);
    assertThat(a.leaseTime()).isEqualTo(lease); // the negotiated session timeout
    Backend backend = track(Backends.open("zookeeper://" + server.getConnectString() + path));
    Connection conn = track(backend.getConnection());
    conn.upgrade();
    TaskDetail task = TaskDetail.create("t");
    FlowDetail fd = FlowDetail.create("f").withAtom(task);
    LogBook lb = conn.saveLogBook(LogBook.create("lb").withFlow(fd));
    Job job = a.post(new JobSpec("j", new BookRef(lb.name(), lb.uuid()), Map.of(), null, null));

    Claim zombieClaim = a.claim(job.uuid(), OwnerId.generate("zombie")).orElseThrow();
    conn.advanceFence(zombieClaim.fence());
    Connection zombie = conn.fenced(zombieClaim.fence());
    AtomDetail stored = conn.getAtomDetails(task.uuid());
    stored = zombie.updateAtomDetails(stored.withState(AtomState.RUNNING));

    KillSession.kill(a.currentZooKeeper()); // as after a pause past the session timeout
    assertThat(zombieClaim.lost().toCompletableFuture().get(10, TimeUnit.SECONDS)).isNotBlank();
    assertThat(zombieClaim.isHeld()).isFalse();

    Optional<Claim> taken = Optional.empty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (taken.isEmpty() && System.nanoTime() < deadline) {
      b.awaitWork(Duration.ofMillis(200));
      taken = b.claimNext(OwnerId.generate("peer"));
    }
    assertThat(taken).as("the peer claims once the old session expired").isPresent();
    assertThat(taken.get().token()).isGreaterThan(zombieClaim.token());
    try (Connection peer = backend.getConnection()) {
      peer.advanceFence(taken.get().fence());
    }

    AtomDetail before = conn.getAtomDetails(task.uuid());
    AtomDetail zombieWrite = stored.withState(AtomState.SUCCESS);
    assertThatThrownBy(() -> zombie.updateAtomDetails(zombieWrite))
        .isInstanceOf(FencedException.class)
        .hasMessageContaining(job.uuid());
    assertThat(conn.getAtomDetails(task.uuid())).isEqualTo(before);
    assertThat(before.state()).isEqualTo(AtomState.RUNNING);
    assertThatThrownBy(zombieClaim::complete).isInstanceOf(FencedException.class);
    assertThat(b.job(job.uuid()).orElseThrow().state()).isEqualTo(JobState.CLAIMED);
    taken.get().complete();
  }

  @Test
  void jobsAreStoredInTaskFlowsLayout() throws Exception {
    Jobboard a = board(Duration.ofSeconds(5));
    BookRef book = new BookRef("bk", UUID.randomUUID().toString());
    Job job =
        a.post(
            new JobSpec("nightly", book, Map.of("flow_uuid", "f"), JobPriority.VERY_HIGH, "key/1"));
    String node = path + "/jobs/" + String.format("job%010d", job.sequence());
    @SuppressWarnings("unchecked")
    Map<Object, Object> posting = (Map<Object, Object>) Json.read(admin.getData().forPath(node));
    assertThat(posting)
        .containsEntry("uuid", job.uuid())
        .containsEntry("name", "nightly")
        .containsEntry("priority", "VERY_HIGH")
        .containsEntry("details", Map.of("flow_uuid", "f"))
        .containsEntry("book", Map.of("name", "bk", "uuid", book.uuid()));
    String key = path + "/.keys/key%2F1";
    assertThat(new String(admin.getData().forPath(key), StandardCharsets.UTF_8))
        .isEqualTo(job.uuid());
    OwnerId me = OwnerId.generate("c");
    try (Jobboard.Subscription r = a.register(me, Map.of("slots", 2L))) {
      assertThat(admin.getChildren().forPath(path + "/.entities/conductor")).hasSize(1);
      assertThat(board(Duration.ofSeconds(5)).conductors())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.id()).isEqualTo(me.id());
                assertThat(((Number) c.meta().get("slots")).longValue()).isEqualTo(2L);
              });
    }
    a.claim(job.uuid(), me).orElseThrow().trash("bad");
    assertThat(admin.checkExists().forPath(node)).isNull();
    assertThat(admin.checkExists().forPath(key)).isNull();
    assertThat(admin.getChildren().forPath(path + "/.trash"))
        .containsExactly(String.format("job%010d", job.sequence()));
  }

  /** Claims and completes {@code jobs} jobs with {@code threads} boards; returns the rates. */
  private double[] rates(int jobs, int threads) throws Exception {
    Jobboard poster = board(Duration.ofSeconds(5));
    for (int i = 0; i < jobs; i++) {
      poster.post(spec("j" + i));
    }
    List<Jobboard> boards = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      boards.add(board(Duration.ofSeconds(5)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Set<String> done = ConcurrentHashMap.newKeySet();
    long[] claimNanos = new long[threads];
    long[] completeNanos = new long[threads];
    try {
      long start = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int ti = t;
        fs.add(
            pool.submit(
                () -> {
                  OwnerId me = OwnerId.generate("bench" + ti);
                  while (true) {
                    long c0 = System.nanoTime();
                    Optional<Claim> c = boards.get(ti).claimNext(me);
                    long c1 = System.nanoTime();
                    if (c.isEmpty()) {
                      return null;
                    }
                    c.get().complete();
                    claimNanos[ti] += c1 - c0;
                    completeNanos[ti] += System.nanoTime() - c1;
                    assertThat(done.add(c.get().job().uuid())).isTrue();
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(100, TimeUnit.SECONDS);
      }
      double wall = (System.nanoTime() - start) / 1e9;
      assertThat(done).hasSize(jobs);
      long claimTotal = 0;
      long completeTotal = 0;
      for (int t = 0; t < threads; t++) {
        claimTotal += claimNanos[t];
        completeTotal += completeNanos[t];
      }
      // per-operation rates: operations per second of time spent in that operation, all threads
      double claims = jobs / (claimTotal / 1e9 / threads);
      double completes = jobs / (completeTotal / 1e9 / threads);
      System.out.printf(
          "ZooKeeper jobboard, %d jobs, %d thread(s): %.0f jobs/s claimed+completed overall;"
              + " claim %.0f/s, complete %.0f/s (TaskFlow: claim 158/s, consume 201/s)%n",
          jobs, threads, jobs / wall, claims, completes);
      return new double[] {jobs / wall, claims, completes};
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void throughputWithOneAndEightClaimers() throws Exception {
    // the baseline: one client's plain writes, each a transaction the server syncs to disk
    admin.create().creatingParentsIfNeeded().forPath(path + "/baseline");
    int writes = 200;
    long t0 = System.nanoTime();
    for (int i = 0; i < writes; i++) {
      admin.setData().forPath(path + "/baseline", new byte[] {(byte) i});
    }
    System.out.printf(
        "ZooKeeper baseline: %.0f plain setData/s from one client%n",
        writes / ((System.nanoTime() - t0) / 1e9));
    assertThat(rates(200, 1)[0]).isPositive();
    path = ZkTesting.freshPath("bench");
    assertThat(rates(400, 8)[0]).isPositive();
  }
}
