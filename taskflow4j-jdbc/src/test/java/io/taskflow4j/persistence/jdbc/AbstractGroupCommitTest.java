package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.WriteOutcomeUnknownException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit of atom-detail writes ({@link GroupCommit}), on each SQL dialect: writes that arrive
 * while a group is committing share the next transaction; each write keeps its own outcome. The
 * groups are made deterministic by holding the first commit (a {@link JdbcCommitHook}) until the
 * others are queued behind it.
 */
abstract class AbstractGroupCommitTest {
  private static final int WRITERS = 6;

  /** The connection string of a fresh, empty store for one test. */
  abstract String url() throws Exception;

  /**
   * Whether the store's group puts its atom updates in one statement batch: not MySQL/MariaDB,
   * whose drivers may answer a batch without a count per statement (each write then runs in a
   * savepoint of the group's transaction).
   */
  boolean batchesAtoms() {
    return true;
  }

  private final ExecutorService pool = Executors.newCachedThreadPool();

  /** Released to let the held commit go on. */
  private volatile CountDownLatch release = new CountDownLatch(1);

  /** Counted down when the held commit is reached. */
  private volatile CountDownLatch held = new CountDownLatch(1);

  private volatile boolean holdNext;

  /** Group transactions this predicate accepts fail before their commit (not transiently). */
  private volatile Predicate<String> refuse = what -> false;

  @AfterEach
  void stopPool() {
    release.countDown();
    pool.shutdownNow();
  }

  /** Group transactions this predicate accepts fail just after their commit (outcome unknown). */
  private volatile Predicate<String> loseReply = what -> false;

  /** Called at every write's commit point, before anything else the hook does. */
  volatile AtCommit atCommit = what -> {};

  /** What a test looks at when a write reaches its commit point. */
  @FunctionalInterface
  interface AtCommit {
    void reached(String what) throws SQLException;
  }

  JdbcBackend backend() throws Exception {
    return backend(url());
  }

  private static String with(String url, String param) {
    return url + (url.contains("?") ? "&" : "?") + param;
  }

