package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** TaskFlow's {@code to_dict}/{@code from_dict} shapes, written and read. */
class TaskFlowFormatTest {

  private static final String BOOK_JSON =
      "{\"name\": \"book1\", \"meta\": {}, \"uuid\": \"9b1f2b57-1c3a-4e7e-9b8e-0f1f2a3b4c5d\","
          + " \"updated_at\": {\"day\": 28, \"month\": 11, \"year\": 2026, \"hour\": 15,"
          + " \"minute\": 51, \"second\": 15, \"microsecond\": 774035}, \"created_at\": {\"day\":"
          + " 28, \"month\": 11, \"year\": 2026, \"hour\": 15, \"minute\": 51, \"second\": 14,"
          + " \"microsecond\": 5}}";

  private static final String TASK_ATOM_JSON =
      "{\"atom\": {\"failure\": null, \"revert_failure\": null, \"meta\": {\"progress\": 1.0},"
          + " \"name\": \"t1\", \"results\": 2, \"revert_results\": null, \"state\": \"SUCCESS\","
          + " \"version\": \"1.0\", \"intention\": \"EXECUTE\", \"uuid\":"
          + " \"5d0e4a6c-8f55-4c1e-b3b9-6a2c7d8e9f00\"}, \"type\": \"TASK_DETAIL\"}";

  private static final String FAILURE_JSON =
      "{\"exception_str\": \"bad 1\", \"traceback_str\": \"  File \\\"x.py\\\", line 1\\n\","
          + " \"exc_type_names\": [\"RuntimeError\", \"Exception\"], \"version\": 1, \"exc_args\":"
          + " [\"bad 1\"], \"causes\": []}";

  private static final String RETRY_ATOM_JSON =
      "{\"atom\": {\"failure\": null, \"revert_failure\": null, \"meta\": {}, \"name\": \"r1\","
          + " \"results\": [[1, {\"t1\": "
          + FAILURE_JSON
          + "}], [2, {}]], \"revert_results\": null, \"state\": \"SUCCESS\", \"version\": [1,"
          + " 0], \"intention\": \"RETRY\", \"uuid\": \"r-uuid\"}, \"type\": \"RETRY_DETAIL\"}";

  private static final String FAILED_TASK_JSON =
      "{\"atom\": {\"failure\": "
          + FAILURE_JSON
          + ", \"revert_failure\": null, \"meta\": {}, \"name\": \"b\", \"results\": null,"
          + " \"revert_results\": null, \"state\": \"FAILURE\", \"version\": \"1.0\","
          + " \"intention\": \"REVERT\", \"uuid\": \"b-uuid\"}, \"type\": \"TASK_DETAIL\"}";

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(String json) {
    return (Map<String, Object>) Json.read(json);
  }

  // ---- logbooks ----

  @Test
  void bookDictWithMarshalledTimes() {
    Instant created = Instant.parse("2026-11-28T15:51:14.000005Z");
    Instant updated = Instant.parse("2026-11-28T15:51:15.774035Z");
    LogBook book =
        LogBook.of(
            "9b1f2b57-1c3a-4e7e-9b8e-0f1f2a3b4c5d", "book1", created, updated, Map.of(), List.of());
    Map<String, Object> m = TaskFlowFormat.logBookToMap(book, true);
    assertThat(m.keySet()).containsExactly("name", "meta", "uuid", "updated_at", "created_at");
    assertThat(Json.normalize(m)).isEqualTo(map(BOOK_JSON));
    @SuppressWarnings("unchecked")
    Map<String, Object> t = (Map<String, Object>) m.get("updated_at");
    assertThat(t.keySet())
        .containsExactly("day", "month", "year", "hour", "minute", "second", "microsecond");
    assertThat(TaskFlowFormat.logBookFromMap(m, List.of())).isEqualTo(book);
  }

