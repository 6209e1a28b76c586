package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * On PostgreSQL a fenced write checks its fence inside its first {@code UPDATE} (a condition on the
 * fence row, share-locked), not by a read of its own before it: one round trip fewer per write
 * transaction. The statements the backend prepares are recorded through the application's {@code
 * DataSource}; a stale fence must still be told apart from a stale revision.
 */
class PostgresFenceInUpdateTest {
  private static final String FENCE_READ = "SELECT token FROM taskflow4j_fences";

  private final List<String> prepared = new CopyOnWriteArrayList<>();
  private String db;
  private Backend backend;
  private Connection conn;

  @BeforeEach
  void open() throws Exception {
    db = TestDatabases.createPostgres();
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setUrl("jdbc:postgresql://127.0.0.1:5432/" + db);
    pg.setUser("postgres");
    backend = JdbcBackends.backend(recording(pg), Map.of());
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void close() throws Exception {
    if (backend != null) {
      conn.close();
      backend.close();
    }
    if (db != null) {
      TestDatabases.dropPostgres(db);
    }
  }

  /** A DataSource whose connections record the SQL of every statement they prepare. */
  private DataSource recording(DataSource ds) {
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {DataSource.class},
            forward(
                ds,
                (m, r) ->
                    m.getName().equals("getConnection")
                        ? Proxy.newProxyInstance(
                            getClass().getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class},
                            forward(r, null))
                        : r));
  }

  private InvocationHandler forward(
      Object target, java.util.function.BiFunction<java.lang.reflect.Method, Object, Object> wrap) {
    return (proxy, m, args) -> {
      if (m.getName().equals("prepareStatement") && args != null && args[0] instanceof String s) {
        prepared.add(s);
      }
      Object r;
      try {
        r = m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      return wrap == null ? r : wrap.apply(m, r);
    };
  }

  private long fenceReads() {
    return prepared.stream().filter(s -> s.startsWith(FENCE_READ)).count();
  }

  private Fence fence(long token) {
    Fence f = new Fence("job-" + UUID.randomUUID(), token);
    conn.advanceFence(f);
    return f;
  }

  /** A new flow holding {@code task}, saved in a logbook of its own. */
  private FlowDetail saved(TaskDetail task) {
    FlowDetail flow = FlowDetail.create("f").withAtom(task);
    conn.saveLogBook(LogBook.create("b").withFlow(flow));
    return flow;
  }

  @Test
  void aFencedWriteReadsNoFenceOfItsOwn() {
    TaskDetail task = TaskDetail.create("t");
    FlowDetail flow = saved(task);
    Connection fenced = conn.fenced(fence(1));
    prepared.clear();

    fenced.updateAtomDetails(task.withState(AtomState.RUNNING));
    FlowDetail stored = fenced.getFlowDetails(flow.uuid());
    FlowDetail runningFlow = fenced.updateFlowDetails(stored.withState(FlowState.RUNNING));
    TaskDetail running = (TaskDetail) runningFlow.find(task.uuid()).orElseThrow();
    TaskDetail other = TaskDetail.create("u");
    fenced.updateFlowDetails(runningFlow.withAtom(other));
    List<AtomDetail> two =
        fenced.updateAtomDetails(
            List.of(
                ((TaskDetail) conn.getAtomDetails(running.uuid())).put(AtomState.SUCCESS, 1),
                ((TaskDetail) conn.getAtomDetails(other.uuid())).withState(AtomState.RUNNING)));

    assertThat(fenceReads()).as("statements prepared: %s", prepared).isZero();
    assertThat(prepared).anyMatch(s -> s.contains("FOR SHARE") && s.startsWith("UPDATE"));
    assertThat(runningFlow.state()).isEqualTo(FlowState.RUNNING);
    assertThat(two)
        .extracting(AtomDetail::state)
        .containsExactly(AtomState.SUCCESS, AtomState.RUNNING);
    assertThat(conn.getAtomDetails(task.uuid()).state()).isEqualTo(AtomState.SUCCESS);
  }

  @Test
  void aMarkersCommitIsMadeAsynchronousByItsOwnUpdateAndAResultsIsNot() throws Exception {
    TaskDetail task = TaskDetail.create("t");
    saved(task);
    prepared.clear();
    AtomDetail running = conn.updateAtomDetails(task.withState(AtomState.RUNNING));
    List<String> markerSql = List.copyOf(prepared);
    prepared.clear();
    conn.updateAtomDetails(((TaskDetail) running).put(AtomState.SUCCESS, 1));
    List<String> resultSql = List.copyOf(prepared);

    // synchronous_commit is read at commit: set for the transaction by the marker's UPDATE
    // (RETURNING ..., set_config), instead of a SET LOCAL round trip of its own
    assertThat(markerSql).anyMatch(s -> s.contains("set_config('synchronous_commit'"));
    assertThat(resultSql).noneMatch(s -> s.contains("synchronous_commit"));
    assertThat(conn.getAtomDetails(task.uuid()).state()).isEqualTo(AtomState.SUCCESS);
  }

  @Test
  void aStaleFenceIsRefusedAsFencedAndWritesNothing() {
    TaskDetail task = TaskDetail.create("t");
    FlowDetail flow = saved(task);
    Fence old = fence(1);
    Connection zombie = conn.fenced(old);
    conn.advanceFence(new Fence(old.key(), 2)); // taken over

    assertThatThrownBy(() -> zombie.updateAtomDetails(task.withState(AtomState.RUNNING)))
        .isInstanceOf(FencedException.class);
    // a stale revision too: the fence is what it is told first
    assertThatThrownBy(
            () -> zombie.updateAtomDetails(task.withState(AtomState.RUNNING).withRevision(42)))
        .isInstanceOf(FencedException.class);
    assertThatThrownBy(
            () ->
                zombie.updateFlowDetails(
                    conn.getFlowDetails(flow.uuid()).withState(FlowState.RUNNING)))
        .isInstanceOf(FencedException.class);
    assertThatThrownBy(
            () ->
                zombie.updateAtomDetails(
                    List.of(task.withState(AtomState.RUNNING), task.put(AtomState.SUCCESS, 1))))
        .isInstanceOf(FencedException.class);
    assertThat(conn.getAtomDetails(task.uuid()).state()).isEqualTo(AtomState.PENDING);
    assertThat(conn.getFlowDetails(flow.uuid()).state()).isEqualTo(flow.state());
  }

  @Test
  void aStaleRevisionUnderAValidFenceIsAConflict() {
    TaskDetail task = TaskDetail.create("t");
    FlowDetail flow = saved(task);
    Connection fenced = conn.fenced(fence(3));
    TaskDetail stored = (TaskDetail) conn.getAtomDetails(task.uuid());
    fenced.updateAtomDetails(stored.withState(AtomState.RUNNING));

    assertThatThrownBy(() -> fenced.updateAtomDetails(stored.withState(AtomState.SUCCESS)))
        .isInstanceOf(ConflictException.class)
        .isNotInstanceOf(FencedException.class);
    assertThat(conn.getAtomDetails(task.uuid()).state()).isEqualTo(AtomState.RUNNING);
  }
}
