package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit of one backend's small writes: writes that arrive while another group is being
 * committed wait, and the first of them then commits all that waited in one transaction, so they
 * share one sync of the database's log. Used for atom-detail updates, the writes of every task,
 * from every engine, connection and fenced view that shares the backend.
 *
 * <p><b>Latency.</b> A write that finds no group being committed commits at once, alone: a serial
 * run never waits for company, and there is no timer. Groups form only under concurrency (a
 * parallel engine, several engines or conductor jobs in one JVM), exactly when one sync can serve
 * several writes.
 *
 * <p><b>Outcomes stay per write.</b> Each write's work runs inside the group's transaction (inside
 * a savepoint when it may change something before it refuses); a refusal (a stale revision, a stale
 * fence, a missing record: a {@link TaskFlowException}) fails that write alone, leaves nothing of
 * it in the transaction, and the rest commit. A failure of the transaction itself (a value the
 * database refuses, retries spent) rolls the group back, and each of its writes is then done again
 * in its own transaction, so one bad record never fails its neighbours. A commit whose outcome is
 * unknown is reported to every write of the group, as it would be to a lone one.
 *
 * <p><b>Write before notify.</b> {@link #submit} returns only after the group's commit: no caller
 * learns of its write, or tells anyone, before it is stored. The group's commit waits for the disk
 * unless every write in it is relaxed ({@link JdbcBackend#run(String, JdbcBackend.Mode, boolean,
 * JdbcBackend.Work)}).
 */
final class GroupCommit {
  /** The most writes one transaction carries (more wait for the next). */
  static final int MAX_GROUP = 256;

  private final JdbcBackend backend;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>(); // guarded by lock
  private boolean leading; // guarded by lock: a group is being committed
  private long groups; // guarded by lock
  private long writes; // guarded by lock
  private long relaxedGroups; // guarded by lock
  private final java.util.concurrent.atomic.AtomicLong splitGroups =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong savepoints =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Whether a group's atom updates go in one statement batch: not on MySQL/MariaDB, whose drivers
   * may answer a batch without per-statement counts.
   */
  private final boolean batchAtoms;

  GroupCommit(JdbcBackend backend, boolean batchAtoms) {
    this.backend = backend;
    this.batchAtoms = batchAtoms;
  }

  /** One write waiting for its group. */
  private static final class Pending<T> {
    final String what;
    final boolean relaxed;
    final boolean isolated;
    final JdbcBackend.Work<T> work;
    final JdbcBackend.OneStatement<T> single; // the write as one statement, when it is alone
    JdbcConnection conn; // with atom or atoms: atom-detail updates the group may batch
    io.taskflow4j.persistence.AtomDetail atom;
    List<io.taskflow4j.persistence.AtomDetail> atoms; // several atoms' updates, all or none
    T result; // set by the leader before done
    RuntimeException failure; // set by the leader before done
    boolean done; // guarded by the lock of the GroupCommit
    Condition wake; // the writer's own: signalled when done, or when it is to lead

    Pending(
        String what,
        boolean relaxed,
        boolean isolated,
        JdbcBackend.Work<T> work,
        JdbcBackend.OneStatement<T> single) {
      this.what = what;
      this.relaxed = relaxed;
      this.isolated = isolated;
      this.work = work;
      this.single = single;
    }

    T outcome() {
      if (failure != null) {
        throw failure;
      }
      return result;
    }
  }

  /**
   * Does {@code work} in the next group's transaction and returns its result once that group is
   * committed; throws what the write alone would have thrown.
   *
   * @param what the write, for messages ({@code updating atom detail '...'})
   * @param relaxed whether the write may be committed without waiting for the disk
   * @param isolated whether the write may change something before it refuses (a {@link
   *     TaskFlowException}): it then runs inside a savepoint of the group's transaction, rolled
   *     back on a refusal; {@code false} when the write refuses before it changes anything
   * @param work the write
   */
  <T> T submit(
      String what,
      boolean relaxed,
      boolean isolated,
      JdbcBackend.Work<T> work,
      JdbcBackend.OneStatement<T> single) {
    return await(new Pending<>(what, relaxed, isolated, work, single));
  }

