package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.zookeeper.common.PathUtils;

/**
 * The ZooKeeper backend's configuration, read from a {@link BackendConf}.
 *
 * <p>Keys (all optional):
 *
 * <ul>
 *   <li>{@code hosts}: {@code host[:port]} list, a comma separated string or a list (TaskFlow's
 *       key); without it the hosts of the connection string ({@code
 *       zookeeper://h1:2181,h2:2181/path}); without both {@code localhost:2181}. A host without a
 *       port gets 2181.
 *   <li>{@code path}: the root znode, absolute (default {@code /taskflow}, as in TaskFlow); the
 *       connection string's path sets it too.
 *   <li>{@code session_timeout_ms} (default 10000) or TaskFlow's {@code timeout} in seconds.
 *   <li>{@code connection_timeout_ms} (default 5000).
 *   <li>{@code retry_budget_ms} (default 30000): how long an operation is retried across lost
 *       connections and expired sessions before it fails with a {@code StorageException}; {@code
 *       retry_base_sleep_ms} (default 100) and {@code retry_max_sleep_ms} (default 2000) bound the
 *       exponential back-off between attempts.
 *   <li>{@code username} and {@code password} (or {@code zookeeper://user:pw@host/path}): digest
 *       credentials; every znode the backend creates then gets a digest ACL granting all rights to
 *       that user only.
 *   <li>{@code max_value_bytes} (default 1048575, ZooKeeper's default {@code jute.maxbuffer}): the
 *       largest request and znode the servers accept. It must match the servers' {@code
 *       jute.maxbuffer}; the client is configured with it, and larger values are refused before
 *       anything is written.
 *   <li>{@code check_compatible} (default true): {@code validate()} checks the server version.
 * </ul>
 */
