package io.taskflow4j.bench;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.util.Map;

/**
 * The writes an engine makes per task, for the atom-update benchmarks: one task detail in its own
 * logbook, updated alternately to a RUNNING marker and to a SUCCESS result (state, result and meta
 * change, revision-checked).
 */
final class TaskTransitions {
  private final Connection conn;
  private AtomDetail atom;
  private long counter;

  /** Saves a new logbook with one flow of one task on {@code conn}. */
  TaskTransitions(Connection conn) {
    this.conn = conn;
    FlowDetail fd = FlowDetail.create("flow").withAtom(TaskDetail.create("task-1"));
    LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
    atom = book.flows().get(0).atoms().get(0);
  }

  /** The next transition, written; returns the detail as stored. */
  AtomDetail next() {
    long n = ++counter;
    AtomDetail next =
        (n & 1) == 0
            ? atom.withState(AtomState.RUNNING).withMetaEntries(Map.of("progress", 0.0))
            : atom.put(AtomState.SUCCESS, n).withMetaEntries(Map.of("progress", 1.0));
    atom = conn.updateAtomDetails(next);
    return atom;
  }
}
