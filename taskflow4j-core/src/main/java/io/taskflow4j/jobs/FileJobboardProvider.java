package io.taskflow4j.jobs;

import io.taskflow4j.jobs.spi.JobboardProvider;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/** Serves the {@code dir} and {@code file} schemes with a {@link FileJobboard}. */
public final class FileJobboardProvider implements JobboardProvider {

  /** For {@link java.util.ServiceLoader}. */
  public FileJobboardProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("dir", "file");
  }

  @Override
  public Jobboard open(BackendConf conf) {
    return new FileJobboard(conf);
  }

  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of(Jobboards.LEASE, Jobboards.BOARD);
  }
}
