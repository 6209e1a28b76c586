package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write the server applied but whose reply was lost with the connection: the retry must find it
 * applied and report success, not a conflict with its own write (nor, for a destroy, a missing
 * logbook).
 */
class ZkLostReplyTest {

  @Test
  @Timeout(90)
  void writesWhoseReplyWasLostAreRecognisedAsApplied(@EmbeddedZooKeeper TestingServer server)
      throws Exception {
    try (ReplyDroppingProxy proxy =
            new ReplyDroppingProxy(new InetSocketAddress("127.0.0.1", server.getPort()));
        // a long session: no ping is sent while the proxy is armed
        Backend backend =
            Backends.open(
                "zookeeper://"
                    + proxy.connectString()
                    + "/lost?session_timeout_ms=30000&retry_base_sleep_ms=50");
        Connection c = backend.getConnection()) {
      TaskDetail t = TaskDetail.create("t");
      LogBook saved =
          c.saveLogBook(LogBook.create("b").withFlow(FlowDetail.create("f").withAtom(t)));
      FlowDetail fd = saved.flows().get(0);
      AtomDetail ad = fd.atoms().get(0);

      // A version-checked atom update.
      CountDownLatch cut = proxy.arm();
      AtomDetail next = c.updateAtomDetails(ad.put(AtomState.SUCCESS, "once"));
      assertThat(cut.getCount()).as("the reply was dropped").isZero();
      assertThat(next.revision()).isEqualTo(ad.revision() + 1);
      assertThat(c.getAtomDetails(t.uuid())).isEqualTo(next);

      // A transaction: the flow checked, an atom checked, a new atom and its link.
      TaskDetail added = TaskDetail.create("added");
      cut = proxy.arm();
      FlowDetail written =
          c.updateFlowDetails(
              fd.withState(FlowState.RUNNING)
                  .withAtom(next.withMetaEntries(Map.of("k", "v")))
                  .withAtom(added));
      assertThat(cut.getCount()).isZero();
      assertThat(written.revision()).isEqualTo(fd.revision() + 1);
      assertThat(written.find(t.uuid()).orElseThrow().revision()).isEqualTo(next.revision() + 1);
      FlowDetail stored = c.getFlowDetails(fd.uuid());
      assertThat(stored).isEqualTo(written);

      // A checked re-save of the whole book.
      LogBook again = saved.withFlows(java.util.List.of(written)).withMeta(Map.of("round", 2));
      cut = proxy.arm();
      LogBook resaved = c.saveLogBook(again);
      assertThat(cut.getCount()).isZero();
      assertThat(c.getLogBook(saved.uuid())).isEqualTo(resaved);
      assertThat(resaved.meta()).isEqualTo(Map.of("round", 2));

      // A destroy: applied, not "not found" on the retry.
      cut = proxy.arm();
      c.destroyLogBook(saved.uuid());
      assertThat(cut.getCount()).isZero();
      assertThatThrownBy(() -> c.getLogBook(saved.uuid())).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> c.getAtomDetails(t.uuid())).isInstanceOf(NotFoundException.class);
    }
  }

  /**
   * A claim whose reply was lost: the server locked the job for this session, and the retry must
   * find that claim its own, not look for another job and leave this one locked by a claim nobody
   * holds (its lock is ephemeral, but the session lives on).
   */
  @Test
  @Timeout(90)
  void aClaimWhoseReplyWasLostIsHeld(@EmbeddedZooKeeper TestingServer server) throws Exception {
    try (ReplyDroppingProxy proxy =
            new ReplyDroppingProxy(new InetSocketAddress("127.0.0.1", server.getPort()));
        io.taskflow4j.jobs.Jobboard board = boardThrough(proxy, "lostclaim")) {
      io.taskflow4j.jobs.Job job =
          board.post(
              io.taskflow4j.jobs.JobSpec.of(
                  "j", new io.taskflow4j.jobs.BookRef("b", "u"), "flow-1"));
      io.taskflow4j.jobs.OwnerId me = io.taskflow4j.jobs.OwnerId.generate("me");

      CountDownLatch cut = proxy.arm(org.apache.zookeeper.ZooDefs.OpCode.multi);
      java.util.Optional<io.taskflow4j.jobs.Claim> claim = board.claimNext(me);
      assertThat(cut.getCount()).as("the claim's reply was dropped").isZero();
      assertThat(claim).as("the applied claim is found on the retry").isPresent();
      assertThat(claim.get().job().uuid()).isEqualTo(job.uuid());
      assertThat(claim.get().isHeld()).isTrue();
      assertThat(board.job(job.uuid()).orElseThrow().owner()).isEqualTo(me.id());
      claim.get().complete();
      assertThat(board.jobs()).isEmpty();
    }
  }

  /**
   * A batch claim whose first claim's reply was lost: the retry finds that job claimed by this
   * session and goes on with the rest, so the batch holds every job once and none stays locked by a
   * claim nobody holds.
   */
  @Test
  @Timeout(90)
  void aBatchClaimWhoseReplyWasLostHoldsEveryJobOnce(@EmbeddedZooKeeper TestingServer server)
      throws Exception {
    try (ReplyDroppingProxy proxy =
            new ReplyDroppingProxy(new InetSocketAddress("127.0.0.1", server.getPort()));
        io.taskflow4j.jobs.Jobboard board = boardThrough(proxy, "lostbatch")) {
      java.util.List<String> posted = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        posted.add(
            board
                .post(
                    io.taskflow4j.jobs.JobSpec.of(
                        "j" + i, new io.taskflow4j.jobs.BookRef("b", "u" + i), "flow-1"))
                .uuid());
      }
      io.taskflow4j.jobs.OwnerId me = io.taskflow4j.jobs.OwnerId.generate("me");

      CountDownLatch cut = proxy.arm(org.apache.zookeeper.ZooDefs.OpCode.multi);
      java.util.List<io.taskflow4j.jobs.Claim> batch = board.claimNext(me, 3);
      assertThat(cut.getCount()).as("a claim's reply was dropped").isZero();
      assertThat(batch)
          .extracting(c -> c.job().uuid())
          .as("the applied claim is found on the retry, the others claimed after it")
          .containsExactlyElementsOf(posted);
      for (io.taskflow4j.jobs.Claim c : batch) {
        assertThat(c.isHeld()).isTrue();
        assertThat(board.job(c.job().uuid()).orElseThrow().owner()).isEqualTo(me.id());
      }
      assertThat(board.unclaimedJobs()).isEmpty();
      assertThat(board.completeAll(batch)).isEmpty();
      assertThat(board.jobs()).isEmpty();
    }
  }

  /** A board under {@code root} reached through {@code proxy}, retrying soon after a lost reply. */
  private static io.taskflow4j.jobs.Jobboard boardThrough(ReplyDroppingProxy proxy, String root) {
    return io.taskflow4j.jobs.Jobboards.open(
        "zookeeper://"
            + proxy.connectString()
            + "/"
            + root
            + "?session_timeout_ms=30000&retry_base_sleep_ms=50");
  }
}
