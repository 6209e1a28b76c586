package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FencedException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jobboard kit and the SQL board cases on a SQLite file shared by this class's tests. */
class SqliteJobboardTest extends AbstractSqlJobboardTest {
  @TempDir static Path dir;

  @Override
  protected String connection() {
    return "sqlite:///" + dir.resolve("board.db");
  }

  @Override
  protected java.sql.Connection rawConnection() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("board.db"));
  }

  /**
   * SQLite has one writer at a time and no server that could end a paused client's transaction: an
   * owner paused inside a fenced write keeps the database's write lock, so no claim (nor any other
   * write) is granted until it resumes. What holds: its write, checked while its token was the
   * newest, lands when it resumes and before any takeover; the peer's claim is granted right after,
   * with a whole lease from then; the owner's next write is refused.
   */
  @Test
  void aPausedOwnerInsideAFencedWriteStopsEveryWriterUntilItResumesThenLosesTheJob()
      throws Exception {
    Duration lease = Duration.ofSeconds(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    PausingHook hook = new PausingHook(Duration.ofSeconds(30));
    try (Backend ownerStore = JdbcBackendProvider.create(BackendConf.parse(connection()), hook);
        Backend peerStore = Backends.fetch(connection());
        Connection peerConn = peerStore.getConnection()) {
      // Opened first: opening a board checks the schema, which on SQLite takes the write lock.
      Jobboard peerBoard = openBoard(lease);
      Jobboard thirdBoard = openBoard(lease);
      PausedOwner owner = pauseOwnerInsideAFencedWrite(lease, ownerStore, hook, pool);
      Future<Claim> claiming =
          pool.submit(() -> claimWithin(peerBoard, "peer", Duration.ofSeconds(30)));
      TimeUnit.MILLISECONDS.sleep(2 * lease.toMillis());
      assertThat(claiming).as("no claim is granted while the owner's write is open").isNotDone();

      hook.resume.countDown();
      AtomDetail landed = owner.write().get(30, TimeUnit.SECONDS);
      Claim peer = claiming.get(30, TimeUnit.SECONDS);
      assertThat(peer.token()).isEqualTo(owner.claim().token() + 1);
      assertThat(peerConn.getAtomDetails(owner.task().uuid()).lastResults()).isEqualTo("owner");
      assertThat(thirdBoard.claimNext(OwnerId.generate("third")))
          .as("the peer's lease runs from its grant")
          .isEmpty();
      try (Connection again = ownerStore.getConnection()) {
        Connection stale = again.fenced(owner.claim().fence());
        assertThatThrownBy(() -> stale.updateAtomDetails(landed.withState(AtomState.FAILURE)))
            .isExactlyInstanceOf(FencedException.class);
      }
      assertThat(peerConn.getAtomDetails(owner.task().uuid()).state()).isEqualTo(AtomState.SUCCESS);
      peer.complete();
    } finally {
      hook.resume.countDown();
      pool.shutdownNow();
    }
  }
}
