package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import io.taskflow4j.storage.FlowFences;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code resume} raises the flow's resume fence before it reads and runs the flow, and writes only
 * under it: a resume started later takes the flow over, and the earlier one stops at its next write
 * without writing anything more. Two processes racing is {@code ConcurrentResumeIT}; these tests
 * make each side of the race happen on purpose.
 */
class ResumeFenceTest {
  @TempDir Path dir;

  @Test
  void aResumeWhoseFenceIsRaisedByAnotherStopsAtItsNextWriteOnSqlite() throws Exception {
    takenOverMidRun(crashedDemo(Cli.sqlite(dir.resolve("slow.db")), 400));
  }

  @Test
  void aResumeWhoseFenceIsRaisedByAnotherStopsAtItsNextWriteOnADirectory() throws Exception {
    takenOverMidRun(crashedDemo(Cli.dir(dir.resolve("slow")), 400));
  }

  @Test
  void aResumeWhoseFenceIsRaisedByAnotherStopsAtItsNextWriteOnZooKeeper(
      @EmbeddedZooKeeper TestingServer server) throws Exception {
    takenOverMidRun(
        crashedDemo("zookeeper://" + server.getConnectString() + "/taskflow4j-resume", 400));
  }

  /**
   * The first resume is inside a 400 ms task when a second raises the fence: nothing more lands.
   */
  private void takenOverMidRun(String connection) throws Exception {
    String flow = onlyFlow(connection).uuid();

    CompletableFuture<Cli.Result> first =
        CompletableFuture.supplyAsync(() -> Cli.run("resume", "--connection", connection, "--all"));
    Map<String, AtomState> raised;
    try (Backend backend = Backends.fetch(connection);
        Connection c = backend.getConnection()) {
      // reserve-stock takes 400 ms: the first resume is inside it once it is RUNNING in the store
      awaitRunning(c, flow, "reserve-stock");
      // a second resume raises the fence, as FlowFences.raise does, and reads the flow
      FlowFences.raise(c, flow);
      raised = states(c.getFlowDetails(flow));
    }
    Cli.Result r = first.get(2, TimeUnit.MINUTES);
    r.expect(ExitCodes.CONFLICT);
    assertThat(r.out())
        .contains("another process is running it too; this one stopped without writing more")
        .contains("another resume raised the flow's resume fence higher")
        .contains("is RUNNING in the store")
        .doesNotContain("finished: ");
    // reserve-stock's result was refused: the store holds what it held when the fence rose
    assertThat(raised).containsEntry("reserve-stock", AtomState.RUNNING);
    assertThat(states(onlyFlow(connection))).isEqualTo(raised);
    assertThat(onlyFlow(connection).state()).isEqualTo(FlowState.RUNNING);

    // the next resume raises the fence above the last one and finishes the flow
    Cli.Result next = Cli.run("resume", "--connection", connection, "--all", "--quiet");
    next.expect(ExitCodes.OK);
    assertThat(next.out()).contains("finished: SUCCESS");
    assertThat(onlyFlow(connection).state()).isEqualTo(FlowState.SUCCESS);
  }

  @Test
  void aResumeThatFindsAHigherFenceWhenItRaisesItsOwnDoesNotStart() throws Exception {
    String connection = crashedDemo(Cli.sqlite(dir.resolve("raced.db")), 0);
    FlowDetail before = onlyFlow(connection);
    try (Backend backend = Backends.fetch(connection);
        Connection c = backend.getConnection()) {
      // another resume raised the fence between this one's read of the token and its own raise
      Connection stale =
          new ForwardingConnection(c) {
            @Override
            public OptionalLong fenceToken(String key) {
              OptionalLong read = super.fenceToken(key);
              super.advanceFence(new Fence(key, Long.MAX_VALUE / 2));
              return read;
            }
          };
      assertThatThrownBy(() -> FlowFences.raise(stale, before.uuid()))
          .isInstanceOf(FencedException.class)
          .hasMessageContaining(FlowFences.key(before.uuid()));
      assertThat(c.fenceToken(FlowFences.key(before.uuid()))).hasValue(Long.MAX_VALUE / 2);
    }
    assertThat(states(onlyFlow(connection))).isEqualTo(states(before));
  }

  @Test
  void eachResumeRaisesTheFenceAboveTheLastAndAFinishedFlowIsNotRunAgain() throws Exception {
    String connection = crashedDemo(Cli.sqlite(dir.resolve("again.db")), 0);
    String flow = onlyFlow(connection).uuid();
    String key = FlowFences.key(flow);
    Cli.run("resume", "--connection", connection, "--flow", flow, "--quiet").expect(ExitCodes.OK);
    long first;
    try (Backend backend = Backends.fetch(connection);
        Connection c = backend.getConnection()) {
      first = c.fenceToken(key).orElseThrow();
      assertThat(first).isPositive();
      Fence next = FlowFences.raise(c, flow);
      assertThat(next.key()).isEqualTo(key);
      assertThat(next.token()).isGreaterThan(first).isLessThanOrEqualTo(first + (1L << 31));
    }
    Cli.Result again = Cli.run("resume", "--connection", connection, "--flow", flow);
    again.expect(ExitCodes.OK);
    assertThat(again.out()).contains("already finished: SUCCESS");
  }

  /** A demo store whose only flow crashed after its first task; each task takes {@code delay}. */
  private String crashedDemo(String connection, int delayMillis) throws Exception {
    Cli.runJvm(
            dir,
            "demo",
            "--connection",
            connection,
            "--delay",
            String.valueOf(delayMillis),
            "--crash-after",
            "1")
        .expect(ExitCodes.CRASHED);
    return connection;
  }

  private static FlowDetail onlyFlow(String connection) {
    try (Backend backend = Backends.fetch(connection);
        Connection c = backend.getConnection()) {
      LogBook book = c.getLogBooks().iterator().next();
      return c.getFlowDetails(book.flows().get(0).uuid());
    }
  }

  private static Map<String, AtomState> states(FlowDetail fd) {
    return fd.atoms().stream().collect(Collectors.toMap(AtomDetail::name, AtomDetail::state));
  }

  /** Polls the store until atom {@code name} of the flow is RUNNING. */
  private static void awaitRunning(Connection c, String flow, String name)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (System.nanoTime() < deadline) {
      if (states(c.getFlowDetails(flow)).get(name) == AtomState.RUNNING) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError(name + " never ran");
  }
}
