package io.taskflow4j.worker;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.worker.transport.Transport;
import io.taskflow4j.worker.transport.Transport.Delivery;
import io.taskflow4j.worker.transport.UnroutableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker: serves the tasks of its {@link TaskRegistry} on a topic, running at most {@code
 * concurrency} of them at a time, and advertises itself to engines with a heartbeat every {@code
 * heartbeat} interval.
 *
 * <pre>{@code
 * try (Worker w = Worker.builder(transport).topic("billing").tasks(registry)
 *     .concurrency(8).build().start()) {
 *   ... // until shutdown
 * }
 * }</pre>
 *
 * <p>For each request the worker runs the task, says {@code RUNNING} once it has run for {@link
 * Builder#runningDelay} (quick tasks skip it), forwards its progress reports as {@code EVENT}s,
 * replies {@code SUCCESS} or {@code FAILURE}, and acknowledges the request only once the broker
 * confirmed that final reply. A request whose {@code attempt_id} it has already taken (a
 * redelivery) is acknowledged and not run again.
 */
public final class Worker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
  private static final int SEEN_LIMIT = 100_000;
  private static final int REPLY_TRIES = 20;

  private final Transport transport;
  private final String topic;
  private final TaskRegistry registry;
  private final int concurrency;
  private final Duration heartbeat;
  private final Duration runningDelay;
  private final String name;
  private final String mailboxName;
  private final ExecutorService pool;
  private final ScheduledExecutorService timer;
  private final Set<String> seen =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > SEEN_LIMIT;
            }
          });
  private final AtomicInteger inflight = new AtomicInteger();
  private final Set<String> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicLong executed = new AtomicLong();
  private volatile Transport.Mailbox mailbox;
  private volatile boolean stopping;

  private Worker(Builder b) {
    this.transport = b.transport;
    this.topic = b.topic;
    this.registry = b.registry;
    this.concurrency = b.concurrency;
    this.heartbeat = b.heartbeat;
    this.runningDelay = b.runningDelay;
    this.name = b.name != null ? b.name : defaultName();
    this.mailboxName = "worker." + name;
    this.pool =
        new ThreadPoolExecutor(
            concurrency,
            concurrency,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            DaemonThreads.named("worker-" + name + "-task"));
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(1, DaemonThreads.named("worker-" + name + "-heartbeat"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  private static String defaultName() {
    return HostIdentity.hostName()
        + "-"
        + HostIdentity.pid()
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Starts configuring a worker on {@code transport}. */
  public static Builder builder(Transport transport) {
    return new Builder(transport);
  }

  /** Configures a {@link Worker}. */
  public static final class Builder {
    private final Transport transport;
    private String topic;
    private TaskRegistry registry;
    private int concurrency = Math.max(2, Runtime.getRuntime().availableProcessors());
    private Duration heartbeat = Duration.ofSeconds(1);
    private Duration runningDelay = Duration.ofMillis(50);
    private String name;

    private Builder(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** The topic served (required): engines send this topic's tasks here. */
    public Builder topic(String topic) {
      if (topic == null || topic.isBlank()) {
        throw new IllegalArgumentException("a worker needs a non-blank topic");
      }
      this.topic = topic;
      return this;
    }

    /** The tasks served (required). */
    public Builder tasks(TaskRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** How many tasks run at once (default: the number of processors, at least 2). */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /** The heartbeat interval (default 1 s); engines presume the worker dead after a few. */
    public Builder heartbeat(Duration interval) {
      if (interval == null || interval.toMillis() < 10) {
        throw new IllegalArgumentException("the heartbeat interval must be at least 10 ms");
      }
      this.heartbeat = interval;
      return this;
    }

    /**
     * How long a task runs before the worker says RUNNING (default 50 ms; zero: at once). Quick
     * tasks then answer with their final state only. Keep it well below the engines' {@code
     * pendingTimeout}.
     */
    public Builder runningDelay(Duration delay) {
      if (delay == null || delay.isNegative() || delay.toSeconds() > 60) {
        throw new IllegalArgumentException("runningDelay must be between 0 and 60 s, was " + delay);
      }
      this.runningDelay = delay;
      return this;
    }

    /** The worker's name, unique per process (default: host-pid-random). */
    public Builder name(String name) {
      if (name == null || !name.matches("[A-Za-z0-9._-]{1,100}")) {
        throw new IllegalArgumentException(
            "invalid worker name '" + name + "': use 1 to 100 of A-Z a-z 0-9 . _ -");
      }
      this.name = name;
      return this;
    }

    /** Builds the worker (not started). */
    public Worker build() {
      if (topic == null) {
        throw new IllegalArgumentException("a worker needs a topic: call topic(...)");
      }
      if (registry == null || registry.names().isEmpty()) {
        throw new IllegalArgumentException("a worker needs tasks: call tasks(...) with a registry");
      }
      return new Worker(this);
    }
  }

  /** The worker's name (unique per process). */
  public String name() {
    return name;
  }

  /** How many tasks this worker has run to an end (success or failure). */
  public long executed() {
    return executed.get();
  }

  /** Opens the mailbox and starts the heartbeats; returns this worker. */
  public Worker start() {
    mailbox = transport.openMailbox(mailboxName, concurrency, this::onDelivery);
    long ms = heartbeat.toMillis();
    timer.scheduleAtFixedRate(this::heartbeat, 0, ms, TimeUnit.MILLISECONDS);
    LOG.info("Worker {} serves topic '{}' with {} task(s)", name, topic, registry.names());
    return this;
  }

  private void heartbeat() {
    try {
      transport.broadcast(notify(stopping ? "stopping" : "up"));
    } catch (RuntimeException e) {
      LOG.debug("Heartbeat failed", e);
    }
  }

  private byte[] notify(String state) {
    Map<String, Object> m = Protocol.message(Protocol.NOTIFY);
    m.put("worker", name);
    m.put("topic", topic);
    m.put("state", state);
    m.put("mailbox", mailboxName);
    m.put("tasks", new ArrayList<>(registry.names()));
    m.put("concurrency", concurrency);
    m.put("inflight", inflight.get());
    m.put("heartbeat_ms", heartbeat.toMillis());
    if ("stopping".equals(state)) {
      // what it will still finish; engines re-dispatch their other requests to this worker
      m.put("attempts", new java.util.ArrayList<>(accepted));
    }
    return Json.writeBytes(m);
  }

  private void onDelivery(Delivery d) {
    Map<String, Object> msg;
    String attemptId;
    String replyTo;
    try {
      msg = Protocol.parse(d.body());
      if (!Protocol.REQUEST.equals(msg.get("type"))) {
        throw new Protocol.ProtocolException("a worker takes requests, not " + msg.get("type"));
      }
      attemptId = Protocol.string(msg, "attempt_id");
      replyTo = Protocol.string(msg, "reply_to");
    } catch (IllegalArgumentException e) {
      LOG.warn("Dropping an invalid message: {}", e.getMessage());
      d.ack();
      return;
    }
    boolean first;
    synchronized (seen) {
      first = seen.add(attemptId);
    }
    if (!first) {
      LOG.info("Attempt {} was already taken; acknowledging the redelivery", attemptId);
      d.ack();
      return;
    }
    if (stopping) {
      return; // not acknowledged: it goes with the mailbox, and the engine sends it elsewhere
    }
    inflight.incrementAndGet();
    accepted.add(attemptId);
    pool.execute(
        () -> {
          try {
            run(msg, attemptId, replyTo, d);
          } catch (Throwable e) {
            // Never keep a slot: the engine re-dispatches a request that gets no reply.
            LOG.error("Worker {} failed on attempt {}; dropping it", name, attemptId, e);
            d.ack();
            inflight.decrementAndGet();
            accepted.remove(attemptId);
            if (e instanceof VirtualMachineError vme) {
              throw vme;
            }
          }
        });
  }

  private void run(Map<String, Object> msg, String attemptId, String replyTo, Delivery d) {
    Map<String, Object> data = new LinkedHashMap<>();
    String state;
    // RUNNING goes out once the task has run for runningDelay: a quick task answers with its
    // final state only (one message less per task). The lock keeps RUNNING before the final reply.
    boolean[] finished = {false};
    ScheduledFuture<?> running =
        runningDelay.isZero()
            ? null
            : timer.schedule(
                () -> {
                  synchronized (finished) {
                    if (!finished[0]) {
                      sayRunning(replyTo, attemptId);
                    }
                  }
                },
                runningDelay.toNanos(),
                TimeUnit.NANOSECONDS);
    if (running == null) {
      sayRunning(replyTo, attemptId);
    }
    try {
      String taskCls = Protocol.string(msg, "task_cls");
      String atom = Protocol.string(msg, "task_name");
      String action = Protocol.string(msg, "action");
      Task task = registry.create(taskCls, atom);
      Arguments args =
          Arguments.of(
              Protocol.object(msg, "arguments"),
              task.argumentTypes(),
              (p, details) -> progress(replyTo, attemptId, p, details));
      Object result =
          switch (action) {
            case Protocol.EXECUTE -> task.execute(args);
            case Protocol.REVERT ->
                task.revert(
                    args,
                    Protocol.resultFromWire(msg.get("result")),
                    Protocol.failuresFromWire(Protocol.object(msg, "failures")));
            default ->
                throw new Protocol.ProtocolException(
                    "unknown action '" + action + "': use execute or revert");
          };
      data.put("result", Json.normalize(result));
      state = Protocol.SUCCESS;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      data.put("result", Failure.of(e).toMap());
      state = Protocol.FAILURE;
    }
    synchronized (finished) {
      finished[0] = true;
    }
    if (running != null) {
      running.cancel(false);
    }
    executed.incrementAndGet();
    CompletableFuture<Void> sent;
    try {
      sent = sendReply(replyTo, response(attemptId, state, data), 1);
    } catch (RuntimeException e) {
      LOG.error("Could not reply to attempt {}", attemptId, e);
      sent = CompletableFuture.completedFuture(null);
    }
    sent.whenComplete(
        (v, e) -> {
          // Acknowledge only now: a worker dying before its reply is confirmed leaves the
          // request unacknowledged (and the engine re-dispatches it).
          d.ack();
          inflight.decrementAndGet();
          accepted.remove(attemptId);
        });
  }

  private void sayRunning(String replyTo, String attemptId) {
    try {
      transport.send(replyTo, response(attemptId, Protocol.RUNNING, Map.of()));
    } catch (RuntimeException e) {
      LOG.warn("Could not say RUNNING for attempt {}: {}", attemptId, e.toString());
    }
  }

  private CompletableFuture<Void> sendReply(String replyTo, byte[] reply, int attempt) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture<Void> sent;
    try {
      sent = transport.send(replyTo, reply);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete(
        (v, e) -> {
          if (e == null) {
            done.complete(null);
          } else if (e instanceof UnroutableException && attempt < REPLY_TRIES && !stopping) {
            // The engine's mailbox may be coming back after a broker restart: try again.
            timer.schedule(
                () -> {
                  sendReply(replyTo, reply, attempt + 1)
                      .whenComplete((x, y) -> done.complete(null));
                },
                250,
                TimeUnit.MILLISECONDS);
          } else {
            LOG.warn("Could not deliver a reply to {}: {}", replyTo, e.getMessage());
            done.complete(null);
          }
        });
    return done;
  }

  private void progress(String replyTo, String attemptId, double p, Map<String, Object> details) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("event_type", "update_progress");
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("progress", p);
    d.put("details", Json.normalize(details));
    data.put("details", d);
    try {
      transport.send(replyTo, response(attemptId, Protocol.EVENT, data));
    } catch (RuntimeException e) {
      LOG.debug("Could not send a progress event of attempt {}", attemptId, e);
    }
  }

  private byte[] response(String attemptId, String state, Map<String, Object> data) {
    Map<String, Object> m = Protocol.message(Protocol.RESPONSE);
    m.put("attempt_id", attemptId);
    m.put("worker", name);
    m.put("state", state);
    m.put("data", data);
    return Json.writeBytes(m);
  }

  /**
   * Stops: tells engines it is stopping, stops taking requests, lets running tasks finish (up to 10
   * s) and closes. Does not close the transport.
   */
  @Override
  public void close() {
    if (stopping) {
      return;
    }
    stopping = true;
    Transport.Mailbox m = mailbox;
    if (m != null) {
      m.close();
    }
    heartbeat();
    pool.shutdown();
    try {
      if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("Worker {}: tasks still running after 10 s; stopping anyway", name);
      }
      // let the final replies be confirmed
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (inflight.get() > 0 && System.nanoTime() < end) {
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
    LOG.info("Worker {} stopped after running {} task(s)", name, executed.get());
  }
}
