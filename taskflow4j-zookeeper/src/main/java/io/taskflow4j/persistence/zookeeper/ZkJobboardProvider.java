package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.spi.JobboardProvider;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.spi.ConfKeys;
import java.util.Set;

/**
 * Serves ZooKeeper jobboards for {@code
 * zookeeper://host[:port][,...][/root][?lease=10&board=jobs]}: TaskFlow's board layout under {@code
 * <root>/jobs} (or {@code board}, absolute or relative to the root), leases being the board's own
 * ZooKeeper session (see {@link ZkJobboard}).
 */
public final class ZkJobboardProvider implements JobboardProvider {
  @Override
  public ConfKeys confKeys(BackendConf conf) {
    // emit_notifications: TaskFlow's ZooKeeper board key, accepted for its configurations
    return ConfKeys.of(Jobboards.LEASE, Jobboards.BOARD, "emit_notifications");
  }

  @Override
  public Set<String> schemes() {
    return Set.of("zookeeper");
  }

  @Override
  public Jobboard open(BackendConf conf) {
    return ZkJobboard.open(conf);
  }
}
