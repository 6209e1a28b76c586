package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.UpgradeRequiredException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Opens stores from connection strings and names them safely (passwords masked). */
final class Stores {
  private Stores() {}

  /** Backends that reach a server over the network, whose drivers wait and retry by default. */
  private static final Set<String> SERVER_BACKENDS =
      Set.of("postgresql", "postgres", "mysql", "mariadb", "jdbc");

  /** How long the first contact with a database server may take, unless the connection says. */
  static final String PROBE_POOL_TIMEOUT = "5";

  /** Opens a store, creating or migrating its structure (for commands that write). */
  static Backend open(String connection) {
    probe(connection, true);
    return Backends.open(connection);
  }

  /** Opens a store that must already exist (for commands that only read or update it). */
  static Backend existing(String connection) {
    probe(connection, false);
    return validated(Backends.fetch(connection));
  }

  /**
   * Fails fast when a database server cannot be reached or refuses the credentials: the same
   * operation, once, without the backend's retries and with a short pool timeout (unless the
   * connection string sets them). The real work then runs with the connection's own settings.
   */
  private static void probe(String connection, boolean upgrade) {
    BackendConf conf = BackendConf.parse(connection);
    if (!SERVER_BACKENDS.contains(conf.backendName())) {
      return;
    }
    Map<String, Object> quick = new LinkedHashMap<>(conf.asMap());
    quick.putIfAbsent("pool_timeout", PROBE_POOL_TIMEOUT);
    quick.putIfAbsent("max_retries", "0");
    quick.putIfAbsent("max_pool_size", "1");
    if (upgrade) {
      Backends.open(quick).close();
    } else {
      validated(Backends.fetch(quick)).close();
    }
  }

  private static Backend validated(Backend backend) {
    try (Connection c = backend.getConnection()) {
      c.validate();
      return backend;
    } catch (UpgradeRequiredException e) {
      // Readable as it is (a store TaskFlow made, an older schema): reads go ahead and leave it
      // unchanged; a write is refused by the backend with this same finding.
      return backend;
    } catch (RuntimeException | Error e) {
      try {
        backend.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** The connection string with its password and secrets masked. */
  static String mask(String connection) {
    return BackendConf.mask(connection);
  }

  /** Where a file-backed store lives, e.g. {@code "a SQLite file: /abs/flows.db"}, or empty. */
  static String where(String connection) {
    String lower = connection.toLowerCase(Locale.ROOT);
    if (lower.startsWith("sqlite:///")) {
      String path = connection.substring("sqlite:///".length());
      int q = path.indexOf('?');
      if (q >= 0) {
        path = path.substring(0, q);
      }
      if (path.isEmpty() || path.equals(":memory:")) {
        return "SQLite in memory";
      }
      return "a SQLite file: " + Path.of(path).toAbsolutePath().normalize();
    }
    if (lower.startsWith("dir://") || lower.startsWith("file://")) {
      return "a directory";
    }
    return "";
  }

  /** A connection string quoted for a POSIX shell when it needs quoting. */
  static String shellQuote(String s) {
    if (s.matches("[A-Za-z0-9_./:@%+=,\\-]+")) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