  @Test
  void bookDictWithIsoTimes() {
    Instant created = Instant.parse("2026-11-28T15:51:14.000005Z");
    LogBook book = LogBook.of("u", "b", created, null, Map.of("k", 1), List.of());
    Map<String, Object> m = TaskFlowFormat.logBookToMap(book, false);
    assertThat(m.get("created_at")).isEqualTo("2026-11-28T15:51:14.000005Z");
    assertThat(m.get("updated_at")).isNull();
    assertThat(m.get("meta")).isEqualTo(Map.of("k", 1));
    LogBook back = TaskFlowFormat.logBookFromMap(map(Json.write(m)), List.of());
    assertThat(back).isEqualTo(book);
  }

  @Test
  void readsTaskFlowsBookFile() {
    FlowDetail fd = FlowDetail.of("f", "fd-1");
    LogBook book = TaskFlowFormat.logBookFromMap(map(BOOK_JSON), List.of(fd));
    assertThat(book.uuid()).isEqualTo("9b1f2b57-1c3a-4e7e-9b8e-0f1f2a3b4c5d");
    assertThat(book.name()).isEqualTo("book1");
    assertThat(book.meta()).isEmpty();
    assertThat(book.updatedAt()).isEqualTo(Instant.parse("2026-11-28T15:51:15.774035Z"));
    assertThat(book.createdAt()).isEqualTo(Instant.parse("2026-11-28T15:51:14.000005Z"));
    assertThat(book.flows()).containsExactly(fd);
  }

