package io.taskflow4j.worker.transport;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * How engines and workers exchange messages: point-to-point mailboxes with acknowledgements, and a
 * broadcast channel for worker heartbeats. Implementations: {@link InMemoryTransport} (one JVM, for
 * tests) and {@link RabbitTransport} (RabbitMQ); a NATS JetStream transport can implement the same
 * contract.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>A mailbox belongs to the process that opened it. It disappears, with the messages still in
 *       it, when that process closes it, closes the transport or dies; it comes back empty when the
 *       transport reconnects after an outage.
 *   <li>{@link #send} completes when the transport holds the message safely (RabbitMQ: a publisher
 *       confirm), and fails with {@link UnroutableException} when no such mailbox exists. A message
 *       sent while the connection is down, or not confirmed when it went down, is sent again once
 *       the connection is back.
 *   <li>A delivery stays unacknowledged until {@link Delivery#ack()}; at most {@code prefetch}
 *       unacknowledged deliveries are handed to a mailbox's handler at a time.
 *   <li>Broadcasts are best effort (heartbeats are repeated anyway).
 * </ul>
 *
 * <p>All names are scoped by the transport's namespace, so several deployments (or test runs) can
 * share a broker.
 */
public interface Transport extends AutoCloseable {

  /** A message handed to a mailbox's handler. */
  interface Delivery {
    /** The message body (UTF-8 JSON in this module's protocol). */
    byte[] body();

    /** Whether the message was delivered before (after a connection loss). */
    boolean redelivered();

    /** Acknowledges the message: it will not be delivered again. Idempotent. */
    void ack();
  }

  /** An open mailbox. */
  interface Mailbox extends AutoCloseable {
    /** The mailbox's name, as given to {@link Transport#send}. */
    String name();

    /** Stops consuming and deletes the mailbox. */
    @Override
    void close();
  }

  /** Told when the connection goes down and when it is back. */
  interface ConnectionListener {
    /** The connection was lost; messages sent meanwhile are held. */
    default void onDisconnected() {}

    /** The connection is back, mailboxes and subscriptions restored, held messages resent. */
    default void onReconnected() {}
  }

  /**
   * Opens a mailbox owned by this process.
   *
   * @param name the mailbox name (unique in the namespace)
   * @param prefetch the most unacknowledged deliveries at a time (at least 1)
   * @param handler called for every delivery, on a transport thread: keep it short
   * @throws TransportException when the mailbox cannot be created
   */
  Mailbox openMailbox(String name, int prefetch, Consumer<Delivery> handler);

  /**
   * Opens a mailbox whose messages count as acknowledged once delivered: for replies, which are
   * worthless once their owner is gone. The default acknowledges each delivery itself.
   *
   * @throws TransportException when the mailbox cannot be created
   */
  default Mailbox openInbox(String name, Consumer<byte[]> handler) {
    return openMailbox(
        name,
        1000,
        d -> {
          d.ack();
          handler.accept(d.body());
        });
  }

  /**
   * Sends a message to a mailbox.
   *
   * @return completes when the message is safely held by the transport; fails with {@link
   *     UnroutableException} when the mailbox does not exist, or {@link TransportException} when
   *     the transport was closed
   */
  CompletableFuture<Void> send(String mailbox, byte[] body);

  /** Publishes a message to every broadcast subscriber (best effort; never throws). */
  void broadcast(byte[] body);

  /** Subscribes to broadcasts; close the result to stop. */
  AutoCloseable subscribeBroadcasts(Consumer<byte[]> handler);

  /** Adds a listener for connection loss and recovery. */
  void addConnectionListener(ConnectionListener listener);

  /** Whether the connection is up now. */
  boolean isConnected();

  /** Closes the connection: this process's mailboxes and subscriptions disappear. */
  @Override
  void close();
}