  /**
   * As {@link #submit}, for an update of atom detail {@code ad} through {@code conn} (its fence
   * applies), which a group does together with its other atom updates in one statement batch
   * ({@link JdbcWriter#updateAtomsBatched}); {@code work} is the same write done alone, in a
   * transaction, and {@code single} (when not {@code null}) as one statement.
   */
  io.taskflow4j.persistence.AtomDetail submitAtom(
      JdbcConnection conn,
      io.taskflow4j.persistence.AtomDetail ad,
      String what,
      boolean relaxed,
      JdbcBackend.Work<io.taskflow4j.persistence.AtomDetail> work,
      JdbcBackend.OneStatement<io.taskflow4j.persistence.AtomDetail> single) {
    Pending<io.taskflow4j.persistence.AtomDetail> p =
        new Pending<>(what, relaxed, false, work, single);
    p.conn = conn;
    p.atom = ad;
    return await(p);
  }

  /**
   * As {@link #submitAtom}, for updates of several atoms ({@code ads}, each with a revision to
   * check) that must be stored all or none: a group batches their rows with its other atom updates,
   * and when some of them are refused and others not, the group is rolled back and each of its
   * writes done again alone.
   */
  List<io.taskflow4j.persistence.AtomDetail> submitAtoms(
      JdbcConnection conn,
      List<io.taskflow4j.persistence.AtomDetail> ads,
      String what,
      boolean relaxed,
      JdbcBackend.Work<List<io.taskflow4j.persistence.AtomDetail>> work,
      JdbcBackend.OneStatement<List<io.taskflow4j.persistence.AtomDetail>> single) {
    Pending<List<io.taskflow4j.persistence.AtomDetail>> p =
        new Pending<>(what, relaxed, true, work, single);
    p.conn = conn;
    p.atoms = List.copyOf(ads);
    return await(p);
  }

  /**
   * Queues {@code mine} and waits until it is committed, leading a group when none is being
   * committed. Each writer waits on a condition of its own: a leader wakes exactly the writers of
   * its group and then the first writer still queued, who leads the next group. (One shared
   * condition woke every waiting writer at every commit: with 64 workers waiting, 64 wake-ups per
   * commit, nearly all only to wait again.)
   */
  private <T> T await(Pending<T> mine) {
    lock.lock();
    try {
      mine.wake = lock.newCondition();
      queue.add(mine);
    } finally {
      lock.unlock();
    }
    while (true) {
      List<Pending<?>> group;
      lock.lock();
      try {
        while (!mine.done && leading) {
          // Uninterruptible: the write's outcome must be known before its caller goes on.
          mine.wake.awaitUninterruptibly();
        }
        if (mine.done) {
          break;
        }
        // No group is committing and this write waits: lead the next group. With more than
        // MAX_GROUP writes waiting it may not hold this one; then the loop leads the next.
        leading = true;
        group = drain();
      } finally {
        lock.unlock();
      }
      lead(group);
    }
    return mine.outcome();
  }

  /** Commits {@code group}, then hands the lead on. */
  private void lead(List<Pending<?>> group) {
    try {
      commit(group);
    } catch (RuntimeException | Error e) {
      for (Pending<?> p : group) {
        if (p.result == null && p.failure == null) {
          p.failure =
              new StorageException("Failed " + p.what + ": the group commit failed: " + e, e);
        }
      }
      if (e instanceof Error err) {
        throw err;
      }
    } finally {
      lock.lock();
      try {
        for (Pending<?> p : group) {
          p.done = true;
          p.wake.signal();
        }
        groups++;
        writes += group.size();
        if (allRelaxed(group)) {
          relaxedGroups++;
        }
        leading = false;
        Pending<?> next = queue.peek();
        if (next != null) {
          next.wake.signal(); // leads the next group (the leader itself may take it first)
        }
      } finally {
        lock.unlock();
      }
    }
  }

