package io.taskflow4j.persistence.jdbc;

import org.junit.jupiter.api.Test;

/** Group commit on MariaDB (a fresh database per test). */
class MariaDbGroupCommitTest extends AbstractGroupCommitTest {
  @MariaDbDatabase String db;

  @Override
  String url() {
    return TestDatabases.mariadbUrl(db);
  }

  @Override
  boolean batchesAtoms() {
    return false;
  }

  @Test
  void aFlowDetailWriteRefusedHalfWayInAGroupLeavesNothingAndItsNeighboursCommit()
      throws Exception {
    assertAFlowDetailWriteRefusedHalfWayInAGroupLeavesNothing();
  }
}
