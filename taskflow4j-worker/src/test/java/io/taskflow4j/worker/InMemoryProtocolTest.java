package io.taskflow4j.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.TaskRunner;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.WrappedFailureException;
import io.taskflow4j.worker.transport.InMemoryTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The protocol over the in-memory transport: attempt ids, late replies, timeouts, dead workers. */
@Timeout(60)
class InMemoryProtocolTest {
  private final InMemoryTransport.Broker broker = new InMemoryTransport.Broker();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final List<Map<String, Object>> requests = new CopyOnWriteArrayList<>();

  InMemoryProtocolTest() {
    broker.tap(
        (box, body) -> {
          try {
            Map<String, Object> m = Protocol.parse(body);
            if (Protocol.REQUEST.equals(m.get("type"))) {
              requests.add(m);
            }
          } catch (IllegalArgumentException e) {
            // not a protocol message (a test sends garbage on purpose)
          }
        });
  }

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

  /** A worker in its own "process" (its own connection); returns the connection to kill it. */
  private InMemoryTransport worker(String name, TaskRegistry tasks, int concurrency) {
    InMemoryTransport t = closing(broker.connect());
    closing(
        Worker.builder(t)
            .topic("t")
            .name(name)
            .tasks(tasks)
            .concurrency(concurrency)
            .heartbeat(Duration.ofMillis(100))
            .build()
            .start());
    return t;
  }

  private RemoteTaskRunner.Builder runner() {
    return RemoteTaskRunner.builder(closing(broker.connect()))
        .topic("t")
        .remoteName(task -> task.name().replaceAll("-\\d+$", ""));
  }

  private static List<Map<String, Object>> finals(List<Map<String, Object>> replies) {
    return replies.stream().filter(m -> !"RUNNING".equals(m.get("state"))).toList();
  }

  private static Task remote(String name, String... requires) {
    return Task.of(
            name,
            args -> {
              throw new AssertionError("must run on a worker");
            })
        .requires(requires);
  }

  private static TaskRegistry echo(String worker) {
    return new TaskRegistry()
        .register(
            "echo",
            atom ->
                Task.of(atom, args -> Map.<String, Object>of("worker", worker, "x", args.get("x")))
                    .requires("x"));
  }

