package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What is particular to ZooKeeper in flow queries, record times and single-flow deletes: the times
 * kept as keys of the flow's JSON with the znode's times as fallback, deletes too large for one
 * transaction, and the cost of a scan.
 */
class ZkFlowQueryTest {
  @EmbeddedZooKeeper private static TestingServer server;
  private static CuratorFramework admin;
  private String path;
  private Backend backend;
  private Connection conn;

  @BeforeAll
  static void startServer() throws Exception {
    admin = ZkTesting.plainClient(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    admin.close();
  }

  @BeforeEach
  void open() {
    path = ZkTesting.freshPath("zkq");
    backend = open(ZkTesting.MAX_VALUE_BYTES);
    conn = backend.getConnection();
  }

  private Backend open(int maxValueBytes) {
    return Backends.open(
        Map.of(
            "connection",
            "zookeeper://" + server.getConnectString() + path,
            "max_value_bytes",
            maxValueBytes));
  }

  @AfterEach
  void close() throws Exception {
    conn.close();
    backend.close();
    ZkTesting.deleteTree(admin, path);
  }

  private String flowPath(String uuid) {
    return path + "/flow_details/" + uuid;
  }

  private Map<?, ?> json(String znode) throws Exception {
    return (Map<?, ?>) Json.read(admin.getData().forPath(znode));
  }

  @Test
  void theTimesAreKeysOfTheFlowsJsonAndAnUpdateKeepsTheCreationTime() throws Exception {
    FlowDetail fd = FlowDetail.create("f").withAtom(TaskDetail.create("t"));
    FlowDetail saved = conn.saveLogBook(LogBook.create("b").withFlow(fd)).flows().get(0);
    Map<?, ?> stored = json(flowPath(fd.uuid()));
    String created = (String) stored.get("created_at");
    assertThat(created).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00");
    assertThat(stored.get("updated_at")).isEqualTo(created);
    assertThat(saved.createdAt()).isEqualTo(Instant.parse(created.replace("+00:00", "Z")));

    Thread.sleep(5);
    FlowDetail updated = conn.updateFlowDetails(saved.withState(FlowState.RUNNING));
    Map<?, ?> after = json(flowPath(fd.uuid()));
    assertThat(after.get("created_at")).isEqualTo(created);
    assertThat((String) after.get("updated_at")).isGreaterThan(created);
    assertThat(updated.createdAt()).isEqualTo(saved.createdAt());
    assertThat(updated.updatedAt()).isAfter(saved.updatedAt());
    assertThat(conn.getFlowDetails(fd.uuid()).updatedAt()).isEqualTo(updated.updatedAt());

    // a save of the whole book keeps the creation time too
    LogBook book = conn.getLogBooks().get(0);
    FlowDetail again = conn.saveLogBook(book).flows().get(0);
    assertThat(again.createdAt()).isEqualTo(saved.createdAt());
    assertThat(json(flowPath(fd.uuid())).get("created_at")).isEqualTo(created);
  }

  @Test
  void aFlowWrittenWithoutTheTimeKeysReportsTheZnodesTimes() throws Exception {
    FlowDetail fd = FlowDetail.create("as TaskFlow writes it").withState(FlowState.SUCCESS);
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(fd));
    // TaskFlow's FlowDetail.to_dict: name, meta, state, uuid and nothing else
    Map<String, Object> taskFlows = new LinkedHashMap<>();
    taskFlows.put("name", fd.name());
    taskFlows.put("meta", Map.of());
    taskFlows.put("state", "SUCCESS");
    taskFlows.put("uuid", fd.uuid());
    Thread.sleep(5);
    admin.setData().forPath(flowPath(fd.uuid()), Json.writeBytes(taskFlows));
    Stat stat = admin.checkExists().forPath(flowPath(fd.uuid()));
    assertThat(stat.getMtime()).isGreaterThan(stat.getCtime());
    Instant ctime = Instant.ofEpochMilli(stat.getCtime());
    Instant mtime = Instant.ofEpochMilli(stat.getMtime());

    FlowDetail read = conn.getFlowDetails(fd.uuid(), true);
    assertThat(read.createdAt()).isEqualTo(ctime);
    assertThat(read.updatedAt()).isEqualTo(mtime);
    assertThat(conn.getLogBook(lb.uuid()).flows().get(0).updatedAt()).isEqualTo(mtime);
    FlowSummary s = conn.findFlows(FlowQuery.all()).flows().get(0);
    assertThat(s.createdAt()).isEqualTo(ctime);
    assertThat(s.updatedAt()).isEqualTo(mtime);
    assertThat(conn.countFlows(FlowQuery.all().updatedSince(mtime)))
        .isEqualTo(Map.of(FlowState.SUCCESS, 1L));
    assertThat(conn.countFlows(FlowQuery.all().updatedBefore(mtime))).isEmpty();

    // an update by taskflow4j keeps the znode's creation time as the flow's
    FlowDetail updated = conn.updateFlowDetails(read.withState(FlowState.RUNNING));
    assertThat(updated.createdAt()).isEqualTo(ctime);
    assertThat(conn.getFlowDetails(fd.uuid(), true).createdAt()).isEqualTo(ctime);
  }

