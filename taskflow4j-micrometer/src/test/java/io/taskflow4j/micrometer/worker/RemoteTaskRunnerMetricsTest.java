package io.taskflow4j.micrometer.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.worker.RemoteTaskRunner;
import io.taskflow4j.worker.TaskRegistry;
import io.taskflow4j.worker.Worker;
import io.taskflow4j.worker.transport.InMemoryTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RemoteTaskRunnerMetricsTest {
  private final InMemoryTransport.Broker broker = new InMemoryTransport.Broker();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final MeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  /** A worker in its own "process"; returns its connection, to kill it. */
  private InMemoryTransport worker(String name, TaskRegistry tasks) {
    InMemoryTransport t = closing(broker.connect());
    closing(
        Worker.builder(t)
            .topic("t")
            .name(name)
            .tasks(tasks)
            .concurrency(4)
            .heartbeat(Duration.ofMillis(100))
            .build()
            .start());
    return t;
  }

  private static Task remote(String name) {
    return Task.of(
        name,
        () -> {
          throw new AssertionError("must run on a worker");
        });
  }

  private double count(String name) {
    return registry.get(name).tag("topic", "t").functionCounter().count();
  }

  @Test
  void countsDispatchesRedispatchesAndHeartbeatMisses() throws Exception {
    CountDownLatch hung = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    List<String> ranOn = new CopyOnWriteArrayList<>();
    List<InMemoryTransport> conns = new ArrayList<>();
    for (String w : List.of("w1", "w2")) {
      TaskRegistry tasks =
          new TaskRegistry()
              .register(
                  "job",
                  atom ->
                      Task.of(
                          atom,
                          () -> {
                            ranOn.add(w + ":" + atom);
                            if (atom.equals("slow") && hung.getCount() > 0) {
                              hung.countDown();
                              never.await(); // hangs until its worker "crashes"
                            }
                            return w;
                          }));
      conns.add(worker(w, tasks));
    }
    RemoteTaskRunner runner =
        closing(
            RemoteTaskRunner.builder(closing(broker.connect()))
                .topic("t")
                .remoteName(task -> "job")
                .missedHeartbeats(3)
                .build());
    new RemoteTaskRunnerMetrics(runner, Tags.of("topic", "t")).bindTo(registry);
    assertThat(runner.awaitWorkers(2, Duration.ofSeconds(5))).isTrue();
    assertThat(registry.get(RemoteTaskRunnerMetrics.LIVE_WORKERS).gauge().value()).isEqualTo(2);

    Flow flow = UnorderedFlow.of("remote").add(remote("a"), remote("b"), remote("slow"));
    Engine engine = Engines.load(flow).taskRunner(runner).parallel(3).build();
    // a and b must have replied before the victim dies: one still in flight on it would be
    // dispatched again too
    CountDownLatch quickOnesDone = new CountDownLatch(2);
    engine
        .atomNotifier()
        .register(
            io.taskflow4j.persistence.AtomState.SUCCESS,
            e -> {
              if (!e.atomName().equals("slow")) {
                quickOnesDone.countDown();
              }
            });
    Thread run = new Thread(engine::run);
    run.start();
    assertThat(hung.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(quickOnesDone.await(5, TimeUnit.SECONDS)).isTrue();
    String victim = ranOn.stream().filter(s -> s.endsWith(":slow")).findFirst().orElseThrow();
    conns.get(victim.startsWith("w1") ? 0 : 1).close(); // no heartbeat, no reply any more
    run.join(10_000);
    never.countDown();
    assertThat(run.isAlive()).isFalse();
    engine.close();

    assertThat(count(RemoteTaskRunnerMetrics.DISPATCHES)).isEqualTo(4);
    assertThat(count(RemoteTaskRunnerMetrics.REDISPATCHES)).isEqualTo(1);
    assertThat(count(RemoteTaskRunnerMetrics.HEARTBEAT_MISSES)).isEqualTo(1);
    assertThat(count(RemoteTaskRunnerMetrics.IGNORED_REPLIES)).isZero();
    assertThat(registry.get(RemoteTaskRunnerMetrics.LIVE_WORKERS).gauge().value()).isEqualTo(1);
  }
}