  private JdbcBackend backend(String url) throws Exception {
    JdbcCommitHook hook =
        new JdbcCommitHook() {
          @Override
          public void beforeCommit(String what) throws SQLException {
            atCommit.reached(what);
            if (refuse.test(what)) {
              throw new SQLException("refused by the test: " + what, "22001");
            }
            if (holdNext && what.startsWith("updating atom detail")) {
              holdNext = false;
              held.countDown();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }

          @Override
          public void afterCommit(String what) throws SQLException {
            if (loseReply.test(what)) {
              throw new SQLException("connection reset after the commit of " + what, "08006");
            }
          }
        };
    JdbcBackend b = (JdbcBackend) JdbcBackendProvider.create(BackendConf.parse(url), hook);
    try (Connection c = b.getConnection()) {
      c.upgrade();
    }
    return b;
  }

  /** A flow with {@code n} atoms, saved; its atoms as stored. */
  static List<AtomDetail> saveAtoms(Connection c, int n) {
    FlowDetail fd = FlowDetail.create("flow");
    for (int i = 0; i < n; i++) {
      fd = fd.withAtom(TaskDetail.create("t" + i));
    }
    LogBook book = c.saveLogBook(LogBook.create("book").withFlow(fd));
    return book.flows().get(0).atoms();
  }

  /**
   * Writes {@code first} from another thread and holds its commit until {@code release} opens;
   * returns once the commit is reached.
   */
  private Future<AtomDetail> holdTheCommitOf(JdbcBackend b, AtomDetail first) throws Exception {
    held = new CountDownLatch(1); // once per group, so that a test may form several
    release = new CountDownLatch(1);
    holdNext = true;
    Future<AtomDetail> leader =
        pool.submit(
            () -> {
              try (Connection c = b.getConnection()) {
                return c.updateAtomDetails(first);
              }
            });
    assertThat(held.await(30, TimeUnit.SECONDS)).as("the first commit was reached").isTrue();
    return leader;
  }

  /**
   * Holds the commit of the next group that carries an atom update ({@code first}, done now from
   * another thread), runs {@code meanwhile}, then lets the group commit.
   */
  <T> T whileAGroupIsHeld(JdbcBackend b, AtomDetail first, Callable<T> meanwhile) throws Exception {
    Future<AtomDetail> leader = holdTheCommitOf(b, first);
    try {
      return meanwhile.call();
    } finally {
      release.countDown();
      assertThat(leader.get(30, TimeUnit.SECONDS).state()).isEqualTo(first.state());
    }
  }

  /**
   * Holds the commit of {@code first}, queues {@code others} behind it (each from its own thread
   * and connection), then lets them all go; returns each queued write's outcome (the stored detail
   * or the exception).
   */
  List<Object> groupBehind(JdbcBackend b, AtomDetail first, List<Write> others) throws Exception {
    Future<AtomDetail> leader = holdTheCommitOf(b, first);
    List<Future<Object>> queued = new ArrayList<>();
    for (Write w : others) {
      queued.add(
          pool.submit(
              () -> {
                try (Connection c = b.getConnection()) {
                  Connection view = w.fence == null ? c : c.fenced(w.fence);
                  if (w.together != null) {
                    return view.updateAtomDetails(w.together);
                  }
                  return w.flow != null
                      ? view.updateFlowDetails(w.flow)
                      : view.updateAtomDetails(w.detail);
                } catch (RuntimeException e) {
                  return e;
                }
              }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (b.groupCommit().waiting() < others.size() && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertThat(b.groupCommit().waiting())
        .as("writes queued behind the held commit")
        .isEqualTo(others.size());
    release.countDown();
    assertThat(leader.get(30, TimeUnit.SECONDS).state()).isEqualTo(first.state());
    List<Object> out = new ArrayList<>();
    for (Future<Object> f : queued) {
      out.add(f.get(30, TimeUnit.SECONDS));
    }
    return out;
  }

  record Write(AtomDetail detail, Fence fence, FlowDetail flow, List<AtomDetail> together) {
    Write(AtomDetail detail, Fence fence) {
      this(detail, fence, null, null);
    }

    static Write of(AtomDetail detail) {
      return new Write(detail, null, null, null);
    }

    static Write of(FlowDetail flow) {
      return new Write(null, null, flow, null);
    }

    static Write together(AtomDetail... details) {
      return new Write(null, null, null, List.of(details));
    }
  }

  @Test
  void atomsWrittenTogetherAreOneCommitAllOrNone() throws Exception {
    for (String url : List.of(url(), with(url(), "group_commit=false"))) {
      String job = "job-" + url.hashCode();
      try (JdbcBackend b = backend(url);
          Connection c = b.getConnection()) {
        assertThat(c.updatesAtomsTogether()).isTrue();
        List<AtomDetail> atoms = saveAtoms(c, 3);
        long[] before = b.groupCommit().counts();
        List<AtomDetail> written =
            c.updateAtomDetails(
                List.of(
                    atoms.get(0).put(AtomState.SUCCESS, 7),
                    atoms.get(1).withState(AtomState.RUNNING)));
        assertThat(written).hasSize(2);
        assertThat(written.get(0).revision()).isEqualTo(atoms.get(0).revision() + 1);
        assertThat(c.getAtomDetails(atoms.get(0).uuid())).isEqualTo(written.get(0));
        assertThat(c.getAtomDetails(atoms.get(0).uuid()).lastResults()).isEqualTo(7);
        assertThat(c.getAtomDetails(atoms.get(1).uuid())).isEqualTo(written.get(1));
        if (url.contains("group_commit=false")) {
          assertThat(b.groupCommit().counts()[1]).isZero();
        } else {
          assertThat(b.groupCommit().counts()[0] - before[0]).as("one commit").isEqualTo(1);
        }

        // A stale second write takes the first back with it.
        Throwable t =
            catchThrowable(
                () ->
                    c.updateAtomDetails(
                        List.of(
                            atoms.get(2).withState(AtomState.RUNNING),
                            atoms.get(0).put(AtomState.SUCCESS, 8)))); // stale
        assertThat(t).isInstanceOf(ConflictException.class);
        assertThat(c.getAtomDetails(atoms.get(2).uuid())).isEqualTo(atoms.get(2));
        assertThat(c.getAtomDetails(atoms.get(0).uuid())).isEqualTo(written.get(0));

        // A stale fence refuses them all.
        c.advanceFence(new Fence(job, 1));
        c.advanceFence(new Fence(job, 2));
        Throwable f =
            catchThrowable(
                () ->
                    c.fenced(new Fence(job, 1))
                        .updateAtomDetails(
                            List.of(
                                atoms.get(2).withState(AtomState.RUNNING),
                                written.get(1).put(AtomState.SUCCESS, 1))));
        assertThat(f).isInstanceOf(FencedException.class);
        assertThat(c.getAtomDetails(atoms.get(2).uuid())).isEqualTo(atoms.get(2));
        assertThat(c.getAtomDetails(atoms.get(1).uuid())).isEqualTo(written.get(1));
      }
    }
  }

  @Test
  void atomsWrittenTogetherInAGroupFailTogetherAndAloneWhileTheirNeighboursCommit()
      throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 5);
      AtomDetail moved = c.updateAtomDetails(atoms.get(3).withState(AtomState.RUNNING));
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(AtomState.SUCCESS, 1)),
                  Write.together(
                      atoms.get(2).put(AtomState.SUCCESS, 2),
                      atoms.get(3).withState(AtomState.RUNNING)), // stale: takes atom 2 back
                  Write.together(
                      atoms.get(4).put(AtomState.SUCCESS, 4), moved.put(AtomState.SUCCESS, 3))));
      assertThat(out.get(0)).isInstanceOf(AtomDetail.class);
      assertThat(out.get(1)).isInstanceOf(ConflictException.class);
      assertThat(out.get(2)).isInstanceOf(List.class);
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
      assertThat(c.getAtomDetails(atoms.get(2).uuid())).isEqualTo(atoms.get(2));
      assertThat(c.getAtomDetails(atoms.get(3).uuid()).lastResults()).isEqualTo(3);
      assertThat(c.getAtomDetails(atoms.get(4).uuid()).lastResults()).isEqualTo(4);
    }
  }

  /**
   * A parallel engine's worker writes its task's result with its next task's RUNNING marker: such
   * writes of two atoms join the group's one statement batch, taking no savepoint; one refused as a
   * whole fails alone, and the group is not split.
   */
  @Test
  void writesOfSeveralAtomsInAGroupShareItsBatchWithoutSavepoints() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      int pairs = 6;
      List<AtomDetail> atoms = saveAtoms(c, 2 * pairs + 3);
      AtomDetail movedA =
          c.updateAtomDetails(atoms.get(2 * pairs + 1).withState(AtomState.RUNNING));
      AtomDetail movedB =
          c.updateAtomDetails(atoms.get(2 * pairs + 2).withState(AtomState.RUNNING));
      List<Write> others = new ArrayList<>();
      for (int i = 0; i < pairs; i++) {
        others.add(
            Write.together(
                atoms.get(2 * i + 1).put(AtomState.SUCCESS, i),
                atoms.get(2 * i + 2).withState(AtomState.RUNNING)));
      }
      // Both stale: refused as a whole, nothing of it stored.
      others.add(
          Write.together(
              atoms.get(2 * pairs + 1).put(AtomState.SUCCESS, -1),
              atoms.get(2 * pairs + 2).put(AtomState.SUCCESS, -2)));
      long[] before = b.groupCommit().counts();
      List<Object> out = groupBehind(b, atoms.get(0).withState(AtomState.RUNNING), others);
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).as("the held write, then one group").isEqualTo(2);
      assertThat(after[3] - before[3]).as("groups split").isZero();
      assertThat(after[4] - before[4]).as("savepoints").isEqualTo(batchesAtoms() ? 0 : pairs + 1L);
      for (int i = 0; i < pairs; i++) {
        assertThat(out.get(i)).isInstanceOf(List.class);
        assertThat(c.getAtomDetails(atoms.get(2 * i + 1).uuid()).lastResults()).isEqualTo(i);
        assertThat(c.getAtomDetails(atoms.get(2 * i + 2).uuid()).state())
            .isEqualTo(AtomState.RUNNING);
      }
      assertThat(out.get(pairs)).isInstanceOf(ConflictException.class);
      assertThat(c.getAtomDetails(movedA.uuid())).isEqualTo(movedA);
      assertThat(c.getAtomDetails(movedB.uuid())).isEqualTo(movedB);
    }
  }

  @Test
  void writesQueuedBehindACommitShareTheNextTransaction() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, WRITERS + 1);
      List<Write> others = new ArrayList<>();
      for (int i = 1; i <= WRITERS; i++) {
        others.add(Write.of(atoms.get(i).put(AtomState.SUCCESS, i)));
      }
      long[] before = b.groupCommit().counts();
      List<Object> out = groupBehind(b, atoms.get(0).withState(AtomState.RUNNING), others);
      long[] after = b.groupCommit().counts();
      // The held write alone, then all the others in one transaction.
      assertThat(after[0] - before[0]).isEqualTo(2);
      assertThat(after[1] - before[1]).isEqualTo(WRITERS + 1);
      for (int i = 1; i <= WRITERS; i++) {
        assertThat(out.get(i - 1)).isInstanceOf(AtomDetail.class);
        AtomDetail stored = c.getAtomDetails(atoms.get(i).uuid());
        assertThat(stored.state()).isEqualTo(AtomState.SUCCESS);
        assertThat(stored.lastResults()).isEqualTo(i);
        assertThat(stored.revision()).isEqualTo(((AtomDetail) out.get(i - 1)).revision());
      }
    }
  }

  @Test
  void moreWritesThanOneGroupHoldsAllCommitInGroupsOfAtMostTheLimit() throws Exception {
    int n = GroupCommit.MAX_GROUP + 44;
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, n + 1);
      List<Write> others = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        others.add(Write.of(atoms.get(i).put(AtomState.SUCCESS, i)));
      }
      long[] before = b.groupCommit().counts();
      List<Object> out = groupBehind(b, atoms.get(0).withState(AtomState.RUNNING), others);
      long[] after = b.groupCommit().counts();
      for (int i = 1; i <= n; i++) {
        assertThat(out.get(i - 1)).as("write %d", i).isInstanceOf(AtomDetail.class);
        assertThat(c.getAtomDetails(atoms.get(i).uuid()).lastResults()).isEqualTo(i);
      }
      assertThat(after[1] - before[1]).isEqualTo(n + 1);
      // the held write, then at least two groups, none over the limit
      assertThat(after[0] - before[0]).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void aStaleRevisionInAGroupFailsAloneAndItsNeighboursCommit() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 4);
      AtomDetail moved = c.updateAtomDetails(atoms.get(2).withState(AtomState.RUNNING));
      long[] before = b.groupCommit().counts();
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(AtomState.SUCCESS, 1)),
                  Write.of(atoms.get(2).put(AtomState.SUCCESS, 2)), // stale: one revision behind
                  Write.of(atoms.get(3).put(AtomState.SUCCESS, 3))));
      assertThat(out.get(0)).isInstanceOf(AtomDetail.class);
      assertThat(out.get(1)).isInstanceOf(ConflictException.class);
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).as("groups").isEqualTo(2);
      assertThat(after[3] - before[3]).as("groups done again write by write").isZero();
      assertThat(out.get(2)).isInstanceOf(AtomDetail.class);
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
      assertThat(c.getAtomDetails(atoms.get(2).uuid())).isEqualTo(moved);
      assertThat(c.getAtomDetails(atoms.get(3).uuid()).lastResults()).isEqualTo(3);
    }
  }

  /**
   * A flow written with its atoms, refused half-way inside a group, leaves nothing and its
   * neighbours commit. Where such writes join groups: not on PostgreSQL, which does them alone
   * ({@code PostgresGroupCommitTest}).
   */
  protected final void assertAFlowDetailWriteRefusedHalfWayInAGroupLeavesNothing()
      throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 3);
      FlowDetail flow = c.getFlowDetails(c.getLogBooks().get(0).flows().get(0).uuid());
      c.updateAtomDetails(atoms.get(2).withState(AtomState.RUNNING)); // atom 2 moves on
      long[] before = b.groupCommit().counts();
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(AtomState.SUCCESS, 1)),
                  // the flow's row is updated first, then its stale atom 2 refuses the write
                  Write.of(
                      flow.withoutAtoms()
                          .withState(io.taskflow4j.persistence.FlowState.RUNNING)
                          .withAtom(atoms.get(2).put(AtomState.SUCCESS, 2))),
                  Write.of(
                      flow.withoutAtoms()
                          .withMeta(Map.of("k", "v"))
                          .withAtom(atoms.get(1)) // stale once the first write lands
                          .withoutAtoms())));
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).as("groups").isEqualTo(2);
      assertThat(after[3] - before[3]).as("groups done again write by write").isZero();
      assertThat(out.get(0)).isInstanceOf(AtomDetail.class);
      assertThat(out.get(1)).isInstanceOf(ConflictException.class);
      assertThat(out.get(2)).isInstanceOf(FlowDetail.class);
      FlowDetail stored = c.getFlowDetails(flow.uuid(), true);
      assertThat(stored.state()).isEqualTo(flow.state()); // the refused write left nothing
      assertThat(stored.meta()).containsEntry("k", "v");
      assertThat(stored.revision()).isEqualTo(flow.revision() + 1);
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
    }
  }

  @Test
  void flowWritesWithoutAtomsInAGroupTakeNoSavepointAndStillFailAlone() throws Exception {
    // A flow write carrying no atoms is one conditional UPDATE that refuses before it changes
    // anything: it needs no savepoint in a group, and a stale or fenced one still fails alone.
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 1);
      FlowDetail flow = c.getFlowDetails(c.getLogBooks().get(0).flows().get(0).uuid());
      FlowDetail other = FlowDetail.create("other");
      FlowDetail third = FlowDetail.create("third");
      c.saveLogBook(LogBook.create("book2").withFlow(other).withFlow(third));
      FlowDetail storedOther = c.getFlowDetails(other.uuid());
      FlowDetail storedThird = c.getFlowDetails(third.uuid());
      FlowDetail stale = c.updateFlowDetails(storedThird.withMeta(Map.of("moved", "on")));
      c.advanceFence(new Fence("job-2", 1));
      c.advanceFence(new Fence("job-2", 2)); // a peer took the job over
      long[] before = b.groupCommit().counts();
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(flow.withoutAtoms().withState(FlowState.RUNNING)),
                  Write.of(storedThird.withState(FlowState.RUNNING)), // one revision behind
                  new Write(
                      null,
                      new Fence("job-2", 1), // stale
                      storedOther.withState(FlowState.RUNNING),
                      null),
                  Write.of(storedOther.withMeta(Map.of("k", "v")))));
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).as("groups").isEqualTo(2);
      assertThat(after[3] - before[3]).as("groups done again write by write").isZero();
      assertThat(after[4] - before[4]).as("savepoints").isZero();
      assertThat(out.get(0)).isInstanceOf(FlowDetail.class);
      assertThat(out.get(1)).isInstanceOf(ConflictException.class);
      assertThat(out.get(2)).isInstanceOf(FencedException.class);
      assertThat(out.get(3)).isInstanceOf(FlowDetail.class);
      assertThat(c.getFlowDetails(flow.uuid()).state()).isEqualTo(FlowState.RUNNING);
      assertThat(c.getFlowDetails(third.uuid())).isEqualTo(stale);
      FlowDetail otherNow = c.getFlowDetails(other.uuid());
      assertThat(otherNow.state()).as("the fenced write left nothing").isEqualTo(other.state());
      assertThat(otherNow.meta()).containsEntry("k", "v");
      assertThat(otherNow.revision()).isEqualTo(storedOther.revision() + 1);
    }
  }

  @Test
  void aStaleFenceInAGroupFailsAloneAndItsNeighboursCommit() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 3);
      c.advanceFence(new Fence("job-1", 1));
      c.advanceFence(new Fence("job-1", 2)); // a peer took the job over
      long[] before = b.groupCommit().counts();
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  new Write(atoms.get(1).put(AtomState.SUCCESS, 1), new Fence("job-1", 1)),
                  new Write(atoms.get(2).put(AtomState.SUCCESS, 2), new Fence("job-1", 2))));
      assertThat(out.get(0)).isInstanceOf(FencedException.class);
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).as("groups").isEqualTo(2);
      assertThat(after[3] - before[3]).as("groups done again write by write").isZero();
      assertThat(out.get(1)).isInstanceOf(AtomDetail.class);
      assertThat(c.getAtomDetails(atoms.get(1).uuid())).isEqualTo(atoms.get(1));
      assertThat(c.getAtomDetails(atoms.get(2).uuid()).lastResults()).isEqualTo(2);
    }
  }

  @Test
  void aGroupTheDatabaseRefusesIsDoneAgainWriteByWriteSoOnlyTheBadOneFails() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 4);
      String bad = atoms.get(2).uuid();
      // The group's transaction fails as a whole; then only the write of atom 2 is refused.
      refuse =
          what ->
              what.contains("writes in one transaction")
                  || what.equals("updating atom detail '" + bad + "'");
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(AtomState.SUCCESS, 1)),
                  Write.of(atoms.get(2).put(AtomState.SUCCESS, 2)),
                  Write.of(atoms.get(3).put(AtomState.SUCCESS, 3))));
      refuse = what -> false;
      assertThat(b.groupCommit().counts()[3]).as("groups done again write by write").isEqualTo(1);
      assertThat(out.get(0)).isInstanceOf(AtomDetail.class);
      assertThat(out.get(1)).isInstanceOf(StorageException.class);
      assertThat(((Exception) out.get(1)).getMessage())
          .contains(bad)
          .contains("refused by the test");
      assertThat(out.get(2)).isInstanceOf(AtomDetail.class);
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
      assertThat(c.getAtomDetails(bad)).isEqualTo(atoms.get(2));
      assertThat(c.getAtomDetails(atoms.get(3).uuid()).lastResults()).isEqualTo(3);
    }
  }

  @Test
  void aLoneWriteCommitsAtOnceInATransactionOfItsOwn() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      AtomDetail a = saveAtoms(c, 1).get(0);
      long[] before = b.groupCommit().counts();
      for (int i = 0; i < 5; i++) {
        a = c.updateAtomDetails(a.withState(AtomState.RUNNING).withMeta(java.util.Map.of("i", i)));
      }
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).isEqualTo(5);
      assertThat(after[1] - before[1]).isEqualTo(5);
      assertThat(b.groupCommit().waiting()).isZero();
    }
  }

  @Test
  void manyConcurrentWritersLoseNothing() throws Exception {
    int perWriter = 60;
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, WRITERS);
      List<Future<AtomDetail>> done = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (AtomDetail start : atoms) {
        done.add(
            pool.submit(
                () -> {
                  go.await();
                  AtomDetail a = start;
                  try (Connection mine = b.getConnection()) {
                    for (int i = 1; i <= perWriter; i++) {
                      a = mine.updateAtomDetails(a.withState(AtomState.RUNNING));
                      a = mine.updateAtomDetails(a.put(AtomState.SUCCESS, i));
                    }
                  }
                  return a;
                }));
      }
      go.countDown();
      for (int i = 0; i < atoms.size(); i++) {
        AtomDetail last = done.get(i).get(60, TimeUnit.SECONDS);
        AtomDetail stored = c.getAtomDetails(atoms.get(i).uuid());
        assertThat(stored).isEqualTo(last);
        assertThat(stored.lastResults()).isEqualTo(perWriter);
        assertThat(stored.revision()).isEqualTo(atoms.get(i).revision() + 2L * perWriter);
      }
    }
  }

  @Test
  void aGroupWhoseCommitReplyIsLostTellsEachWriteItsOutcomeIsUnknown() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 3);
      loseReply = what -> what.contains("writes in one transaction");
      List<Object> out =
          groupBehind(
              b,
              atoms.get(0).withState(AtomState.RUNNING),
              List.of(
                  Write.of(atoms.get(1).put(AtomState.SUCCESS, 1)),
                  Write.of(atoms.get(2).put(AtomState.SUCCESS, 2))));
      loseReply = what -> false;
      for (int i = 0; i < 2; i++) {
        assertThat(out.get(i))
            .isInstanceOf(WriteOutcomeUnknownException.class)
            .extracting(o -> ((Exception) o).getMessage())
            .asString()
            .contains(atoms.get(i + 1).uuid())
            .contains("may or may not be stored");
        // It was stored: the storage layer's read-back finds it.
        assertThat(c.getAtomDetails(atoms.get(i + 1).uuid()).lastResults()).isEqualTo(i + 1);
      }
    }
  }

  @Test
  void groupCommitTurnedOffCommitsEachWriteAlone() throws Exception {
    try (JdbcBackend b = backend(with(url(), "group_commit=false"));
        Connection c = b.getConnection()) {
      List<AtomDetail> atoms = saveAtoms(c, 2);
      c.updateAtomDetails(atoms.get(0).withState(AtomState.RUNNING));
      c.updateAtomDetails(atoms.get(1).put(AtomState.SUCCESS, 1));
      assertThat(b.groupCommit().counts()[1]).isZero();
      assertThat(c.getAtomDetails(atoms.get(1).uuid()).lastResults()).isEqualTo(1);
    }
  }

  @Test
  void markersAreCommittedRelaxedAndResultsAreNot() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      AtomDetail a = saveAtoms(c, 1).get(0);
      long[] before = b.groupCommit().counts();
      a = c.updateAtomDetails(a.withState(AtomState.RUNNING));
      a = c.updateAtomDetails(a.put(AtomState.SUCCESS, 1));
      a = c.updateAtomDetails(a.withState(AtomState.REVERTING));
      c.updateAtomDetails(a.withState(AtomState.REVERTED));
      long[] after = b.groupCommit().counts();
      assertThat(after[0] - before[0]).isEqualTo(4);
      assertThat(after[2] - before[2]).as("marker-only groups").isEqualTo(2);
    }
  }

  @Test
  void aCaughtRefusalInsideAGroupStillReportsWhatFailed() throws Exception {
    try (JdbcBackend b = backend();
        Connection c = b.getConnection()) {
      AtomDetail a = saveAtoms(c, 1).get(0);
      Throwable t = catchThrowable(() -> c.updateAtomDetails(a.withRevision(a.revision() + 5)));
      assertThat(t).isInstanceOf(ConflictException.class).hasMessageContaining(a.uuid());
    }
  }
}
