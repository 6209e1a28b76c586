package io.taskflow4j.worker.transport;

import io.taskflow4j.internal.DaemonThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport inside one JVM, for tests: every {@link InMemoryTransport} is one "process" connected
 * to a shared {@link Broker}. Closing a transport is what a process crash does to its mailboxes:
 * they vanish with their messages.
 */
public final class InMemoryTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryTransport.class);

  /** The shared message broker of a group of in-memory transports. */
  public static final class Broker {
    private final Map<String, MemMailbox> mailboxes = new ConcurrentHashMap<>();
    private final List<Consumer<byte[]>> subscribers = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<String, byte[]>> taps = new CopyOnWriteArrayList<>();

    /** A new connection to this broker. */
    public InMemoryTransport connect() {
      return new InMemoryTransport(this);
    }

    /** Sees every message sent to a mailbox (mailbox name, body), before it is delivered. */
    public void tap(BiConsumer<String, byte[]> tap) {
      taps.add(Objects.requireNonNull(tap, "tap"));
    }
  }

  private final Broker broker;
  private final List<MemMailbox> own = new CopyOnWriteArrayList<>();
  private final List<Consumer<byte[]>> ownSubscriptions = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private InMemoryTransport(Broker broker) {
    this.broker = broker;
  }

  @Override
  public Mailbox openMailbox(String name, int prefetch, Consumer<Delivery> handler) {
    checkOpen();
    if (prefetch < 1) {
      throw new IllegalArgumentException("prefetch must be at least 1, was " + prefetch);
    }
    MemMailbox box = new MemMailbox(name, prefetch, handler);
    if (broker.mailboxes.putIfAbsent(name, box) != null) {
      throw new TransportException("mailbox '" + name + "' is already open");
    }
    own.add(box);
    box.thread.start();
    return box;
  }

  @Override
  public CompletableFuture<Void> send(String mailbox, byte[] body) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new TransportException("the transport is closed"));
    }
    for (BiConsumer<String, byte[]> tap : broker.taps) {
      tap.accept(mailbox, body);
    }
    MemMailbox box = broker.mailboxes.get(mailbox);
    if (box == null || !box.open.get()) {
      return CompletableFuture.failedFuture(new UnroutableException(mailbox));
    }
    box.queue.add(body.clone());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void broadcast(byte[] body) {
    if (closed.get()) {
      return;
    }
    for (Consumer<byte[]> s : broker.subscribers) {
      try {
        s.accept(body.clone());
      } catch (RuntimeException e) {
        LOG.warn("A broadcast subscriber failed", e);
      }
    }
  }

  @Override
  public AutoCloseable subscribeBroadcasts(Consumer<byte[]> handler) {
    checkOpen();
    Consumer<byte[]> h = Objects.requireNonNull(handler, "handler")::accept;
    broker.subscribers.add(h);
    ownSubscriptions.add(h);
    return () -> {
      broker.subscribers.remove(h);
      ownSubscriptions.remove(h);
    };
  }

  /** Accepted and never called: an in-memory connection is never lost, only closed. */
  @Override
  public void addConnectionListener(ConnectionListener listener) {
    Objects.requireNonNull(listener, "listener");
  }

  @Override
  public boolean isConnected() {
    return !closed.get();
  }

  /** Closes the connection as a crash would: mailboxes vanish with their messages. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (MemMailbox box : new ArrayList<>(own)) {
        box.close();
      }
      for (Consumer<byte[]> s : ownSubscriptions) {
        broker.subscribers.remove(s);
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new TransportException("the transport is closed");
    }
  }

  private final class MemMailbox implements Mailbox {
    private final String name;
    private final Semaphore credits;
    private final Consumer<Delivery> handler;
    private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean open = new AtomicBoolean(true);
    private final Thread thread;

    MemMailbox(String name, int prefetch, Consumer<Delivery> handler) {
      this.name = Objects.requireNonNull(name, "name");
      this.credits = new Semaphore(prefetch);
      this.handler = Objects.requireNonNull(handler, "handler");
      this.thread = DaemonThreads.create("mailbox-" + name, this::dispatch);
    }

    private void dispatch() {
      try {
        while (open.get()) {
          credits.acquire();
          byte[] body = queue.take();
          if (!open.get()) {
            return;
          }
          AtomicBoolean acked = new AtomicBoolean();
          Delivery d =
              new Delivery() {
                @Override
                public byte[] body() {
                  return body;
                }

                @Override
                public boolean redelivered() {
                  return false;
                }

                @Override
                public void ack() {
                  if (acked.compareAndSet(false, true)) {
                    credits.release();
                  }
                }
              };
          try {
            handler.accept(d);
          } catch (RuntimeException e) {
            LOG.warn("The handler of mailbox '{}' failed", name, e);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        broker.mailboxes.remove(name, this);
        own.remove(this);
        queue.clear();
        thread.interrupt();
      }
    }
  }
}
