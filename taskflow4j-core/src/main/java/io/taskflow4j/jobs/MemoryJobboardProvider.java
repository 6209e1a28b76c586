package io.taskflow4j.jobs;

import io.taskflow4j.jobs.spi.JobboardProvider;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.time.Clock;
import java.util.Set;

/**
 * Serves the {@code memory} scheme with a new, empty {@link MemoryJobboard} per {@link
 * Jobboards#open}, as {@code memory://} gives a new, empty logbook backend.
 */
public final class MemoryJobboardProvider implements JobboardProvider {

  /** For {@link java.util.ServiceLoader}. */
  public MemoryJobboardProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("memory");
  }

  @Override
  public Jobboard open(BackendConf conf) {
    return new MemoryJobboard(Jobboards.leaseTime(conf), Clock.systemUTC());
  }

  @Override
  public ConfKeys confKeys(BackendConf conf) {
    return ConfKeys.of(Jobboards.LEASE);
  }
}
