package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.ReadOnlyStoreException;
import io.taskflow4j.persistence.UpgradeRequiredException;
import io.taskflow4j.persistence.UpgradeResult;
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

  /** How a command uses a store, which decides what it must find. */
  private enum Use {
    /** Creates or migrates the store ({@code upgrade()}) and writes. */
    CREATE,
    /** Writes a store that must exist and be fully usable as it is. */
    WRITE,
    /** Only reads: the store is taken as it is found and never changed. */
    READ
  }

  /** Opens a store, creating or migrating its structure (for commands that write). */
  static Backend open(String connection) {
    probe(connection, Use.CREATE);
    return Backends.open(connection);
  }

  /**
   * Creates or migrates a store ({@code upgrade}) and checks it after, saying what was done. The
   * first contact with a database server is bounded as {@link #probe} bounds it: the upgrade itself
   * runs on the probe's settings (the connection string's own, where it sets them), so a server
   * that is down, or a database that does not exist, is reported after one short attempt.
   */
  static UpgradeResult upgrade(String connection) {
    BackendConf conf = BackendConf.parse(connection);
    UpgradeResult done;
    try (Backend backend = Backends.fetch(quick(conf));
        Connection c = backend.getConnection()) {
      done = c.upgradeWithResult();
    }
    try (Backend backend = Backends.fetch(conf);
        Connection c = backend.getConnection()) {
      c.validate();
    }
    return done;
  }

  /**
   * Opens a store that must already exist and be usable as it is (for commands that update it): one
   * that needs {@code upgrade()} first, or that this process cannot write, is refused with the
   * store's own explanation.
   */
  static Backend existing(String connection) {
    probe(connection, Use.WRITE);
    return validated(Backends.fetch(connection), Use.WRITE);
  }

  /**
   * Opens a store to read it as it is found, changing nothing (no {@code upgrade()}): for the
   * commands that only read. A store that {@code upgrade()} would adopt (a TaskFlow store) or that
   * this process cannot write (a backup, a read-only mount, another user's files) is read all the
   * same; one that cannot be reached or does not exist is refused.
   */
  static Backend readable(String connection) {
    probe(connection, Use.READ);
    return validated(Backends.fetch(connection), Use.READ);
  }

  /**
   * Fails fast when a database server cannot be reached or refuses the credentials: the same
   * operation, once, without the backend's retries and with a short pool timeout (unless the
   * connection string sets them). The real work then runs with the connection's own settings.
   */
  private static void probe(String connection, Use use) {
    BackendConf conf = BackendConf.parse(connection);
    if (!SERVER_BACKENDS.contains(conf.backendName())) {
      return;
    }
    Map<String, Object> quick = quick(conf);
    if (use == Use.CREATE) {
      Backends.open(quick).close();
    } else {
      validated(Backends.fetch(quick), use).close();
    }
  }

  /**
   * A database server's configuration for one short attempt (unless the connection string sets
   * these keys); any other backend's as it is.
   */
  private static Map<String, Object> quick(BackendConf conf) {
    Map<String, Object> quick = new LinkedHashMap<>(conf.asMap());
    if (SERVER_BACKENDS.contains(conf.backendName())) {
      quick.putIfAbsent("pool_timeout", PROBE_POOL_TIMEOUT);
      quick.putIfAbsent("max_retries", "0");
      quick.putIfAbsent("max_pool_size", "1");
    }
    return quick;
  }

  private static Backend validated(Backend backend, Use use) {
    try (Connection c = backend.getConnection()) {
      try {
        c.validate();
      } catch (UpgradeRequiredException | ReadOnlyStoreException e) {
        if (use != Use.READ) {
          throw e;
        }
        // Readable as it is, which is all a reading command needs.
      }
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
