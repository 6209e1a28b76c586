package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.persistence.spi.JobCompletionWork;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.function.Consumer;

/**
 * The SQL board's completion of a claimed job, done by the fenced connection that runs the job's
 * flow in the same transaction as its write of the flow's final state ({@link
 * io.taskflow4j.jobs.Jobboard#fencedCompleting}): the job's row is deleted if the claim still holds
 * it (its owner, epoch and an unlapsed lease, as {@link Claim#complete()} checks). Told once: after
 * its row was deleted, a later write of the flow carries nothing more.
 */
final class JobCompletion extends JobCompletionWork {
  private final JdbcBackend board;
  private final SqlJobRows table;
  private final Claim claim;

  /**
   * @param board the board's backend: the completion is done only by a connection to its database
   * @param onStored told whether the row was deleted, once a write carrying the delete is stored
   */
  JobCompletion(
      JdbcBackend board,
      SqlJobRows table,
      Claim claim,
      String flowUuid,
      Consumer<Boolean> onStored) {
    super(claim.job().uuid(), flowUuid, onStored);
    this.board = board;
    this.table = table;
    this.claim = claim;
  }

  /** Whether a connection of {@code backend} can do it: the board's rows are in its database. */
  boolean doneBy(JdbcBackend backend) {
    return backend.sameDatabase(board);
  }

  /** The delete, with {@link #bind}'s four parameters. */
  String deleteSql() {
    return "DELETE FROM taskflow4j_jobs WHERE " + table.heldBy;
  }

  /** Binds {@link #deleteSql}'s parameters from {@code index}; returns the next index. */
  int bind(PreparedStatement ps, int index) throws SQLException {
    table.bindHeld(ps, index, claim);
    return index + 4;
  }

  /** Deletes the job's row in {@code c}'s transaction: whether the claim still held it. */
  boolean delete(java.sql.Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(deleteSql())) {
      bind(ps, 1);
      return ps.executeUpdate() == 1;
    }
  }
}
