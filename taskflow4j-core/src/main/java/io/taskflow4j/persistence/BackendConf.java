package io.taskflow4j.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of a backend: the {@code connection} string and every other key, merged with
 * TaskFlow's rules. Immutable; its {@link #toString()} masks passwords.
 *
 * <p>From a connection string {@code scheme[+driver]://[user[:password]@]host[:port][,host...]
 * [/path][?key=value&...]} these keys are added unless the configuration sets them explicitly
 * (explicit keys win): {@code username}, {@code password}, {@code hostname} ({@code host:port} when
 * a port is given; every host, comma separated, when several are), {@code port} (a number, for one
 * host), {@code path} (the URI's path, percent-decoded; a bare {@code /} is no path) and every
 * query parameter (as a string). The backend is chosen by the scheme; {@code a+b} selects backend
 * {@code a} with driver {@code b} ({@link #driver()}). A connection without {@code :} is a backend
 * name ({@code "memory"}).
 */
public final class BackendConf {
  /** The configuration key holding the connection string. */
  public static final String CONNECTION = "connection";

  /**
   * The configuration key naming a file that holds the password (its first line): keeps the
   * password off the command line, where every local user can read it. The file must not be
   * accessible to other users nor writable by its group.
   */
  public static final String PASSWORD_FILE = "password_file";

  /** The configuration key naming an environment variable that holds the password. */
  public static final String PASSWORD_ENV = "password_env";

  /** The largest password file read (a password is short; this refuses a wrong path early). */
  private static final long MAX_PASSWORD_FILE_BYTES = 64 * 1024;

  private static final Pattern HAS_SCHEME =
      Pattern.compile("^([A-Za-z][A-Za-z0-9+.\\-]*):(.*)$", Pattern.DOTALL);

  private final Map<String, Object> values;
  private final String backendName;
  private final String driver;

  private BackendConf(Map<String, Object> values, String backendName, String driver) {
    this.values = values;
    this.backendName = backendName;
    this.driver = driver;
  }

  /** Parses a connection string (e.g. {@code "dir:///var/lib/app/flows"}). */
  public static BackendConf parse(String connection) {
    if (connection == null) {
      throw new InvalidConfigurationException(
          "a connection string is required, e.g. 'memory://' or 'dir:///var/lib/app/flows'");
    }
    return of(Map.of(CONNECTION, connection));
  }

  /**
   * Builds a configuration from a map holding at least the {@code connection} key. A {@value
   * #PASSWORD_FILE} or {@value #PASSWORD_ENV} key is read here, once, into {@code password}.
   */
  public static BackendConf of(Map<String, ?> conf) {
    return of(conf, System::getenv);
  }

  /** As {@link #of(Map)}, reading environment variables through {@code env}. */
  static BackendConf of(Map<String, ?> conf, Function<String, String> env) {
    if (conf == null) {
      throw new InvalidConfigurationException("a configuration map is required");
    }
    Object c = conf.get(CONNECTION);
    if (c == null) {
      throw new InvalidConfigurationException(
          "the configuration has no 'connection' key; give one such as 'memory://',"
              + " 'dir:///path', 'sqlite:///path/to/file.db' or 'postgresql://user@host/db'");
    }
    if (!(c instanceof String connection)) {
      throw new InvalidConfigurationException(
          "'connection' must be a string, not " + c.getClass().getSimpleName());
    }
    connection = connection.strip();
    if (connection.isEmpty()) {
      throw new InvalidConfigurationException(
          "'connection' is empty; give one such as 'memory://' or 'dir:///path'");
    }
    if (connection.indexOf('\0') >= 0) {
      throw new InvalidConfigurationException("'connection' contains a NUL character");
    }
    Map<String, Object> merged = new LinkedHashMap<>();
    // iterated untyped: a raw map could hold keys that are not strings
    for (Map.Entry<?, ?> e : ((Map<?, ?>) conf).entrySet()) {
      if (e.getKey() == null) {
        throw new InvalidConfigurationException("configuration keys must not be null");
      }
      if (!(e.getKey() instanceof String key)) {
        throw new InvalidConfigurationException(
            "configuration keys must be strings, not "
                + e.getKey().getClass().getSimpleName()
                + " "
                + e.getKey());
      }
      merged.put(key, e.getValue());
    }
    merged.put(CONNECTION, connection);
    String scheme;
    Matcher m = HAS_SCHEME.matcher(connection);
    if (m.matches()) {
      scheme = m.group(1);
      mergeUri(m.group(2), merged, connection);
    } else {
      scheme = connection;
    }
    resolvePassword(merged, connection, env);
    scheme = scheme.toLowerCase(Locale.ROOT);
    String name = scheme;
    String driver = null;
    int plus = scheme.indexOf('+');
    if (plus >= 0) {
      name = scheme.substring(0, plus);
      driver = scheme.substring(plus + 1);
      if (name.isEmpty() || driver.isEmpty()) {
        throw new InvalidConfigurationException(
            "malformed scheme '" + scheme + "' in connection " + mask(connection));
      }
    }
    return new BackendConf(Collections.unmodifiableMap(merged), name, driver);
  }

  /**
   * Puts the password named by {@value #PASSWORD_FILE} or {@value #PASSWORD_ENV} into {@code
   * password}. Only one source may give it: two would leave the reader guessing which one won.
   */
  private static void resolvePassword(
      Map<String, Object> conf, String connection, Function<String, String> env) {
    Object file = conf.get(PASSWORD_FILE);
    Object var = conf.get(PASSWORD_ENV);
    if (file == null && var == null) {
      return;
    }
    if (file != null && var != null) {
      throw new InvalidConfigurationException(
          "give either '"
              + PASSWORD_FILE
              + "' or '"
              + PASSWORD_ENV
              + "', not both (connection "
              + mask(connection)
              + ")");
    }
    String key = file != null ? PASSWORD_FILE : PASSWORD_ENV;
    Object given = file != null ? file : var;
    if (!(given instanceof CharSequence
        || given instanceof java.nio.file.Path
        || given instanceof java.io.File)) {
      throw new InvalidConfigurationException(
          "'" + key + "' must be a string, not " + given.getClass().getSimpleName());
    }
    String name = String.valueOf(given).strip();
    if (name.isEmpty()) {
      throw new InvalidConfigurationException("'" + key + "' is empty");
    }
    String password = file != null ? readPasswordFile(name) : readPasswordEnv(name, env);
    Object explicit = conf.get("password");
    // the map of a configuration made from this source holds what it read: the same password
    if (explicit != null && !password.equals(String.valueOf(explicit))) {
      throw new InvalidConfigurationException(
          "the configuration gives a password and also '"
              + key
              + "'; give the password one way only (connection "
              + mask(connection)
              + ")");
    }
    conf.put("password", password);
  }

  private static String readPasswordEnv(String name, Function<String, String> env) {
    String value = env.apply(name);
    if (value == null || value.isEmpty()) {
      throw new InvalidConfigurationException(
          "'"
              + PASSWORD_ENV
              + "' names the environment variable "
              + name
              + ", which is not set or empty; export it before running, or give '"
              + PASSWORD_FILE
              + "'");
    }
    return value;
  }

  private static String readPasswordFile(String name) {
    Path file = Path.of(name);
    try {
      if (!Files.isRegularFile(file)) {
        throw new InvalidConfigurationException(
            "'"
                + PASSWORD_FILE
                + "' "
                + name
                + (Files.exists(file) ? " is not a regular file" : " does not exist")
                + "; give the path of a file holding the password");
      }
      PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
      if (posix != null) {
        Set<PosixFilePermission> perms = posix.readAttributes().permissions();
        if (perms.contains(PosixFilePermission.OTHERS_READ)
            || perms.contains(PosixFilePermission.OTHERS_WRITE)
            || perms.contains(PosixFilePermission.OTHERS_EXECUTE)
            || perms.contains(PosixFilePermission.GROUP_WRITE)) {
          // As ssh and libpq do: a secret every local user may read is no secret; refusing
          // says so at the first run instead of leaving it exposed.
          throw new InvalidConfigurationException(
              "'"
                  + PASSWORD_FILE
                  + "' "
                  + name
                  + " is accessible to other users (mode "
                  + PosixFilePermissions.toString(perms)
                  + "); make it private: chmod 600 "
                  + name);
        }
      }
      if (Files.size(file) > MAX_PASSWORD_FILE_BYTES) {
        throw new InvalidConfigurationException(
            "'"
                + PASSWORD_FILE
                + "' "
                + name
                + " is larger than "
                + MAX_PASSWORD_FILE_BYTES
                + " bytes: it does not look like a password file");
      }
      String text = Files.readString(file, StandardCharsets.UTF_8);
      // the first line: files written with echo end with a line break that is not the password's
      int eol = text.indexOf('\n');
      String password = eol >= 0 ? text.substring(0, eol) : text;
      if (password.endsWith("\r")) {
        password = password.substring(0, password.length() - 1);
      }
      if (password.isEmpty()) {
        throw new InvalidConfigurationException(
            "'" + PASSWORD_FILE + "' " + name + " holds no password (its first line is empty)");
      }
      return password;
    } catch (IOException | UncheckedIOException e) {
      throw new InvalidConfigurationException(
          "cannot read '"
              + PASSWORD_FILE
              + "' "
              + name
              + ": "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null || e.getMessage().equals(name) ? "" : " " + e.getMessage()),
          e);
    }
  }

  private static void mergeUri(String rest, Map<String, Object> conf, String connection) {
    String fragmentless = rest;
    int hash = fragmentless.indexOf('#');
    if (hash >= 0) {
      fragmentless = fragmentless.substring(0, hash);
    }
    String query = null;
    int q = fragmentless.indexOf('?');
    if (q >= 0) {
      query = fragmentless.substring(q + 1);
      fragmentless = fragmentless.substring(0, q);
    }
    String path = fragmentless;
    if (fragmentless.startsWith("//")) {
      String afterSlashes = fragmentless.substring(2);
      int slash = afterSlashes.indexOf('/');
      String authority = slash >= 0 ? afterSlashes.substring(0, slash) : afterSlashes;
      path = slash >= 0 ? afterSlashes.substring(slash) : "";
      mergeAuthority(authority, conf, connection);
    }
    // a bare "/" (as in "zookeeper://host:2181/?timeout=5" or "sqlite:///") names no path: the
    // backend's default applies, as in TaskFlow
    if (!path.isEmpty() && !path.equals("/")) {
      conf.putIfAbsent("path", decode(path, "path", connection));
    }
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = decode(eq >= 0 ? pair.substring(0, eq) : pair, "query key", connection);
        String v = eq >= 0 ? decode(pair.substring(eq + 1), "query value", connection) : "";
        if (k.isEmpty()) {
          throw new InvalidConfigurationException(
              "a query parameter without a name in connection " + mask(connection));
        }
        conf.putIfAbsent(k, v);
      }
    }
  }

  private static void mergeAuthority(
      String authority, Map<String, Object> conf, String connection) {
    if (authority.isEmpty()) {
      return;
    }
    String hosts = authority;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userinfo = authority.substring(0, at);
      hosts = authority.substring(at + 1);
      int colon = userinfo.indexOf(':');
      String user = colon >= 0 ? userinfo.substring(0, colon) : userinfo;
      if (!user.isEmpty()) {
        conf.putIfAbsent("username", decode(user, "user name", connection));
      }
      if (colon >= 0) {
        conf.putIfAbsent("password", decode(userinfo.substring(colon + 1), "password", connection));
      }
    }
    if (hosts.isEmpty()) {
      return;
    }
    String[] each = hosts.split(",", -1);
    for (String host : each) {
      if (host.isEmpty()) {
        throw new InvalidConfigurationException(
            "an empty host in the host list of connection "
                + mask(connection)
                + "; give host[:port] separated by commas");
      }
      // every host's port is checked; only a single host's port becomes the 'port' key
      Integer port = port(host, connection);
      if (port != null && each.length == 1) {
        conf.putIfAbsent("port", port);
      }
    }
    conf.putIfAbsent("hostname", hosts);
  }

  /** The port of {@code host[:port]} (IPv6 in brackets), or {@code null} when none is given. */
  private static Integer port(String host, String connection) {
    int colon = host.lastIndexOf(':');
    boolean ipv6 = host.startsWith("[");
    if (colon <= 0 || (ipv6 && host.lastIndexOf(']') > colon)) {
      return null;
    }
    String portText = host.substring(colon + 1);
    if (portText.isEmpty() || !portText.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      // the text is not echoed: it may be the tail of an unencoded password
      throw new InvalidConfigurationException(
          "the port of host '"
              + host.substring(0, colon)
              + "' in connection "
              + mask(connection)
              + " is not a number; give host:port with a port in 1..65535 (a password"
              + " holding '/', '?', '#' or '@' must be percent-encoded)");
    }
    // more than 9 digits cannot be a port; avoid overflowing the parse
    long port = portText.length() > 9 ? Long.MAX_VALUE : Long.parseLong(portText);
    if (port < 1 || port > 65535) {
      throw new InvalidConfigurationException(
          "port " + portText + " in connection " + mask(connection) + " is not in 1..65535");
    }
    return (int) port;
  }

  private static String decode(String s, String what, String connection) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(
          "malformed percent-encoding in the " + what + " of connection " + mask(connection));
    }
  }

  /**
   * Replaces the password of a connection string (and the values of secret parameters such as
   * {@code password}, {@code token} or {@code keyfile_password}) with {@code ***}. Knows the shapes
   * that carry a password: {@code scheme://user:password@host}, also behind nested schemes ({@code
   * jdbc:mariadb://user:password@host}), query parameters ({@code ?user=u&password=p}),
   * semicolon-separated properties ({@code jdbc:sqlserver://h;password=p}, {@code
   * jdbc:h2:mem:x;PASSWORD=p}), key-value address lists ({@code (password=p)}) and Oracle's {@code
   * jdbc:oracle:thin:user/password@host}. Errs on the side of hiding: a password that was not
   * percent-encoded (holding {@code /}, {@code ?} or {@code #}) is masked up to the last {@code @}.
   */
  public static String mask(String connection) {
    return Secrets.mask(connection);
  }

  /**
   * {@code text} (a driver's message, a stack trace, a line to print) with the secrets it carries
   * in a recognisable place masked: every URL-like token as {@link #mask} does, {@code key=value}
   * and JSON fields whose key names a secret ({@code password}, {@code token}, ...). Nothing else
   * is changed: a secret is never searched for by its value, which would mangle any text that
   * happens to contain it ({@code "consistent":true} with the password {@code true}) and, by the
   * gaps it leaves, tell the secret.
   */
  public static String maskText(String text) {
    return Secrets.maskText(text);
  }

  /**
   * {@code text} with the secrets it carries masked, for quoting a driver's message: see {@link
   * #maskText}. Secrets are masked where they stand (connection strings, {@code key=value} and JSON
   * fields), never searched for by value.
   */
  public String redact(String text) {
    return maskText(text);
  }

  /** The backend name: the scheme before any {@code +driver}, lower case. */
  public String backendName() {
    return backendName;
  }

  /** The driver after {@code +} in the scheme ({@code mysql+pymysql} → {@code pymysql}). */
  public Optional<String> driver() {
    return Optional.ofNullable(driver);
  }

  /** The connection string as given. */
  public String connection() {
    return (String) values.get(CONNECTION);
  }

  /** Every key, unmodifiable (the password in clear: do not log it). */
  public Map<String, Object> asMap() {
    return values;
  }

  /** Whether the key is set. */
  public boolean has(String key) {
    return values.get(key) != null;
  }

  /**
   * A value as a string (a number, boolean, enum constant or file path is taken as its text).
   *
   * @throws InvalidConfigurationException when the value is a list, map or other structure
   */
  public Optional<String> getString(String key) {
    Object v = values.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof CharSequence
        || v instanceof Number
        || v instanceof Boolean
        || v instanceof Enum<?>
        || v instanceof java.nio.file.Path
        || v instanceof java.io.File)) {
      throw new InvalidConfigurationException(
          "'" + key + "' must be a string, not " + v.getClass().getSimpleName());
    }
    return Optional.of(String.valueOf(v));
  }

  /**
   * An integer value within bounds.
   *
   * @throws InvalidConfigurationException when it is not a whole number in {@code [min, max]}
   */
  public int getInt(String key, int defaultValue, int min, int max) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    long n;
    if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      n = ((Number) v).longValue();
    } else {
      try {
        n = Long.parseLong(String.valueOf(v).strip());
      } catch (NumberFormatException e) {
        throw new InvalidConfigurationException(
            "'" + key + "' must be a whole number, not '" + safe(key, v) + "'");
      }
    }
    if (n < min || n > max) {
      throw new InvalidConfigurationException(
          "'" + key + "' must be between " + min + " and " + max + ", not " + n);
    }
    return (int) n;
  }

  /**
   * A boolean value ({@code true/false/yes/no/on/off/1/0}, any case).
   *
   * @throws InvalidConfigurationException for anything else
   */
  public boolean getBoolean(String key, boolean defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    switch (String.valueOf(v).strip().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1", "y", "t":
        return true;
      case "false", "no", "off", "0", "n", "f":
        return false;
      default:
        throw new InvalidConfigurationException(
            "'" + key + "' must be true or false, not '" + safe(key, v) + "'");
    }
  }

  /**
   * A duration: a number of seconds ({@code "2.5"}) or an ISO-8601 duration ({@code "PT2S"}).
   *
   * @throws InvalidConfigurationException when it is neither, or negative
   */
  public Duration getDuration(String key, Duration defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    String s = String.valueOf(v).strip();
    Duration d;
    try {
      if (v instanceof Duration given) {
        d = given;
      } else if (s.startsWith("P") || s.startsWith("p")) {
        d = Duration.parse(s);
      } else {
        double seconds = Double.parseDouble(s);
        // beyond ~292 years the nanosecond count would silently saturate
        if (!Double.isFinite(seconds) || Math.abs(seconds) > Long.MAX_VALUE / 1e9) {
          throw new NumberFormatException();
        }
        d = Duration.ofNanos((long) (seconds * 1_000_000_000L));
      }
    } catch (RuntimeException e) {
      throw new InvalidConfigurationException(
          "'"
              + key
              + "' must be a number of seconds or an ISO-8601 duration, not '"
              + safe(key, v)
              + "'");
    }
    if (d.isNegative()) {
      throw new InvalidConfigurationException("'" + key + "' must not be negative, was " + s);
    }
    return d;
  }

  /**
   * One of the given choices (case-insensitive), returned in lower case.
   *
   * @throws InvalidConfigurationException for anything else
   */
  public String getChoice(String key, String defaultValue, String... choices) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    String s = String.valueOf(v).strip().toLowerCase(Locale.ROOT);
    for (String c : choices) {
      if (c.equalsIgnoreCase(s)) {
        return c.toLowerCase(Locale.ROOT);
      }
    }
    throw new InvalidConfigurationException(
        "'"
            + key
            + "' must be one of "
            + String.join(", ", choices)
            + ", not '"
            + safe(key, v)
            + "'");
  }

  /** The value for messages and {@link #toString()}: secrets masked, also inside nested maps. */
  private static Object safe(String key, Object v) {
    if (Secrets.isSecret(key)) {
      return "***";
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        copy.put(e.getKey(), safe(String.valueOf(e.getKey()), e.getValue()));
      }
      return copy;
    }
    if (v instanceof String text && text.contains("@")) {
      return mask(text); // another URL-like value may carry a password too
    }
    return v;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("BackendConf{");
    boolean first = true;
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append(e.getKey()).append('=');
      if (e.getKey().equals(CONNECTION)) {
        sb.append(mask(String.valueOf(e.getValue())));
      } else {
        sb.append(safe(e.getKey(), e.getValue()));
      }
    }
    return sb.append('}').toString();
  }
}
