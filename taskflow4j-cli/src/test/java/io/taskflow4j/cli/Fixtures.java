package io.taskflow4j.cli;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Logbooks that use every field of the model, written through the persistence API. */
final class Fixtures {
  private Fixtures() {}

  static final Failure CAUSE =
      Failure.of(
          List.of("java.io.IOException", "java.lang.Exception", "java.lang.Throwable"),
          "disk full",
          "  at Disk.write(Disk.java:1)\n",
          List.of("disk full"),
          List.of());

  static final Failure FAILURE =
      Failure.of(
          List.of("com.example.ChargeDeclined", "java.lang.RuntimeException"),
          "card declined: insufficient funds (ünïcødé ✓)",
          "  at Charge.run(Charge.java:42)\n  at Engine.call(Engine.java:7)\n",
          List.of("card declined", 402, Map.of("retry", false)),
          List.of(CAUSE));

  /** A book whose atoms carry results, failures, revert results and failures, meta and versions. */
  static LogBook richBook() {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("duration", 0.125);
    meta.put("started_at", "2024-02-03T04:05:06.123456Z");
    meta.put("nested", Map.of("list", List.of(1, 2.5, "x", true), "null", Map.of()));
    Map<String, Object> charge = new LinkedHashMap<>();
    charge.put("uuid", "11111111-1111-1111-1111-111111111111");
    charge.put("name", "charge");
    charge.put("state", "REVERT_FAILURE");
    charge.put("intention", "REVERT");
    charge.put("results", Map.of("amount", 1234567890123L, "currency", "EUR"));
    charge.put("failure", FAILURE.toMap());
    charge.put("revert_results", List.of("partial", 1));
    charge.put("revert_failure", CAUSE.toMap());
    charge.put("meta", meta);
    charge.put("version", "2.1");
    AtomDetail reverted = TaskFlowFormat.atomFromMap(AtomDetail.TASK_DETAIL, charge, 0);
    AtomDetail pending =
        TaskDetail.of("ship", "66666666-6666-6666-6666-666666666666").withVersion("1.0");
    AtomDetail ok =
        TaskDetail.of("reserve", "77777777-7777-7777-7777-777777777777")
            .put(AtomState.SUCCESS, List.of(Map.of("sku", "A"), "quote \" and \\ slash"));
    RetryDetail retry =
        RetryDetail.of("retry", "22222222-2222-2222-2222-222222222222")
            .withHistory(
                List.of(
                    new RetryDetail.Attempt(1, Map.of("charge", FAILURE)),
                    new RetryDetail.Attempt(Map.of("attempt", 2), Map.of())))
            .withState(AtomState.RETRYING)
            .withIntention(Intention.RETRY)
            .withMeta(Map.of("k", "v"))
            .withVersion("1.0");
    FlowDetail failed =
        FlowDetail.of(
            "33333333-3333-3333-3333-333333333333",
            "checkout",
            FlowState.FAILURE,
            Map.of("store", Map.of("sku", "A-42"), "owner", "team ä"),
            List.of(ok, retry, reverted, pending),
            0);
    FlowDetail empty = FlowDetail.of("never-ran", "88888888-8888-8888-8888-888888888888");
    return LogBook.of(
        "44444444-4444-4444-4444-444444444444",
        "rich book — with ünïcødé",
        Instant.parse("2024-01-02T03:04:05.123456Z"),
        Instant.parse("2024-01-02T03:04:07.654321Z"),
        Map.of("team", "payments", "tags", List.of("a", "b")),
        List.of(failed, empty));
  }

  /** A book without flows and without an update time. */
  static LogBook emptyBook() {
    return LogBook.of(
        "55555555-5555-5555-5555-555555555555",
        "empty",
        Instant.parse("2023-12-31T23:59:59.999999Z"),
        null,
        Map.of(),
        List.of());
  }

  static void write(String connection, LogBook... books) {
    try (Backend b = Backends.open(connection);
        Connection c = b.getConnection()) {
      for (LogBook book : books) {
        c.saveLogBook(book);
      }
    }
  }
}
