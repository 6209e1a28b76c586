package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.IncompatibleVersionException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.tck.JobboardContractTest;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The jobboard kit on a SQL database, plus what is specific to the SQL board: exact claiming under
 * concurrency, fencing of logbook writes by the board's claims, and the schema. Each test gets a
 * board of its own name, so it starts empty.
 */
abstract class AbstractSqlJobboardTest extends JobboardContractTest {
  private String boardName;

  /** The connection string of the (already existing) test database, without a query. */
  protected abstract String connection();

  /** A plain JDBC connection to the test database, as another client of the store would have. */
  protected abstract java.sql.Connection rawConnection() throws SQLException;

  @BeforeEach
  void freshBoardName() {
    boardName = "test-" + UUID.randomUUID();
  }

  /** {@code connection()} with the board's keys added to its query. */
  protected String boardUrl(Duration lease) {
    String c = connection();
    return c
        + (c.contains("?") ? "&" : "?")
        + "lease="
        + lease.toMillis() / 1000.0
        + "&board="
        + boardName;
  }

  @Override
  protected boolean reportsLeaseExpiry() {
    return true;
  }

  @Override
  protected boolean reportsHeartbeats() {
    return true;
  }

  @Override
  protected Jobboard openBoard(Duration leaseTime) {
    return Jobboards.open(boardUrl(leaseTime));
  }

  /**
   * The board raises each claim's fence in its own database, in the claim's transaction, and says
   * so for a backend on that database and for no other: a conductor then need not register the
   * fence. Every way of claiming leaves the claim's token in the store.
   */
  @Test
  void raisesEachClaimsFenceInItsOwnDatabaseAndSaysSoForItOnly() {
    try (Jobboard board = openBoard(Duration.ofSeconds(60));
        Backend same = Backends.fetch(connection());
        Backend memory = Backends.fetch("memory://");
        Connection c = same.getConnection()) {
      assertThat(board.raisesFencesIn(same)).isTrue();
      assertThat(board.raisesFencesIn(memory)).isFalse();
      List<Claim> claims = new ArrayList<>();
      Job named = board.post(JobSpec.of("named", null, "f"));
      for (int i = 0; i < 3; i++) {
        board.post(JobSpec.of("j" + i, null, "f"));
      }
      OwnerId me = OwnerId.generate("fences");
      claims.add(board.claim(named.uuid(), me).orElseThrow());
      claims.add(board.claimNext(me).orElseThrow());
      claims.addAll(board.claimNext(me, 2));
      assertThat(claims).hasSize(4);
      for (Claim claim : claims) {
        assertThat(c.fenceToken(claim.job().uuid())).hasValue(claim.token());
      }
      assertThat(board.completeAll(claims)).isEmpty();
    }
  }

