package io.taskflow4j.storage;

import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * When one attempt of a retry controller started and ended, and a one-line summary of what failed
 * in it. Kept beside the history (which keeps TaskFlow's {@code [value, failures]} shape) in the
 * retry's atom meta under {@value #META_ATTEMPTS}, one entry per attempt, aligned by index:
 *
 * <pre>{@code
 * "attempts": [{"started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T10:00:02Z",
 *               "summary": "t1: IllegalStateException: boom"}]
 * }</pre>
 *
 * @param startedAt when the retry produced the attempt's value (ISO-8601), or {@code null} when
 *     unknown (e.g. a history written by TaskFlow)
 * @param endedAt when the attempt ended (ISO-8601): when it failed (the latest failure recorded in
 *     it), or when everything the retry guards succeeded; {@code null} while it runs
 * @param summary {@code "atom: ExceptionType: message"} per failed atom, joined by {@code "; "}, or
 *     {@code null} when nothing failed
 */
public record AttemptInfo(String startedAt, String endedAt, String summary) {
  /** The atom meta key holding the attempt list. */
  public static final String META_ATTEMPTS = "attempts";

  /** An attempt nothing is known about. */
  public static final AttemptInfo UNKNOWN = new AttemptInfo(null, null, null);

  /** Whether the attempt failed (has a summary). */
  public boolean failed() {
    return summary != null;
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>(4);
    m.put("started_at", startedAt);
    m.put("ended_at", endedAt);
    m.put("summary", summary);
    return m;
  }

  private static AttemptInfo fromValue(Object v) {
    if (!(v instanceof Map<?, ?> m)) {
      return UNKNOWN;
    }
    return new AttemptInfo(
        text(m.get("started_at")), text(m.get("ended_at")), text(m.get("summary")));
  }

  private static String text(Object o) {
    return o instanceof String s ? s : null;
  }

  /** The infos stored in {@code meta}, exactly {@code size} of them (missing ones UNKNOWN). */
  static List<AttemptInfo> aligned(Map<String, Object> meta, int size) {
    List<AttemptInfo> out = new ArrayList<>(size);
    Object stored = meta.get(META_ATTEMPTS);
    List<?> list = stored instanceof List<?> l ? l : List.of();
    for (int i = 0; i < size; i++) {
      out.add(i < list.size() ? fromValue(list.get(i)) : UNKNOWN);
    }
    return Collections.unmodifiableList(out);
  }

  private static List<Object> asMaps(List<AttemptInfo> infos) {
    List<Object> out = new ArrayList<>(infos.size());
    for (AttemptInfo i : infos) {
      out.add(i.toMap());
    }
    return out;
  }

  /**
   * {@code after} (whose history just grew by one attempt) with a started entry for the new
   * attempt; entries beyond the earlier history (left over from a reset) are dropped first, so the
   * list stays aligned with the history.
   */
  static RetryDetail appendStarted(RetryDetail after, String startedAt) {
    int size = after.history().size();
    List<AttemptInfo> infos = new ArrayList<>(aligned(after.meta(), size - 1));
    infos.add(new AttemptInfo(startedAt, null, null));
    return after.withMetaEntries(Map.of(META_ATTEMPTS, asMaps(infos)));
  }

  /** {@code after} with the latest attempt ended at {@code now} by {@code atom}'s failure. */
  static RetryDetail recordFailure(RetryDetail after, String atom, Failure failure, String now) {
    int size = after.history().size();
    if (size == 0) {
      return after;
    }
    List<AttemptInfo> infos = new ArrayList<>(aligned(after.meta(), size));
    AttemptInfo last = infos.get(size - 1);
    String line = oneLine(atom + ": " + failure.summary());
    String summary = last.summary() == null ? line : last.summary() + "; " + line;
    infos.set(size - 1, new AttemptInfo(last.startedAt(), now, summary));
    return after.withMetaEntries(Map.of(META_ATTEMPTS, asMaps(infos)));
  }

  /**
   * {@code d} with its latest attempt ended at {@code now} because everything it guards succeeded;
   * unchanged (the same object) when there is no attempt or it has already ended.
   */
  static RetryDetail recordSucceeded(RetryDetail d, String now) {
    int size = d.history().size();
    if (size == 0) {
      return d;
    }
    List<AttemptInfo> infos = new ArrayList<>(aligned(d.meta(), size));
    AttemptInfo last = infos.get(size - 1);
    if (last.endedAt() != null) {
      return d;
    }
    infos.set(size - 1, new AttemptInfo(last.startedAt(), now, last.summary()));
    return d.withMetaEntries(Map.of(META_ATTEMPTS, asMaps(infos)));
  }

  /**
   * {@code d} with its history and attempt infos copied into {@link
   * RetryDetail#META_REVERTED_HISTORY}, before a revert empties them.
   */
  static RetryDetail keepReverted(RetryDetail d, String now) {
    Map<String, Object> kept = new LinkedHashMap<>(4);
    kept.put("reverted_at", now);
    kept.put("history", TaskFlowFormat.historyToJson(d.history()));
    kept.put(META_ATTEMPTS, asMaps(aligned(d.meta(), d.history().size())));
    return d.withMetaEntries(Map.of(RetryDetail.META_REVERTED_HISTORY, kept));
  }

  /** {@code d} without attempt infos (its history was wiped). */
  static RetryDetail cleared(RetryDetail d) {
    Object stored = d.meta().get(META_ATTEMPTS);
    if (stored instanceof List<?> l && l.isEmpty()) {
      return d;
    }
    return stored == null ? d : d.withMetaEntries(Map.of(META_ATTEMPTS, List.of()));
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }
}
