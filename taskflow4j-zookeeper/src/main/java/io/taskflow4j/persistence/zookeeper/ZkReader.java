package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkConnection.EMPTY;
import static io.taskflow4j.persistence.zookeeper.ZkWriter.isSegment;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.CorruptRecordException.Kind;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The reads of a {@link ZkConnection}: books with their flow and atom details, read in batches of
 * pipelined requests and ordered by their links' creation ({@code czxid}, then position), and the
 * tolerant scan that reports damaged records and goes on.
 */
final class ZkReader {
  /** Books read by one batch of {@link #forEachLogBook} (with their flows and atoms). */
  static final int SCAN_BATCH = 50;

  /** Creation order: the creating transaction, then the path. */
  private static final Comparator<Read> BY_CREATION =
      Comparator.comparingLong((Read r) -> r.stat.getCzxid()).thenComparing(r -> r.path);

  private final ZkConnection conn;
  private final ZkBackend backend;
  private final String booksDir;

  ZkReader(ZkConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.booksDir = conn.booksDir;
  }

  // ------------------------------------------------------------------ reads

  LogBook getLogBook(String bookUuid, boolean lazy) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    if (!isSegment(bookUuid)) {
      throw new NotFoundException("Logbook '" + bookUuid + "' not found");
    }
    return backend.run(
        "reading logbook '" + bookUuid + "'",
        (zk, attempt) -> {
          List<LogBook> books = loadBooks(zk, List.of(bookUuid), lazy, null);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0);
        });
  }

  List<LogBook> getLogBooks(boolean lazy) {
    conn.ensureOpen();
    return backend.run(
        "reading the logbooks",
        (zk, attempt) -> {
          Read list = ZkReads.children(booksDir);
          ZkReads.run(zk, List.of(list), conn.readTimeoutMs());
          if (!list.found()) {
            return List.of();
          }
          return loadBooks(zk, list.children, lazy, null);
        });
  }

  List<FlowDetail> getFlowsForBook(String bookUuid) {
    return getLogBook(bookUuid, false).flows();
  }

  /**
   * Lists the books' znodes and their creation order ({@code exists} of each, pipelined), then
   * reads them {@value #SCAN_BATCH} at a time with their flows and atoms (pipelined per level of
   * the tree), handing each batch over once it is read: so it holds one uuid per book and one batch
   * of books with their details. A record that does not parse is reported with its book, which is
   * then not handed over.
   */
  void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(books, "books");
    Objects.requireNonNull(damaged, "damaged");
    conn.ensureOpen();
    List<String> order =
        backend.run(
            "listing the logbooks",
            (zk, attempt) -> {
              Read list = ZkReads.children(booksDir);
              ZkReads.run(zk, List.of(list), conn.readTimeoutMs());
              if (!list.found()) {
                return List.<String>of();
              }
              List<Read> stats = new ArrayList<>(list.children.size());
              for (String u : list.children) {
                stats.add(ZkReads.exists(conn.bookPath(u)));
              }
              ZkReads.run(zk, stats, conn.readTimeoutMs());
              List<Read> found = new ArrayList<>();
              for (Read r : stats) {
                if (r.found()) {
                  found.add(r);
                }
              }
              found.sort(BY_CREATION);
              List<String> out = new ArrayList<>(found.size());
              for (Read r : found) {
                out.add(r.path.substring(booksDir.length() + 1));
              }
              return out;
            });
    record Batch(List<LogBook> books, Map<String, List<CorruptRecordException>> damage) {}
    for (int i = 0; i < order.size(); i += SCAN_BATCH) {
      List<String> chunk = order.subList(i, Math.min(order.size(), i + SCAN_BATCH));
      Batch batch =
          backend.run(
              "reading the logbooks",
              (zk, attempt) -> {
                Map<String, List<CorruptRecordException>> damage = new HashMap<>();
                return new Batch(loadBooks(zk, chunk, lazy, damage), damage);
              });
      Map<String, LogBook> byUuid = new HashMap<>();
      for (LogBook b : batch.books()) {
        byUuid.put(b.uuid(), b);
      }
      for (String u : chunk) {
        List<CorruptRecordException> found = batch.damage().get(u);
        if (found != null) {
          found.forEach(damaged);
        } else if (byUuid.containsKey(u)) {
          books.accept(byUuid.get(u)); // (absent: deleted since the listing)
        }
      }
    }
  }

  /**
   * The books that exist among {@code uuids}, oldest first, with their flows unless lazy. A record
   * that does not parse is thrown, or, when {@code damage} is given, added to it under its book's
   * uuid, and that book left out.
   */
  private List<LogBook> loadBooks(
      ZooKeeper zk,
      List<String> uuids,
      boolean lazy,
      Map<String, List<CorruptRecordException>> damage)
      throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (String u : uuids) {
      reads.add(ZkReads.data(conn.bookPath(u)));
      if (!lazy) {
        reads.add(ZkReads.children(conn.bookPath(u)));
      }
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    int step = lazy ? 1 : 2;
    record Found(Read node, Read children) {}
    List<Found> found = new ArrayList<>();
    for (int i = 0; i < reads.size(); i += step) {
      Read node = reads.get(i);
      if (node.found()) {
        found.add(new Found(node, lazy ? null : reads.get(i + 1)));
      }
    }
    found.sort(Comparator.comparing(Found::node, BY_CREATION));
    Map<String, List<String>> flowUuids = new LinkedHashMap<>();
    Map<String, String> bookOf = new HashMap<>();
    for (Found f : found) {
      if (!lazy && f.children().found()) {
        flowUuids.put(f.node().path, f.children().children);
        bookOf.put(f.node().path, lastSegment(f.node().path));
      }
    }
    Map<String, List<FlowDetail>> flows =
        lazy ? Map.of() : loadChildren(zk, flowUuids, true, bookOf, damage);
    List<LogBook> out = new ArrayList<>(found.size());
    for (Found f : found) {
      String uuid = lastSegment(f.node().path);
      try {
        Map<?, ?> m = parse(f.node(), Kind.LOGBOOK, uuid);
        try {
          out.add(TaskFlowFormat.logBookFromMap(m, flows.getOrDefault(f.node().path, List.of())));
        } catch (IllegalArgumentException e) {
          throw malformed(f.node().path, Kind.LOGBOOK, uuid, e);
        }
      } catch (CorruptRecordException e) {
        damaged(damage, e);
      }
    }
    if (damage != null) {
      out.removeIf(b -> damage.containsKey(b.uuid()));
    }
    return out;
  }

  /** Throws {@code e}, or (a tolerant read) keeps it under its book's uuid. */
  static void damaged(Map<String, List<CorruptRecordException>> damage, CorruptRecordException e) {
    if (damage == null) {
      throw e;
    }
    damage.computeIfAbsent(e.bookUuid().orElse(""), k -> new ArrayList<>()).add(e);
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * Loads the children of several parents (books or flows) through their links, in insertion order;
   * flows come with their atoms. Returns parent path → children. {@code bookOf} gives the uuid of
   * the book each parent belongs to, to name it in a {@link CorruptRecordException}; a damaged
   * child is thrown, or, with {@code damage}, kept there and left out.
   */
  @SuppressWarnings("unchecked")
  private <T> Map<String, List<T>> loadChildren(
      ZooKeeper zk,
      Map<String, List<String>> byParent,
      boolean flows,
      Map<String, String> bookOf,
      Map<String, List<CorruptRecordException>> damage)
      throws KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : byParent.entrySet()) {
      for (String child : e.getValue()) {
        reads.add(ZkReads.data(e.getKey() + "/" + child));
        reads.add(ZkReads.data(flows ? conn.flowPath(child) : conn.atomPath(child)));
        if (flows) {
          reads.add(ZkReads.children(conn.flowPath(child)));
        }
      }
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    int step = flows ? 3 : 2;
    record Child(String parent, Read link, Read node, Read children, long position) {}
    Map<String, List<Child>> grouped = new LinkedHashMap<>();
    int k = 0;
    for (Map.Entry<String, List<String>> e : byParent.entrySet()) {
      List<Child> list = new ArrayList<>();
      for (int n = 0; n < e.getValue().size(); n++, k += step) {
        Read link = reads.get(k);
        Read node = reads.get(k + 1);
        // a link whose object is gone (destroyed meanwhile, or shared with a destroyed book)
        if (!link.found() || !node.found()) {
          continue;
        }
        list.add(
            new Child(e.getKey(), link, node, flows ? reads.get(k + 2) : null, position(link)));
      }
      list.sort(
          Comparator.comparingLong((Child c) -> c.link().stat.getCzxid())
              .thenComparingLong(Child::position)
              .thenComparing(c -> c.link().path));
      grouped.put(e.getKey(), list);
    }
    Map<String, List<AtomDetail>> atoms = Map.of();
    if (flows) {
      Map<String, List<String>> atomUuids = new LinkedHashMap<>();
      Map<String, String> flowBook = new HashMap<>();
      for (List<Child> list : grouped.values()) {
        for (Child c : list) {
          if (c.children().found()) {
            atomUuids.put(c.node().path, c.children().children);
            flowBook.put(c.node().path, bookOf.get(c.parent()));
          }
        }
      }
      atoms = loadChildren(zk, atomUuids, false, flowBook, damage);
    }
    Map<String, List<T>> out = new HashMap<>();
    for (Map.Entry<String, List<Child>> e : grouped.entrySet()) {
      String book = bookOf.get(e.getKey());
      List<T> list = new ArrayList<>(e.getValue().size());
      for (Child c : e.getValue()) {
        try {
          if (flows) {
            list.add((T) flow(c.node(), atoms.getOrDefault(c.node().path, List.of()), book));
          } else {
            list.add((T) atom(c.node(), book));
          }
        } catch (CorruptRecordException x) {
          damaged(damage, x);
        }
      }
      out.put(e.getKey(), list);
    }
    return out;
  }

  static long position(Read link) {
    if (link.data == null || link.data.length == 0 || link.data.length > 9) {
      return 0;
    }
    long n = 0;
    for (byte b : link.data) {
      if (b < '0' || b > '9') {
        return 0;
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  FlowDetail flow(Read node, List<AtomDetail> atoms, String book) {
    Map<?, ?> m = parse(node, Kind.FLOW_DETAIL, book);
    FlowDetail fd;
    try {
      fd = TaskFlowFormat.flowDetailFromMap(m, atoms, node.stat.getVersion() + 1L);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, Kind.FLOW_DETAIL, book, e);
    }
    return withRecordTimes(fd, m, node.stat);
  }

  /**
   * {@code fd} with its record times: the {@code created_at} and {@code updated_at} keys of its
   * znode's JSON (which this backend writes, see {@link ZkWriter#RECORD_TIME}), each falling back
   * to the znode's {@code ctime} / {@code mtime} when absent or unreadable: a flow detail TaskFlow
   * wrote, or rewrote (its {@code FlowDetail.to_dict} drops the keys), is dated by the server.
   */
  static FlowDetail withRecordTimes(FlowDetail fd, Map<?, ?> m, Stat stat) {
    Instant created = recordTime(m.get(ZkWriter.CREATED_AT));
    Instant updated = recordTime(m.get(ZkWriter.UPDATED_AT));
    if (created == null) {
      created = Instant.ofEpochMilli(stat.getCtime());
    }
    if (updated == null) {
      updated = Instant.ofEpochMilli(stat.getMtime());
    }
    return fd.withTimes(created, updated);
  }

  /** A record time key's value (ISO-8601 text or TaskFlow's marshalled dict), else null. */
  static Instant recordTime(Object v) {
    if (v == null) {
      return null;
    }
    try {
      return TaskFlowFormat.unmarshalTime(v);
    } catch (IllegalArgumentException e) {
      return null; // a time another program mangled: the server's time stands in
    }
  }

  AtomDetail atom(Read node, String book) {
    Map<?, ?> m = parse(node, Kind.ATOM_DETAIL, book);
    try {
      return TaskFlowFormat.atomFromEnvelope(m, node.stat.getVersion() + 1L);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, Kind.ATOM_DETAIL, book, e);
    }
  }

  static Map<?, ?> parse(Read node, Kind kind, String book) {
    Object v;
    try {
      v = Json.read(node.data == null ? EMPTY : node.data);
    } catch (IllegalArgumentException e) {
      throw malformed(node.path, kind, book, e);
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new CorruptRecordException(
          kind,
          lastSegment(node.path),
          book,
          "znode " + node.path,
          "it does not hold a " + kind.label() + " record (a JSON object)",
          null);
    }
    return m;
  }

  private static CorruptRecordException malformed(
      String path, Kind kind, String book, IllegalArgumentException e) {
    return new CorruptRecordException(
        kind, lastSegment(path), book, "znode " + path, String.valueOf(e.getMessage()), e);
  }

  FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    conn.ensureOpen();
    if (!isSegment(flowUuid)) {
      throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
    }
    return backend.run(
        "reading flow detail '" + flowUuid + "'",
        (zk, attempt) -> {
          String fp = conn.flowPath(flowUuid);
          Read node = ZkReads.data(fp);
          Read children = ZkReads.children(fp);
          ZkReads.run(zk, lazy ? List.of(node) : List.of(node, children), conn.readTimeoutMs());
          if (!node.found()) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          if (lazy || !children.found()) {
            return flow(node, List.of(), null);
          }
          Map<String, List<AtomDetail>> atoms =
              loadChildren(zk, Map.of(fp, children.children), false, Map.of(), null);
          return flow(node, atoms.getOrDefault(fp, List.of()), null);
        });
  }

  AtomDetail getAtomDetails(String atomUuid) {
    Objects.requireNonNull(atomUuid, "atomUuid");
    conn.ensureOpen();
    if (!isSegment(atomUuid)) {
      throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
    }
    return backend.run(
        "reading atom detail '" + atomUuid + "'",
        (zk, attempt) -> {
          Read node = ZkReads.data(conn.atomPath(atomUuid));
          ZkReads.run(zk, List.of(node), conn.readTimeoutMs());
          if (!node.found()) {
            throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
          }
          return atom(node, null);
        });
  }

  List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return getFlowDetails(flowUuid, false).atoms();
  }
}
