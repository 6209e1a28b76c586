package io.taskflow4j.dashboard;

import com.sun.net.httpserver.HttpServer;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Backend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read-only web dashboard over a store (and optionally a jobboard): the flows by state, the flows
 * page by page, a timeline of each flow's atoms with their results and failures, and the board's
 * jobs and conductors. Pages and a JSON API under {@code /api/} are served by the JDK's own HTTP
 * server ({@code com.sun.net.httpserver}): no dependency, enough for a page that reads a few small
 * JSON documents a second.
 *
 * <pre>{@code
 * try (Dashboard dashboard = Dashboard.builder().backend(backend).jobboard(board).port(8080).start()) {
 *   System.out.println("Dashboard at " + dashboard.url());
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Safety.</b> Unless {@link Builder#allowActions actions} are allowed, the dashboard changes
 * nothing in the store or the board. It listens on the loopback address unless told otherwise;
 * another address needs a {@link Builder#token token}, which every request must then carry ({@code
 * Authorization: Bearer TOKEN}, or {@code ?token=TOKEN} once, which sets an HttpOnly,
 * SameSite=Strict cookie). Without a token, requests naming another host than the loopback one are
 * refused, so a web page elsewhere cannot reach it through DNS rebinding. Passwords of connection
 * strings are masked in everything it serves.
 *
 * <p><b>Actions.</b> With {@link Builder#allowActions(boolean)}, {@code POST} requests resume a
 * flow, trash a job or delete a finished flow. They need the token, and defend against cross-site
 * requests: each must echo, in an {@code X-CSRF-Token} header, the random value this server gives
 * its pages at {@code GET /api/session}, and carry an {@code Origin} naming this server (or {@code
 * Sec-Fetch-Site: same-origin}); anything else is refused with 403. Each action is logged with the
 * remote address and its outcome.
 *
 * <p>The dashboard does not own the backend nor the board: {@link #close()} stops the server only.
 */
public final class Dashboard implements AutoCloseable {
  /** The default port. */
  public static final int DEFAULT_PORT = 8080;

  /** The default bind address: loopback only. */
  public static final String DEFAULT_BIND = "127.0.0.1";

  /** The shortest token accepted. */
  public static final int MIN_TOKEN_LENGTH = 16;

  /**
   * The token kept in {@code file}: its first line, stripped. The file must be private to its owner
   * (where the file system has POSIX permissions) and the token at least {@value #MIN_TOKEN_LENGTH}
   * characters long.
   *
   * @throws DashboardException naming the file and what to do, when it is missing, unreadable,
   *     readable by others, or holds too short a token
   */
  public static String readTokenFile(Path file) {
    try {
      try {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.OTHERS_READ)
            || perms.contains(PosixFilePermission.GROUP_READ)) {
          throw new DashboardException(
              "the token file "
                  + file
                  + " can be read by other users; make it private (chmod 600 "
                  + file
                  + ")");
        }
      } catch (UnsupportedOperationException notPosix) {
        // a file system without POSIX permissions: nothing to check
      }
      String first =
          Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
      if (first.length() < MIN_TOKEN_LENGTH) {
        throw new DashboardException(
            "the token in "
                + file
                + " is shorter than "
                + MIN_TOKEN_LENGTH
                + " characters; make one with: openssl rand -hex 24 > "
                + file);
      }
      return first;
    } catch (NoSuchFileException e) {
      throw new DashboardException("no token file " + file);
    } catch (IOException e) {
      throw new DashboardException("cannot read the token file " + file + ": " + e.getMessage());
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final String url;

  private Dashboard(HttpServer server, ExecutorService executor, String url) {
    this.server = server;
    this.executor = executor;
    this.url = url;
  }

  /** A builder of a dashboard. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address of the dashboard's overview page, e.g. {@code http://127.0.0.1:8080/}. */
  public String url() {
    return url;
  }

  /** The port the dashboard listens on (the one chosen when port 0 was asked for). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops the server: waits up to a second for requests being answered. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Builds and starts a {@link Dashboard}. Validates each setting when {@link #start()} runs. */
  public static final class Builder {
    private Backend backend;
    private Jobboard jobboard;
    private int port = DEFAULT_PORT;
    private String bind = DEFAULT_BIND;
    private String token;
    private String storeLabel;
    private String boardLabel;
    private int threads = 4;
    private Clock clock = Clock.systemUTC();
    private Duration overviewWindow = Duration.ofHours(24);
    private boolean allowActions;

    private Builder() {}

    /**
     * Whether the pages and the API offer actions that change the store and the board (default
     * {@code false}: read-only): resuming a flow (by posting a job for it on the board), trashing a
     * job, deleting a finished flow. Actions need a {@link #token}, on loopback too, and every
     * action request must come from the dashboard's own pages (see {@link Dashboard}).
     */
    public Builder allowActions(boolean allow) {
      this.allowActions = allow;
      return this;
    }

    /** The store to show (required). */
    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** The jobboard whose jobs and conductors the jobs page shows ({@code null}: none). */
    public Builder jobboard(Jobboard jobboard) {
      this.jobboard = jobboard;
      return this;
    }

    /** The port to listen on; 0 picks a free one (see {@link Dashboard#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("the port must be between 0 and 65535, not " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The address to listen on (default {@value #DEFAULT_BIND_TEXT}); any other than a loopback
     * address needs a {@link #token}.
     */
    public Builder bindAddress(String address) {
      this.bind = Objects.requireNonNull(address, "address");
      return this;
    }

    private static final String DEFAULT_BIND_TEXT = DEFAULT_BIND;

    /**
     * The token every request must carry ({@code null}: none, allowed on loopback only). At least
     * {@value Dashboard#MIN_TOKEN_LENGTH} characters.
     */
    public Builder token(String token) {
      if (token != null && token.strip().length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(
            "a dashboard token must have at least "
                + MIN_TOKEN_LENGTH
                + " characters; make one with e.g. 'openssl rand -hex 24'");
      }
      this.token = token == null ? null : token.strip();
      return this;
    }

    /**
     * How the pages name the store, e.g. its connection string (passwords are masked here). The
     * default is the backend's class name.
     */
    public Builder storeLabel(String label) {
      this.storeLabel = label;
      return this;
    }

    /** How the pages name the board (passwords are masked); the default is its description. */
    public Builder boardLabel(String label) {
      this.boardLabel = label;
      return this;
    }

    /** How many requests are answered at once (default 4). */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, not " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** The clock of "now" (the overview's last day, running flows' durations). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Starts the dashboard.
     *
     * @throws DashboardException when no backend was given, the bind address is not loopback and no
     *     token was given, or the address cannot be listened on (in use, not local)
     */
    public Dashboard start() {
      if (backend == null) {
        throw new DashboardException("a dashboard needs a backend: call backend(...) first");
      }
      InetAddress address;
      try {
        address = InetAddress.getByName(bind);
      } catch (UnknownHostException e) {
        throw new DashboardException("cannot bind the dashboard to '" + bind + "': unknown host");
      }
      if (!address.isLoopbackAddress() && token == null) {
        throw new DashboardException(
            "refusing to serve the dashboard on "
                + bind
                + " without a token: any host that reaches this address could read the store;"
                + " give a token (--token-file FILE) or bind to 127.0.0.1");
      }
      if (allowActions && token == null) {
        throw new DashboardException(
            "refusing to allow actions without a token: any local process or web page could change"
                + " the store; give a token (--token-file FILE) or leave actions off");
      }
      String store =
          io.taskflow4j.persistence.BackendConf.mask(
              storeLabel != null ? storeLabel : defaultStoreLabel(backend));
      String board = null;
      if (jobboard != null) {
        board =
            io.taskflow4j.persistence.BackendConf.mask(
                boardLabel != null ? boardLabel : jobboard.describe());
      }
      Settings settings =
          new Settings(
              backend,
              jobboard,
              store,
              board,
              token,
              address.isLoopbackAddress(),
              clock,
              overviewWindow,
              allowActions,
              allowActions ? newCsrfToken() : null);
      HttpServer server;
      try {
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
      } catch (IOException e) {
        throw new DashboardException(
            "cannot listen on "
                + bind
                + ":"
                + port
                + " ("
                + e.getMessage()
                + "); choose another --port, or 0 for any free one",
            e);
      }
      AtomicInteger n = new AtomicInteger();
      ExecutorService executor =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "taskflow4j-dashboard-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      server.createContext("/", new DashboardHandler(settings));
      server.start();
      String host = address.getHostAddress();
      if (address.isAnyLocalAddress()) {
        host = DEFAULT_BIND;
      } else if (host.contains(":")) {
        host = "[" + host + "]";
      }
      return new Dashboard(
          server, executor, "http://" + host + ":" + server.getAddress().getPort() + "/");
    }
  }

  private static String defaultStoreLabel(Backend backend) {
    try {
      String c = backend.conf().connection();
      if (c != null && !c.isBlank()) {
        return c;
      }
      return backend.conf().backendName();
    } catch (RuntimeException e) {
      return backend.getClass().getSimpleName();
    }
  }

  private static String newCsrfToken() {
    byte[] b = new byte[24];
    new java.security.SecureRandom().nextBytes(b);
    return java.util.HexFormat.of().formatHex(b);
  }

  /** What the handler needs, fixed when the dashboard starts. */
  record Settings(
      Backend backend,
      Jobboard jobboard,
      String storeLabel,
      String boardLabel,
      String token,
      boolean loopback,
      Clock clock,
      Duration overviewWindow,
      boolean allowActions,
      String csrfToken) {}
}
