package io.taskflow4j.storage;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.StorageException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What retry atoms record: their histories, each attempt's failures and {@link AttemptInfo}, and
 * the resets that start them afresh. Each change is one write of the retry's detail.
 */
final class RetryRecords {
  private final AtomTable table;
  private final DetailWriter details;

  RetryRecords(AtomTable table, DetailWriter details) {
    this.table = table;
    this.details = details;
  }

  private AtomEntry requireRetry(String name) {
    AtomEntry e = table.entry(name);
    if (e.kind != AtomKind.RETRY) {
      throw new IllegalArgumentException("atom '" + e.name + "' is a task, not a retry");
    }
    return e;
  }

  /**
   * See {@link Storage#saveRetryFailure}.
   *
   * @throws StorageException when the retry has no attempt yet
   */
  void saveFailure(String retryName, String failedAtomName, Failure failure) {
    Objects.requireNonNull(failedAtomName, "failedAtomName");
    Objects.requireNonNull(failure, "failure");
    requireRetry(retryName);
    details.updateAtom(
        retryName,
        d -> {
          RetryDetail r = (RetryDetail) d;
          RetryDetail u = r.withAttemptFailure(failedAtomName, failure);
          // Already recorded: nothing changes, so nothing is written.
          return u == r ? r : AttemptInfo.recordFailure(u, failedAtomName, failure, details.now());
        },
        null,
        null);
  }

  /** See {@link Storage#closeRetryAttempt}. */
  void closeAttempt(String retryName) {
    requireRetry(retryName);
    details.updateAtom(
        retryName, d -> AttemptInfo.recordSucceeded((RetryDetail) d, details.now()), null, null);
  }

  /** See {@link Storage#cleanupRetryHistory}. */
  void cleanupHistory(String retryName, AtomState state) {
    Objects.requireNonNull(state, "state");
    requireRetry(retryName);
    details.updateAtom(
        retryName,
        d -> AttemptInfo.cleared(((RetryDetail) d).withHistory(List.of()).withState(state)),
        null,
        null);
  }

  /** See {@link Storage#saveRetryReverted}. */
  void saveReverted(String retryName, Object revertResult) {
    requireRetry(retryName);
    Object value = DetailWriter.normalizeResult(retryName, revertResult);
    String now = details.now();
    details.updateAtom(
        retryName,
        d -> {
          RetryDetail r = (RetryDetail) d;
          RetryDetail kept = r.history().isEmpty() ? r : AttemptInfo.keepReverted(r, now);
          return AttemptInfo.cleared(kept.put(AtomState.REVERTED, value).withHistory(List.of()));
        },
        null,
        null);
  }

  /** See {@link Storage#getRetryHistory}. */
  RetryHistory history(String retryName) {
    AtomEntry e = requireRetry(retryName);
    RetryDetail d = (RetryDetail) e.detail();
    return new RetryHistory(
        d.history(), e.executeFailure(d), AttemptInfo.aligned(d.meta(), d.history().size()));
  }

  /** See {@link Storage#getRetryHistories}. */
  Map<String, RetryHistory> histories() {
    table.structure.readLock().lock();
    try {
      Map<String, RetryHistory> out = new LinkedHashMap<>();
      for (String n : table.retryNames()) {
        out.put(n, history(n));
      }
      return Collections.unmodifiableMap(out);
    } finally {
      table.structure.readLock().unlock();
    }
  }
}
