package io.taskflow4j.worker.transport;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoverableConnection;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.taskflow4j.internal.DaemonThreads;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} over RabbitMQ (AMQP 0-9-1, the Java client {@code amqp-client}).
 *
 * <ul>
 *   <li>A mailbox is an exclusive, auto-delete queue {@code <namespace>.<name>} consumed with
 *       manual acknowledgements and {@code basic.qos(prefetch)}; it dies with its connection.
 *   <li>{@link #send} publishes through the default exchange with {@code mandatory=true} on a
 *       channel in confirm mode: the future completes on the broker's confirm, and fails with
 *       {@link UnroutableException} when the message was returned (no such queue).
 *   <li>Broadcasts go through the fanout exchange {@code <namespace>.broadcast}.
 *   <li>Automatic connection recovery is on: queues, bindings and consumers are declared again, and
 *       every message not yet confirmed (or sent while the connection was down) is published again
 *       once the connection is back.
 * </ul>
 */
public final class RabbitTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(RabbitTransport.class);
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private final String namespace;
  private final String exchange;
  private final Connection connection;
  private final Channel pub;
  private final Object pubLock = new Object();
  private final Object broadcastLock = new Object();
  private Channel broadcastChannel;
  private final NavigableMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
  private final List<Pending> held = new ArrayList<>(); // guarded by pubLock
  private final Set<String> returned = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService completions;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean connected = true;

  private record Pending(String id, String queue, byte[] body, CompletableFuture<Void> done) {}

  private RabbitTransport(String namespace, Connection connection) throws IOException {
    this.namespace = namespace;
    this.exchange = namespace + ".broadcast";
    this.connection = connection;
    this.completions =
        Executors.newSingleThreadExecutor(DaemonThreads.named("rabbit-confirms-" + namespace));
    this.pub = connection.createChannel();
    pub.confirmSelect();
    pub.addReturnListener(r -> returned.add(String.valueOf(r.getProperties().getMessageId())));
    pub.addConfirmListener((seq, multiple) -> confirmed(seq, multiple, true), this::nacked);
    pub.addShutdownListener(
        cause -> {
          if (!cause.isHardError() && !closed.get()) {
            // A channel error (not a lost connection, which recovery handles) would leave every
            // later message held: say why.
            LOG.error("The publishing channel was closed by the broker: {}", cause.getMessage());
          }
        });
    pub.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true, false, null);
    connection.addShutdownListener(
        cause -> {
          if (!closed.get()) {
            connected = false;
            LOG.warn("Lost the connection to RabbitMQ: {}", cause.getMessage());
            for (ConnectionListener l : listeners) {
              l.onDisconnected();
            }
          }
        });
    if (connection instanceof RecoverableConnection rc) {
      rc.addRecoveryListener(
          new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recoverable) {
              recovered();
            }

            @Override
            public void handleRecoveryStarted(Recoverable recoverable) {}
          });
    }
  }

  /**
   * Connects to RabbitMQ.
   *
   * @param uri {@code amqp://user:password@host:port/vhost}
   * @param namespace the prefix of every queue and exchange name ({@code [A-Za-z0-9._-]})
   * @throws IllegalArgumentException on a bad URI or namespace
   * @throws TransportException when the broker cannot be reached
   */
  public static RabbitTransport connect(String uri, String namespace) {
    Objects.requireNonNull(uri, "uri");
    if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "invalid namespace '"
              + namespace
              + "': use 1 to 100 of the characters A-Z a-z 0-9 . _ -");
    }
    ConnectionFactory f = new ConnectionFactory();
    try {
      f.setUri(uri);
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "invalid AMQP URI (expected amqp://user:password@host:port/vhost)");
    }
    f.setAutomaticRecoveryEnabled(true);
    f.setTopologyRecoveryEnabled(true);
    f.setNetworkRecoveryInterval(500);
    f.setRequestedHeartbeat(10);
    f.setConnectionTimeout(10_000);
    String where = f.getHost() + ":" + f.getPort();
    try {
      Connection c = f.newConnection("taskflow4j-" + namespace);
      return new RabbitTransport(namespace, c);
    } catch (IOException | TimeoutException e) {
      throw new TransportException(
          "cannot connect to RabbitMQ at "
              + where
              + " ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "); check that the broker runs and the user and password are right",
          e);
    }
  }

  /** The namespace of every queue and exchange name. */
  public String namespace() {
    return namespace;
  }

  private String queue(String mailbox) {
    return namespace + "." + mailbox;
  }

  // ---------------------------------------------------------------- mailboxes

  @Override
  public Mailbox openMailbox(String name, int prefetch, Consumer<Delivery> handler) {
    if (prefetch < 1) {
      throw new IllegalArgumentException("prefetch must be at least 1, was " + prefetch);
    }
    return open(name, prefetch, false, Objects.requireNonNull(handler, "handler"));
  }

  /** A mailbox consumed in no-ack mode (fewer frames; replies need no redelivery). */
  @Override
  public Mailbox openInbox(String name, Consumer<byte[]> handler) {
    Objects.requireNonNull(handler, "handler");
    return open(name, 0, true, d -> handler.accept(d.body()));
  }

  private Mailbox open(String name, int prefetch, boolean autoAck, Consumer<Delivery> handler) {
    checkOpen();
    String queue = queue(Objects.requireNonNull(name, "name"));
    try {
      Channel ch = connection.createChannel();
      if (!autoAck) {
        ch.basicQos(prefetch);
      }
      ch.addShutdownListener(
          cause -> {
            if (!cause.isHardError() && !closed.get() && !cause.isInitiatedByApplication()) {
              LOG.error("The channel of mailbox '{}' was closed: {}", name, cause.getMessage());
            }
          });
      ch.queueDeclare(queue, false, true, true, null);
      String tag =
          ch.basicConsume(
              queue,
              autoAck,
              new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(
                    String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                  long deliveryTag = env.getDeliveryTag();
                  AtomicBoolean acked = new AtomicBoolean();
                  Delivery d =
                      new Delivery() {
                        @Override
                        public byte[] body() {
                          return body;
                        }

                        @Override
                        public boolean redelivered() {
                          return env.isRedeliver();
                        }

                        @Override
                        public void ack() {
                          if (!autoAck && acked.compareAndSet(false, true)) {
                            try {
                              ch.basicAck(deliveryTag, false);
                            } catch (IOException | AlreadyClosedException e) {
                              LOG.debug("Could not acknowledge a delivery of '{}'", queue, e);
                            }
                          }
                        }
                      };
                  try {
                    handler.accept(d);
                  } catch (RuntimeException e) {
                    LOG.warn("The handler of mailbox '{}' failed", name, e);
                  }
                }
              });
      return new Mailbox() {
        private final AtomicBoolean open = new AtomicBoolean(true);

        @Override
        public String name() {
          return name;
        }

        @Override
        public void close() {
          if (open.compareAndSet(true, false)) {
            try {
              ch.basicCancel(tag);
              ch.queueDelete(queue);
              ch.close();
            } catch (IOException | TimeoutException | AlreadyClosedException e) {
              LOG.debug("Could not close mailbox '{}' cleanly", name, e);
            }
          }
        }
      };
    } catch (IOException | AlreadyClosedException e) {
      throw new TransportException(
          "cannot open mailbox '" + name + "' (queue " + queue + "): " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- sending

  @Override
  public CompletableFuture<Void> send(String mailbox, byte[] body) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new TransportException("the transport is closed"));
    }
    Pending p =
        new Pending(
            Long.toString(ids.incrementAndGet()),
            queue(Objects.requireNonNull(mailbox, "mailbox")),
            body,
            new CompletableFuture<>());
    publish(p);
    return p.done;
  }

  private void publish(Pending p) {
    synchronized (pubLock) {
      if (!connected) {
        held.add(p);
        return;
      }
      long seq = pub.getNextPublishSeqNo();
      unconfirmed.put(seq, p);
      try {
        AMQP.BasicProperties props =
            new AMQP.BasicProperties.Builder()
                .messageId(p.id)
                .contentType("application/json")
                .deliveryMode(1)
                .build();
        pub.basicPublish("", p.queue, true, props, p.body);
      } catch (IOException | ShutdownSignalException e) {
        unconfirmed.remove(seq);
        held.add(p);
        LOG.debug("Holding a message to {} until the connection is back", p.queue);
      } catch (RuntimeException e) {
        unconfirmed.remove(seq);
        LOG.error("Could not publish a message to {}", p.queue, e);
        p.done.completeExceptionally(
            new TransportException("could not publish to " + p.queue + ": " + e, e));
      }
    }
  }

  private void confirmed(long seq, boolean multiple, boolean ack) {
    List<Pending> done = new ArrayList<>();
    if (multiple) {
      NavigableMap<Long, Pending> head = unconfirmed.headMap(seq, true);
      done.addAll(head.values());
      head.clear();
    } else {
      Pending p = unconfirmed.remove(seq);
      if (p != null) {
        done.add(p);
      }
    }
    if (!ack) {
      // The broker could not take them: publish again.
      for (Pending p : done) {
        returned.remove(p.id);
        publish(p);
      }
      return;
    }
    completions.execute(
        () -> {
          for (Pending p : done) {
            if (returned.remove(p.id)) {
              p.done.completeExceptionally(new UnroutableException(mailboxOf(p.queue)));
            } else {
              p.done.complete(null);
            }
          }
        });
  }

  private void nacked(long seq, boolean multiple) {
    LOG.warn("RabbitMQ refused message(s) up to #{}; publishing again", seq);
    confirmed(seq, multiple, false);
  }

  private String mailboxOf(String queue) {
    return queue.substring(namespace.length() + 1);
  }

  private void recovered() {
    List<Pending> again;
    synchronized (pubLock) {
      connected = true;
      again = new ArrayList<>(unconfirmed.values());
      again.addAll(held);
      unconfirmed.clear();
      held.clear();
      for (Pending p : again) {
        returned.remove(p.id);
        publish(p);
      }
    }
    LOG.info("Reconnected to RabbitMQ; published {} unconfirmed message(s) again", again.size());
    for (ConnectionListener l : listeners) {
      try {
        l.onReconnected();
      } catch (RuntimeException e) {
        LOG.warn("A connection listener failed", e);
      }
    }
  }

  // ---------------------------------------------------------------- broadcasts

  @Override
  public void broadcast(byte[] body) {
    if (closed.get() || !connected) {
      return;
    }
    synchronized (broadcastLock) {
      try {
        if (broadcastChannel == null || !broadcastChannel.isOpen()) {
          broadcastChannel = connection.createChannel();
          broadcastChannel.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true, false, null);
        }
        broadcastChannel.basicPublish(exchange, "", null, body);
      } catch (IOException | ShutdownSignalException e) {
        LOG.debug("Could not broadcast: {}", e.getMessage());
      }
    }
  }

  @Override
  public AutoCloseable subscribeBroadcasts(Consumer<byte[]> handler) {
    checkOpen();
    Objects.requireNonNull(handler, "handler");
    try {
      Channel ch = connection.createChannel();
      String queue = namespace + ".bc." + java.util.UUID.randomUUID();
      ch.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true, false, null);
      ch.queueDeclare(queue, false, true, true, Map.of("x-max-length", 10_000));
      ch.queueBind(queue, exchange, "");
      String tag =
          ch.basicConsume(
              queue,
              true,
              new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(
                    String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                  try {
                    handler.accept(body);
                  } catch (RuntimeException e) {
                    LOG.warn("A broadcast subscriber failed", e);
                  }
                }
              });
      return () -> {
        try {
          ch.basicCancel(tag);
          ch.close();
        } catch (IOException | TimeoutException | AlreadyClosedException e) {
          LOG.debug("Could not unsubscribe cleanly", e);
        }
      };
    } catch (IOException | AlreadyClosedException e) {
      throw new TransportException("cannot subscribe to broadcasts: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void addConnectionListener(ConnectionListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public boolean isConnected() {
    return connected && !closed.get();
  }

  /** Deletes the namespace's broadcast exchange (the queues are exclusive and go by themselves). */
  public void deleteNamespace() {
    try {
      Channel ch = connection.createChannel();
      ch.exchangeDelete(exchange);
      ch.close();
    } catch (IOException | TimeoutException | AlreadyClosedException e) {
      throw new TransportException("cannot delete exchange " + exchange + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        connection.close(5_000);
      } catch (IOException | AlreadyClosedException e) {
        LOG.debug("Could not close the RabbitMQ connection cleanly", e);
      }
      completions.shutdown();
      TransportException gone = new TransportException("the transport is closed");
      synchronized (pubLock) {
        for (Pending p : unconfirmed.values()) {
          p.done.completeExceptionally(gone);
        }
        for (Pending p : held) {
          p.done.completeExceptionally(gone);
        }
        unconfirmed.clear();
        held.clear();
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new TransportException("the transport is closed");
    }
  }
}
