package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
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
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.tck.JobboardContractTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
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
  protected Jobboard openBoard(Duration leaseTime) {
    return Jobboards.open(boardUrl(leaseTime));
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
  void boardAndFenceTablesSurviveUpgradesAndTheSchemaIsAtVersionThree() throws Exception {
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
      assertThat(((JdbcBackend) backend).schemaVersion()).isEqualTo("3");
      assertThat(board.job(job.uuid()))
          .hasValueSatisfying(j -> assertThat(j.name()).isEqualTo("kept"));
      assertThat(conn.fenceToken(job.uuid())).hasValue(claim.token());
      claim.complete();
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
