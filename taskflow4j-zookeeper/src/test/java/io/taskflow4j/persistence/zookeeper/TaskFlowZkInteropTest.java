package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Intention;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenStack TaskFlow ({@code /usr/bin/python3} with Debian's {@code python3-taskflow} and {@code
 * python3-kazoo}) and taskflow4j share one ZooKeeper store: TaskFlow reads every field taskflow4j
 * wrote, taskflow4j reads what TaskFlow wrote, and each sees the other's updates.
 *
 * <p>Without TaskFlow or kazoo the tests are skipped with a message, except on CI ({@code
 * CI=true}), where that is a failure.
 */
class TaskFlowZkInteropTest {
  private static final Path SCRIPT = TaskFlowPython.script("tf_zk_interop.py");

  @EmbeddedZooKeeper private static TestingServer server;
  private static String problem;

  private String path;
  private String hosts;

  @BeforeAll
  static void findTaskFlow() throws Exception {
    problem = TaskFlowPython.problem(SCRIPT);
  }

  @BeforeEach
  void requireTaskFlow() {
    TaskFlowPython.require(problem);
    path = ZkTesting.freshPath("interop");
    hosts = server.getConnectString();
  }

  private Backend open() {
    return Backends.open("zookeeper://" + hosts + path);
  }

  @Test
  void taskFlowReadsEveryFieldOfAStoreTaskflow4jWrote() throws Exception {
    Failure failure = Failure.of(new IllegalStateException("payment failed: carte refusée ✗"));
    TaskDetail done =
        TaskDetail.create("charge ✓")
            .withVersion("1.2")
            .withMeta(Map.of("progress", 1.0))
            .put(AtomState.SUCCESS, Map.of("answer", 42, "list", List.of(1, "two")));
    TaskDetail failed =
        TaskDetail.create("ship")
            .put(AtomState.FAILURE, failure)
            .withIntention(Intention.REVERT)
            .withRevertResults("reverted");
    RetryDetail retry =
        RetryDetail.create("retry")
            .put(AtomState.SUCCESS, 1)
            .put(AtomState.SUCCESS, 2)
            .withAttemptFailure("ship", failure);
    FlowDetail fd =
        FlowDetail.create("deploy 流れ")
            .withState(FlowState.RUNNING)
            .withMeta(Map.of("k", List.of("v", 1)))
            .withAtom(done)
            .withAtom(failed)
            .withAtom(retry);
    LogBook lb =
        LogBook.create("book ünïcode").withMeta(Map.of("origin", "taskflow4j")).withFlow(fd);
    LogBook empty = LogBook.create("empty book");
    try (Backend b = open();
        Connection c = b.getConnection()) {
      c.saveLogBook(lb);
      c.saveLogBook(empty);
    }

    Map<String, Object> dump = runJson("dump", hosts, path);
    List<?> books = (List<?>) dump.get("books");
    assertThat(books).hasSize(2);
    Map<?, ?> book = byUuid(books, lb.uuid());
    assertThat(book.get("name")).isEqualTo("book ünïcode");
    assertThat(book.get("meta")).isEqualTo(Map.of("origin", "taskflow4j"));
    assertThat(book.get("created_at")).isEqualTo(iso(lb.createdAt()));
    assertThat(((List<?>) byUuid(books, empty.uuid()).get("flows"))).isEmpty();
    Map<?, ?> flow = (Map<?, ?>) ((List<?>) book.get("flows")).get(0);
    assertThat(flow.get("uuid")).isEqualTo(fd.uuid());
    assertThat(flow.get("name")).isEqualTo("deploy 流れ");
    assertThat(flow.get("state")).isEqualTo("RUNNING");
    assertThat(flow.get("meta")).isEqualTo(Map.of("k", List.of("v", 1)));
    List<?> atoms = (List<?>) flow.get("atoms");
    assertThat(atoms).hasSize(3);

    Map<?, ?> a1 = byUuid(atoms, done.uuid());
    assertThat(a1.get("type")).isEqualTo("TASK_DETAIL");
    assertThat(a1.get("name")).isEqualTo("charge ✓");
    assertThat(a1.get("state")).isEqualTo("SUCCESS");
    assertThat(a1.get("intention")).isEqualTo("EXECUTE");
    assertThat(a1.get("version")).isEqualTo("1.2");
    assertThat(a1.get("meta")).isEqualTo(Map.of("progress", 1.0));
    assertThat(a1.get("results")).isEqualTo(Map.of("answer", 42, "list", List.of(1, "two")));
    assertThat(a1.get("failure")).isNull();

    Map<?, ?> a2 = byUuid(atoms, failed.uuid());
    assertThat(a2.get("state")).isEqualTo("FAILURE");
    assertThat(a2.get("intention")).isEqualTo("REVERT");
    assertThat(a2.get("revert_results")).isEqualTo("reverted");
    Map<?, ?> f = (Map<?, ?>) a2.get("failure");
    assertThat(f.get("exception_str")).isEqualTo("payment failed: carte refusée ✗");
    List<Object> typeNames = new ArrayList<>((List<?>) f.get("exc_type_names"));
    assertThat(typeNames)
        .startsWith("java.lang.IllegalStateException")
        .endsWith("java.lang.Throwable");

    Map<?, ?> a3 = byUuid(atoms, retry.uuid());
    assertThat(a3.get("type")).isEqualTo("RETRY_DETAIL");
    List<?> history = (List<?>) a3.get("results");
    assertThat(history).hasSize(2);
    assertThat(((List<?>) history.get(0)).get(0)).isEqualTo(1);
    Map<?, ?> attemptFailures = (Map<?, ?>) ((List<?>) history.get(1)).get(1);
    assertThat(((Map<?, ?>) attemptFailures.get("ship")).get("exception_str"))
        .isEqualTo("payment failed: carte refusée ✗");

    // TaskFlow updates an atom taskflow4j wrote; taskflow4j reads the change, and its copy
    // from before is stale (TaskFlow moved the znode version on).
    AtomDetail before;
    try (Backend b = open();
        Connection c = b.getConnection()) {
      before = c.getAtomDetails(failed.uuid());
    }
    Map<String, Object> updated = runJson("update", hosts, path, failed.uuid());
    assertThat(updated.get("results")).isEqualTo("updated by TaskFlow");
    try (Backend b = open();
        Connection c = b.getConnection()) {
      AtomDetail after = c.getAtomDetails(failed.uuid());
      assertThat(after.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(after.lastResults()).isEqualTo("updated by TaskFlow");
      assertThat(after.meta()).containsEntry("by", "taskflow");
      assertThat(after.revision()).isGreaterThan(before.revision());
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> c.updateAtomDetails(before.withState(AtomState.REVERTED)))
          .isInstanceOf(io.taskflow4j.persistence.ConflictException.class)
          .hasMessageContaining(failed.uuid());
    }
  }

