package io.taskflow4j.persistence.spi;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import java.util.Set;

/**
 * Makes backends for one or more connection-string schemes. Register an implementation in {@code
 * META-INF/services/io.taskflow4j.persistence.spi.BackendProvider}; {@link
 * io.taskflow4j.persistence.Backends#fetch} finds it through {@link java.util.ServiceLoader}.
 */
public interface BackendProvider {

  /** The schemes served, lower case (e.g. {@code dir} and {@code file}). */
  Set<String> schemes();

  /**
   * Makes a backend. It should not touch the store yet beyond checking the configuration; {@code
   * upgrade()} prepares it.
   *
   * @throws io.taskflow4j.persistence.InvalidConfigurationException for a bad configuration
   */
  Backend create(BackendConf conf);

  /**
   * The configuration keys this provider reads (besides {@link ConfKeys#COMMON}), so that {@link
   * io.taskflow4j.persistence.Backends#fetch} refuses a misspelled one instead of ignoring it. Keys
   * TaskFlow's backend of the same name reads belong here too, even if ignored, so that TaskFlow's
   * configurations keep working. The default, {@link ConfKeys#ANY}, checks nothing.
   */
  default ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.ANY;
  }
}