  private List<Pending<?>> drain() {
    int n = Math.min(queue.size(), MAX_GROUP);
    List<Pending<?>> group = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      group.add(queue.poll());
    }
    return group;
  }

  private void commit(List<Pending<?>> group) {
    if (group.size() == 1) {
      commitAlone(group.get(0));
      return;
    }
    boolean relaxed = allRelaxed(group);
    if (!relaxed && batchAtoms && backend.writesInOneStatement() && checkedAtomsOnly(group)) {
      commitAtomsInOneBatch(group);
      return;
    }
    try {
      backend.run(
          describe(group),
          JdbcBackend.Mode.WRITE,
          relaxed,
          c -> {
            // Again from the start when the transaction is retried.
            List<Pending<?>> atoms = new ArrayList<>();
            for (Pending<?> p : group) {
              if ((p.atom != null || p.atoms != null) && batchAtoms) {
                atoms.add(p);
              } else {
                apply(p, c);
              }
            }
            if (!atoms.isEmpty()) {
              applyAtoms(atoms, c);
            }
            return null;
          });
    } catch (RuntimeException e) {
      afterFailure(group, e);
    }
  }

  /** A group's transaction, for messages and commit hooks ({@code 3 writes in one transaction}). */
  private static String describe(List<Pending<?>> group) {
    return group.size() + " writes in one transaction (" + group.get(0).what + ", ...)";
  }

  /**
   * Settles the writes of a group whose transaction failed: a lost commit reply is each write's
   * unknown outcome; any other failure rolled it back, and each write is then done alone, so that
   * only a write that fails by itself fails.
   */
  private void afterFailure(List<Pending<?>> group, RuntimeException e) {
    if (e instanceof JdbcBackend.CommitOutcomeUnknownException) {
      for (Pending<?> p : group) {
        p.result = null;
        p.failure =
            new JdbcBackend.CommitOutcomeUnknownException(
                "Failed " + p.what + ", committed with others: " + e.getMessage(), e);
      }
      return;
    }
    splitGroups.incrementAndGet();
    for (Pending<?> p : group) {
      commitAlone(p);
    }
  }

  /**
   * Whether every write of {@code group} is an atom update with a revision to check, through an
   * unfenced connection.
   */
  private static boolean checkedAtomsOnly(List<Pending<?>> group) {
    for (Pending<?> p : group) {
      if (p.atom == null || p.atom.revision() <= 0 || p.conn.fence != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * A group of atom updates only, on PostgreSQL: one statement batch in auto-commit mode, which the
   * server runs as one implicit transaction and commits in the same round trip ({@link
   * JdbcBackend#runOneStatement}, {@link JdbcWriter#updateAtomsBatched}); each write keeps its own
   * outcome as in a transaction.
   */
  private void commitAtomsInOneBatch(List<Pending<?>> group) {
    List<io.taskflow4j.persistence.AtomDetail> details = new ArrayList<>(group.size());
    for (Pending<?> p : group) {
      details.add(p.atom);
    }
    try {
      backend.runOneStatement(
          describe(group),
          false,
          c -> {
            applyAtoms(group, c);
            return null;
          },
          c -> JdbcWriter.revisionsAre(c, details));
    } catch (RuntimeException e) {
      afterFailure(group, e);
    }
  }

  /**
   * A write of several atoms that the group's batch stored in part: the group's transaction is
   * rolled back and each of its writes done again alone ({@link #afterFailure}).
   */
  private static final class PartlyStored extends RuntimeException {
    PartlyStored(String what) {
      super(what + " was refused for some of its atoms and not others", null, false, false);
    }
  }

  /**
   * The group's atom updates (single ones and writes of several atoms) in one statement batch, in
   * the open transaction {@code c}, each write with its own outcome. A write of several atoms that
   * is refused for some of them only throws {@link PartlyStored}.
   */
  @SuppressWarnings("unchecked")
  private static void applyAtoms(List<Pending<?>> writes, java.sql.Connection c)
      throws SQLException {
    List<JdbcConnection> conns = new ArrayList<>(writes.size());
    List<io.taskflow4j.persistence.AtomDetail> details = new ArrayList<>(writes.size());
    for (Pending<?> p : writes) {
      p.result = null;
      p.failure = null;
      for (io.taskflow4j.persistence.AtomDetail ad : p.atoms != null ? p.atoms : List.of(p.atom)) {
        conns.add(p.conn);
        details.add(ad);
      }
    }
    Object[] out = conns.get(0).writer.updateAtomsBatched(c, conns, details);
    int row = 0;
    for (Pending<?> p : writes) {
      if (p.atoms == null) {
        Pending<io.taskflow4j.persistence.AtomDetail> one =
            (Pending<io.taskflow4j.persistence.AtomDetail>) p;
        if (out[row] instanceof io.taskflow4j.persistence.AtomDetail written) {
          one.result = written;
        } else {
          one.failure = (RuntimeException) out[row];
        }
        row++;
        continue;
      }
      Pending<List<io.taskflow4j.persistence.AtomDetail>> several =
          (Pending<List<io.taskflow4j.persistence.AtomDetail>>) p;
      List<io.taskflow4j.persistence.AtomDetail> written = new ArrayList<>(p.atoms.size());
      RuntimeException refused = null;
      for (int k = 0; k < p.atoms.size(); k++, row++) {
        if (out[row] instanceof io.taskflow4j.persistence.AtomDetail w) {
          written.add(w);
        } else if (refused == null) {
          refused = (RuntimeException) out[row];
        }
      }
      if (refused == null) {
        several.result = written;
      } else if (written.isEmpty()) {
        several.failure = refused; // none of it stored
      } else {
        throw new PartlyStored(p.what);
      }
    }
  }

  private static boolean allRelaxed(List<Pending<?>> group) {
    for (Pending<?> p : group) {
      if (!p.relaxed) {
        return false;
      }
    }
    return true;
  }

  /** Runs {@code p}'s work in the open transaction {@code c}, keeping a refusal as its outcome. */
  private <T> void apply(Pending<T> p, java.sql.Connection c) throws SQLException {
    p.result = null;
    p.failure = null;
    java.sql.Savepoint sp = null;
    if (p.isolated) {
      sp = c.setSavepoint(); // a round trip to a server, and another to release it
      savepoints.incrementAndGet();
    }
    try {
      p.result = p.work.apply(c);
    } catch (TaskFlowException e) {
      if (sp != null) {
        c.rollback(sp); // what the write changed before it refused
      }
      p.failure = e;
      return;
    }
    if (sp != null) {
      c.releaseSavepoint(sp);
    }
  }

  private <T> void commitAlone(Pending<T> p) {
    p.failure = null;
    try {
      p.result = backend.runAlone(p.what, p.relaxed, p.work, p.single);
    } catch (RuntimeException e) {
      p.result = null;
      p.failure = e;
    }
  }

  /**
   * Groups committed so far, the writes they carried, and the groups of markers only (committed
   * without waiting for the disk where the store allows it), and the groups whose transaction
   * failed as a whole and whose writes were done again one by one, and the savepoints taken around
   * writes inside groups: {@code [groups, writes, relaxed, split, savepoints]}.
   */
  long[] counts() {
    lock.lock();
    try {
      return new long[] {groups, writes, relaxedGroups, splitGroups.get(), savepoints.get()};
    } finally {
      lock.unlock();
    }
  }

  /** Writes waiting for a group (not counting a group being committed). */
  int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }
}
