package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.CorruptRecordException.Kind;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.TaskFlowFormat;
import io.taskflow4j.persistence.spi.FlowPageCollector;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link ZkConnection#findFlows} and {@link ZkConnection#countFlows}: a scan of the flow records
 * through the books' links, in pipelined batches.
 *
 * <p><b>Cost.</b> One {@code getChildren} of {@code books}, then per batch of {@value #BOOK_BATCH}
 * books one {@code getData} and one {@code getChildren} each (a book whose name the query's prefix
 * excludes stops there), then one {@code getData} per flow detail, {@value #FLOW_BATCH} at a time:
 * about {@code 1 + 2 × books + flows} small requests, sent without waiting for each reply (a few
 * round trips per batch). No atom detail is read, except by {@code findFlows} for the flows of the
 * page it returns: one {@code getChildren} per flow and one {@code getData} per atom, to count them
 * by state. It holds one uuid per book, one batch of flow records and the page (the query's limit
 * plus one summary). A store of 10,000 flow details (100 books) answers in one to three seconds on
 * a busy two-core machine running the server too (ZkFlowQueryTest measures it); the time grows
 * linearly with the number of flow details, whatever the query selects.
 *
 * <p>Each batch is one {@link ZkBackend#run} (retried whole after a lost connection), so no flow is
 * offered twice. A flow saved or deleted during the scan may or may not be seen. Damaged records
 * are left out: a flow whose znode does not parse, and the flows of a book whose own znode does not
 * (as {@link ZkConnection#forEachLogBook} leaves that book out).
 */
final class ZkFlowQueries {
  /** Books whose records and links one batch reads. */
  static final int BOOK_BATCH = 200;

  /** Flow records one batch reads. */
  static final int FLOW_BATCH = 1_000;

  /** Flows of a page whose atoms one batch counts. */
  static final int COUNT_BATCH = 200;

  private final ZkConnection conn;
  private final ZkBackend backend;

  ZkFlowQueries(ZkConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
  }

  FlowPage findFlows(FlowQuery query, Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(damaged, "damaged");
    conn.ensureOpen();
    FlowPageCollector page = new FlowPageCollector(query);
    scan(
        query,
        f -> {
          if (page.couldKeep(f.updatedAt(), f.flowUuid())) {
            page.offer(f);
          }
        },
        damaged);
    FlowPage found = page.page();
    return new FlowPage(withAtomCounts(found.flows()), found.nextCursor());
  }

  Map<FlowState, Long> countFlows(FlowQuery query) {
    Objects.requireNonNull(query, "query");
    conn.ensureOpen();
    Map<FlowState, Long> counts = new EnumMap<>(FlowState.class);
    scan(
        query,
        f -> {
          if (query.matches(f)) {
            counts.merge(f.state(), 1L, Long::sum);
          }
        },
        damaged -> {});
    return counts;
  }

  /** A flow to read: its link's book and the flow's uuid. */
  private record Linked(String bookUuid, String bookName, String flowUuid) {}

  /**
   * Offers every readable flow detail, as a summary without atom counts, to {@code flows}; books
   * whose name the query's prefix excludes are not read further. Each damaged book or flow record
   * goes to {@code damaged} once (a batch read again after a lost connection reports it once).
   */
  private void scan(
      FlowQuery query,
      Consumer<FlowSummary> flows,
      Consumer<? super CorruptRecordException> damaged) {
    List<String> books =
        backend.run(
            "listing the logbooks",
            (zk, attempt) -> {
              Read list = ZkReads.children(conn.booksDir);
              ZkReads.run(zk, List.of(list), conn.readTimeoutMs());
              return list.found() ? list.children : List.<String>of();
            });
    String prefix = query.bookNamePrefix().orElse(null);
    for (int i = 0; i < books.size(); i += BOOK_BATCH) {
      List<String> chunk = books.subList(i, Math.min(books.size(), i + BOOK_BATCH));
      List<CorruptRecordException> bad = new ArrayList<>();
      List<Linked> linked =
          backend.run(
              "reading the logbooks",
              (zk, attempt) -> {
                bad.clear();
                return links(zk, chunk, prefix, bad);
              });
      bad.forEach(damaged);
      for (int j = 0; j < linked.size(); j += FLOW_BATCH) {
        List<Linked> part = linked.subList(j, Math.min(linked.size(), j + FLOW_BATCH));
        List<CorruptRecordException> badFlows = new ArrayList<>();
        List<FlowSummary> read =
            backend.run(
                "reading the flow details",
                (zk, attempt) -> {
                  badFlows.clear();
                  return summaries(zk, part, badFlows);
                });
        read.forEach(flows);
        badFlows.forEach(damaged);
      }
    }
  }

  /** The flows linked from these books, of the books whose record parses and name matches. */
  private List<Linked> links(
      org.apache.zookeeper.ZooKeeper zk,
      List<String> bookUuids,
      String prefix,
      List<CorruptRecordException> bad)
      throws org.apache.zookeeper.KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>(bookUuids.size() * 2);
    for (String b : bookUuids) {
      reads.add(ZkReads.data(conn.bookPath(b)));
      reads.add(ZkReads.children(conn.bookPath(b)));
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    List<Linked> out = new ArrayList<>();
    for (int k = 0; k < bookUuids.size(); k++) {
      Read node = reads.get(2 * k);
      Read children = reads.get(2 * k + 1);
      if (!node.found() || !children.found() || children.children.isEmpty()) {
        continue;
      }
      String name;
      try {
        Object n = ZkReader.parse(node, Kind.LOGBOOK, bookUuids.get(k)).get("name");
        name = n == null ? "" : String.valueOf(n);
      } catch (CorruptRecordException e) {
        bad.add(e.inBook(bookUuids.get(k)));
        continue;
      }
      if (prefix != null && !name.startsWith(prefix)) {
        continue;
      }
      for (String f : children.children) {
        out.add(new Linked(bookUuids.get(k), name, f));
      }
    }
    return out;
  }

  /** The summaries (without atom counts) of the flows that exist and parse. */
  private List<FlowSummary> summaries(
      org.apache.zookeeper.ZooKeeper zk, List<Linked> part, List<CorruptRecordException> bad)
      throws org.apache.zookeeper.KeeperException, InterruptedException {
    List<Read> reads = new ArrayList<>(part.size());
    for (Linked l : part) {
      reads.add(ZkReads.data(conn.flowPath(l.flowUuid())));
    }
    ZkReads.run(zk, reads, conn.readTimeoutMs());
    List<FlowSummary> out = new ArrayList<>(part.size());
    for (int k = 0; k < part.size(); k++) {
      Read node = reads.get(k);
      if (!node.found()) {
        continue; // deleted since its link was read
      }
      Linked l = part.get(k);
      FlowDetail fd;
      try {
        fd = conn.reader.flow(node, List.of(), l.bookUuid());
      } catch (CorruptRecordException e) {
        bad.add(e.inBook(l.bookUuid()));
        continue;
      }
      out.add(
          new FlowSummary(
              l.bookUuid(),
              l.bookName(),
              fd.uuid(),
              fd.name(),
              fd.state(),
              fd.createdAt(),
              fd.updatedAt(),
              fd.revision(),
              Map.of()));
    }
    return out;
  }

  /** The page's flows with their atoms counted by state (damaged or missing atoms not counted). */
  private List<FlowSummary> withAtomCounts(List<FlowSummary> page) {
    List<FlowSummary> out = new ArrayList<>(page.size());
    for (int i = 0; i < page.size(); i += COUNT_BATCH) {
      List<FlowSummary> part = page.subList(i, Math.min(page.size(), i + COUNT_BATCH));
      out.addAll(backend.run("counting the atoms of flow details", (zk, a) -> counted(zk, part)));
    }
    return out;
  }

  private List<FlowSummary> counted(org.apache.zookeeper.ZooKeeper zk, List<FlowSummary> part)
      throws org.apache.zookeeper.KeeperException, InterruptedException {
    List<Read> links = new ArrayList<>(part.size());
    for (FlowSummary f : part) {
      links.add(ZkReads.children(conn.flowPath(f.flowUuid())));
    }
    ZkReads.run(zk, links, conn.readTimeoutMs());
    List<Read> atoms = new ArrayList<>();
    int[] from = new int[part.size() + 1];
    for (int k = 0; k < part.size(); k++) {
      from[k] = atoms.size();
      if (links.get(k).found()) {
        for (String a : links.get(k).children) {
          atoms.add(ZkReads.data(conn.atomPath(a)));
        }
      }
    }
    from[part.size()] = atoms.size();
    ZkReads.run(zk, atoms, conn.readTimeoutMs());
    List<FlowSummary> out = new ArrayList<>(part.size());
    for (int k = 0; k < part.size(); k++) {
      Map<AtomState, Integer> counts = new EnumMap<>(AtomState.class);
      for (Read r : atoms.subList(from[k], from[k + 1])) {
        AtomState s = atomState(r);
        if (s != null) {
          counts.merge(s, 1, Integer::sum);
        }
      }
      FlowSummary f = part.get(k);
      out.add(f.withAtomCounts(counts));
    }
    return out;
  }

  /**
   * The state of an atom's envelope {@code {"atom": {..., "state": ...}, "type": ...}}, or null.
   */
  private static AtomState atomState(Read r) {
    if (!r.found() || r.data == null) {
      return null;
    }
    try {
      if (Json.read(r.data) instanceof Map<?, ?> envelope
          && envelope.get("atom") instanceof Map<?, ?> atom) {
        return TaskFlowFormat.atomState(atom.get("state"));
      }
    } catch (IllegalArgumentException e) {
      // damaged: not counted
    }
    return null;
  }
}