  @Test
  void eightThreadsClaimFiveHundredJobsEachExactlyOnce() throws Exception {
    int jobs = 500;
    int threads = 8;
    Set<String> posted = new HashSet<>();
    try (Jobboard poster = openBoard(Duration.ofSeconds(60))) {
      for (int i = 0; i < jobs; i++) {
        posted.add(poster.post(JobSpec.of("j" + i, null, "f" + i)).uuid());
      }
      List<Jobboard> boards = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Jobboard b = openBoard(Duration.ofSeconds(60));
          boards.add(b);
          OwnerId me = OwnerId.generate("c" + t);
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    for (Optional<Claim> c = b.claimNext(me); c.isPresent(); c = b.claimNext(me)) {
                      mine.add(c.get().job().uuid());
                    }
                    return mine;
                  }));
        }
        start.countDown();
        List<String> all = new ArrayList<>();
        for (Future<List<String>> f : results) {
          all.addAll(f.get(90, TimeUnit.SECONDS));
        }
        assertThat(all).hasSize(jobs).doesNotHaveDuplicates();
        assertThat(new HashSet<>(all)).isEqualTo(posted);
        assertThat(poster.unclaimedJobs()).isEmpty();
        assertThat(poster.jobs()).allSatisfy(j -> assertThat(j.token()).isEqualTo(1));
      } finally {
        pool.shutdownNow();
        boards.forEach(Jobboard::close);
      }
    }
  }

  @Test
  void eightThreadsBatchClaimingFiveHundredJobsGetEachExactlyOnce() throws Exception {
    int jobs = 500;
    int threads = 8;
    Set<String> posted = new HashSet<>();
    try (Jobboard poster = openBoard(Duration.ofSeconds(60))) {
      for (int i = 0; i < jobs; i++) {
        posted.add(poster.post(JobSpec.of("j" + i, null, "f" + i)).uuid());
      }
      List<Jobboard> boards = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Jobboard b = openBoard(Duration.ofSeconds(60));
          boards.add(b);
          OwnerId me = OwnerId.generate("c" + t);
          int max = 1 + t % 7;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    for (List<Claim> got = b.claimNext(me, max);
                        !got.isEmpty();
                        got = b.claimNext(me, max)) {
                      assertThat(got.size()).isLessThanOrEqualTo(max);
                      got.forEach(c -> mine.add(c.job().uuid()));
                      assertThat(b.completeAll(got)).isEmpty();
                    }
                    return mine;
                  }));
        }
        start.countDown();
        List<String> all = new ArrayList<>();
        for (Future<List<String>> f : results) {
          all.addAll(f.get(90, TimeUnit.SECONDS));
        }
        assertThat(all).hasSize(jobs).doesNotHaveDuplicates();
        assertThat(new HashSet<>(all)).isEqualTo(posted);
        assertThat(poster.jobs()).isEmpty();
      } finally {
        pool.shutdownNow();
        boards.forEach(Jobboard::close);
      }
    }
  }

  /**
   * A job whose fence someone advanced by hand past the job's epoch cannot be claimed: the claim
   * names the job and the tokens, claims nothing (not the other jobs of a batch either), and leaves
   * the fence as it was. Once the job is gone, the rest is claimed.
   */
  @Test
  void aJobWhoseFenceIsAboveItsEpochIsNotClaimedAndIsNamed() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      Job odd = board.post(JobSpec.of("odd", null, "f0").withPriority(JobPriority.VERY_HIGH));
      Job other = board.post(JobSpec.of("other", null, "f1"));
      conn.advanceFence(new io.taskflow4j.persistence.Fence(odd.uuid(), 7));
      OwnerId me = OwnerId.generate("c");
      assertThatThrownBy(() -> board.claimNext(me))
          .isExactlyInstanceOf(FencedException.class)
          .hasMessageContaining(odd.uuid())
          .hasMessageContaining("token 7");
      assertThatThrownBy(() -> board.claimNext(me, 2))
          .isExactlyInstanceOf(FencedException.class)
          .hasMessageContaining(odd.uuid());
      assertThat(board.jobs()).extracting(Job::state).containsOnly(JobState.UNCLAIMED);
      assertThat(conn.fenceToken(odd.uuid())).hasValue(7);
      assertThat(conn.fenceToken(other.uuid())).isEmpty();

      try (java.sql.Connection raw = rawConnection();
          java.sql.PreparedStatement ps =
              raw.prepareStatement("DELETE FROM taskflow4j_jobs WHERE uuid = ?")) {
        ps.setString(1, odd.uuid());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      Claim claim = board.claimNext(me).orElseThrow();
      assertThat(claim.job().uuid()).isEqualTo(other.uuid());
      assertThat(conn.fenceToken(other.uuid())).hasValue(claim.token());
      claim.complete();
    }
  }

  @Test
  void aBatchClaimRaisesEveryJobsFenceInItsOwnTransaction() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      List<Job> posted = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        posted.add(board.post(JobSpec.of("j" + i, null, "f" + i)));
      }
      Claim first = board.claim(posted.get(0).uuid(), OwnerId.generate("first")).orElseThrow();
      first.release();
      List<Claim> batch = board.claimNext(OwnerId.generate("c"), 3);
      assertThat(batch).hasSize(3);
      for (Claim c : batch) {
        assertThat(conn.fenceToken(c.job().uuid())).hasValue(c.token());
      }
      assertThat(conn.fenceToken(first.job().uuid())).hasValue(first.token() + 1);
      assertThatThrownBy(() -> conn.advanceFence(first.fence()))
          .isExactlyInstanceOf(FencedException.class);
      assertThat(board.completeAll(batch)).isEmpty();
    }
  }

  @Test
  void aClaimTakenOverInTheStoreFailsAloneInABatchCompletion() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        java.sql.Connection raw = rawConnection()) {
      for (int i = 0; i < 3; i++) {
        board.post(JobSpec.of("j" + i, null, "f" + i));
      }
      List<Claim> batch = board.claimNext(OwnerId.generate("c"), 3);
      assertThat(batch).hasSize(3);
      Claim stale = batch.get(2);
      // A peer took the job over as a claim after a lapse does: new epoch, new owner.
      try (PreparedStatement ps =
          raw.prepareStatement(
              "UPDATE taskflow4j_jobs SET epoch = epoch + 1, owner = 'peer' WHERE uuid = ?")) {
        ps.setString(1, stale.job().uuid());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      assertThat(stale.isHeld()).as("the board has not noticed yet").isTrue();
      var refused = board.completeAll(batch);
      assertThat(refused).containsOnlyKeys(stale);
      assertThat(refused.get(stale))
          .isExactlyInstanceOf(FencedException.class)
          .hasMessageContaining(stale.job().uuid())
          .hasMessageContaining("token " + stale.token());
      assertThat(stale.isHeld()).isFalse();
      assertThat(stale.lost()).isCompleted();
      assertThat(board.jobs()).extracting(Job::uuid).containsExactly(stale.job().uuid());
      assertThat(board.job(stale.job().uuid()).orElseThrow().owner()).isEqualTo("peer");
    }
  }

  @Test
  void aStaleOwnersWriteIsRefusedAfterATakeoverAndNothingOfItIsStored() throws Exception {
    Duration lease = Duration.ofSeconds(1);
    TaskDetail task = TaskDetail.create("t");
    LogBook book = LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(task));
    try (Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      conn.saveLogBook(book);
      Jobboard zombieBoard = openBoard(lease);
      Job job = zombieBoard.post(JobSpec.of("j", null, book.flows().get(0).uuid()));
      Claim zombie = zombieBoard.claim(job.uuid(), OwnerId.generate("zombie")).orElseThrow();
      // The claim raised the fence in its own transaction: the owner may write at once.
      assertThat(conn.fenceToken(job.uuid())).hasValue(zombie.token());
      Connection zombieConn = conn.fenced(zombie.fence());
      AtomDetail running =
          zombieConn.updateAtomDetails(
              conn.getAtomDetails(task.uuid()).withState(AtomState.RUNNING));

      zombieBoard.close(); // paused: no more renewals, the lease lapses
      try (Jobboard peerBoard = openBoard(lease)) {
        Claim peer = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (peer == null && System.nanoTime() < deadline) {
          peerBoard.awaitWork(Duration.ofMillis(200));
          peer = peerBoard.claimNext(OwnerId.generate("peer")).orElse(null);
        }
        assertThat(peer).as("the peer takes the job over").isNotNull();
        assertThat(peer.token()).isEqualTo(zombie.token() + 1);

        // The zombie wakes up and writes: refused, typed, and nothing of it is stored.
        AtomDetail before = conn.getAtomDetails(task.uuid());
        assertThatThrownBy(() -> zombieConn.updateAtomDetails(running.put(AtomState.SUCCESS, 42)))
            .isExactlyInstanceOf(FencedException.class)
            .hasMessageContaining(job.uuid())
            .hasMessageContaining("token " + zombie.token());
        assertThatThrownBy(
                () ->
                    zombieConn.saveLogBook(
                        book.withFlow(FlowDetail.create("zombie-flow"))
                            .withMeta(java.util.Map.of("zombie", true))))
            .isExactlyInstanceOf(FencedException.class);
        assertThat(conn.getAtomDetails(task.uuid())).isEqualTo(before);
        assertThat(conn.getLogBook(book.uuid()).flows()).hasSize(1);
        assertThat(conn.getLogBook(book.uuid()).meta()).doesNotContainKey("zombie");

        // The new owner writes and completes.
        conn.fenced(peer.fence()).updateAtomDetails(before.put(AtomState.SUCCESS, 7));
        assertThat(conn.getAtomDetails(task.uuid()).state()).isEqualTo(AtomState.SUCCESS);
        peer.complete();
        assertThat(peerBoard.jobs()).isEmpty();

        // A zombie that paused between its claim and its own fence advance wakes up after the
        // job is complete: the fence it would register is stale, so it still cannot write.
        assertThatThrownBy(() -> conn.advanceFence(zombie.fence()))
            .isExactlyInstanceOf(FencedException.class);
        assertThatThrownBy(() -> zombieConn.updateAtomDetails(running.put(AtomState.SUCCESS, 42)))
            .isExactlyInstanceOf(FencedException.class);
        assertThat(conn.fenceToken(job.uuid())).hasValue(peer.token());
      }
    }
  }

  @Test
  void aJobsPriorityIsStoredAsItsCodeNotItsPositionInTheEnum() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        java.sql.Connection raw = rawConnection();
        PreparedStatement ps =
            raw.prepareStatement("SELECT priority FROM taskflow4j_jobs WHERE uuid = ?")) {
      for (JobPriority p : JobPriority.values()) {
        Job job = board.post(JobSpec.of("p-" + p, null, "f").withPriority(p));
        ps.setString(1, job.uuid());
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).as(p.name()).isEqualTo(p.code()).isNotEqualTo(p.ordinal());
        }
      }
    }
  }

  /**
   * The job of an idempotency key is read by its key (the board's unique index), not found in a
   * listing of the board: a post with a key costs one read however many jobs wait (FlowJobs.post
   * listed every job first, 4.7 ms a post on an empty PostgreSQL board, 12.8 ms at 4,000 jobs).
   * Shown with a job no listing can read: the lookup never meets it.
   */
  @Test
  void theJobOfAnIdempotencyKeyIsReadByItsKeyNotFoundInAListing() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30))) {
      Job keyed = board.post(JobSpec.of("keyed", null, "f").withIdempotencyKey("order-1"));
      storeAnUnknownPriority(board.post(JobSpec.of("from-the-future", null, "f")));
      assertThatThrownBy(board::jobs).isInstanceOf(IncompatibleVersionException.class);
      assertThat(board.jobWithIdempotencyKey("order-1")).map(Job::uuid).hasValue(keyed.uuid());
      assertThat(board.jobWithIdempotencyKey("order-2")).isEmpty();
    }
  }

  /** Stores priority code 250 for {@code job}, as a later version might: no listing reads it. */
  private void storeAnUnknownPriority(Job job) throws SQLException {
    try (java.sql.Connection raw = rawConnection();
        PreparedStatement ps =
            raw.prepareStatement("UPDATE taskflow4j_jobs SET priority = 250 WHERE uuid = ?")) {
      ps.setString(1, job.uuid());
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  @Test
  void anUnknownStoredPriorityCodeIsRefusedWithATypedError() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30))) {
      Job job = board.post(JobSpec.of("from-the-future", null, "f"));
      storeAnUnknownPriority(job);
      assertThatThrownBy(() -> board.job(job.uuid()))
          .isInstanceOf(IncompatibleVersionException.class)
          .hasMessageContaining(job.uuid())
          .hasMessageContaining("code 250")
          .hasMessageContaining("upgrade taskflow4j");
    }
  }

  @Test
  void boardAndFenceTablesSurviveUpgradesAndTheSchemaIsAtTheLatestVersion() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      Job job = board.post(JobSpec.of("kept", null, "f"));
      Claim claim = board.claim(job.uuid(), OwnerId.generate("c")).orElseThrow();
      conn.upgrade();
      conn.upgrade();
      try (Backend again = Backends.fetch(connection());
          Connection c2 = again.getConnection()) {
        c2.upgrade();
      }
      assertThat(((JdbcBackend) backend).schemaVersion()).isEqualTo("5");
      assertThat(board.job(job.uuid()))
          .hasValueSatisfying(j -> assertThat(j.name()).isEqualTo("kept"));
      assertThat(conn.fenceToken(job.uuid())).hasValue(claim.token());
      claim.complete();
    }
  }

  /**
   * A claim that had to wait for the job's fence row (here held by another client's open
   * transaction; SQLite: the database's write lock) still gets a whole lease, counted from when it
   * was granted, not from when it started waiting: it is not lapsed when it returns, and no third
   * claimer can take the job at once.
   */
  @Test
  void aClaimThatWaitedForTheFenceRowGetsAWholeLeaseFromItsGrant() throws Exception {
    Duration lease = Duration.ofSeconds(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (java.sql.Connection holder = rawConnection()) {
      Jobboard first = openBoard(lease);
      Jobboard peerBoard = openBoard(lease);
      Jobboard thirdBoard = openBoard(lease);
      Job job = first.post(JobSpec.of("j", null, "f"));
      Claim firstClaim = first.claim(job.uuid(), OwnerId.generate("first")).orElseThrow();
      crash(first); // its lease lapses

      holder.setAutoCommit(false);
      try (PreparedStatement ps =
          holder.prepareStatement(
              "UPDATE taskflow4j_fences SET token = token WHERE fence_key = ?")) {
        ps.setString(1, job.uuid());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      long heldAt = System.nanoTime();
      Future<Claim> waiting =
          pool.submit(() -> claimWithin(peerBoard, "peer", lease.multipliedBy(20)));
      // Held until well past the lapse, so the peer's claim waits on it.
      TimeUnit.NANOSECONDS.sleep(
          heldAt + lease.multipliedBy(5).dividedBy(2).toNanos() - System.nanoTime());
      assertThat(waiting).as("the peer's claim waits for the fence row").isNotDone();
      holder.commit();

      Claim peer = waiting.get(30, TimeUnit.SECONDS);
      Instant returned = Instant.now();
      assertThat(peer.token()).isEqualTo(firstClaim.token() + 1);
      assertThat(peer.expiresAt())
          .as("the lease the claimer counts on runs from the grant")
          .isAfter(returned.plus(lease.dividedBy(2)));
      TimeUnit.MILLISECONDS.sleep(lease.toMillis() / 2);
      assertThat(thirdBoard.claimNext(OwnerId.generate("third")))
          .as("half a lease after the grant the claim still holds")
          .isEmpty();
      assertThat(thirdBoard.job(job.uuid()))
          .hasValueSatisfying(j -> assertThat(j.state()).isEqualTo(JobState.CLAIMED));
      peer.complete();
    } finally {
      pool.shutdownNow();
    }
  }

  /** Claims the next job of {@code board} as {@code name}, polling until {@code within}. */
  static Claim claimWithin(Jobboard board, String name, Duration within) throws Exception {
    OwnerId me = OwnerId.generate(name);
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Claim> c = board.claimNext(me);
      if (c.isPresent()) {
        return c.get();
      }
      board.awaitWork(Duration.ofMillis(50));
    }
    throw new AssertionError(name + " claimed nothing within " + within);
  }

  /**
   * A commit hook that, once armed, stops the next write transaction whose description contains a
   * text right before its commit, as a process paused there (SIGSTOP, a long GC) would: the
   * transaction stays open, its locks held, until {@link #resume} or {@code max}.
   */
  static final class PausingHook implements JdbcCommitHook {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);
    private final Duration max;
    private volatile String target;

    PausingHook(Duration max) {
      this.max = max;
    }

    void arm(String what) {
      target = what;
    }

    @Override
    public void beforeCommit(String what) {
      String t = target;
      if (t != null && what.contains(t)) {
        target = null;
        entered.countDown();
        try {
          resume.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void afterCommit(String what) {}
  }

  /** An owner paused inside a fenced write: its claim, its stopped write, and the task written. */
  record PausedOwner(
      Job job,
      Claim claim,
      TaskDetail task,
      PausingHook hook,
      Future<AtomDetail> write,
      long pausedAt) {}

  /**
   * Claims a one-task job as "owner" and starts a fenced write of the task's result, with its flow,
   * that stops right before its commit (its fence row shared-locked, its flow and atom rows
   * locked); the owner's board is then closed, as the whole process is paused (no renewals either).
   */
  PausedOwner pauseOwnerInsideAFencedWrite(
      Duration lease, Backend ownerStore, PausingHook hook, ExecutorService pool) throws Exception {
    TaskDetail task = TaskDetail.create("t");
    LogBook book = LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(task));
    Connection conn = ownerStore.getConnection();
    conn.upgrade();
    conn.saveLogBook(book);
    Jobboard ownerBoard = openBoard(lease);
    Job job = ownerBoard.post(JobSpec.of("j", null, book.flows().get(0).uuid()));
    Claim claim = ownerBoard.claim(job.uuid(), OwnerId.generate("owner")).orElseThrow();
    Connection fenced = conn.fenced(claim.fence());
    AtomDetail running =
        fenced.updateAtomDetails(conn.getAtomDetails(task.uuid()).withState(AtomState.RUNNING));
    // The result goes with a flow write, which is a transaction on every SQL store (a lone atom
    // write is one statement on PostgreSQL, committed as the server runs it: nothing to pause in).
    FlowDetail flow = conn.getFlowDetails(book.flows().get(0).uuid(), true);
    hook.arm("flow detail '" + flow.uuid() + "'");
    Future<AtomDetail> write =
        pool.submit(
            () ->
                fenced
                    .updateFlowDetails(flow.withAtom(running.put(AtomState.SUCCESS, "owner")))
                    .atoms()
                    .get(0));
    assertThat(hook.entered.await(10, TimeUnit.SECONDS)).as("the owner's write paused").isTrue();
    long pausedAt = System.nanoTime();
    crash(ownerBoard);
    return new PausedOwner(job, claim, task, hook, write, pausedAt);
  }

  /**
   * PostgreSQL and MariaDB: an owner paused inside a fenced write transaction does not hold up the
   * takeover. The server ends the owner's session once it has been idle in its transaction longer
   * than {@code transaction_idle_timeout}, which releases every lock it held; a peer claims the job
   * within two leases of the pause and writes the task at once; when the owner resumes, its write
   * is refused ({@link FencedException}) and nothing of it is stored.
   */
  protected final void assertAPausedOwnerInsideAFencedWriteHoldsUpNoTakeover() throws Exception {
    Duration lease = Duration.ofSeconds(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    PausingHook hook = new PausingHook(lease.multipliedBy(4));
    try (Backend ownerStore = JdbcBackendProvider.create(BackendConf.parse(connection()), hook);
        Backend peerStore = Backends.fetch(connection());
        Connection peerConn = peerStore.getConnection()) {
      Jobboard peerBoard = openBoard(lease);
      Jobboard thirdBoard = openBoard(lease);
      PausedOwner owner = pauseOwnerInsideAFencedWrite(lease, ownerStore, hook, pool);

      Claim peer = claimWithin(peerBoard, "peer", lease.multipliedBy(8));
      long takeover = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - owner.pausedAt());
      System.out.printf(
          "[%s] owner paused inside a fenced write: peer claimed after %d ms (lease %d ms)%n",
          connection().substring(0, connection().indexOf(':')), takeover, lease.toMillis());
      assertThat(peer.token()).isEqualTo(owner.claim().token() + 1);
      assertThat(takeover).as("takeover time, ms").isLessThanOrEqualTo(2 * lease.toMillis());
      assertThat(thirdBoard.claimNext(OwnerId.generate("third")))
          .as("the peer's lease runs from its grant")
          .isEmpty();

      // The owner's locks went with its session: the peer writes the same atom at once.
      AtomDetail left = peerConn.getAtomDetails(owner.task().uuid());
      assertThat(left.state()).isEqualTo(AtomState.RUNNING);
      Connection peerFenced = peerConn.fenced(peer.fence());
      Future<AtomDetail> peerWrite =
          pool.submit(() -> peerFenced.updateAtomDetails(left.put(AtomState.SUCCESS, "peer")));
      peerWrite.get(lease.toMillis(), TimeUnit.MILLISECONDS);

      // The owner resumes: refused, typed, and nothing of it lands.
      hook.resume.countDown();
      assertThatThrownBy(() -> owner.write().get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isExactlyInstanceOf(FencedException.class)
          .hasMessageContaining("token " + owner.claim().token());
      AtomDetail after = peerConn.getAtomDetails(owner.task().uuid());
      assertThat(after.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(after.lastResults()).isEqualTo("peer");
      peer.complete();
    } finally {
      hook.resume.countDown();
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------- completion with the flow's final state

  /** Records the description of every write transaction of a backend, before its commit. */
  static final class RecordingHook implements JdbcCommitHook {
    final List<String> commits = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void beforeCommit(String what) {
      commits.add(what);
    }

    @Override
    public void afterCommit(String what) {}
  }

  /** Sets a job's lease in the past in the store, as a lapse without a renewal leaves it. */
  private void lapseLease(String jobUuid) throws SQLException {
    String c = connection();
    String past =
        c.startsWith("postgresql")
            ? "now() - INTERVAL '1 hour'"
            : c.startsWith("sqlite") ? "0" : "NOW(6) - INTERVAL 1 HOUR";
    try (java.sql.Connection raw = rawConnection();
        PreparedStatement ps =
            raw.prepareStatement(
                "UPDATE taskflow4j_jobs SET lease_until = " + past + " WHERE uuid = ?")) {
      ps.setString(1, jobUuid);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  /**
   * A conductor on a SQL board and a backend on the board's own database completes each job in the
   * same transaction (on PostgreSQL the same statement) as the write of its flow's final state: the
   * board makes no completion of its own, and the claims end completed.
   */
  @Test
  void aConductorCompletesEachJobInTheWriteOfItsFlowsFinalState() throws Exception {
    RecordingHook boardCommits = new RecordingHook();
    RecordingHook storeCommits = new RecordingHook();
    BackendConf boardConf = BackendConf.parse(boardUrl(Duration.ofSeconds(30)));
    List<Claim> claims = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.BlockingQueue<io.taskflow4j.conductor.JobOutcome> settled =
        new java.util.concurrent.LinkedBlockingQueue<>();
    List<io.taskflow4j.jobs.JobEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Jobboard board = SqlJobboard.open(boardConf, new JdbcBackend(boardConf, boardCommits));
        Backend backend =
            JdbcBackendProvider.create(BackendConf.parse(connection()), storeCommits);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      board.subscribe(events::add);
      Job three =
          io.taskflow4j.conductor.FlowJobs.post(
              board,
              conn,
              io.taskflow4j.conductor.FlowJob.of(new io.taskflow4j.workloads.Workloads.Chain(), 3));
      Job one =
          io.taskflow4j.conductor.FlowJobs.post(
              board,
              conn,
              io.taskflow4j.conductor.FlowJob.of(new io.taskflow4j.workloads.Workloads.Chain(), 1));
      boardCommits.commits.clear();
      storeCommits.commits.clear();
      io.taskflow4j.conductor.Conductor conductor =
          io.taskflow4j.conductor.Conductor.builder(board, backend)
              .name("final-write")
              .listener(
                  new io.taskflow4j.conductor.ConductorListener() {
                    @Override
                    public void claimed(Claim claim) {
                      claims.add(claim);
                    }

                    @Override
                    public void settled(io.taskflow4j.conductor.JobOutcome outcome) {
                      settled.add(outcome);
                    }
                  })
              .build();
      conductor.start();
      List<io.taskflow4j.conductor.JobOutcome> outcomes = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        io.taskflow4j.conductor.JobOutcome o = settled.poll(30, TimeUnit.SECONDS);
        assertThat(o).as("a job settled within 30 s").isNotNull();
        outcomes.add(o);
      }
      conductor.stop(Duration.ofSeconds(5));

      assertThat(outcomes)
          .allSatisfy(
              o -> {
                assertThat(o.kind()).isEqualTo(io.taskflow4j.conductor.JobOutcome.Kind.COMPLETED);
                assertThat(o.flowState()).isEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
              });
      assertThat(board.jobs()).isEmpty();
      assertThat(claims).hasSize(2).allSatisfy(c -> assertThat(c.isCompleted()).isTrue());
      assertThat(claims).noneSatisfy(c -> assertThat(c.isHeld()).isTrue());
      for (Job job : List.of(three, one)) {
        assertThat(conn.getFlowDetails(job.flowUuid().orElseThrow()).state())
            .isEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
      }
      assertThat(boardCommits.commits)
          .as("the board completed nothing on its own")
          .noneMatch(w -> w.contains("complet"));
      assertThat(storeCommits.commits)
          .as("each job's last commit is its flow's final write")
          .filteredOn(w -> w.startsWith("updating flow detail"))
          .hasSizeGreaterThanOrEqualTo(2);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (events.stream()
                  .filter(e -> e.kind() == io.taskflow4j.jobs.JobEvent.Kind.COMPLETED)
                  .count()
              < 2
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(events)
          .filteredOn(e -> e.kind() == io.taskflow4j.jobs.JobEvent.Kind.COMPLETED)
          .extracting(io.taskflow4j.jobs.JobEvent::jobUuid)
          .containsExactlyInAnyOrder(three.uuid(), one.uuid());
    }
  }

  /** A book of a flow of one task and of another flow, saved: the flows as stored. */
  private static List<FlowDetail> saveOneTaskFlow(Connection conn) {
    LogBook book =
        LogBook.create("b")
            .withFlow(FlowDetail.create("f").withAtom(TaskDetail.create("t")))
            .withFlow(FlowDetail.create("other"));
    conn.saveLogBook(book);
    return List.of(
        conn.getFlowDetails(book.flows().get(0).uuid()),
        conn.getFlowDetails(book.flows().get(1).uuid()));
  }

  /**
   * A job posted for a flow, claimed, and the view that completes it with the flow's final state.
   */
  private record Finishing(Job job, Claim claim, Connection view) {}

  private static Finishing claimToFinish(Jobboard board, Connection conn, FlowDetail fd) {
    Job job = board.post(JobSpec.of("j", null, fd.uuid()));
    Claim claim = board.claim(job.uuid(), OwnerId.generate("owner")).orElseThrow();
    return new Finishing(job, claim, board.fencedCompleting(claim, conn, fd.uuid()));
  }

  /**
   * The completing view deletes the job only with its flow's final state: a RUNNING write, or
   * another flow's final state, leaves the job; the final state with the task's result completes it
   * in one commit, and a later write of the flow carries nothing more.
   */
  @Test
  void onlyTheFlowsFinalStateCompletesItsJobInOneCommitWithIt() throws Exception {
    RecordingHook storeCommits = new RecordingHook();
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend =
            JdbcBackendProvider.create(BackendConf.parse(connection()), storeCommits);
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      List<FlowDetail> flows = saveOneTaskFlow(conn);
      FlowDetail fd = flows.get(0);
      FlowDetail other = flows.get(1);
      Finishing f = claimToFinish(board, conn, fd);

      FlowDetail running =
          f.view().updateFlowDetails(fd.withState(io.taskflow4j.persistence.FlowState.RUNNING));
      f.view().updateFlowDetails(other.withState(io.taskflow4j.persistence.FlowState.SUCCESS));
      assertThat(board.jobs()).extracting(Job::uuid).containsExactly(f.job().uuid());
      assertThat(f.claim().isHeld()).isTrue();

      AtomDetail task = running.atoms().get(0);
      AtomDetail started = f.view().updateAtomDetails(task.withState(AtomState.RUNNING));
      storeCommits.commits.clear();
      FlowDetail done =
          f.view()
              .updateFlowDetails(
                  running
                      .withState(io.taskflow4j.persistence.FlowState.SUCCESS)
                      .withAtom(started.put(AtomState.SUCCESS, 42)));
      assertThat(storeCommits.commits).as("one commit").hasSize(1);
      assertThat(board.jobs()).isEmpty();
      assertThat(f.claim().isHeld()).isFalse();
      assertThat(f.claim().isCompleted()).isTrue();
      assertThat(f.claim().lost()).isNotCompleted();
      FlowDetail stored = conn.getFlowDetails(fd.uuid());
      assertThat(stored.state()).isEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
      assertThat(((Number) stored.atoms().get(0).lastResults()).longValue()).isEqualTo(42L);

      // Later writes of the flow go through, and carry nothing more.
      f.view().updateFlowDetails(done.withoutAtoms().withMeta(java.util.Map.of("k", "v")));
      assertThat(conn.getFlowDetails(fd.uuid()).meta()).containsEntry("k", "v");
      assertThat(f.claim().isCompleted()).isTrue();
      assertThatThrownBy(f.claim()::complete).isInstanceOf(FencedException.class);
    }
  }

  /**
   * A final write after the claim's lease lapsed (no peer claimed the job yet, so its fence still
   * stands) stores the flow's state without completing the job: the claim is lost, and the job
   * stays on the board for a peer, which finds the flow finished.
   */
  @Test
  void aFinalWriteAfterTheLeaseLapsedStoresTheFlowAndLeavesTheJobForAPeer() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      FlowDetail fd = saveOneTaskFlow(conn).get(0);
      Finishing f = claimToFinish(board, conn, fd);
      lapseLease(f.job().uuid());

      f.view().updateFlowDetails(fd.withState(io.taskflow4j.persistence.FlowState.REVERTED));
      assertThat(conn.getFlowDetails(fd.uuid()).state())
          .isEqualTo(io.taskflow4j.persistence.FlowState.REVERTED);
      assertThat(f.claim().isCompleted()).isFalse();
      assertThat(f.claim().isHeld()).isFalse();
      assertThat(f.claim().lost().toCompletableFuture().getNow("not lost"))
          .contains(f.job().uuid())
          .contains("final state was stored");
      assertThat(board.jobs()).extracting(Job::uuid).containsExactly(f.job().uuid());
      Claim peer = board.claimNext(OwnerId.generate("peer")).orElseThrow();
      assertThat(peer.token()).isGreaterThan(f.claim().token());
      peer.complete();
    }
  }

  /**
   * A final write refused by the fence (a peer took the job over) stores nothing: neither the
   * flow's state nor the job's completion; the job stays with the peer.
   */
  @Test
  void aFinalWriteRefusedByTheFenceNeitherStoresTheFlowNorCompletesTheJob() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection();
        java.sql.Connection raw = rawConnection()) {
      conn.upgrade();
      FlowDetail fd = saveOneTaskFlow(conn).get(0);
      Finishing f = claimToFinish(board, conn, fd);
      FlowDetail running =
          f.view().updateFlowDetails(fd.withState(io.taskflow4j.persistence.FlowState.RUNNING));
      // A peer took the job over, as a claim after a lapse does: new epoch and owner, fence raised.
      try (PreparedStatement jobs =
              raw.prepareStatement(
                  "UPDATE taskflow4j_jobs SET epoch = epoch + 1, owner = 'peer' WHERE uuid = ?");
          PreparedStatement fences =
              raw.prepareStatement(
                  "UPDATE taskflow4j_fences SET token = token + 1 WHERE fence_key = ?")) {
        jobs.setString(1, f.job().uuid());
        fences.setString(1, f.job().uuid());
        assertThat(jobs.executeUpdate()).isEqualTo(1);
        assertThat(fences.executeUpdate()).isEqualTo(1);
      }
      AtomDetail task = running.atoms().get(0);
      assertThatThrownBy(
              () ->
                  f.view()
                      .updateFlowDetails(
                          running
                              .withState(io.taskflow4j.persistence.FlowState.SUCCESS)
                              .withAtom(task.put(AtomState.SUCCESS, 1))))
          .isExactlyInstanceOf(FencedException.class)
          .hasMessageContaining("token " + f.claim().token());
      FlowDetail stored = conn.getFlowDetails(fd.uuid());
      assertThat(stored.state()).isEqualTo(io.taskflow4j.persistence.FlowState.RUNNING);
      assertThat(stored.atoms().get(0).state()).isEqualTo(AtomState.PENDING);
      assertThat(f.claim().isCompleted()).isFalse();
      assertThat(board.jobs()).extracting(Job::owner).containsExactly("peer");
    }
  }

  /**
   * A crash around the final write keeps the flow's final state and its job's completion together:
   * cut before its commit, neither is stored (the job stays for its owner or a peer to run); cut
   * after it, both are (the caller sees the write fail, and the job is gone all the same).
   */
  @Test
  void aCrashAroundTheFinalWriteStoresTheFlowsStateAndItsJobsCompletionTogether() throws Exception {
    for (boolean afterCommit : List.of(false, true)) {
      String flowWrite = "updating flow detail";
      java.util.concurrent.atomic.AtomicBoolean armed =
          new java.util.concurrent.atomic.AtomicBoolean();
      JdbcCommitHook crash =
          new JdbcCommitHook() {
            @Override
            public void beforeCommit(String what) throws SQLException {
              if (!afterCommit && what.startsWith(flowWrite) && armed.getAndSet(false)) {
                throw new SQLException("the process died before the commit");
              }
            }

            @Override
            public void afterCommit(String what) throws SQLException {
              if (afterCommit && what.startsWith(flowWrite) && armed.getAndSet(false)) {
                throw new SQLException("the process died after the commit");
              }
            }
          };
      try (Jobboard board = openBoard(Duration.ofSeconds(30));
          Backend backend = JdbcBackendProvider.create(BackendConf.parse(connection()), crash);
          Connection conn = backend.getConnection()) {
        conn.upgrade();
        FlowDetail fd = saveOneTaskFlow(conn).get(0);
        Finishing f = claimToFinish(board, conn, fd);
        armed.set(true);
        assertThatThrownBy(
                () ->
                    f.view()
                        .updateFlowDetails(
                            fd.withState(io.taskflow4j.persistence.FlowState.SUCCESS)))
            .as(afterCommit ? "after the commit" : "before the commit")
            .isInstanceOf(io.taskflow4j.persistence.TaskFlowException.class);
        assertThat(armed).as("the crash point was reached").isFalse();
        io.taskflow4j.persistence.FlowState stored = conn.getFlowDetails(fd.uuid()).state();
        List<String> jobs = board.jobs().stream().map(Job::uuid).toList();
        if (afterCommit) {
          assertThat(stored).isEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
          assertThat(jobs).as("completed with the flow").doesNotContain(f.job().uuid());
        } else {
          assertThat(stored).isNotEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
          assertThat(jobs).as("left with the flow unfinished").contains(f.job().uuid());
          assertThat(f.claim().isCompleted()).isFalse();
          f.claim().complete();
        }
      }
    }
  }

  /** A claim of another board is refused at once, before anything is written. */
  @Test
  void aCompletingViewIsRefusedForAnotherBoardsClaim() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30));
        Jobboard other = openBoard(Duration.ofSeconds(30));
        Backend backend = Backends.fetch(connection());
        Connection conn = backend.getConnection()) {
      conn.upgrade();
      Job job = board.post(JobSpec.of("j", null, "f"));
      Claim claim = board.claim(job.uuid(), OwnerId.generate("owner")).orElseThrow();
      assertThatThrownBy(() -> other.fencedCompleting(claim, conn, "f"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a claim of");
      claim.complete();
      assertThat(claim.isCompleted()).isTrue();
    }
  }

  @Test
  void errorsAreTypedAndNameTheBoard() throws Exception {
    try (Jobboard board = openBoard(Duration.ofSeconds(30))) {
      assertThat(board.describe()).contains(boardName).doesNotContain("password");
    }
    assertThatThrownBy(
            () ->
                Jobboards.open(
                    connection() + (connection().contains("?") ? "&" : "?") + "lease=0.01"))
        .isInstanceOf(io.taskflow4j.persistence.InvalidConfigurationException.class)
        .hasMessageContaining("lease");
  }
}
