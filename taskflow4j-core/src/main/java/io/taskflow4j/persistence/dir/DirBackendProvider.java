package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.BackendProvider;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/** Serves the {@code dir} and {@code file} schemes with a {@link DirBackend}. */
public final class DirBackendProvider implements BackendProvider {

  /** For {@link java.util.ServiceLoader}. */
  public DirBackendProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("dir", "file");
  }

  @Override
  public Backend create(BackendConf conf) {
    return new DirBackend(conf);
  }

  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of(
        DirBackend.DURABILITY,
        DirBackend.PERMISSIONS,
        DirBackend.SWEEP_ON_UPGRADE,
        "max_cache_size",
        "encoding");
  }
}