  @Test
  void aMangledTimeKeyFallsBackToTheZnodesTime() throws Exception {
    FlowDetail fd = FlowDetail.create("f");
    conn.saveLogBook(LogBook.create("b").withFlow(fd));
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : json(flowPath(fd.uuid())).entrySet()) {
      m.put((String) e.getKey(), e.getValue());
    }
    m.put("updated_at", "yesterday");
    admin.setData().forPath(flowPath(fd.uuid()), Json.writeBytes(m));
    Stat stat = admin.checkExists().forPath(flowPath(fd.uuid()));
    assertThat(conn.getFlowDetails(fd.uuid()).updatedAt())
        .isEqualTo(Instant.ofEpochMilli(stat.getMtime()));
  }

  @Test
  void destroyFlowDetailInALargeBookDeletesOnlyThatFlowInOneTransaction() throws Exception {
    List<FlowDetail> flows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      flows.add(FlowDetail.create("f" + i).withAtom(TaskDetail.create("t" + i)));
    }
    LogBook lb = conn.saveLogBook(LogBook.create("large").withFlows(flows));
    FlowDetail gone = lb.flows().get(150);
    AtomDetail goneAtom = gone.atoms().get(0);
    long zxidBefore = admin.checkExists().forPath(path).getPzxid();

    conn.destroyFlowDetail(gone.uuid(), gone.revision());

    assertThat(admin.checkExists().forPath(flowPath(gone.uuid()))).isNull();
    assertThat(admin.checkExists().forPath(path + "/atom_details/" + goneAtom.uuid())).isNull();
    assertThat(admin.checkExists().forPath(path + "/books/" + lb.uuid() + "/" + gone.uuid()))
        .isNull();
    // one transaction: every deleted znode went in the same zxid
    long dirZxid = admin.checkExists().forPath(path + "/flow_details").getPzxid();
    long atomsZxid = admin.checkExists().forPath(path + "/atom_details").getPzxid();
    long bookZxid = admin.checkExists().forPath(path + "/books/" + lb.uuid()).getPzxid();
    assertThat(dirZxid).isGreaterThan(zxidBefore).isEqualTo(atomsZxid).isEqualTo(bookZxid);
    LogBook after = conn.getLogBook(lb.uuid());
    assertThat(after.flows()).hasSize(299).doesNotContain(gone);
    assertThat(conn.countFlows(FlowQuery.all())).isEqualTo(Map.of(FlowState.PENDING, 299L));
  }

  @Test
  void aFlowTooLargeForOneTransactionIsDeletedInChunksUnlinkedFirst() throws Exception {
    List<AtomDetail> atoms = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      atoms.add(TaskDetail.create("t" + i).put(AtomState.SUCCESS, i));
    }
    FlowDetail big = FlowDetail.create("big").withAtoms(atoms);
    FlowDetail small = FlowDetail.create("small").withAtom(TaskDetail.create("s"));
    LogBook lb = conn.saveLogBook(LogBook.create("b").withFlow(big).withFlow(small));
    FlowDetail stored = lb.flows().get(0);

    // a client whose request limit is far below the ~400 × 2 deletes of the flow's atoms
    try (Backend limited = open(64 * 1024);
        Connection c = limited.getConnection()) {
      conn.updateFlowDetails(stored.withoutAtoms().withState(FlowState.SUCCESS));
      assertThatThrownBy(() -> c.destroyFlowDetail(big.uuid(), stored.revision()))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining(big.uuid());
      assertThat(conn.getFlowDetails(big.uuid()).atoms()).hasSize(400);
      assertThat(conn.getLogBook(lb.uuid()).flows()).hasSize(2);

      FlowDetail now = conn.getFlowDetails(big.uuid(), true);
      c.destroyFlowDetail(big.uuid(), now.revision());
      assertThatThrownBy(() -> c.destroyFlowDetail(big.uuid()))
          .isInstanceOf(NotFoundException.class)
          .hasMessageContaining(big.uuid());
    }
    assertThat(admin.checkExists().forPath(flowPath(big.uuid()))).isNull();
    assertThat(admin.getChildren().forPath(path + "/atom_details"))
        .containsExactly(small.atoms().get(0).uuid());
    assertThat(conn.getLogBook(lb.uuid()).flows())
        .extracting(FlowDetail::uuid)
        .containsExactly(small.uuid());
  }

  @Test
  void aBookWhoseLinksLeadToNoFlowIsEmpty() throws Exception {
    LogBook lb = conn.saveLogBook(LogBook.create("b"));
    // a link left by a deletion cut short: its flow znode is gone
    admin
        .create()
        .forPath(
            path + "/books/" + lb.uuid() + "/dangling", "0".getBytes(StandardCharsets.US_ASCII));
    assertThat(conn.getLogBook(lb.uuid()).flows()).isEmpty();
    assertThat(conn.destroyLogBookIfEmpty(lb.uuid())).isTrue();
    assertThat(admin.checkExists().forPath(path + "/books/" + lb.uuid())).isNull();
    assertThat(admin.checkExists().forPath(flowPath("dangling"))).isNull();
  }

  @Test
  void aScanOfTenThousandFlowsTakesAFewSecondsAtMost() {
    int books = 100;
    int perBook = 100;
    for (int b = 0; b < books; b++) {
      List<FlowDetail> flows = new ArrayList<>(perBook);
      for (int f = 0; f < perBook; f++) {
        flows.add(
            FlowDetail.create("flow-" + b + "-" + f)
                .withState(f % 10 == 0 ? FlowState.FAILURE : FlowState.SUCCESS));
      }
      conn.saveLogBook(LogBook.create("book-" + b).withFlows(flows));
    }
    conn.findFlows(FlowQuery.all().limit(10)); // warm up

    long start = System.nanoTime();
    var page = conn.findFlows(FlowQuery.all().states(FlowState.FAILURE).limit(100));
    long findMs = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    Map<FlowState, Long> counts = conn.countFlows(FlowQuery.all());
    long countMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(page.flows()).hasSize(100);
    assertThat(page.next()).isPresent();
    assertThat(counts).isEqualTo(Map.of(FlowState.FAILURE, 1_000L, FlowState.SUCCESS, 9_000L));
    System.out.printf("10,000 flows: findFlows %d ms, countFlows %d ms%n", findMs, countMs);
    // generous bounds for a loaded build machine; a local run takes well under a second each
    assertThat(findMs).isLessThan(10_000);
    assertThat(countMs).isLessThan(10_000);
  }
}
