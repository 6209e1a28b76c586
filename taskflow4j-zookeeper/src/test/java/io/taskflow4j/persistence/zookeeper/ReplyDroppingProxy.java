package io.taskflow4j.persistence.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of a ZooKeeper server that can lose one reply: once {@link #arm()}ed, it
 * forwards the client's next request to the server, lets the server apply it, and then cuts the
 * connection before the reply reaches the client. The client sees a lost connection for a request
 * the server did apply, the case a retry must not mistake for a conflict.
 */
final class ReplyDroppingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicReference<CountDownLatch> armed = new AtomicReference<>();
  private volatile boolean closed;

  ReplyDroppingProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "zk-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  /** {@code 127.0.0.1:port} of the proxy. */
  String connectString() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /**
   * Makes the proxy drop the reply to the next request; the returned latch opens once the
   * connection was cut.
   */
  CountDownLatch arm() {
    return arm(ANY);
  }

  /**
   * As {@link #arm()}, for the next request of ZooKeeper operation {@code opCode} ({@code
   * ZooDefs.OpCode}; a request that starts a read of the client's bytes is recognised by its
   * header): the requests before it pass.
   */
  CountDownLatch arm(int opCode) {
    CountDownLatch cut = new CountDownLatch(1);
    armedFor = opCode;
    armed.set(cut);
    return cut;
  }

  private static final int ANY = Integer.MIN_VALUE;
  private volatile int armedFor = ANY;

  /** Whether {@code n} bytes read from the client start a request of the armed operation. */
  private boolean armedFor(byte[] buf, int n) {
    int op = armedFor;
    // a request: its length, then its header (xid, type)
    return op == ANY || (n >= 12 && java.nio.ByteBuffer.wrap(buf, 8, 4).getInt() == op);
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(target, 5_000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        open.add(client);
        open.add(server);
        Connection c = new Connection(client, server);
        start("zk-proxy-up", () -> c.relayUp());
        start("zk-proxy-down", () -> c.relayDown());
      } catch (IOException e) {
        if (!closed) {
          // the next accept may work; nothing to do
        }
      }
    }
  }

  private static void start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private final class Connection {
    final Socket client;
    final Socket server;
    volatile boolean dropping;

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void relayUp() {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = client.getInputStream();
          OutputStream out = server.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          CountDownLatch cut = armedFor(buf, n) ? armed.getAndSet(null) : null;
          if (cut != null) {
            dropping = true; // from now on, nothing goes back to the client
          }
          out.write(buf, 0, n);
          out.flush();
          if (cut != null) {
            // let the server apply the request, then lose the connection with its reply
            Thread.sleep(300);
            closeQuietly(client);
            closeQuietly(server);
            cut.countDown();
            return;
          }
        }
      } catch (IOException | InterruptedException e) {
        // connection gone
      } finally {
        closeQuietly(client);
        closeQuietly(server);
      }
    }

    void relayDown() {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = server.getInputStream();
          OutputStream out = client.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          if (dropping) {
            continue;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // connection gone
      } finally {
        closeQuietly(client);
        closeQuietly(server);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  /** Waits for a latch from {@link #arm()}. */
  static boolean await(CountDownLatch cut) throws InterruptedException {
    return cut.await(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
