package io.taskflow4j.persistence.memory;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.BackendProvider;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/** Serves {@code memory://}, {@code memory:} and {@code memory}. */
public final class MemoryBackendProvider implements BackendProvider {
  @Override
  public Set<String> schemes() {
    return Set.of("memory");
  }

  @Override
  public Backend create(BackendConf conf) {
    return new MemoryBackend(conf);
  }

  /** None of its own; TaskFlow's memory backend reads {@code deep_copy} (always on here). */
  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of("deep_copy");
  }
}
