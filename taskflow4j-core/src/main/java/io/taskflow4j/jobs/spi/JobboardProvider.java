package io.taskflow4j.jobs.spi;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.BackendConf;
import java.util.Set;

/**
 * Makes jobboards for one or more connection-string schemes. Register an implementation in {@code
 * META-INF/services/io.taskflow4j.jobs.spi.JobboardProvider}; {@link
 * io.taskflow4j.jobs.Jobboards#open} finds it through {@link java.util.ServiceLoader}.
 */
public interface JobboardProvider {

  /** The schemes served, lower case (the same as the logbook backend's of that store). */
  Set<String> schemes();

  /**
   * Opens a board, creating its structure in the store if needed. Keys every board understands:
   * {@code lease} (seconds or ISO-8601, default {@link io.taskflow4j.jobs.Jobboards#DEFAULT_LEASE})
   * and {@code board} (the board's name or path within the store).
   *
   * @throws io.taskflow4j.persistence.InvalidConfigurationException for a bad configuration
   * @throws io.taskflow4j.persistence.StorageException when the store cannot be reached
   */
  Jobboard open(BackendConf conf);

  /**
   * The configuration keys this board reads besides its backend's (those of the backend of the same
   * scheme are accepted too: one connection string serves both), so that {@link
   * io.taskflow4j.jobs.Jobboards#open} refuses a misspelled one. The default, {@link
   * io.taskflow4j.persistence.spi.ConfKeys#ANY}, checks nothing.
   */
  default io.taskflow4j.persistence.spi.ConfKeys confKeys(BackendConf conf) {
    return io.taskflow4j.persistence.spi.ConfKeys.ANY;
  }
}
