package io.taskflow4j.worker;

import io.taskflow4j.Task;
import io.taskflow4j.engine.TaskRunner;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.WrappedFailureException;
import io.taskflow4j.worker.transport.Transport;
import io.taskflow4j.worker.transport.UnroutableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TaskRunner} that runs tasks on remote {@link Worker}s of a topic. The engine keeps the
 * logbook as with local execution (RUNNING before the call, the result or failure after), so
 * resumption is unchanged.
 *
 * <pre>{@code
 * try (RemoteTaskRunner remote = RemoteTaskRunner.builder(transport).topic("billing").build()) {
 *   Engines.load(flow).backend(backend).taskRunner(remote).parallel(64).build().run();
 * }
 * }</pre>
 *
 * <p>The engine calls the runner on its worker threads and each call blocks until the reply, so a
 * parallel engine with {@code k} threads has at most {@code k} tasks in flight on the workers.
 *
 * <p>Each dispatch gets a fresh {@code attempt_id}; only replies carrying the live attempt id are
 * accepted. A dispatch is abandoned and the task sent again (with a new attempt id, to another live
 * worker when there is one) when the worker misses {@link Builder#missedHeartbeats} heartbeats,
 * says nothing within {@link Builder#pendingTimeout} of the request, or has not replied within
 * {@link Builder#requestTimeout}; after {@link Builder#maxDispatches} dispatches the task fails
 * with a {@link RemoteTaskException}. Tasks therefore run <em>at least once</em>: a re-dispatched
 * task may also have run (or still run) on the first worker.
 */
public final class RemoteTaskRunner implements TaskRunner, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteTaskRunner.class);

  private final Transport transport;
  private final String topic;
  private final Function<Task, String> remoteName;
  private final Duration requestTimeout;
  private final Duration pendingTimeout;
  private final int missedHeartbeats;
  private final int maxDispatches;
  private final Duration noWorkerTimeout;
  private final String mailboxName;
  private final Transport.Mailbox mailbox;
  private final AutoCloseable subscription;
  private final ScheduledExecutorService monitor;
  private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
  private final Map<String, WorkerInfo> workers = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final AtomicLong ignoredReplies = new AtomicLong();
  private final AtomicLong redispatches = new AtomicLong();
  private final AtomicLong dispatches = new AtomicLong();
  private final AtomicLong heartbeatMisses = new AtomicLong();
  private volatile boolean closed;

  private RemoteTaskRunner(Builder b) {
    this.transport = b.transport;
    this.topic = b.topic;
    this.remoteName = b.remoteName;
    this.requestTimeout = b.requestTimeout;
    this.pendingTimeout = b.pendingTimeout;
    this.missedHeartbeats = b.missedHeartbeats;
    this.maxDispatches = b.maxDispatches;
    this.noWorkerTimeout = b.noWorkerTimeout;
    this.mailboxName = "engine." + UUID.randomUUID();
    this.monitor =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("remote-task-monitor"));
    this.mailbox = transport.openInbox(mailboxName, this::onReply);
    this.subscription = transport.subscribeBroadcasts(this::onBroadcast);
    transport.addConnectionListener(
        new Transport.ConnectionListener() {
          @Override
          public void onReconnected() {
            reconnected();
          }
        });
    monitor.scheduleWithFixedDelay(this::check, 50, 50, TimeUnit.MILLISECONDS);
  }

  /** Starts configuring a runner on {@code transport}. */
  public static Builder builder(Transport transport) {
    return new Builder(transport);
  }

  /** Configures a {@link RemoteTaskRunner}. */
  public static final class Builder {
    private final Transport transport;
    private String topic;
    private Function<Task, String> remoteName = t -> t.getClass().getName();
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration pendingTimeout = Duration.ofSeconds(10);
    private int missedHeartbeats = 3;
    private int maxDispatches = 5;
    private Duration noWorkerTimeout = Duration.ofSeconds(60);

    private Builder(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** The workers' topic (required). */
    public Builder topic(String topic) {
      if (topic == null || topic.isBlank()) {
        throw new IllegalArgumentException("a remote task runner needs a non-blank topic");
      }
      this.topic = topic;
      return this;
    }

    /**
     * How a task is named in requests, which is how workers find it in their {@link TaskRegistry};
     * default: the task's class name. Lambda tasks all share one class: name them with a function
     * (for example {@code Task::name}).
     */
    public Builder remoteName(Function<Task, String> remoteName) {
      this.remoteName = Objects.requireNonNull(remoteName, "remoteName");
      return this;
    }

    /** The longest a dispatch may take from request to final reply (default 60 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** The longest a worker may take to say RUNNING after a request (default 10 s). */
    public Builder pendingTimeout(Duration timeout) {
      this.pendingTimeout = positive(timeout, "pendingTimeout");
      return this;
    }

    /** After how many missed heartbeats a worker is presumed dead (default 3). */
    public Builder missedHeartbeats(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("missedHeartbeats must be at least 1, was " + n);
      }
      this.missedHeartbeats = n;
      return this;
    }

    /** How many times a task is dispatched before it fails (default 5). */
    public Builder maxDispatches(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxDispatches must be at least 1, was " + n);
      }
      this.maxDispatches = n;
      return this;
    }

    /** How long to wait for a live worker serving a task before failing it (default 60 s). */
    public Builder noWorkerTimeout(Duration timeout) {
      this.noWorkerTimeout = positive(timeout, "noWorkerTimeout");
      return this;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be a positive duration, was " + d);
      }
      return d;
    }

    /** Builds the runner: opens its reply mailbox and starts listening to heartbeats. */
    public RemoteTaskRunner build() {
      if (topic == null) {
        throw new IllegalArgumentException("a remote task runner needs a topic: call topic(...)");
      }
      return new RemoteTaskRunner(this);
    }
  }

  // ---------------------------------------------------------------- statistics (for monitoring)

  /** Replies ignored because their attempt was no longer live (late or duplicate replies). */
  public long ignoredReplies() {
    return ignoredReplies.get();
  }

  /** Dispatches abandoned and sent again. */
  public long redispatches() {
    return redispatches.get();
  }

  /**
   * Dispatches abandoned because their worker missed {@link Builder#missedHeartbeats} heartbeats
   * (each is also counted in {@link #redispatches()} when the task is sent again).
   */
  public long heartbeatMisses() {
    return heartbeatMisses.get();
  }

  /** All dispatches (requests sent). */
  public long dispatches() {
    return dispatches.get();
  }

  /** The names of the workers now presumed live on the topic. */
  public List<String> liveWorkers() {
    long now = System.nanoTime();
    List<String> out = new ArrayList<>();
    for (WorkerInfo w : workers.values()) {
      if (w.live(now)) {
        out.add(w.name);
      }
    }
    return out;
  }

  /** Waits until at least {@code n} workers are live; returns whether they are. */
  public boolean awaitWorkers(int n, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (liveWorkers().size() < n) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- the runner

  @Override
  public Object execute(Invocation call) throws Exception {
    return dispatch(call, Protocol.EXECUTE, null, null);
  }

  @Override
  public Object revert(Invocation call, Object result, Map<String, Failure> failures)
      throws Exception {
    return dispatch(call, Protocol.REVERT, result, failures);
  }

  private Object dispatch(Invocation call, String action, Object result, Map<String, Failure> fs)
      throws Exception {
    String name = remoteName.apply(call.task());
    Map<String, Object> request = Protocol.message(Protocol.REQUEST);
    request.put("task_cls", name);
    request.put("task_name", call.atomName());
    request.put("task_version", call.task().version());
    request.put("action", action);
    request.put("arguments", Json.normalize(call.arguments().asMap()));
    if (Protocol.REVERT.equals(action)) {
      request.put("result", Protocol.resultToWire(result));
      request.put("failures", Protocol.failuresToWire(fs));
    }
    request.put("atom_uuid", call.atomUuid());
    request.put("flow_uuid", call.flowUuid());
    request.put("attempt", call.attempt());
    request.put("topic", topic);
    request.put("reply_to", mailboxName);
    Set<String> tried = new HashSet<>();
    String lastReason = null;
    for (int d = 1; d <= maxDispatches; d++) {
      if (closed) {
        throw new RemoteTaskException(
            "task '" + call.atomName() + "' cannot run: the remote task runner was closed");
      }
      WorkerInfo w = acquire(name, tried, call.atomName());
      Attempt a = new Attempt(UUID.randomUUID().toString(), w, call);
      request.put("attempt_id", a.id);
      request.put("dispatch", d);
      attempts.put(a.id, a);
      dispatches.incrementAndGet();
      try {
        transport
            .send(w.mailbox, Json.writeBytes(request))
            .whenComplete(
                (v, e) -> {
                  if (e instanceof UnroutableException) {
                    w.unreachable = true;
                    a.lose("worker " + w.name + " is gone (its mailbox does not exist)");
                  } else if (e != null) {
                    a.lose("the request could not be sent: " + e.getMessage());
                  }
                });
        Outcome o;
        try {
          o = a.outcome.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("unexpected dispatch failure", e.getCause());
        }
        if (o.lost != null) {
          lastReason = o.lost;
          tried.add(w.name);
          if (d < maxDispatches) {
            redispatches.incrementAndGet();
            LOG.warn(
                "Task '{}' (attempt {}): {}; dispatching it again", call.atomName(), a.id, o.lost);
          }
          continue;
        }
        if (Protocol.FAILURE.equals(o.state)) {
          throw new WrappedFailureException(List.of(Protocol.failureFromWire(o.result)));
        }
        return o.result;
      } finally {
        attempts.remove(a.id);
        release(w);
      }
    }
    throw new RemoteTaskException(
        "task '"
            + call.atomName()
            + "' ("
            + name
            + ") was dispatched "
            + maxDispatches
            + " times on topic '"
            + topic
            + "' without a reply; last: "
            + lastReason);
  }

  private WorkerInfo acquire(String task, Set<String> avoid, String atom)
      throws InterruptedException {
    long end = System.nanoTime() + noWorkerTimeout.toNanos();
    lock.lock();
    try {
      while (true) {
        long now = System.nanoTime();
        WorkerInfo best = null;
        WorkerInfo bestTried = null;
        boolean anyLive = false;
        for (WorkerInfo w : workers.values()) {
          if (!w.live(now) || !w.tasks.contains(task)) {
            continue;
          }
          anyLive = true;
          if (w.inflight >= w.concurrency) {
            continue;
          }
          if (avoid.contains(w.name)) {
            if (bestTried == null || w.load() < bestTried.load()) {
              bestTried = w;
            }
          } else if (best == null || w.load() < best.load()) {
            best = w;
          }
        }
        if (closed) {
          throw new RemoteTaskException("the remote task runner was closed");
        }
        WorkerInfo pick = best != null ? best : bestTried;
        if (pick != null) {
          pick.inflight++;
          return pick;
        }
        if (anyLive) {
          end = now + noWorkerTimeout.toNanos(); // busy, not absent: keep waiting
        }
        long left = end - now;
        if (left <= 0) {
          throw new RemoteTaskException(
              "no live worker serves task '"
                  + task
                  + "' (atom '"
                  + atom
                  + "') on topic '"
                  + topic
                  + "' after "
                  + noWorkerTimeout.toSeconds()
                  + " s; start one (WorkerMain --topic "
                  + topic
                  + ") with that task registered");
        }
        changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
      }
    } finally {
      lock.unlock();
    }
  }

  private void release(WorkerInfo w) {
    lock.lock();
    try {
      w.inflight--;
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- messages in

  private void onReply(byte[] body) {
    Map<String, Object> m;
    String id;
    String state;
    try {
      m = Protocol.parse(body);
      id = Protocol.string(m, "attempt_id");
      state = Protocol.string(m, "state");
    } catch (IllegalArgumentException e) {
      LOG.warn("Ignoring an invalid reply: {}", e.getMessage());
      return;
    }
    Attempt a = attempts.get(id);
    if (a == null || a.outcome.isDone()) {
      ignoredReplies.incrementAndGet();
      LOG.debug("Ignoring a {} reply of attempt {}: not the live attempt", state, id);
      return;
    }
    Map<String, Object> data = Protocol.object(m, "data");
    switch (state) {
      case Protocol.RUNNING -> a.running = true;
      case Protocol.EVENT -> {
        a.running = true;
        Map<String, Object> details = Protocol.object(data, "details");
        if (details.get("progress") instanceof Number p) {
          try {
            a.call.arguments().updateProgress(p.doubleValue(), Protocol.object(details, "details"));
          } catch (IllegalArgumentException e) {
            LOG.warn("Ignoring a bad progress report of attempt {}: {}", id, e.getMessage());
          }
        }
      }
      case Protocol.SUCCESS, Protocol.FAILURE ->
          a.outcome.complete(new Outcome(state, data.get("result"), null));
      default -> LOG.warn("Ignoring a reply of attempt {} in unknown state {}", id, state);
    }
  }

  private void onBroadcast(byte[] body) {
    Map<String, Object> m;
    try {
      m = Protocol.parse(body);
      if (!Protocol.NOTIFY.equals(m.get("type")) || !topic.equals(m.get("topic"))) {
        return;
      }
      String name = Protocol.string(m, "worker");
      String box = Protocol.string(m, "mailbox");
      boolean up = !"stopping".equals(m.get("state"));
      long interval = Protocol.integer(m, "heartbeat_ms", 1000);
      int concurrency = Math.max(1, Protocol.integer(m, "concurrency", 1));
      Set<String> tasks = new HashSet<>();
      if (m.get("tasks") instanceof List<?> l) {
        for (Object t : l) {
          tasks.add(String.valueOf(t));
        }
      }
      lock.lock();
      try {
        WorkerInfo w =
            workers.computeIfAbsent(name, k -> new WorkerInfo(k, box, tasks, concurrency));
        w.lastSeen = System.nanoTime();
        w.ttlNanos = TimeUnit.MILLISECONDS.toNanos(interval * missedHeartbeats);
        w.unreachable = false;
        boolean wasUp = w.up;
        w.up = up;
        if (wasUp && !up) {
          LOG.info("Worker {} is stopping", name);
          Set<String> kept = new HashSet<>();
          if (m.get("attempts") instanceof List<?> l) {
            for (Object id : l) {
              kept.add(String.valueOf(id));
            }
          }
          for (Attempt a : attempts.values()) {
            if (a.worker == w && !a.running && !kept.contains(a.id)) {
              a.lose("worker " + name + " stopped before taking the request");
            }
          }
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    } catch (IllegalArgumentException e) {
      LOG.debug("Ignoring an invalid broadcast: {}", e.getMessage());
    }
  }

  // ---------------------------------------------------------------- failure detection

  private void check() {
    try {
      if (!transport.isConnected()) {
        return; // cannot hear anyone: judge nobody
      }
      long now = System.nanoTime();
      for (Attempt a : attempts.values()) {
        if (a.outcome.isDone()) {
          continue;
        }
        WorkerInfo w = a.worker;
        // A stopping worker finishes what it runs and keeps sending heartbeats meanwhile.
        if (now - w.lastSeen > w.ttlNanos) {
          boolean lost =
              a.lose(
                  "worker "
                      + w.name
                      + " missed "
                      + missedHeartbeats
                      + " heartbeats ("
                      + TimeUnit.NANOSECONDS.toMillis(now - w.lastSeen)
                      + " ms of silence)");
          if (lost) {
            heartbeatMisses.incrementAndGet();
          }
        } else if (!a.running && now - a.sentAt > pendingTimeout.toNanos()) {
          a.lose("worker " + w.name + " did not start the task within " + pendingTimeout);
        } else if (now - a.sentAt > requestTimeout.toNanos()) {
          a.lose("worker " + w.name + " did not reply within " + requestTimeout);
        }
      }
      // Forget workers silent for a long time (their attempts are gone by now).
      lock.lock();
      try {
        workers.values().removeIf(w -> now - w.lastSeen > 20 * w.ttlNanos && w.inflight == 0);
      } finally {
        lock.unlock();
      }
    } catch (RuntimeException e) {
      LOG.warn("Remote task monitor failed", e);
    }
  }

  private void reconnected() {
    long now = System.nanoTime();
    // Heartbeats could not arrive during the outage: give every worker a fresh term, and every
    // request not yet started its full pending time again (it may have been lost with a queue).
    for (WorkerInfo w : workers.values()) {
      w.lastSeen = now;
    }
    for (Attempt a : attempts.values()) {
      if (!a.running) {
        a.sentAt = now;
      }
    }
  }

  /** Stops listening; calls still waiting fail when their attempts time out. */
  @Override
  public void close() {
    closed = true;
    monitor.shutdownNow();
    for (Attempt a : attempts.values()) {
      a.lose("the remote task runner was closed");
    }
    try {
      subscription.close();
    } catch (Exception e) {
      LOG.debug("Could not unsubscribe", e);
    }
    mailbox.close();
  }

  @Override
  public String toString() {
    return "RemoteTaskRunner[topic=" + topic + "]";
  }

  // ---------------------------------------------------------------- state

  private record Outcome(String state, Object result, String lost) {}

  private static final class Attempt {
    final String id;
    final WorkerInfo worker;
    final Invocation call;
    final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    volatile long sentAt = System.nanoTime();
    volatile boolean running;

    Attempt(String id, WorkerInfo worker, Invocation call) {
      this.id = id;
      this.worker = worker;
      this.call = call;
    }

    /** Ends the attempt as lost; whether this call ended it (false: it had an outcome). */
    boolean lose(String reason) {
      return outcome.complete(new Outcome(null, null, reason));
    }
  }

  private static final class WorkerInfo {
    final String name;
    final String mailbox;
    final Set<String> tasks;
    final int concurrency;
    volatile long lastSeen = System.nanoTime();
    volatile long ttlNanos = TimeUnit.SECONDS.toNanos(3);
    volatile boolean up = true;
    volatile boolean unreachable;
    int inflight; // guarded by lock

    WorkerInfo(String name, String mailbox, Set<String> tasks, int concurrency) {
      this.name = name;
      this.mailbox = mailbox;
      this.tasks = Set.copyOf(tasks);
      this.concurrency = concurrency;
    }

    boolean live(long now) {
      return up && !unreachable && now - lastSeen <= ttlNanos;
    }

    double load() {
      return (double) inflight / concurrency;
    }
  }
}
