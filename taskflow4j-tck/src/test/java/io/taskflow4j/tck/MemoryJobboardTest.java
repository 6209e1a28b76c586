package io.taskflow4j.tck;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.MemoryJobboard;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** The jobboard kit on the memory board: every board of a test is a peer of the first. */
class MemoryJobboardTest extends JobboardContractTest {
  private MemoryJobboard first;

  @Override
  protected Jobboard openBoard(Duration leaseTime) {
    if (first == null) {
      first = new MemoryJobboard(leaseTime, Clock.systemUTC());
      return first;
    }
    return first.peer(leaseTime);
  }

  @Override
  protected boolean reportsLeaseExpiry() {
    return true;
  }

  @AfterEach
  void forget() {
    first = null;
  }
}