  @Test
  void taskflow4jReadsAStoreTaskFlowWroteAndWritesBackWhatTaskFlowReads() throws Exception {
    Map<String, Object> written = runJson("write", hosts, path);
    String bookUuid = (String) written.get("book");
    String flowUuid = (String) written.get("flow");
    List<?> atomUuids = (List<?>) written.get("atoms");

    try (Backend b = open();
        Connection c = b.getConnection()) {
      c.validate();
      LogBook lb = c.getLogBook(bookUuid);
      assertThat(lb.name()).isEqualTo("written by TaskFlow ✓");
      assertThat(lb.meta()).isEqualTo(Map.of("origin", "taskflow", "n", 3));
      assertThat(lb.createdAt()).isNotNull();
      FlowDetail fd = lb.flows().get(0);
      assertThat(fd.uuid()).isEqualTo(flowUuid);
      assertThat(fd.state()).isEqualTo(FlowState.RUNNING);
      assertThat(fd.meta()).isEqualTo(Map.of("k", List.of("v", 1)));
      assertThat(fd.atoms())
          .extracting(AtomDetail::uuid)
          .containsExactlyInAnyOrderElementsOf(atomUuids.stream().map(String::valueOf).toList());

      TaskDetail task = (TaskDetail) c.getAtomDetails((String) atomUuids.get(0));
      assertThat(task.name()).isEqualTo("tf-task");
      assertThat(task.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(task.version()).isEqualTo("1.2");
      assertThat(task.results()).isEqualTo(Map.of("answer", 42, "list", listOf(1, "two", null)));
      TaskDetail failed = (TaskDetail) c.getAtomDetails((String) atomUuids.get(1));
      assertThat(failed.state()).isEqualTo(AtomState.FAILURE);
      assertThat(failed.intention()).isEqualTo(Intention.REVERT);
      assertThat(failed.failure().exceptionStr()).isEqualTo("boom ünïcode");
      assertThat(failed.failure().check("RuntimeError")).isEqualTo("RuntimeError");
      RetryDetail retry = (RetryDetail) c.getAtomDetails((String) atomUuids.get(2));
      assertThat(retry.history()).hasSize(2);
      assertThat(retry.history().get(0).value()).isEqualTo(1);
      assertThat(retry.history().get(1).failures()).containsKey("tf-failed");

      // taskflow4j moves the run on, on TaskFlow's store: a checked update and a new atom.
      c.updateAtomDetails(failed.put(AtomState.SUCCESS, "fixed by taskflow4j"));
      TaskDetail added = TaskDetail.create("added by taskflow4j").put(AtomState.SUCCESS, 7);
      c.updateFlowDetails(fd.withoutAtoms().withState(FlowState.SUCCESS).withAtom(added));
    }

    Map<String, Object> dump = runJson("dump", hosts, path);
    Map<?, ?> book = byUuid((List<?>) dump.get("books"), bookUuid);
    Map<?, ?> flow = (Map<?, ?>) ((List<?>) book.get("flows")).get(0);
    assertThat(flow.get("state")).isEqualTo("SUCCESS");
    List<?> atoms = (List<?>) flow.get("atoms");
    assertThat(atoms).hasSize(4);
    Map<?, ?> fixed = byUuid(atoms, (String) atomUuids.get(1));
    assertThat(fixed.get("state")).isEqualTo("SUCCESS");
    assertThat(fixed.get("results")).isEqualTo("fixed by taskflow4j");
    assertThat(fixed.get("failure")).isNull();
    Map<?, ?> addedAtom = null;
    for (Object a : atoms) {
      if ("added by taskflow4j".equals(((Map<?, ?>) a).get("name"))) {
        addedAtom = (Map<?, ?>) a;
      }
    }
    assertThat(addedAtom).isNotNull();
    assertThat(addedAtom.get("results")).isEqualTo(7);
  }

  @Test
  void taskFlowReadsAndRewritesFlowsCarryingRecordTimes() throws Exception {
    Instant created = Instant.parse("2024-03-01T10:00:00.000001Z");
    FlowDetail fd =
        FlowDetail.create("timed")
            .withAtom(TaskDetail.create("t"))
            .withTimes(created, created.plusSeconds(60));
    LogBook lb = LogBook.create("timed book").withFlow(fd);
    String flowPath = path + "/flow_details/" + fd.uuid();
    try (Backend b = open();
        Connection c = b.getConnection();
        CuratorFramework admin = ZkTesting.plainClient(hosts)) {
      c.replaceLogBook(lb);
      @SuppressWarnings("unchecked")
      Map<String, Object> stored =
          (Map<String, Object>) Json.read(admin.getData().forPath(flowPath));
      assertThat(stored)
          .containsEntry("created_at", "2024-03-01T10:00:00.000001+00:00")
          .containsEntry("updated_at", "2024-03-01T10:01:00.000001+00:00");

      // TaskFlow reads a store whose flows carry the extra keys.
      Map<String, Object> dump = runJson("dump", hosts, path);
      Map<?, ?> book = byUuid((List<?>) dump.get("books"), lb.uuid());
      Map<?, ?> flow = byUuid((List<?>) book.get("flows"), fd.uuid());
      assertThat(flow.get("name")).isEqualTo("timed");
      assertThat(flow.get("state")).isEqualTo("PENDING");
      assertThat((List<?>) flow.get("atoms")).hasSize(1);

      // TaskFlow rewrites the flow (its to_dict drops the keys): the znode's times stand in.
      Map<String, Object> updated = runJson("update-flow", hosts, path, fd.uuid());
      assertThat(updated.get("state")).isEqualTo("SUCCESS");
      Map<?, ?> rewritten = (Map<?, ?>) Json.read(admin.getData().forPath(flowPath));
      assertThat(rewritten.containsKey("created_at") || rewritten.containsKey("updated_at"))
          .as("TaskFlow's rewrite keeps no time key: %s", rewritten)
          .isFalse();
      Stat stat = admin.checkExists().forPath(flowPath);
      FlowDetail read = c.getFlowDetails(fd.uuid());
      assertThat(read.state()).isEqualTo(FlowState.SUCCESS);
      assertThat(read.meta()).containsEntry("by", "taskflow");
      assertThat(read.createdAt()).isEqualTo(Instant.ofEpochMilli(stat.getCtime()));
      assertThat(read.updatedAt()).isEqualTo(Instant.ofEpochMilli(stat.getMtime()));
      FlowSummary listed = c.findFlows(FlowQuery.all()).flows().get(0);
      assertThat(listed.updatedAt()).isEqualTo(read.updatedAt());
      assertThat(listed.revision()).isEqualTo(read.revision());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static List<Object> listOf(Object... values) {
    return new ArrayList<>(java.util.Arrays.asList(values));
  }

  private static Map<?, ?> byUuid(List<?> values, String uuid) {
    for (Object v : values) {
      if (uuid.equals(((Map<?, ?>) v).get("uuid"))) {
        return (Map<?, ?>) v;
      }
    }
    throw new AssertionError("no " + uuid + " in " + values);
  }

  private static String iso(Instant t) {
    return LocalDateTime.ofInstant(t, ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> runJson(String... args) throws Exception {
    Object v = TaskFlowPython.runJson(SCRIPT, args);
    if (!(v instanceof Map<?, ?>)) {
      throw new AssertionError("tf_zk_interop.py printed no JSON object: " + v);
    }
    return new LinkedHashMap<>((Map<String, Object>) v);
  }
}
