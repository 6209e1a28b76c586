package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.BackendProvider;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/**
 * Serves {@code zookeeper://[user:password@]host[:port][,host[:port]...][/path][?key=value...]}
 * (see {@link ZkBackend} and the module's README for the keys).
 */
public final class ZkBackendProvider implements BackendProvider {
  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of(
        "hosts",
        "timeout",
        "session_timeout_ms",
        "connection_timeout_ms",
        "retry_budget_ms",
        "retry_base_sleep_ms",
        "retry_max_sleep_ms",
        "max_value_bytes",
        "check_compatible",
        // TaskFlow's (kazoo's) client keys, accepted so that TaskFlow's configurations work
        "read_only",
        "randomize_hosts",
        "use_ssl",
        "verify_certs",
        "keyfile",
        "keyfile_password",
        "certfile",
        "command_retry",
        "connection_retry",
        "handler");
  }

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
