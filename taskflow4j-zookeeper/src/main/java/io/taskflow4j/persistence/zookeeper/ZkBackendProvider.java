package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.BackendProvider;
import java.util.Set;

/**
 * Serves {@code zookeeper://[user:password@]host[:port][,host[:port]...][/path][?key=value...]}
 * (see {@link ZkBackend} and the module's README for the keys).
 */
public final class ZkBackendProvider implements BackendProvider {
  @Override
  public Set<String> schemes() {
    return Set.of("zookeeper");
  }

  @Override
  public Backend create(BackendConf conf) {
    return new ZkBackend(conf);
  }

  /** A backend whose logbook writes go through {@code hook} (crash-point tests). */
  public static Backend create(BackendConf conf, ZkWriteHook hook) {
    return new ZkBackend(conf, ZkSettings.from(conf), hook);
  }
}
