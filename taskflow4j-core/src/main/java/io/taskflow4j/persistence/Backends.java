package io.taskflow4j.persistence;

import io.taskflow4j.persistence.spi.BackendProvider;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and opens backends by connection string.
 *
 * <pre>{@code
 * try (Backend backend = Backends.open("dir:///var/lib/app/flows")) {
 *   try (Connection conn = backend.getConnection()) {
 *     conn.saveLogBook(LogBook.create("orders"));
 *   }
 * }
 * }</pre>
 *
 * <p>Providers are found through {@link java.util.ServiceLoader} ({@link BackendProvider}). Built
 * in: {@code memory}, {@code dir} and {@code file}; other modules add {@code sqlite}, {@code
 * postgresql} (alias {@code postgres}), {@code mysql}, {@code mariadb} and {@code zookeeper}.
 */
public final class Backends {
  private Backends() {}

  /** Makes a backend from a connection string without touching the store. */
  public static Backend fetch(String connection) {
    return fetch(BackendConf.parse(connection));
  }

  /** Makes a backend from a configuration map (its {@code connection} key picks the backend). */
  public static Backend fetch(Map<String, ?> conf) {
    return fetch(BackendConf.of(conf));
  }

  /** Makes a backend from a parsed configuration. */
  public static Backend fetch(BackendConf conf) {
    Map<String, BackendProvider> providers = providers();
    BackendProvider p = providers.get(conf.backendName());
    if (p == null) {
      throw new BackendNotFoundException(
          "Could not find a backend for '"
              + conf.backendName()
              + "' (connection "
              + BackendConf.mask(conf.connection())
              + "); known backends: "
              + String.join(", ", providers.keySet())
              + pathHint(conf.connection()));
    }
    p.confKeys(conf)
        .union(io.taskflow4j.jobs.Jobboards.boardKeys(conf))
        .check(conf, conf.backendName() + " connections");
    try {
      return p.create(conf);
    } catch (TaskFlowException e) {
      throw e;
    } catch (RuntimeException e) {
      // a provider's own bug or a driver error must not leak out raw
      throw new StorageException(
          "Could not create the '"
              + conf.backendName()
              + "' backend (connection "
              + BackendConf.mask(conf.connection())
              + "): "
              + conf.redact(String.valueOf(e)),
          e);
    }
  }

  /** A hint for a connection that is a file path rather than a URI. */
  private static String pathHint(String connection) {
    if (connection.indexOf(':') >= 0) {
      return "";
    }
    if (connection.startsWith("/")) {
      return ". For a directory, write dir://" + connection;
    }
    if (connection.indexOf('/') >= 0 || connection.indexOf('\\') >= 0) {
      return ". For a directory, write dir:// followed by its absolute path, e.g."
          + " dir:///var/lib/app/flows";
    }
    return "";
  }

  /**
   * Makes a backend and prepares its store ({@code upgrade()}), for use in try-with-resources. On
   * failure the backend is closed before the exception propagates.
   */
  public static Backend open(String connection) {
    return open(BackendConf.parse(connection));
  }

  /** As {@link #open(String)}, from a configuration map. */
  public static Backend open(Map<String, ?> conf) {
    return open(BackendConf.of(conf));
  }

  /** As {@link #open(String)}, from a parsed configuration. */
  public static Backend open(BackendConf conf) {
    Backend backend = fetch(conf);
    try (Connection c = backend.getConnection()) {
      c.upgrade();
      return backend;
    } catch (RuntimeException | Error e) {
      try {
        backend.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof RuntimeException && !(e instanceof TaskFlowException)) {
        throw new StorageException(
            "Could not prepare the store of the '"
                + conf.backendName()
                + "' backend (connection "
                + BackendConf.mask(conf.connection())
                + "): "
                + conf.redact(String.valueOf(e)),
            e);
      }
      throw e;
    }
  }

  /**
   * The configuration keys the backend of {@code conf}'s scheme reads ({@link ConfKeys#NONE} when
   * no backend serves it), for a jobboard opened on the same connection string.
   */
  public static ConfKeys backendKeys(BackendConf conf) {
    BackendProvider p = providers().get(conf.backendName());
    return p == null ? ConfKeys.NONE : p.confKeys(conf);
  }

  /** The schemes of every provider found, sorted. */
  public static Set<String> knownSchemes() {
    return new TreeSet<>(providers().keySet());
  }

  private static Map<String, BackendProvider> providers() {
    Map<String, BackendProvider> byScheme = new TreeMap<>();
    ClassLoader[] loaders = {
      Thread.currentThread().getContextClassLoader(), Backends.class.getClassLoader()
    };
    for (ClassLoader cl : loaders) {
      if (cl == null) {
        continue;
      }
      Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, cl).iterator();
      // One broken registration (a class missing from the class path, a provider whose
      // constructor throws) must not make every other backend unreachable: skip it, say so once.
      for (int failures = 0; failures < MAX_BROKEN_PROVIDERS; ) {
        BackendProvider p;
        try {
          if (!it.hasNext()) {
            break;
          }
          p = it.next();
        } catch (ServiceConfigurationError e) {
          failures++;
          if (REPORTED.add(String.valueOf(e.getMessage()))) {
            LOG.warn("Skipping a backend provider that cannot be loaded: {}", e.getMessage());
          }
          continue;
        }
        for (String scheme : p.schemes()) {
          // connection schemes are matched in lower case (BackendConf lower-cases them)
          byScheme.putIfAbsent(scheme.toLowerCase(Locale.ROOT), p);
        }
      }
    }
    return byScheme;
  }

  private static final int MAX_BROKEN_PROVIDERS = 64;
  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
  private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();
}
