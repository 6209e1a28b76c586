package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkTransactions.MAX_RACES;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.OP_OVERHEAD;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.REQUEST_OVERHEAD;
import static io.taskflow4j.persistence.zookeeper.ZkTransactions.isConnectionProblem;
import static io.taskflow4j.persistence.zookeeper.ZkWriter.isSegment;

import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.spi.WriteRules;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Plan;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Planned;
import io.taskflow4j.persistence.zookeeper.ZkTransactions.Race;
import io.taskflow4j.persistence.zookeeper.ZkWriter.TooLargeForOne;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

/**
 * The deletes of a {@link ZkConnection}: a whole logbook, one flow detail (in one transaction, or
 * unlinked first and then in chunks when too large for one) and a logbook holding no flow detail.
 * Each reads what it removes, plans the deletes and hands them to {@link ZkTransactions} to commit,
 * planning again on a race.
 */
final class ZkDeletes {
  private final ZkConnection conn;
  private final ZkBackend backend;
  private final ZkSettings settings;
  private final ZkFence fence;
  private final ZkTransactions tx;

  ZkDeletes(ZkConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.settings = conn.settings;
    this.fence = conn.fence;
    this.tx = conn.tx;
  }

  void destroyLogBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    if (!isSegment(bookUuid)) {
      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
    }
    String bp = conn.bookPath(bookUuid);
    boolean[] maybeDone = new boolean[1];
    conn.guarded(
        "destroying logbook '" + bookUuid + "'",
        () ->
            backend.run(
                "destroying logbook '" + bookUuid + "'",
                (zk, attempt) -> {
                  for (int race = 0; ; race++) {
                    Read book = ZkReads.children(bp);
                    ZkReads.run(zk, List.of(book), conn.readTimeoutMs());
                    if (!book.found()) {
                      if (maybeDone[0]) {
                        return null; // the lost transaction was applied
                      }
                      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
                    }
                    List<Read> flows = new ArrayList<>();
                    for (String f : book.children) {
                      flows.add(ZkReads.children(conn.flowPath(f)));
                    }
                    ZkReads.run(zk, flows, conn.readTimeoutMs());
                    List<Planned> plan = new ArrayList<>();
                    for (int i = 0; i < flows.size(); i++) {
                      Read fr = flows.get(i);
                      if (fr.found()) {
                        for (String a : fr.children) {
                          plan.add(Planned.delete(fr.path + "/" + a));
                          plan.add(Planned.delete(conn.atomPath(a)));
                        }
                        plan.add(Planned.delete(fr.path));
                      }
                      plan.add(Planned.delete(bp + "/" + book.children.get(i)));
                    }
                    plan.add(Planned.delete(bp));
                    try {
                      try {
                        conn.tx.commitInChunks(zk, plan);
                      } catch (KeeperException x) {
                        if (x.getResults() == null && isConnectionProblem(x.code())) {
                          maybeDone[0] = true;
                        }
                        throw x;
                      }
                      return null;
                    } catch (Race r) {
                      if (race >= MAX_RACES) {
                        throw new StorageException(
                            "destroying logbook '"
                                + bookUuid
                                + "' failed: the store kept changing");
                      }
                      ZkTransactions.stepAside(race);
                    }
                  }
                }));
  }

  // ------------------------------------------------------------------ deleting one flow

  /**
   * What deleting a flow detail removes: its znode (at {@code version}), per atom the link and the
   * atom's znode (when it exists), and the links of the books that hold it (one in a consistent
   * store).
   */
  private record FlowDeletion(int version, List<List<Planned>> atoms, List<String> bookLinks) {}

  /**
   * Reads what deleting a flow detail removes, or {@code null} when it does not exist. The book
   * holding it is found by looking for its link under every book: one pipelined {@code exists} per
   * book (the flow's record does not name its book).
   */
  private FlowDeletion readDeletion(ZooKeeper zk, String flowUuid)
      throws KeeperException, InterruptedException {
    String fp = conn.flowPath(flowUuid);
    Read node = ZkReads.children(fp);
    Read books = ZkReads.children(conn.booksDir);
    ZkReads.run(zk, List.of(node, books), conn.readTimeoutMs());
    if (!node.found()) {
      return null;
    }
    List<Read> reads = new ArrayList<>();
    for (String a : node.children) {
      reads.add(ZkReads.exists(conn.atomPath(a)));
    }
    int linksFrom = reads.size();
    if (books.found()) {
      for (String b : books.children) {
        reads.add(ZkReads.exists(conn.bookPath(b) + "/" + flowUuid));
      }
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    List<List<Planned>> atoms = new ArrayList<>(node.children.size());
    for (int i = 0; i < node.children.size(); i++) {
      String a = node.children.get(i);
      List<Planned> ops = new ArrayList<>(2);
      ops.add(Planned.delete(fp + "/" + a));
      if (reads.get(i).found()) {
        ops.add(Planned.delete(conn.atomPath(a)));
      }
      atoms.add(ops);
    }
    List<String> bookLinks = new ArrayList<>();
    for (Read r : reads.subList(linksFrom, reads.size())) {
      if (r.found()) {
        bookLinks.add(r.path);
      }
    }
    return new FlowDeletion(node.stat.getVersion(), atoms, bookLinks);
  }

  private static long sizeOf(List<Planned> plan) {
    long size = REQUEST_OVERHEAD;
    for (Planned p : plan) {
      size += p.size();
    }
    return size;
  }

  /**
   * Deletes a flow detail, its atoms and its book's link in one transaction: the atoms' links and
   * znodes, then the flow's znode expecting its revision (the caller's when positive, else the
   * version just read), then the link. A flow too large for one request is deleted by {@link
   * #destroyFlowInChunks}.
   */
  void destroyFlowDetail(String flowUuid, long revision) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    conn.ensureOpen();
    if (!isSegment(flowUuid)) {
      throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
    }
    String fp = conn.flowPath(flowUuid);
    String label = "flow detail '" + flowUuid + "'";
    try {
      conn.writer.write(
          "destroying " + label,
          zk -> {
            FlowDeletion d = readDeletion(zk, flowUuid);
            if (d == null) {
              throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
            }
            WriteRules.checkRevision(WriteRules.Kind.FLOW, flowUuid, revision, d.version() + 1L);
            List<Planned> plan = new ArrayList<>();
            d.atoms().forEach(plan::addAll);
            int expected = revision > 0 ? (int) revision - 1 : d.version();
            plan.add(Planned.delete(fp, expected, label, Math.max(0, revision)));
            for (String link : d.bookLinks()) {
              plan.add(Planned.delete(link));
            }
            if (sizeOf(plan) > settings.maxValueBytes()) {
              throw new TooLargeForOne();
            }
            return new Plan<Void>(plan, c -> null);
          });
    } catch (TooLargeForOne e) {
      destroyFlowInChunks(flowUuid, revision, label);
    }
  }

  /**
   * Deletes a flow detail too large for one transaction, as {@link #destroyLogBook} deletes a large
   * book, but unlinking first: the first transaction checks the flow's revision and deletes its
   * books' links, with as many of its atoms as fit; later ones delete the other atoms, then the
   * flow's znode. From the first transaction on the flow is in no book (no listing, no book read
   * sees it); a crash before the last leaves an unlinked flow znode with some of its atoms, which
   * {@code taskflow4j verify} reports as orphans and which deleting the flow again removes.
   */
  private void destroyFlowInChunks(String flowUuid, long revision, String label) {
    String fp = conn.flowPath(flowUuid);
    String what = "destroying " + label;
    boolean[] unlinked = new boolean[1]; // the first transaction committed
    boolean[] maybe = new boolean[1]; // the first transaction's reply was lost
    conn.guarded(
        what,
        () ->
            backend.run(
                what,
                (zk, attempt) -> {
                  for (int race = 0; ; race++) {
                    FlowDeletion d = readDeletion(zk, flowUuid);
                    if (d == null) {
                      if (unlinked[0] || maybe[0]) {
                        return null;
                      }
                      throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
                    }
                    if (maybe[0] && d.bookLinks().isEmpty()) {
                      unlinked[0] = true; // the first transaction landed
                    }
                    try {
                      List<List<Planned>> rest = d.atoms();
                      if (!unlinked[0]) {
                        WriteRules.checkRevision(
                            WriteRules.Kind.FLOW, flowUuid, revision, d.version() + 1L);
                        List<Planned> first = new ArrayList<>();
                        int expected = revision > 0 ? (int) revision - 1 : d.version();
                        first.add(Planned.check(fp, expected, label, Math.max(0, revision)));
                        for (String link : d.bookLinks()) {
                          first.add(Planned.delete(link));
                        }
                        long size = sizeOf(first) + (fence == null ? 0 : OP_OVERHEAD + 200);
                        int k = 0;
                        for (; k < rest.size(); k++) {
                          long s = sizeOf(rest.get(k)) - REQUEST_OVERHEAD;
                          if (size + s > settings.maxValueBytes()) {
                            break;
                          }
                          first.addAll(rest.get(k));
                          size += s;
                        }
                        try {
                          tx.commit(zk, first);
                        } catch (KeeperException x) {
                          if (x.getResults() == null && isConnectionProblem(x.code())) {
                            maybe[0] = true;
                          }
                          throw x;
                        }
                        unlinked[0] = true;
                        rest = rest.subList(k, rest.size());
                      }
                      List<Planned> plan = new ArrayList<>();
                      rest.forEach(plan::addAll);
                      plan.add(Planned.delete(fp));
                      tx.commitInChunks(zk, plan);
                      return null;
                    } catch (Race r) {
                      if (race >= MAX_RACES) {
                        throw new StorageException(what + " failed: the store kept changing");
                      }
                      ZkTransactions.stepAside(race);
                    }
                  }
                }));
  }

  /**
   * Deletes a book holding no flow detail, in one transaction whose delete of the book's znode
   * fails when a link was added meanwhile (ZooKeeper does not delete a znode with children). Links
   * whose flow znode is gone (a deletion cut short) do not count: they are deleted with the book,
   * each with a create and delete of its flow's znode in the same transaction, which fails when
   * that flow was written meanwhile.
   */
  boolean destroyLogBookIfEmpty(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    if (!isSegment(bookUuid)) {
      return false;
    }
    String bp = conn.bookPath(bookUuid);
    String what = "destroying logbook '" + bookUuid + "' if empty";
    boolean[] maybeDone = new boolean[1];
    return conn.guarded(
        what,
        () ->
            backend.run(
                what,
                (zk, attempt) -> {
                  for (int race = 0; ; race++) {
                    Read book = ZkReads.children(bp);
                    ZkReads.run(zk, List.of(book), conn.readTimeoutMs());
                    if (!book.found()) {
                      if (maybeDone[0]) {
                        return true; // the transaction whose reply was lost was applied
                      }
                      conn.checkFenceOnly(zk, what);
                      return false;
                    }
                    List<Read> flows = new ArrayList<>();
                    for (String f : book.children) {
                      flows.add(ZkReads.exists(conn.flowPath(f)));
                    }
                    ZkReads.run(zk, flows, conn.readTimeoutMs());
                    for (Read f : flows) {
                      if (f.found()) {
                        conn.checkFenceOnly(zk, what);
                        return false;
                      }
                    }
                    List<Planned> plan = new ArrayList<>();
                    for (String f : book.children) {
                      plan.add(Planned.create(conn.flowPath(f), ZkConnection.EMPTY, backend.acl()));
                      plan.add(Planned.delete(conn.flowPath(f)));
                      plan.add(Planned.delete(bp + "/" + f));
                    }
                    plan.add(Planned.delete(bp));
                    try {
                      try {
                        tx.commit(zk, plan);
                      } catch (KeeperException x) {
                        if (x.getResults() == null && isConnectionProblem(x.code())) {
                          maybeDone[0] = true;
                        }
                        throw x;
                      }
                      return true;
                    } catch (Race r) {
                      if (race >= MAX_RACES) {
                        throw new StorageException(what + " failed: the store kept changing");
                      }
                    }
                  }
                }));
  }
}