record ZkSettings(
    List<String> hosts,
    String path,
    int sessionTimeoutMs,
    int connectionTimeoutMs,
    int retryBudgetMs,
    int retryBaseSleepMs,
    int retryMaxSleepMs,
    String username,
    String password,
    int maxValueBytes,
    boolean checkCompatible) {

  /** ZooKeeper's default {@code jute.maxbuffer}. */
  static final int DEFAULT_MAX_VALUE_BYTES = 0xfffff;

  static final String DEFAULT_PATH = "/taskflow";
  static final int DEFAULT_PORT = 2181;

  static ZkSettings from(BackendConf conf) {
    List<String> hosts = hosts(conf);
    String path = conf.getString("path").orElse(DEFAULT_PATH).strip();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (!path.startsWith("/")) {
      throw new InvalidConfigurationException(
          "'path' must be an absolute znode path such as /taskflow, not '" + path + "'");
    }
    try {
      PathUtils.validatePath(path);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(
          "'path' " + path + " is not a valid znode path: " + e.getMessage());
    }
    if (path.equals("/") || path.equals("/zookeeper") || path.startsWith("/zookeeper/")) {
      throw new InvalidConfigurationException(
          "'path' must name a znode of its own below the root, not '"
              + path
              + "' (e.g. /taskflow)");
    }
    int session;
    if (conf.has("session_timeout_ms")) {
      session = conf.getInt("session_timeout_ms", 10_000, 1_000, 3_600_000);
    } else if (conf.has("timeout")) {
      long ms = conf.getDuration("timeout", java.time.Duration.ofSeconds(10)).toMillis();
      if (ms < 1_000 || ms > 3_600_000) {
        throw new InvalidConfigurationException(
            "'timeout' (the session timeout in seconds) must be between 1 and 3600, not "
                + ms / 1000.0);
      }
      session = (int) ms;
    } else {
      session = 10_000;
    }
    int connection = conf.getInt("connection_timeout_ms", 5_000, 100, 3_600_000);
    int budget = conf.getInt("retry_budget_ms", 30_000, 0, 86_400_000);
    int base = conf.getInt("retry_base_sleep_ms", 100, 1, 60_000);
    int max = conf.getInt("retry_max_sleep_ms", 2_000, 1, 600_000);
    if (max < base) {
      throw new InvalidConfigurationException(
          "'retry_max_sleep_ms' ("
              + max
              + ") must not be below 'retry_base_sleep_ms' ("
              + base
              + ")");
    }
    String user = conf.getString("username").map(String::strip).orElse(null);
    String password = conf.getString("password").orElse(null);
    if (user != null && user.isEmpty()) {
      user = null;
    }
    if (password != null && user == null) {
      throw new InvalidConfigurationException(
          "a password was given without a user name; give both, as in"
              + " zookeeper://user:password@host:2181/path");
    }
    if (user != null && user.contains(":")) {
      throw new InvalidConfigurationException(
          "the ZooKeeper user name must not contain ':' (digest credentials are user:password)");
    }
    if (user != null && password == null) {
      throw new InvalidConfigurationException(
          "user '" + user + "' was given without a password; give both for digest credentials");
    }
    int maxValue = conf.getInt("max_value_bytes", DEFAULT_MAX_VALUE_BYTES, 64 * 1024, 1 << 30);
    boolean check = conf.getBoolean("check_compatible", true);
    return new ZkSettings(
        hosts, path, session, connection, budget, base, max, user, password, maxValue, check);
  }

  private static List<String> hosts(BackendConf conf) {
    Object raw = conf.asMap().get("hosts");
    if (raw == null) {
      raw = conf.asMap().get("hostname");
    }
    List<String> parts = new ArrayList<>();
    if (raw == null) {
      parts.add("localhost");
    } else if (raw instanceof Collection<?> c) {
      for (Object o : c) {
        parts.add(String.valueOf(o));
      }
    } else if (raw instanceof Map<?, ?> m) {
      // TaskFlow's dict form: host -> port
      for (Map.Entry<?, ?> e : m.entrySet()) {
        parts.add(e.getKey() + (e.getValue() == null ? "" : ":" + e.getValue()));
      }
    } else {
      for (String s : String.valueOf(raw).split(",", -1)) {
        parts.add(s);
      }
    }
    List<String> out = new ArrayList<>();
    for (String p : parts) {
      String h = p.strip();
      if (h.isEmpty()) {
        throw new InvalidConfigurationException(
            "an empty host in 'hosts'; give host[:port] separated by commas");
      }
      if (h.contains("/") || h.contains("@")) {
        throw new InvalidConfigurationException(
            "'hosts' holds host[:port] entries only, not paths or credentials: '"
                + (h.contains("@") ? "***" + h.substring(h.lastIndexOf('@')) : h)
                + "'");
      }
      out.add(withPort(h));
    }
    return List.copyOf(out);
  }

  private static String withPort(String host) {
    int colon = host.lastIndexOf(':');
    boolean ipv6 = host.startsWith("[");
    if (colon < 0 || (ipv6 && host.lastIndexOf(']') > colon)) {
      return host + ":" + DEFAULT_PORT;
    }
    String port = host.substring(colon + 1);
    if (port.isEmpty() || !port.chars().allMatch(Character::isDigit) || port.length() > 5) {
      throw new InvalidConfigurationException(
          "the port of host '" + host.substring(0, colon) + "' is not a number in 1..65535");
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new InvalidConfigurationException(
          "port " + p + " of host '" + host.substring(0, colon) + "' is not in 1..65535");
    }
    return host;
  }

  /** These settings with another session timeout. */
  ZkSettings withSessionTimeoutMs(int ms) {
    return new ZkSettings(
        hosts,
        path,
        ms,
        connectionTimeoutMs,
        retryBudgetMs,
        retryBaseSleepMs,
        retryMaxSleepMs,
        username,
        password,
        maxValueBytes,
        checkCompatible);
  }

  /** The ZooKeeper connect string, {@code h1:p1,h2:p2}. */
  String connectString() {
    return String.join(",", hosts);
  }

  /**
   * Whether a session opened with {@code other} reaches the same znodes with the same rights as one
   * opened with these settings: the same servers (in any order) and the same credentials.
   */
  boolean sameEnsembleAs(ZkSettings other) {
    return new java.util.HashSet<>(hosts).equals(new java.util.HashSet<>(other.hosts))
        && java.util.Objects.equals(username, other.username)
        && java.util.Objects.equals(password, other.password);
  }

  /** Whether digest credentials were given. */
  boolean secured() {
    return username != null;
  }

  /** A description for messages and logs: never the password. */
  String describe() {
    return "zookeeper://" + (username == null ? "" : username + ":***@") + connectString() + path;
  }

  @Override
  public String toString() {
    return "ZkSettings{" + describe() + "}";
  }
}
