package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ZKConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend keeping logbooks in ZooKeeper, in TaskFlow's znode layout, through one Apache Curator
 * client (one ZooKeeper session) shared by all its connections.
 *
 * <p>Curator manages the ensemble, the session and the credentials; operations run on the session's
 * current ZooKeeper handle inside {@link #run}, which retries a whole operation after a lost
 * connection or an expired session with a bounded exponential back-off until the configured budget
 * ({@code retry_budget_ms}) is spent, then fails with a {@link StorageException}. These are the
 * only retries of a write ({@code Storage} makes each write once on these connections). The client
 * is started on first use, not when the backend is made.
 */
public final class ZkBackend implements Backend {
  private static final Logger LOG = LoggerFactory.getLogger(ZkBackend.class);

  private final BackendConf conf;
  private final ZkSettings settings;
  private final List<ACL> acl;
  private final Object lock = new Object();
  private final ZkWriteHook hook;

  /** Waits between attempts of {@link #run}: doubling, capped, without jitter. */
  private final Backoff backoff;

  private CuratorFramework client;
  private volatile boolean closed;

  ZkBackend(BackendConf conf) {
    this(conf, ZkSettings.from(conf));
  }

  /** A backend with settings read from {@code conf} and then adjusted (e.g. by a jobboard). */
  ZkBackend(BackendConf conf, ZkSettings settings) {
    this(conf, settings, ZkWriteHook.NONE);
  }

  ZkBackend(BackendConf conf, ZkSettings settings, ZkWriteHook hook) {
    this.conf = conf;
    this.settings = settings;
    this.acl = acl(settings);
    this.hook = java.util.Objects.requireNonNull(hook, "hook");
    Duration max = Duration.ofMillis(settings.retryMaxSleepMs());
    Duration first = Duration.ofMillis(settings.retryBaseSleepMs());
    this.backoff = Backoff.exponential(first.compareTo(max) > 0 ? max : first, max);
  }

  /** What observes the logbook writes (nothing, but in crash-point tests). */
  ZkWriteHook hook() {
    return hook;
  }

  private static List<ACL> acl(ZkSettings s) {
    if (!s.secured()) {
      return ZooDefs.Ids.OPEN_ACL_UNSAFE;
    }
    try {
      String digest =
          DigestAuthenticationProvider.generateDigest(s.username() + ":" + s.password());
      // a mutable list: ZooKeeper probes it with contains(null), which List.of rejects
      return java.util.Collections.singletonList(
          new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
    } catch (NoSuchAlgorithmException e) {
      throw new InvalidConfigurationException(
          "digest credentials need SHA-1, which this Java runtime lacks");
    }
  }

  @Override
  public BackendConf conf() {
    return conf;
  }

  ZkSettings settings() {
    return settings;
  }

  /** The ACL every created znode gets: digest for the configured user, or open. */
  List<ACL> acl() {
    return acl;
  }

  @Override
  public Connection getConnection() {
    ensureOpen();
    return new ZkConnection(this);
  }

  void ensureOpen() {
    if (closed) {
      throw new StorageException(
          "the ZooKeeper backend " + settings.describe() + " is closed; fetch a new one");
    }
  }

  /** The started Curator client (its session is this backend's). */
  CuratorFramework curator() {
    return client();
  }

  private CuratorFramework client() {
    synchronized (lock) {
      ensureOpen();
      if (client == null) {
        ZKClientConfig zkConfig = new ZKClientConfig();
        // The client must accept replies as large as the values it may write.
        zkConfig.setProperty(ZKConfig.JUTE_MAXBUFFER, String.valueOf(settings.maxValueBytes()));
        CuratorFrameworkFactory.Builder b =
            CuratorFrameworkFactory.builder()
                .connectString(settings.connectString())
                .sessionTimeoutMs(settings.sessionTimeoutMs())
                .connectionTimeoutMs(settings.connectionTimeoutMs())
                // Operations are retried by run(), as a whole, within the budget.
                .retryPolicy(new RetryNTimes(0, 0))
                .zkClientConfig(zkConfig)
                .waitForShutdownTimeoutMs(2_000);
        if (settings.secured()) {
          b.authorization(
              "digest",
              (settings.username() + ":" + settings.password()).getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework c = b.build();
        c.start();
        client = c;
        LOG.debug("started ZooKeeper client for {}", settings.describe());
      }
      return client;
    }
  }

  /** One attempt of an operation on the current ZooKeeper handle. */
  @FunctionalInterface
  interface Attempt<T> {
    T run(ZooKeeper zk, int attempt) throws KeeperException, InterruptedException;
  }

  /**
   * Runs an operation, retrying it after a lost connection, an expired session or a timeout until
   * the retry budget is spent. Every {@link KeeperException} the attempt lets out becomes a typed
   * {@link TaskFlowException}.
   */
  <T> T run(String what, Attempt<T> body) {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(settings.retryBudgetMs());
    int attempt = 0;
    KeeperException last = null;
    while (true) {
      CuratorFramework c = client();
      try {
        if (!c.getZookeeperClient().isConnected()) {
          long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
          c.blockUntilConnected((int) Math.min(waitMs, Integer.MAX_VALUE), TimeUnit.MILLISECONDS);
          if (!c.getZookeeperClient().isConnected() && System.nanoTime() >= deadline) {
            throw unreachable(what, last, start);
          }
        }
        ZooKeeper zk = handle(c);
        return body.run(zk, attempt);
      } catch (KeeperException.ConnectionLossException
          | KeeperException.SessionExpiredException
          | KeeperException.OperationTimeoutException
          | KeeperException.SessionMovedException e) {
        last = e;
        long now = System.nanoTime();
        if (now >= deadline || closed) {
          throw unreachable(what, e, start);
        }
        long sleep = backoff.delay(attempt + 1).toMillis();
        sleep = Math.min(sleep, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - now)));
        LOG.debug("{}: {} (attempt {}), retrying in {} ms", what, e.code(), attempt + 1, sleep);
        attempt++;
        try {
          Thread.sleep(sleep);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new StorageException("interrupted while " + what, ie);
        }
      } catch (KeeperException.NoAuthException e) {
        throw noPermission(what, e);
      } catch (KeeperException.AuthFailedException e) {
        throw credentialsRefused(what, e);
      } catch (KeeperException e) {
        throw new StorageException(
            "ZooKeeper failed while "
                + what
                + ": "
                + e.code()
                + (e.getPath() == null ? "" : " on " + e.getPath()),
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted while " + what, e);
      } catch (IllegalStateException e) {
        // Curator's client after close()
        ensureOpen();
        throw new StorageException("the ZooKeeper client failed while " + what, e);
      }
    }
  }

  /**
   * NOAUTH: the server took the credentials (or there were none) but the znode's ACL does not grant
   * them what the operation needs. ZooKeeper's digest scheme accepts any password, so a wrong one
   * ends here too, not in AUTHFAILED.
   */
  private ZkAccessDeniedException noPermission(String what, KeeperException e) {
    String where = e.getPath() == null ? "" : " to znode " + e.getPath();
    if (!settings.secured()) {
      return new ZkAccessDeniedException(
          "ZooKeeper refused access"
              + where
              + " while "
              + what
              + ": its ACL admits only certain users, and no credentials were given; give the"
              + " user name and password (zookeeper://user:password@host/path)",
          e);
    }
    return new ZkAccessDeniedException(
        "ZooKeeper refused user '"
            + settings.username()
            + "' access"
            + where
            + " while "
            + what
            + ": the user lacks permission there (the znode's ACL does not grant it to these"
            + " credentials; a wrong password is refused this way too, since ZooKeeper never"
            + " rejects a digest password outright); check the user name and password, or the"
            + " znode's ACL",
        e);
  }

  /**
   * AUTHFAILED: the server's authentication (SASL, Kerberos, an authentication provider) refused
   * the credentials themselves; the session can do nothing with them.
   */
  private ZkAccessDeniedException credentialsRefused(String what, KeeperException e) {
    String whose =
        settings.secured()
            ? "the credentials of user '" + settings.username() + "'"
            : "the session";
    return new ZkAccessDeniedException(
        "ZooKeeper refused "
            + whose
            + " (authentication failed) while "
            + what
            + (e.getPath() != null
                ? " on znode " + e.getPath()
                : what.contains(settings.path()) ? "" : " in the store at " + settings.path())
            + "; check the user name and password, and that the server accepts this user",
        e);
  }

  /**
   * {@code zk.multi(ops)}, naming the znode of an operation refused for lack of permission:
   * ZooKeeper reports a transaction's NOAUTH without a path, which would leave the refusal unable
   * to say where. Every other failure is ZooKeeper's exception as it is, its results included.
   */
  static List<OpResult> multi(ZooKeeper zk, List<Op> ops)
      throws KeeperException, InterruptedException {
    try {
      return zk.multi(ops);
    } catch (KeeperException.NoAuthException e) {
      List<OpResult> results = e.getResults();
      if (e.getPath() != null || results == null) {
        throw e;
      }
      for (int i = 0; i < results.size() && i < ops.size(); i++) {
        if (results.get(i) instanceof OpResult.ErrorResult r
            && r.getErr() == KeeperException.Code.NOAUTH.intValue()) {
          KeeperException named =
              KeeperException.create(KeeperException.Code.NOAUTH, ops.get(i).getPath());
          named.initCause(e);
          throw named;
        }
      }
      throw e;
    }
  }

  private static ZooKeeper handle(CuratorFramework c) throws KeeperException, InterruptedException {
    try {
      return c.getZookeeperClient().getZooKeeper();
    } catch (KeeperException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new StorageException("the ZooKeeper client could not open a session", e);
    }
  }

  private StorageException unreachable(String what, KeeperException cause, long start) {
    if (closed) {
      return new StorageException(
          "the ZooKeeper backend " + settings.describe() + " was closed while " + what, cause);
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    return new StorageException(
        "ZooKeeper at "
            + settings.connectString()
            + " could not be reached while "
            + what
            + (cause == null ? "" : " (" + cause.code() + ")")
            + "; gave up after "
            + ms
            + " ms (retry_budget_ms="
            + settings.retryBudgetMs()
            + "): check that the servers are running and reachable",
        cause);
  }

  /** The session's current ZooKeeper handle (for tests: session expiry, the connected server). */
  ZooKeeper currentZooKeeper() throws KeeperException, InterruptedException {
    return handle(client());
  }

  @Override
  public void close() {
    CuratorFramework c;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      c = client;
      client = null;
    }
    if (c != null) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the ZooKeeper client of {} failed", settings.describe(), e);
      }
    }
  }

  @Override
  public String toString() {
    return "ZkBackend{" + settings.describe() + '}';
  }
}