  @Test
  void bookWithoutUuidIsRejected() {
    Map<String, Object> m = new LinkedHashMap<>(map(BOOK_JSON));
    m.remove("uuid");
    assertThatThrownBy(() -> TaskFlowFormat.logBookFromMap(m, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uuid");
  }

  @Test
  void bookMetaThatIsNotADictReadsEmpty() {
    Map<String, Object> m = new LinkedHashMap<>(map(BOOK_JSON));
    m.put("meta", "garbage");
    assertThat(TaskFlowFormat.logBookFromMap(m, List.of()).meta()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "2020-01-02T03:04:05, 2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05.000000, 2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05.123456, 2020-01-02T03:04:05.123456Z",
    "2020-01-02 03:04:05.5, 2020-01-02T03:04:05.5Z",
    "2020-01-02T03:04:05Z, 2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05+00:00, 2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05+02:00, 2020-01-02T01:04:05Z",
    "2020-01-02T03:04:05-0500, 2020-01-02T08:04:05Z",
    "2020-01-02T03:04:05.25+0130, 2020-01-02T01:34:05.25Z",
    "2020-01-02T03:04:05+05, 2020-01-01T22:04:05Z",
    "  2020-01-02T03:04:05Z  , 2020-01-02T03:04:05Z",
  })
  void isoTimesWithAndWithoutOffset(String text, String expected) {
    assertThat(TaskFlowFormat.unmarshalTime(text)).isEqualTo(Instant.parse(expected));
  }

  @Test
  void marshalledTimeRoundTrip() {
    Instant t = Instant.parse("1999-12-31T23:59:59.999999Z");
    Map<String, Object> m = TaskFlowFormat.marshalTime(t);
    assertThat(m)
        .containsExactly(
            Map.entry("day", 31),
            Map.entry("month", 12),
            Map.entry("year", 1999),
            Map.entry("hour", 23),
            Map.entry("minute", 59),
            Map.entry("second", 59),
            Map.entry("microsecond", 999999));
    assertThat(TaskFlowFormat.unmarshalTime(m)).isEqualTo(t);
    assertThat(TaskFlowFormat.unmarshalTime(null)).isNull();
  }

  @Test
  void marshalledTimeWithoutMicrosecondAndWithTzname() {
    Map<String, Object> m = new LinkedHashMap<>(TaskFlowFormat.marshalTime(Instant.EPOCH));
    m.remove("microsecond");
    m.put("tzname", "UTC");
    assertThat(TaskFlowFormat.unmarshalTime(m)).isEqualTo(Instant.EPOCH);
  }

  @Test
  void badTimesAreRejected() {
    for (Object bad : List.of("yesterday", "2020-13-01T00:00:00", 12345, "")) {
      assertThatThrownBy(() -> TaskFlowFormat.unmarshalTime(bad))
          .as("%s", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("time");
    }
    Map<String, Object> noYear = new LinkedHashMap<>(TaskFlowFormat.marshalTime(Instant.EPOCH));
    noYear.remove("year");
    assertThatThrownBy(() -> TaskFlowFormat.unmarshalTime(noYear))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("year");
    Map<String, Object> badDay = new LinkedHashMap<>(TaskFlowFormat.marshalTime(Instant.EPOCH));
    badDay.put("day", 32);
    assertThatThrownBy(() -> TaskFlowFormat.unmarshalTime(badDay))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- flow details ----

  @Test
  void flowDetailDict() {
    FlowDetail fd =
        FlowDetail.of("fd-uuid", "flow", FlowState.RUNNING, Map.of("a", 1), List.of(), 3);
    Map<String, Object> m = TaskFlowFormat.flowDetailToMap(fd);
    assertThat(m.keySet()).containsExactly("name", "meta", "state", "uuid");
    assertThat(m)
        .containsEntry("name", "flow")
        .containsEntry("meta", Map.of("a", 1))
        .containsEntry("state", "RUNNING")
        .containsEntry("uuid", "fd-uuid");
    assertThat(TaskFlowFormat.flowDetailFromMap(m, List.of(), 3)).isEqualTo(fd);
  }

  @Test
  void flowDetailWithNullStateReadsPending() {
    Map<String, Object> m =
        map("{\"name\": \"f\", \"meta\": {}, \"state\": null, \"uuid\": \"u\"}");
    FlowDetail fd = TaskFlowFormat.flowDetailFromMap(m, List.of(), 0);
    assertThat(fd.state()).isEqualTo(FlowState.PENDING);
    Map<String, Object> noState = map("{\"name\": \"f\", \"uuid\": \"u\"}");
    assertThat(TaskFlowFormat.flowDetailFromMap(noState, List.of(), 0).state())
        .isEqualTo(FlowState.PENDING);
  }

  @Test
  void unknownStatesAreRejectedNamingThem() {
    Map<String, Object> m = map("{\"name\": \"f\", \"state\": \"DANCING\", \"uuid\": \"u\"}");
    assertThatThrownBy(() -> TaskFlowFormat.flowDetailFromMap(m, List.of(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DANCING");
    assertThatThrownBy(() -> TaskFlowFormat.atomState("WALTZING"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WALTZING");
    assertThatThrownBy(() -> TaskFlowFormat.intention("PONDER"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PONDER");
    assertThat(TaskFlowFormat.atomState(null)).isEqualTo(AtomState.PENDING);
    assertThat(TaskFlowFormat.intention(null)).isEqualTo(Intention.EXECUTE);
    assertThat(TaskFlowFormat.flowState("SUSPENDED")).isEqualTo(FlowState.SUSPENDED);
  }

  // ---- atoms ----

  @Test
  void taskAtomEnvelope() {
    TaskDetail td =
        TaskDetail.of("t1", "5d0e4a6c-8f55-4c1e-b3b9-6a2c7d8e9f00")
            .put(AtomState.SUCCESS, 2)
            .withMeta(Map.of("progress", 1.0))
            .withVersion("1.0");
    Map<String, Object> env = TaskFlowFormat.atomToEnvelope(td);
    assertThat(env.keySet()).containsExactly("atom", "type");
    assertThat(env.get("type")).isEqualTo("TASK_DETAIL");
    @SuppressWarnings("unchecked")
    Map<String, Object> atom = (Map<String, Object>) env.get("atom");
    assertThat(atom.keySet())
        .containsExactly(
            "failure",
            "revert_failure",
            "meta",
            "name",
            "results",
            "revert_results",
            "state",
            "version",
            "intention",
            "uuid");
    assertThat(Json.normalize(env)).isEqualTo(map(TASK_ATOM_JSON));
    AtomDetail back = TaskFlowFormat.atomFromEnvelope(map(Json.write(env)), 7);
    assertThat(back).isEqualTo(td.withRevision(7));
  }

  @Test
  void readsTaskFlowsAtomFile() {
    AtomDetail ad = TaskFlowFormat.atomFromEnvelope(map(TASK_ATOM_JSON), 1);
    assertThat(ad).isInstanceOf(TaskDetail.class);
    TaskDetail td = (TaskDetail) ad;
    assertThat(td.name()).isEqualTo("t1");
    assertThat(td.uuid()).isEqualTo("5d0e4a6c-8f55-4c1e-b3b9-6a2c7d8e9f00");
    assertThat(td.state()).isEqualTo(AtomState.SUCCESS);
    assertThat(td.intention()).isEqualTo(Intention.EXECUTE);
    assertThat(td.results()).isEqualTo(2);
    assertThat(td.meta()).containsEntry("progress", 1.0);
    assertThat(td.version()).isEqualTo("1.0");
    assertThat(td.failure()).isNull();
    assertThat(td.revision()).isEqualTo(1);
  }

  @Test
  void readsAFailedTaskFile() {
    TaskDetail td = (TaskDetail) TaskFlowFormat.atomFromEnvelope(map(FAILED_TASK_JSON), 0);
    assertThat(td.state()).isEqualTo(AtomState.FAILURE);
    assertThat(td.intention()).isEqualTo(Intention.REVERT);
    assertThat(td.failure().check("RuntimeError")).isEqualTo("RuntimeError");
    assertThat(td.failure().exceptionStr()).isEqualTo("bad 1");
    assertThat(Json.normalize(TaskFlowFormat.atomToEnvelope(td))).isEqualTo(map(FAILED_TASK_JSON));
  }

  @Test
  void readsTaskFlowsRetryFileKeepingEachValue() {
    AtomDetail ad = TaskFlowFormat.atomFromEnvelope(map(RETRY_ATOM_JSON), 0);
    assertThat(ad).isInstanceOf(RetryDetail.class);
    RetryDetail rd = (RetryDetail) ad;
    assertThat(rd.version()).isEqualTo("1.0");
    assertThat(rd.intention()).isEqualTo(Intention.RETRY);
    assertThat(rd.history()).hasSize(2);
    // TaskFlow's from_dict replaced this 1 with the failure dict; we keep it
    assertThat(rd.history().get(0).value()).isEqualTo(1);
    assertThat(rd.history().get(0).failures()).containsOnlyKeys("t1");
    assertThat(rd.history().get(0).failures().get("t1").check("RuntimeError")).isNotNull();
    assertThat(rd.history().get(1).value()).isEqualTo(2);
    assertThat(rd.history().get(1).failures()).isEmpty();
    assertThat(rd.lastResults()).isEqualTo(2);
  }

  @Test
  void retryHistoryRoundTripKeepsEveryValue() {
    Failure boom = Failure.of(new IllegalStateException("boom"));
    Failure bang = Failure.of(new IllegalArgumentException("bang"));
    RetryDetail rd =
        RetryDetail.of("r", "r-uuid")
            .put(AtomState.SUCCESS, Map.of("attempt", 1))
            .withAttemptFailure("a", boom)
            .withAttemptFailure("b", bang)
            .put(AtomState.SUCCESS, "second")
            .withAttemptFailure("a", bang)
            .put(AtomState.SUCCESS, List.of(3))
            .withState(AtomState.SUCCESS);
    Map<String, Object> env = TaskFlowFormat.atomToEnvelope(rd);
    assertThat(env.get("type")).isEqualTo("RETRY_DETAIL");
    @SuppressWarnings("unchecked")
    List<Object> results = (List<Object>) ((Map<String, Object>) env.get("atom")).get("results");
    assertThat(results).hasSize(3);
    List<?> first = (List<?>) results.get(0);
    assertThat(first.get(0)).isEqualTo(Map.of("attempt", 1));
    assertThat(new java.util.ArrayList<Object>(((Map<?, ?>) first.get(1)).keySet()))
        .containsExactly("a", "b");
    assertThat(((Map<?, ?>) first.get(1)).get("a")).isEqualTo(boom.toMap());

    RetryDetail back = (RetryDetail) TaskFlowFormat.atomFromEnvelope(map(Json.write(env)), 0);
    assertThat(back.history())
        .extracting(RetryDetail.Attempt::value)
        .containsExactly(Map.of("attempt", 1), "second", List.of(3));
    assertThat(back.history().get(0).failures())
        .containsExactly(Map.entry("a", boom), Map.entry("b", bang));
    assertThat(back.history().get(1).failures()).containsExactly(Map.entry("a", bang));
    assertThat(back).isEqualTo(rd);
  }

  @Test
  void historyFromJsonValidates() {
    assertThat(TaskFlowFormat.historyFromJson(null)).isEmpty();
    assertThatThrownBy(() -> TaskFlowFormat.historyFromJson("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("list");
    assertThatThrownBy(() -> TaskFlowFormat.historyFromJson(List.of(List.of(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pair");
    assertThatThrownBy(() -> TaskFlowFormat.historyFromJson(List.of(List.of(1, "x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dict");
    assertThatThrownBy(() -> TaskFlowFormat.historyFromJson(List.of(List.of(1, Map.of("t", "x")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'t'");
    assertThat(TaskFlowFormat.historyFromJson(List.of(java.util.Arrays.asList(1, null))))
        .containsExactly(new RetryDetail.Attempt(1, Map.of()));
  }

  @ParameterizedTest
  @CsvSource({"TASK, TASK", "FLOW_DETAIL, FLOW_DETAIL", "task_detail, task_detail"})
  void unknownAtomTypeIsRejectedNamingIt(String type, String named) {
    Map<String, Object> env = new LinkedHashMap<>(map(TASK_ATOM_JSON));
    env.put("type", type);
    assertThatThrownBy(() -> TaskFlowFormat.atomFromEnvelope(env, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + named + "'");
  }

  @Test
  void malformedEnvelopesAreRejected() {
    assertThatThrownBy(() -> TaskFlowFormat.atomFromEnvelope(Map.of("type", "TASK_DETAIL"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("atom");
    Map<String, Object> noType = new LinkedHashMap<>(map(TASK_ATOM_JSON));
    noType.remove("type");
    assertThatThrownBy(() -> TaskFlowFormat.atomFromEnvelope(noType, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type");
    Map<String, Object> atom = new LinkedHashMap<>(map(TASK_ATOM_JSON));
    @SuppressWarnings("unchecked")
    Map<String, Object> inner = new LinkedHashMap<>((Map<String, Object>) atom.get("atom"));
    inner.remove("name");
    assertThatThrownBy(() -> TaskFlowFormat.atomFromMap("TASK_DETAIL", inner, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name");
    inner.put("name", "n");
    inner.put("failure", "oops");
    assertThatThrownBy(() -> TaskFlowFormat.atomFromMap("TASK_DETAIL", inner, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failure");
  }

  @Test
  void atomWithNullStateAndMissingKeysReadsDefaults() {
    Map<String, Object> m = map("{\"name\": \"t\", \"uuid\": \"u\", \"state\": null}");
    TaskDetail td = (TaskDetail) TaskFlowFormat.atomFromMap("TASK_DETAIL", m, 0);
    assertThat(td.state()).isEqualTo(AtomState.PENDING);
    assertThat(td.intention()).isEqualTo(Intention.EXECUTE);
    assertThat(td.results()).isNull();
    assertThat(td.meta()).isEmpty();
    assertThat(td.version()).isNull();
    RetryDetail rd = (RetryDetail) TaskFlowFormat.atomFromMap("RETRY_DETAIL", m, 0);
    assertThat(rd.history()).isEmpty();
  }

  @Test
  void versionAsListOrTupleBecomesDottedString() {
    Map<String, Object> m = new LinkedHashMap<>(map("{\"name\": \"t\", \"uuid\": \"u\"}"));
    m.put("version", List.of(1, 0));
    assertThat(TaskFlowFormat.atomFromMap("TASK_DETAIL", m, 0).version()).isEqualTo("1.0");
    m.put("version", List.of(3, 11, 2));
    assertThat(TaskFlowFormat.atomFromMap("TASK_DETAIL", m, 0).version()).isEqualTo("3.11.2");
    m.put("version", "4.2");
    assertThat(TaskFlowFormat.atomFromMap("TASK_DETAIL", m, 0).version()).isEqualTo("4.2");
  }

  @Test
  void revertOutcomesAndFailuresRoundTrip() {
    Failure f = Failure.of(new IllegalStateException("exec"));
    Failure rf = Failure.of(new IllegalStateException("revert"));
    TaskDetail td =
        TaskDetail.of("t", "u")
            .put(AtomState.FAILURE, f)
            .put(AtomState.REVERT_FAILURE, rf)
            .withIntention(Intention.REVERT);
    AtomDetail back =
        TaskFlowFormat.atomFromEnvelope(map(Json.write(TaskFlowFormat.atomToEnvelope(td))), 0);
    assertThat(back).isEqualTo(td);
    assertThat(back.failure()).isEqualTo(f);
    assertThat(back.revertFailure()).isEqualTo(rf);

    RetryDetail rd =
        RetryDetail.of("r", "ru").put(AtomState.SUCCESS, 1).put(AtomState.REVERTED, "undone");
    AtomDetail rback =
        TaskFlowFormat.atomFromEnvelope(map(Json.write(TaskFlowFormat.atomToEnvelope(rd))), 0);
    assertThat(rback.revertResults()).isEqualTo("undone");
    assertThat(rback).isEqualTo(rd);
  }

  /** Writes a whole tree the way a path-based backend lays it out, reads it back, compares. */
  @Test
  void wholeTreeRoundTripThroughJsonText() {
    Failure boom = Failure.of(new IllegalStateException("boom", new RuntimeException("cause")));
    TaskDetail ok = TaskDetail.of("ok", "a1").put(AtomState.SUCCESS, Map.of("rows", 3L));
    TaskDetail bad =
        TaskDetail.of("bad", "a2").put(AtomState.FAILURE, boom).withIntention(Intention.REVERT);
    RetryDetail retry =
        RetryDetail.of("retry", "a3")
            .put(AtomState.SUCCESS, 1)
            .withAttemptFailure("bad", boom)
            .put(AtomState.SUCCESS, 2)
            .withMeta(Map.of("progress", 0.5));
    FlowDetail f1 =
        FlowDetail.of("f1", "flow-1")
            .withState(FlowState.RUNNING)
            .withMeta(
                Map.of("factory", Map.of("name", "x.y", "args", List.of(), "kwargs", Map.of())))
            .withAtom(ok)
            .withAtom(bad)
            .withAtom(retry);
    FlowDetail f2 = FlowDetail.of("f2", "flow-2");
    LogBook book =
        LogBook.of(
                "book-1",
                "orders",
                Instant.parse("2026-11-28T15:51:14.123456Z"),
                null,
                Map.of("owner", "me"),
                List.of())
            .withFlow(f1)
            .withFlow(f2);

    String bookText = Json.write(TaskFlowFormat.logBookToMap(book, true));
    List<FlowDetail> flows = new java.util.ArrayList<>();
    for (FlowDetail fd : book.flows()) {
      String fdText = Json.write(TaskFlowFormat.flowDetailToMap(fd));
      List<AtomDetail> atoms = new java.util.ArrayList<>();
      for (AtomDetail ad : fd.atoms()) {
        atoms.add(
            TaskFlowFormat.atomFromEnvelope(
                map(Json.write(TaskFlowFormat.atomToEnvelope(ad))), ad.revision()));
      }
      flows.add(TaskFlowFormat.flowDetailFromMap(map(fdText), atoms, fd.revision()));
    }
    LogBook back = TaskFlowFormat.logBookFromMap(map(bookText), flows);
    assertThat(back).isEqualTo(book);
    assertThat(back.find("flow-1").orElseThrow().atoms()).containsExactly(ok, bad, retry);
    RetryDetail r = (RetryDetail) back.find("flow-1").orElseThrow().find("a3").orElseThrow();
    assertThat(r.history().get(0).value()).isEqualTo(1);
    assertThat(r.history().get(0).failures().get("bad").causes()).hasSize(1);
  }

  @Test
  void failureHelpers() {
    assertThat(TaskFlowFormat.failureToMap(null)).isNull();
    assertThat(TaskFlowFormat.failureFromJson(null)).isNull();
    Failure f = TaskFlowFormat.failureFromJson(map(FAILURE_JSON));
    assertThat(TaskFlowFormat.failureToMap(f)).isEqualTo(map(FAILURE_JSON));
    assertThatThrownBy(() -> TaskFlowFormat.failureFromJson(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