  @Test
  void fanOutRunsOnAllWorkersWithOneAttemptIdPerDispatch() throws Exception {
    worker("w1", echo("w1"), 4);
    worker("w2", echo("w2"), 4);
    RemoteTaskRunner remote = closing(runner().build());
    assertThat(remote.awaitWorkers(2, Duration.ofSeconds(5))).isTrue();
    UnorderedFlow flow = UnorderedFlow.of("fan");
    Map<String, Object> store = new HashMap<>();
    for (int i = 1; i <= 200; i++) {
      flow.add(remote("echo-" + i, "x").rebind(Map.of("x", "x" + i)).provides("v" + i));
      store.put("x" + i, i);
    }
    Backend backend = Backends.open("memory://");
    try (Engine e =
        Engines.load(flow).backend(backend).store(store).taskRunner(remote).parallel(16).build()) {
      e.run();
      Set<Object> workers = new HashSet<>();
      for (int i = 1; i <= 200; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) e.storage().fetch("v" + i);
        assertThat(((Number) v.get("x")).intValue()).isEqualTo(i);
        workers.add(v.get("worker"));
        assertThat(e.storage().getAtomState("echo-" + i)).isEqualTo(AtomState.SUCCESS);
      }
      assertThat(workers).containsExactlyInAnyOrder("w1", "w2");
    }
    Set<Object> ids = new HashSet<>();
    for (Map<String, Object> r : requests) {
      ids.add(r.get("attempt_id"));
      assertThat(r.get("action")).isEqualTo("execute");
      assertThat(r.get("task_cls")).isEqualTo("echo");
      assertThat(r.get("reply_to")).asString().startsWith("engine.");
      assertThat(r.get("atom_uuid")).asString().isNotEmpty();
    }
    // one request per dispatch (a loaded machine may re-dispatch a few), each with its own id
    assertThat(requests).hasSize(200 + (int) remote.redispatches());
    assertThat(ids).hasSize(requests.size());
  }

  @Test
  void slowWorkerIsReplacedAndItsLateReplyIgnored() throws Exception {
    AtomicBoolean first = new AtomicBoolean(true);
    CountDownLatch slowDone = new CountDownLatch(1);
    TaskFactory job =
        atom ->
            Task.of(
                atom,
                args -> {
                  if (first.compareAndSet(true, false)) {
                    Thread.sleep(1500);
                    slowDone.countDown();
                    return "slow";
                  }
                  return "fast";
                });
    worker("w1", new TaskRegistry().register("job", job), 2);
    worker("w2", new TaskRegistry().register("job", job), 2);
    RemoteTaskRunner remote = closing(runner().requestTimeout(Duration.ofMillis(400)).build());
    assertThat(remote.awaitWorkers(2, Duration.ofSeconds(5))).isTrue();
    try (Engine e =
        Engines.load(remote("job-1").provides("r")).taskRunner(remote).parallel(2).build()) {
      e.run();
      assertThat(e.storage().fetch("r")).isEqualTo("fast");
    }
    assertThat(slowDone.await(5, TimeUnit.SECONDS)).isTrue();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (remote.ignoredReplies() < 1 && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(remote.ignoredReplies())
        .as("the slow worker's late SUCCESS")
        .isGreaterThanOrEqualTo(1);
    assertThat(remote.redispatches()).isGreaterThanOrEqualTo(1);
    assertThat(requests).hasSizeGreaterThanOrEqualTo(2);
    assertThat(requests.get(0).get("attempt_id")).isNotEqualTo(requests.get(1).get("attempt_id"));
    assertThat(requests.get(0).get("atom_uuid")).isEqualTo(requests.get(1).get("atom_uuid"));
    assertThat(requests.get(1).get("dispatch")).isEqualTo(2);
  }

  @Test
  void deadWorkerIsDetectedByMissedHeartbeatsAndTheTaskRunsElsewhere() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    Map<String, InMemoryTransport> conns = new HashMap<>();
    List<String> ranOn = new CopyOnWriteArrayList<>();
    for (String w : List.of("w1", "w2")) {
      TaskRegistry r =
          new TaskRegistry()
              .register(
                  "job",
                  atom ->
                      Task.of(
                          atom,
                          args -> {
                            ranOn.add(w);
                            if (ranOn.size() == 1) {
                              started.countDown();
                              never.await(); // hangs until the "crash"
                            }
                            return w;
                          }));
      conns.put(w, worker(w, r, 1));
    }
    RemoteTaskRunner remote = closing(runner().missedHeartbeats(3).build());
    assertThat(remote.awaitWorkers(2, Duration.ofSeconds(5))).isTrue();
    Engine e = Engines.load(remote("job-1").provides("r")).taskRunner(remote).parallel(2).build();
    Thread run = new Thread(e::run);
    run.start();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    String victim = ranOn.get(0);
    long killedAt = System.nanoTime();
    conns.get(victim).close(); // the worker's process is gone: no heartbeat, no reply
    run.join(5000);
    long detectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
    assertThat(run.isAlive()).isFalse();
    String survivor = victim.equals("w1") ? "w2" : "w1";
    assertThat(e.storage().fetch("r")).isEqualTo(survivor);
    assertThat(ranOn).containsExactly(victim, survivor);
    assertThat(remote.heartbeatMisses()).as("dispatches lost to missed heartbeats").isEqualTo(1);
    assertThat(remote.redispatches()).isEqualTo(1);
    // 3 heartbeats of 100 ms, checked every 50 ms
    assertThat(detectMs).isLessThan(1500);
    never.countDown();
    e.close();
  }

  @Test
  void workerFailuresComeBackAsFailuresAndRevertRunsRemotely() throws Exception {
    List<String> reverted = new CopyOnWriteArrayList<>();
    TaskRegistry r =
        new TaskRegistry()
            .register(
                "ok",
                atom ->
                    new Task(atom) {
                      @Override
                      public Object execute(Arguments args) {
                        return 41;
                      }

                      @Override
                      public Object revert(
                          Arguments args,
                          Object result,
                          Map<String, io.taskflow4j.persistence.Failure> failures) {
                        reverted.add(atom + ":" + result + ":" + failures.keySet());
                        return null;
                      }
                    })
            .register(
                "fail",
                atom ->
                    Task.of(
                        atom,
                        args -> {
                          throw new IllegalStateException("boom in " + atom);
                        }));
    worker("w1", r, 2);
    RemoteTaskRunner remote = closing(runner().build());
    assertThat(remote.awaitWorkers(1, Duration.ofSeconds(5))).isTrue();
    LinearFlow flow = LinearFlow.of("f");
    flow.add(remote("ok-1").provides("a"), remote("fail-1"));
    try (Engine e = Engines.load(flow).taskRunner(remote).build()) {
      assertThatThrownBy(e::run)
          .isInstanceOfSatisfying(
              WrappedFailureException.class,
              w -> {
                assertThat(w.check(IllegalStateException.class)).isNotNull();
                assertThat(w.getMessage()).contains("boom in fail-1");
              });
      assertThat(e.storage().getAtomState("ok-1")).isEqualTo(AtomState.REVERTED);
    }
    assertThat(reverted).containsExactly("ok-1:41:[fail-1]");
    Map<String, Object> revert = requests.get(requests.size() - 1);
    assertThat(revert.get("action")).isEqualTo("revert");
    assertThat(revert.get("result")).isEqualTo(List.of("success", 41));
  }

  @Test
  void aTaskWithoutLiveWorkerFailsWithAClearMessage() {
    worker("w1", echo("w1"), 1);
    RemoteTaskRunner remote = closing(runner().noWorkerTimeout(Duration.ofMillis(300)).build());
    try (Engine e = Engines.load(remote("missing-1")).taskRunner(remote).build()) {
      assertThatThrownBy(e::run)
          .isInstanceOf(RemoteTaskException.class)
          .hasMessageContaining("no live worker serves task 'missing'")
          .hasMessageContaining("topic 't'");
    }
  }

  @Test
  void progressReportsReachTheEngine() throws Exception {
    TaskRegistry r =
        new TaskRegistry()
            .register(
                "p",
                atom ->
                    Task.of(
                        atom,
                        args -> {
                          args.updateProgress(0.25, Map.of("step", 1));
                          args.updateProgress(0.5);
                          return 7;
                        }));
    worker("w1", r, 1);
    RemoteTaskRunner remote = closing(runner().build());
    assertThat(remote.awaitWorkers(1, Duration.ofSeconds(5))).isTrue();
    List<Double> progress = new CopyOnWriteArrayList<>();
    List<Object> details = new CopyOnWriteArrayList<>();
    Object result =
        remote.execute(
            new TaskRunner.Invocation(
                remote("p-1"),
                "p-1",
                "atom-uuid",
                "flow-uuid",
                1,
                Arguments.of(
                    Map.of(),
                    Map.of(),
                    (p, d) -> {
                      progress.add(p);
                      details.add(d);
                    })));
    assertThat(result).isEqualTo(7);
    assertThat(progress).containsExactly(0.25, 0.5);
    assertThat(details.get(0)).isEqualTo(Map.of("step", 1));
  }

  @Test
  void aRedeliveredAttemptRunsOnce() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    TaskRegistry r =
        new TaskRegistry().register("c", atom -> Task.of(atom, args -> runs.incrementAndGet()));
    worker("w1", r, 1);
    InMemoryTransport engine = closing(broker.connect());
    List<Map<String, Object>> replies = new CopyOnWriteArrayList<>();
    closing(
        engine.openMailbox(
            "engine.x",
            10,
            d -> {
              replies.add(Protocol.parse(d.body()));
              d.ack();
            }));
    Map<String, Object> req = Protocol.message(Protocol.REQUEST);
    req.put("task_cls", "c");
    req.put("task_name", "c-1");
    req.put("action", "execute");
    req.put("arguments", Map.of());
    req.put("attempt_id", "a-1");
    req.put("reply_to", "engine.x");
    byte[] body = Json.writeBytes(req);
    engine.send("worker.w1", body).get(5, TimeUnit.SECONDS);
    engine.send("worker.w1", body).get(5, TimeUnit.SECONDS);
    engine.send("worker.w1", "not json".getBytes()).get(5, TimeUnit.SECONDS);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (finals(replies).isEmpty() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    Thread.sleep(200);
    assertThat(runs.get()).isEqualTo(1);
    // one final reply (and a RUNNING before it only if the task took longer than 50 ms)
    assertThat(finals(replies)).extracting(m -> m.get("state")).containsExactly("SUCCESS");
    assertThat(finals(replies).get(0).get("attempt_id")).isEqualTo("a-1");
    assertThat(finals(replies).get(0).get("worker")).isEqualTo("w1");
    assertThat(replies.size()).isLessThanOrEqualTo(2);
  }

  @Test
  void anUnknownTaskOnAWorkerIsAClearFailure() throws Exception {
    worker("w1", echo("w1"), 1);
    InMemoryTransport engine = closing(broker.connect());
    List<Map<String, Object>> replies = new CopyOnWriteArrayList<>();
    closing(
        engine.openMailbox(
            "engine.y",
            10,
            d -> {
              replies.add(Protocol.parse(d.body()));
              d.ack();
            }));
    Map<String, Object> req = Protocol.message(Protocol.REQUEST);
    req.put("task_cls", "nope");
    req.put("task_name", "n-1");
    req.put("action", "execute");
    req.put("attempt_id", "a-2");
    req.put("reply_to", "engine.y");
    engine.send("worker.w1", Json.writeBytes(req)).get(5, TimeUnit.SECONDS);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (finals(replies).isEmpty() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(finals(replies)).extracting(m -> m.get("state")).containsExactly("FAILURE");
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) finals(replies).get(0).get("data");
    assertThat(Protocol.failureFromWire(data.get("result")).exceptionStr())
        .contains("no task 'nope'")
        .contains("[echo]");
  }

  @Test
  void aSuspendedRemoteRunResumesFromTheLogbookWithoutRunningDoneTasksAgain() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    TaskRegistry r =
        new TaskRegistry()
            .register(
                "count",
                atom ->
                    Task.of(
                        atom,
                        args -> {
                          ran.add(atom);
                          return atom.length();
                        }));
    worker("w1", r, 2);
    RemoteTaskRunner remote = closing(runner().build());
    assertThat(remote.awaitWorkers(1, Duration.ofSeconds(5))).isTrue();
    LinearFlow flow = LinearFlow.of("chain");
    flow.add(remote("count-1").provides("a"), remote("count-2").provides("b"));
    flow.add(remote("count-3").provides("c"));
    Backend backend = Backends.open("memory://");
    io.taskflow4j.persistence.FlowDetail detail;
    try (Engine e1 = Engines.load(flow).backend(backend).taskRunner(remote).build()) {
      e1.onAtomEvent(
          ev -> {
            if (ev.atomName().equals("count-1") && ev.state() == AtomState.SUCCESS) {
              e1.suspend();
            }
          });
      e1.run();
      assertThat(e1.flowState()).isEqualTo(io.taskflow4j.persistence.FlowState.SUSPENDED);
      detail = e1.flowDetail();
    }
    assertThat(ran).containsExactly("count-1");
    try (Engine e2 =
        Engines.load(flow).backend(backend).flowDetail(detail).taskRunner(remote).build()) {
      e2.run();
      assertThat(e2.flowState()).isEqualTo(io.taskflow4j.persistence.FlowState.SUCCESS);
      assertThat(e2.storage().fetch("c")).isEqualTo(7);
    }
    assertThat(ran).containsExactly("count-1", "count-2", "count-3");
  }

  @Test
  void aVanishedMailboxIsNoticedAtOnceWithoutWaitingForTheHeartbeatTimeout() throws Exception {
    worker("w1", echo("w1"), 4);
    InMemoryTransport w2 = broker.connect();
    toClose.add(w2);
    closing(
        Worker.builder(w2)
            .topic("t")
            .name("w2")
            .tasks(echo("w2"))
            .concurrency(4)
            .heartbeat(Duration.ofSeconds(2))
            .build()
            .start());
    RemoteTaskRunner remote = closing(runner().missedHeartbeats(5).build());
    assertThat(remote.awaitWorkers(2, Duration.ofSeconds(5))).isTrue();
    w2.close(); // w2 dies; its last heartbeat stays fresh for 10 s
    UnorderedFlow flow = UnorderedFlow.of("fan");
    Map<String, Object> store = new HashMap<>();
    for (int i = 1; i <= 20; i++) {
      flow.add(remote("echo-" + i, "x").rebind(Map.of("x", "x" + i)).provides("v" + i));
      store.put("x" + i, i);
    }
    long t0 = System.nanoTime();
    try (Engine e = Engines.load(flow).store(store).taskRunner(remote).parallel(8).build()) {
      e.run();
      for (int i = 1; i <= 20; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) e.storage().fetch("v" + i);
        assertThat(v.get("worker")).isEqualTo("w1");
      }
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
    assertThat(remote.redispatches()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aTaskRunningLongerThanTheRunningDelaySaysRunningFirst() throws Exception {
    TaskRegistry r =
        new TaskRegistry()
            .register(
                "nap",
                atom ->
                    Task.of(
                        atom,
                        args -> {
                          Thread.sleep(300);
                          return 1;
                        }));
    worker("w1", r, 1);
    InMemoryTransport engine = closing(broker.connect());
    List<Map<String, Object>> replies = new CopyOnWriteArrayList<>();
    closing(engine.openInbox("engine.z", body -> replies.add(Protocol.parse(body))));
    Map<String, Object> req = Protocol.message(Protocol.REQUEST);
    req.put("task_cls", "nap");
    req.put("task_name", "nap-1");
    req.put("action", "execute");
    req.put("attempt_id", "a-3");
    req.put("reply_to", "engine.z");
    engine.send("worker.w1", Json.writeBytes(req)).get(5, TimeUnit.SECONDS);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (replies.size() < 2 && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(replies).extracting(m -> m.get("state")).containsExactly("RUNNING", "SUCCESS");
  }

  @Test
  void aStoppingWorkerFinishesItsTaskAndGetsNoMoreRequests() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    TaskRegistry r =
        new TaskRegistry()
            .register(
                "long",
                atom ->
                    Task.of(
                        atom,
                        args -> {
                          started.countDown();
                          Thread.sleep(500);
                          return "done";
                        }));
    InMemoryTransport t = closing(broker.connect());
    Worker w =
        Worker.builder(t)
            .topic("t")
            .name("w1")
            .tasks(r)
            .concurrency(1)
            .heartbeat(Duration.ofMillis(100))
            .build()
            .start();
    RemoteTaskRunner remote = closing(runner().build());
    assertThat(remote.awaitWorkers(1, Duration.ofSeconds(5))).isTrue();
    Engine e = Engines.load(remote("long-1").provides("r")).taskRunner(remote).parallel(1).build();
    Thread run = new Thread(e::run);
    run.start();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    w.close(); // graceful: waits for the running task and its reply
    run.join(5000);
    assertThat(run.isAlive()).isFalse();
    assertThat(e.storage().fetch("r")).isEqualTo("done");
    assertThat(w.executed()).isEqualTo(1);
    assertThat(remote.redispatches()).isZero();
    assertThat(remote.liveWorkers()).doesNotContain("w1");
    e.close();
  }
}
