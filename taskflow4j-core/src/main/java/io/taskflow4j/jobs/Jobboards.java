package io.taskflow4j.jobs;

import io.taskflow4j.jobs.spi.JobboardProvider;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.BackendNotFoundException;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Opens jobboards by connection string, the same strings as logbook backends: a board lives in the
 * same store as the logbooks it points to ({@code postgresql://…}, {@code zookeeper://…}, {@code
 * dir:///…}), so that claims and checkpoints can be fenced together; {@code memory://} opens a new,
 * empty board in this JVM. Every board, built-in or not, is found this way (see {@link
 * JobboardProvider}).
 *
 * <pre>{@code
 * try (Jobboard board = Jobboards.open("postgresql://app@db/flows?lease=10")) {
 *   board.post(JobSpec.of("nightly", bookRef, flowUuid));
 * }
 * }</pre>
 */
public final class Jobboards {
  /** The lease time when the configuration sets none. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);

  /** The configuration key of the lease time. */
  public static final String LEASE = "lease";

  /** The configuration key of the board's name or path within the store. */
  public static final String BOARD = "board";

  private Jobboards() {}

  /** Opens the board of a connection string. */
  public static Jobboard open(String connection) {
    return open(BackendConf.parse(connection));
  }

  /** Opens the board of a configuration map (its {@code connection} key picks the store). */
  public static Jobboard open(Map<String, ?> conf) {
    return open(BackendConf.of(conf));
  }

  /** Opens the board of a parsed configuration. */
  public static Jobboard open(BackendConf conf) {
    Map<String, JobboardProvider> providers = providers();
    JobboardProvider p = providers.get(conf.backendName());
    if (p == null) {
      throw new BackendNotFoundException(
          "No jobboard for '"
              + conf.backendName()
              + "' (connection "
              + BackendConf.mask(conf.connection())
              + "); known: "
              + String.join(", ", providers.keySet())
              + " (is the module of that store on the class path?)");
    }
    p.confKeys(conf)
        .union(Backends.backendKeys(conf))
        .check(conf, conf.backendName() + " connections");
    try {
      return p.open(conf);
    } catch (TaskFlowException | IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StorageException(
          "Could not open the '"
              + conf.backendName()
              + "' jobboard (connection "
              + BackendConf.mask(conf.connection())
              + "): "
              + conf.redact(String.valueOf(e)),
          e);
    }
  }

  /**
   * The configuration keys the jobboard of {@code conf}'s scheme reads ({@link ConfKeys#NONE} when
   * no board serves it), for a backend opened on the same connection string.
   */
  public static ConfKeys boardKeys(BackendConf conf) {
    JobboardProvider p = providers().get(conf.backendName());
    return p == null ? ConfKeys.NONE : p.confKeys(conf);
  }

  /** The lease time a configuration asks for. */
  public static Duration leaseTime(BackendConf conf) {
    Duration d = conf.getDuration(LEASE, DEFAULT_LEASE);
    if (d.compareTo(Duration.ofMillis(100)) < 0) {
      throw new io.taskflow4j.persistence.InvalidConfigurationException(
          "'lease' must be at least 0.1 seconds, was " + d.toMillis() + " ms");
    }
    return d;
  }

  private static Map<String, JobboardProvider> providers() {
    Map<String, JobboardProvider> m = new TreeMap<>();
    for (JobboardProvider p : ServiceLoader.load(JobboardProvider.class, loader())) {
      for (String s : p.schemes()) {
        m.putIfAbsent(s, p);
      }
    }
    return m;
  }

  private static ClassLoader loader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : Jobboards.class.getClassLoader();
  }
}
