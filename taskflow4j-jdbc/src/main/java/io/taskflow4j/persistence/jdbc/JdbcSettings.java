package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A SQL backend's configuration, checked and resolved from a {@link BackendConf}: the dialect, the
 * JDBC URL (never holding the password: credentials go in {@link #user}/{@link #password}), pool
 * and durability settings. {@link #toString()} and {@link #describe()} never show the password.
 *
 * <p>Connection strings follow TaskFlow's (SQLAlchemy's) forms: {@code sqlite:///relative.db},
 * {@code sqlite:////absolute/path.db}, {@code sqlite://} (in memory), {@code
 * postgresql://user:pw@host:port/db} (alias {@code postgres}), {@code mysql://...} and {@code
 * mariadb://...}; a {@code +driver} suffix is accepted and ignored. A plain {@code jdbc:} URL is
 * used as given, its sub-protocol picking the dialect; {@code jdbc:mysql:} goes to the MariaDB
 * driver (the one on the class path), which speaks MySQL's protocol.
 *
 * @param file the SQLite store's file, or {@code null} (a server, or SQLite in memory)
 * @param permissions the mode of a SQLite file {@code upgrade()} makes: {@code owner}, {@code
 *     group} or {@code umask}
 */
record JdbcSettings(
    Dialect dialect,
    String jdbcUrl,
    boolean memory,
    java.nio.file.Path file,
    String permissions,
    String user,
    String password,
    Properties driverProperties,
    int maxPoolSize,
    Duration poolTimeout,
    Duration idleTimeout,
    String isolation,
    boolean processDurability,
    int maxRetries,
    Duration retryBackoff,
    String mysqlSqlMode,
    String description,
    Duration transactionIdleTimeout,
    boolean groupCommit) {

  /** Keys this backend (or TaskFlow's SQL backend) reads: never passed on to the driver. */
  private static final Set<String> OWN_KEYS =
      union(
          ConfKeys.COMMON,
          "max_pool_size",
          "max_overflow",
          "pool_timeout",
          "idle_timeout",
          "isolation_level",
          "isolation_levels",
          "durability",
          "group_commit",
          "max_retries",
          "retry_backoff",
          "echo",
          "engine_args",
          "log_statements",
          "log_statements_level",
          "checkin_yield",
          "checkout_ping",
          "mysql_sql_mode",
          SqliteFiles.PERMISSIONS,
          "transaction_idle_timeout",
          // the jobboard's keys (io.taskflow4j.jobs.Jobboards.LEASE and BOARD)
          "lease",
          "board");

  /**
   * MariaDB driver names beyond its {@code getPropertyInfo} list: its aliases and the legacy SSL
   * settings it still reads (it matches every name in any case).
   */
  private static final Set<String> MARIADB_ALIASES =
      Set.of(
          "clientCertificateKeyStoreUrl",
          "clientCertificateKeyStorePassword",
          "clientCertificateKeyStoreType",
          "trustCertificateKeyStoreUrl",
          "trustCertificateKeyStorePassword",
          "trustCertificateKeyStoreType",
          "nullCatalogMeansCurrent",
          "databaseTerm",
          "useSsl",
          "useSSL",
          "trustServerCertificate",
          "disableSslHostnameVerification");

  private static final Map<Dialect, Set<String>> DRIVER_KEYS = new ConcurrentHashMap<>();

  private static Set<String> union(Set<String> base, String... more) {
    Set<String> all = new java.util.HashSet<>(base);
    all.addAll(java.util.List.of(more));
    return Set.copyOf(all);
  }

  static final int DEFAULT_MAX_POOL_SIZE = 10;
  static final Duration DEFAULT_POOL_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(3600);
  static final int DEFAULT_MAX_RETRIES = 6;
  static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(100);

  /**
   * How long the server lets a session sit idle inside an open transaction before it ends the
   * session. Every transaction of this backend sends its statements back to back, so a gap this
   * long means the client is paused (SIGSTOP, a long GC, a frozen VM) or gone, and whatever it
   * holds locked would stop its peers for as long as the pause: a jobboard claim waiting for a
   * fence row, a new owner writing an atom row. Ending the session rolls its transaction back and
   * frees its locks; when the client resumes, its next statement or commit fails and the whole
   * transaction is retried on a fresh connection, where a fenced write re-checks its token. One
   * second is far above any real gap between our statements and well below the default lease.
   */
  static final Duration DEFAULT_TRANSACTION_IDLE_TIMEOUT = Duration.ofSeconds(1);

  static JdbcSettings from(BackendConf conf) {
    String connection = conf.connection();
    String name = conf.backendName();
    Dialect dialect;
    String jdbcUrl;
    boolean memory = false;
    java.nio.file.Path file = null;
    Properties props = new Properties();
    String description;
    switch (name) {
      case "sqlite" -> {
        dialect = Dialect.SQLITE;
        String path = sqlitePath(connection);
        memory = path == null;
        jdbcUrl = memory ? "jdbc:sqlite::memory:" : "jdbc:sqlite:" + path;
        file = memory ? null : filePath(path, connection);
        description = memory ? "sqlite in memory" : "sqlite file " + path;
      }
      case "postgresql", "postgres" -> {
        dialect = Dialect.POSTGRESQL;
        String host = conf.getString("hostname").orElse("localhost");
        jdbcUrl = "jdbc:postgresql://" + host + "/" + database(conf, connection);
        description = "postgresql " + host + "/" + database(conf, connection);
      }
      case "mysql", "mariadb" -> {
        dialect = Dialect.MYSQL;
        String host = conf.getString("hostname").orElse("localhost");
        jdbcUrl = "jdbc:mariadb://" + host + "/" + database(conf, connection);
        description = name + " " + host + "/" + database(conf, connection);
      }
      case "jdbc" -> {
        jdbcUrl = withoutSecretParams(connection, props);
        String sub = subProtocol(connection);
        if (sub.equals("mysql")) {
          // MariaDB Connector/J refuses jdbc:mysql: unless told to take it; it speaks MySQL.
          jdbcUrl = "jdbc:mariadb:" + jdbcUrl.substring("jdbc:mysql:".length());
        }
        dialect =
            switch (sub) {
              case "sqlite" -> Dialect.SQLITE;
              case "postgresql" -> Dialect.POSTGRESQL;
              case "mariadb", "mysql" -> Dialect.MYSQL;
              default ->
                  throw new InvalidConfigurationException(
                      "JDBC sub-protocol '"
                          + sub
                          + "' is not supported by the SQL backend (connection "
                          + BackendConf.mask(connection)
                          + "); use jdbc:sqlite:, jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:");
            };
        if (dialect == Dialect.SQLITE) {
          String rest = jdbcUrl.substring("jdbc:sqlite:".length());
          memory = rest.isEmpty() || rest.startsWith(":memory:") || rest.contains("mode=memory");
          file = memory ? null : jdbcSqliteFile(rest);
        }
        description = BackendConf.mask(connection);
      }
      default ->
          throw new InvalidConfigurationException(
              "the SQL backend does not serve '" + name + "' connections");
    }
    if (!name.equals("jdbc")) {
      for (Map.Entry<String, String> e : query(connection).entrySet()) {
        if (!OWN_KEYS.contains(e.getKey())) {
          props.setProperty(e.getKey(), e.getValue());
        }
      }
    }
    String user = conf.getString("username").orElse(props.getProperty("user"));
    String password = conf.getString("password").orElse(props.getProperty("password"));
    props.remove("user");
    props.remove("password");
    int maxPool = conf.getInt("max_pool_size", DEFAULT_MAX_POOL_SIZE, 1, 1000);
    Duration poolTimeout = conf.getDuration("pool_timeout", DEFAULT_POOL_TIMEOUT);
    if (poolTimeout.toMillis() < 250) {
      throw new InvalidConfigurationException(
          "'pool_timeout' must be at least 0.25 seconds, was " + poolTimeout);
    }
    Duration idleTimeout = conf.getDuration("idle_timeout", DEFAULT_IDLE_TIMEOUT);
    if (idleTimeout.toSeconds() < 30) {
      throw new InvalidConfigurationException(
          "'idle_timeout' must be at least 30 seconds, was " + idleTimeout);
    }
    String isolation = isolation(conf, dialect);
    String durability = conf.getChoice("durability", "power", "power", "process");
    int maxRetries = conf.getInt("max_retries", DEFAULT_MAX_RETRIES, 0, 100);
    Duration backoff = conf.getDuration("retry_backoff", DEFAULT_RETRY_BACKOFF);
    // TaskFlow's default: strict, so an oversized value fails instead of being truncated.
    String sqlMode = conf.getString("mysql_sql_mode").orElse("TRADITIONAL").strip();
    if (!sqlMode.matches("[A-Za-z_,]*")) {
      throw new InvalidConfigurationException(
          "'mysql_sql_mode' must be a comma-separated list of MySQL mode names, not '"
              + sqlMode
              + "'");
    }
    String permissions =
        file == null
            ? SqliteFiles.OWNER
            : conf.getChoice(SqliteFiles.PERMISSIONS, SqliteFiles.OWNER, "owner", "group", "umask");
    Duration txIdle =
        conf.getDuration("transaction_idle_timeout", DEFAULT_TRANSACTION_IDLE_TIMEOUT);
    if (!txIdle.isZero() && txIdle.toMillis() < 500) {
      // Below this, ordinary scheduling hiccups would end healthy sessions (and Flyway waits for
      // a concurrent migration 100 ms at a time inside its transaction).
      throw new InvalidConfigurationException(
          "'transaction_idle_timeout' must be 0 (off) or at least 0.5 seconds, was " + txIdle);
    }
    return new JdbcSettings(
        dialect,
        jdbcUrl,
        memory,
        file,
        permissions,
        user,
        password,
        props,
        maxPool,
        poolTimeout,
        idleTimeout,
        isolation,
        durability.equals("process"),
        maxRetries,
        backoff,
        sqlMode,
        description,
        txIdle,
        conf.getBoolean("group_commit", true));
  }

  /**
   * The file of an SQLAlchemy-style SQLite URL, or {@code null} for an in-memory database. As in
   * SQLAlchemy, {@code sqlite:///x.db} is the relative path {@code x.db} and {@code
   * sqlite:////tmp/x.db} the absolute {@code /tmp/x.db}.
   */
  static String sqlitePath(String connection) {
    int colon = connection.indexOf(':');
    String rest = connection.substring(colon + 1);
    int q = rest.indexOf('?');
    if (q >= 0) {
      rest = rest.substring(0, q);
    }
    if (!rest.startsWith("//")) {
      throw new InvalidConfigurationException(
          "a SQLite connection looks like sqlite:///relative.db, sqlite:////absolute/file.db or"
              + " sqlite:// (in memory), not "
              + BackendConf.mask(connection));
    }
    rest = rest.substring(2);
    int slash = rest.indexOf('/');
    String host = slash >= 0 ? rest.substring(0, slash) : rest;
    if (!host.isEmpty()) {
      throw new InvalidConfigurationException(
          "a SQLite connection has no host ('"
              + host
              + "'); write sqlite:////absolute/file.db or sqlite:///relative.db");
    }
    String path = slash >= 0 ? rest.substring(slash + 1) : "";
    path = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    if (path.isEmpty() || path.equals(":memory:")) {
      return null;
    }
    return path;
  }

  /**
   * The file of a {@code jdbc:sqlite:} URL (what follows the prefix): a path, or a {@code file:}
   * URI; {@code null} for what names no file of its own ({@code :resource:...}).
   */
  private static java.nio.file.Path jdbcSqliteFile(String rest) {
    int q = rest.indexOf('?');
    String path = q >= 0 ? rest.substring(0, q) : rest;
    if (path.startsWith("file:")) {
      path = path.substring("file:".length());
      if (path.startsWith("//")) {
        int slash = path.indexOf('/', 2);
        path = slash >= 0 ? path.substring(slash) : "";
      }
      path = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
    if (path.isEmpty() || path.startsWith(":")) {
      return null;
    }
    return filePath(path, "jdbc:sqlite:" + rest);
  }

  private static java.nio.file.Path filePath(String path, String connection) {
    try {
      return java.nio.file.Path.of(path);
    } catch (java.nio.file.InvalidPathException e) {
      throw new InvalidConfigurationException(
          "the SQLite file of " + BackendConf.mask(connection) + " is not a valid path");
    }
  }

  private static String database(BackendConf conf, String connection) {
    int scheme = connection.indexOf("://");
    String db = "";
    if (scheme >= 0) {
      String rest = connection.substring(scheme + 3);
      int cut = rest.length();
      for (char c : new char[] {'?', '#'}) {
        int i = rest.indexOf(c);
        if (i >= 0) {
          cut = Math.min(cut, i);
        }
      }
      rest = rest.substring(0, cut);
      int slash = rest.indexOf('/');
      db = slash >= 0 ? rest.substring(slash + 1) : "";
    }
    if (db.isEmpty() || db.contains("/")) {
      throw new InvalidConfigurationException(
          "the connection "
              + BackendConf.mask(connection)
              + " names no database; write "
              + conf.backendName()
              + "://user:password@host:port/database");
    }
    return URLDecoder.decode(db.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * The keys a SQL configuration may hold: this backend's (and TaskFlow's SQL backend's), and the
   * properties of the JDBC driver of its dialect, which the connection string passes on. {@link
   * ConfKeys#ANY} when the dialect or its driver cannot be told (creating the backend then says
   * what is wrong).
   */
  static ConfKeys confKeys(BackendConf conf) {
    Dialect dialect;
    try {
      dialect =
          switch (conf.backendName()) {
            case "sqlite" -> Dialect.SQLITE;
            case "postgresql", "postgres" -> Dialect.POSTGRESQL;
            case "mysql", "mariadb" -> Dialect.MYSQL;
            case "jdbc" ->
                switch (subProtocol(conf.connection())) {
                  case "sqlite" -> Dialect.SQLITE;
                  case "postgresql" -> Dialect.POSTGRESQL;
                  case "mariadb", "mysql" -> Dialect.MYSQL;
                  default -> null;
                };
            default -> null;
          };
    } catch (InvalidConfigurationException e) {
      return ConfKeys.ANY;
    }
    Set<String> driverKeys = dialect == null ? null : driverKeys(dialect);
    if (driverKeys == null) {
      return ConfKeys.ANY;
    }
    return switch (dialect) {
      case MYSQL ->
          ConfKeys.of(OWN_KEYS)
              .plusDescribed(driverKeys, true, "the properties of the MariaDB JDBC driver");
      case POSTGRESQL ->
          ConfKeys.of(OWN_KEYS)
              .plusDescribed(driverKeys, false, "the properties of the PostgreSQL JDBC driver");
      case SQLITE ->
          ConfKeys.of(OWN_KEYS)
              .plusDescribed(driverKeys, false, "the properties of the SQLite JDBC driver");
    };
  }

  /** The property names the dialect's driver declares, or null when it is not loaded. */
  private static Set<String> driverKeys(Dialect dialect) {
    return DRIVER_KEYS.computeIfAbsent(
        dialect,
        d -> {
          String url =
              switch (d) {
                case SQLITE -> "jdbc:sqlite::memory:";
                case POSTGRESQL -> "jdbc:postgresql://localhost/x";
                case MYSQL -> "jdbc:mariadb://localhost/x";
              };
          try {
            Driver driver =
                (Driver)
                    Class.forName(d.driverClass(), true, JdbcSettings.class.getClassLoader())
                        .getDeclaredConstructor()
                        .newInstance();
            Set<String> names = new TreeSet<>();
            for (DriverPropertyInfo info : driver.getPropertyInfo(url, new Properties())) {
              names.add(info.name);
            }
            names.add("user");
            names.add("password");
            if (d == Dialect.MYSQL) {
              names.addAll(MARIADB_ALIASES);
            }
            return Set.copyOf(names);
          } catch (SQLException
              | ReflectiveOperationException
              | RuntimeException
              | LinkageError e) {
            return null; // not cached: asked again next time
          }
        });
  }

  /**
   * A JDBC URL without its credentials, which go to {@code into} instead: its {@code
   * user:password@} and {@code user}/{@code password} query parameters (pools and migration tools
   * print the URL, and it must not carry the password; some drivers do not read a user part and
   * would quote it in an error). The keys this backend reads itself ({@code durability}, {@code
   * lease}...) are removed too: they are not the driver's.
   */
  static String withoutSecretParams(String url, Properties into) {
    url = withoutUserInfo(url, into);
    int q = url.indexOf('?');
    if (q < 0) {
      return url;
    }
    StringBuilder kept = new StringBuilder(url.substring(0, q));
    char sep = '?';
    for (String pair : url.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      String k = (eq >= 0 ? pair.substring(0, eq) : pair).toLowerCase(Locale.ROOT);
      if (k.equals("password") || k.equals("user")) {
        String v = eq >= 0 ? pair.substring(eq + 1) : "";
        into.setProperty(k, URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8));
        continue;
      }
      if (OWN_KEYS.contains(k)) {
        continue;
      }
      if (!pair.isEmpty()) {
        kept.append(sep).append(pair);
        sep = '&';
      }
    }
    return kept.toString();
  }

  /**
   * {@code jdbc:sub://user:password@host...} without {@code user:password@}, which goes to props.
   */
  private static String withoutUserInfo(String url, Properties into) {
    int slashes = url.indexOf("://");
    if (slashes < 0) {
      return url;
    }
    int start = slashes + 3;
    int end = start;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    int at = url.lastIndexOf('@', end - 1);
    if (at < start) {
      return url;
    }
    String userinfo = url.substring(start, at);
    int colon = userinfo.indexOf(':');
    String user = colon >= 0 ? userinfo.substring(0, colon) : userinfo;
    try {
      if (!user.isEmpty()) {
        into.setProperty(
            "user", URLDecoder.decode(user.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
      if (colon >= 0) {
        into.setProperty(
            "password",
            URLDecoder.decode(
                userinfo.substring(colon + 1).replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(
          "malformed percent-encoding in the user part of " + BackendConf.mask(url));
    }
    return url.substring(0, start) + url.substring(at + 1);
  }

  private static String subProtocol(String connection) {
    String rest = connection.substring("jdbc:".length());
    int colon = rest.indexOf(':');
    if (colon <= 0) {
      throw new InvalidConfigurationException(
          "malformed JDBC URL " + BackendConf.mask(connection) + "; expected jdbc:<database>:...");
    }
    return rest.substring(0, colon).toLowerCase(Locale.ROOT);
  }

  private static Map<String, String> query(String connection) {
    Map<String, String> out = new LinkedHashMap<>();
    int q = connection.indexOf('?');
    if (q < 0) {
      return out;
    }
    String query = connection.substring(q + 1);
    int hash = query.indexOf('#');
    if (hash >= 0) {
      query = query.substring(0, hash);
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq >= 0 ? pair.substring(0, eq) : pair;
      String v = eq >= 0 ? pair.substring(eq + 1) : "";
      out.put(
          URLDecoder.decode(k.replace("+", "%2B"), StandardCharsets.UTF_8),
          URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The isolation level as HikariCP names it, or {@code null} for the dialect default. */
  private static String isolation(BackendConf conf, Dialect dialect) {
    String given = conf.getString("isolation_level").orElse(null);
    if (given == null) {
      // TaskFlow's default for MySQL and PostgreSQL; SQLite is always serializable.
      return dialect == Dialect.SQLITE ? null : "TRANSACTION_READ_COMMITTED";
    }
    String norm = given.strip().toUpperCase(Locale.ROOT).replace('_', ' ');
    String level =
        switch (norm) {
          case "READ COMMITTED" -> "TRANSACTION_READ_COMMITTED";
          case "READ UNCOMMITTED" -> "TRANSACTION_READ_UNCOMMITTED";
          case "REPEATABLE READ" -> "TRANSACTION_REPEATABLE_READ";
          case "SERIALIZABLE" -> "TRANSACTION_SERIALIZABLE";
          default ->
              throw new InvalidConfigurationException(
                  "'isolation_level' must be READ COMMITTED, READ UNCOMMITTED, REPEATABLE READ or"
                      + " SERIALIZABLE, not '"
                      + given
                      + "' (AUTOCOMMIT is not supported: every write is one transaction)");
        };
    return dialect == Dialect.SQLITE ? null : level;
  }

  /**
   * The text with the secrets it carries masked where they stand (connection strings, {@code
   * key=value} and JSON fields: {@link BackendConf#maskText}); never by searching for the
   * password's value, which would mangle any text that happens to contain it.
   */
  String scrub(String text) {
    return BackendConf.maskText(text);
  }

  /** What this backend talks to, for messages and logs: never the password. */
  String describe() {
    return description;
  }

  @Override
  public String toString() {
    return "JdbcSettings{"
        + description
        + ", user="
        + user
        + ", password="
        + (password == null ? "none" : "***")
        + ", maxPoolSize="
        + maxPoolSize
        + ", poolTimeout="
        + poolTimeout
        + ", durability="
        + (processDurability ? "process" : "power")
        + '}';
  }
}
