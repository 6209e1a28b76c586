package io.taskflow4j.persistence.jdbc;

/**
 * What a SQL backend's group commit has done since it was opened ({@link
 * JdbcBackendProvider#groupCommitStats}): transactions committed for atom- and flow-detail writes,
 * the writes they carried, those of markers only (committed without waiting for the disk where the
 * store allows it), and those the database refused as a whole, whose writes were done again one by
 * one.
 *
 * @param groups transactions committed by the group commit
 * @param writes writes those transactions carried
 * @param relaxedGroups groups of RUNNING/REVERTING markers only
 * @param splitGroups groups done again write by write after the database refused them
 */
public record GroupCommitStats(long groups, long writes, long relaxedGroups, long splitGroups) {

  /** Writes per transaction on average: above 1 when writes shared transactions; 0 before any. */
  public double writesPerGroup() {
    return groups == 0 ? 0 : (double) writes / groups;
  }
}
