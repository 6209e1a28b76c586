package io.taskflow4j.persistence.jdbc;

import static io.taskflow4j.persistence.jdbc.JdbcConnection.SCAN_PAGE;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The reads of a {@link JdbcConnection}: books with their flow and atom details in a few queries
 * (one per kind of row, {@code IN} lists in chunks), and the tolerant scan, page by page.
 */
final class JdbcReader {
  private final JdbcConnection conn;
  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;

  JdbcReader(JdbcConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.dialect = conn.dialect;
    this.rows = conn.rows;
  }

  // ---------------------------------------------------------------- reads

  LogBook getLogBook(String bookUuid, boolean lazy) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    String what = "logbook '" + bookUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          List<LogBook> books = readBooks(c, layout, bookUuid, lazy);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0);
        });
  }

  List<LogBook> getLogBooks(boolean lazy) {
    conn.ensureOpen();
    StoreLayout layout = backend.readableLayout("the logbooks");
    return backend.run("reading the logbooks", false, c -> readBooks(c, layout, null, lazy));
  }

  /**
   * Reads the books a page of {@value #SCAN_PAGE} at a time, each page in at most three queries
   * (books, their atoms, their flows) on a connection handed back before the page's books are
   * handed over: so it holds one page of books with their details at once, and a consumer may
   * write. Pages follow the insertion order by keyset (SQLite's rowid, else the {@code seq} column:
   * {@code WHERE key > last ORDER BY key LIMIT n}); on a store without {@code seq} (not upgraded,
   * read as found), whose order is {@code created_at, uuid}, the uuids are listed first (one per
   * book) and read a page at a time. Rows that cannot be parsed are reported per book.
   */
  void forEachLogBook(
      boolean lazy,
      Consumer<? super LogBook> books,
      Consumer<? super CorruptRecordException> damaged) {
    Objects.requireNonNull(books, "books");
    Objects.requireNonNull(damaged, "damaged");
    conn.ensureOpen();
    StoreLayout layout = backend.readableLayout("the logbooks");
    if (dialect == Dialect.SQLITE || layout.seq()) {
      long after = Long.MIN_VALUE;
      while (true) {
        long from = after;
        Page page =
            backend.run("reading the logbooks", false, c -> readPage(c, layout, from, null, lazy));
        page.handOver(books, damaged);
        if (page.rows() < SCAN_PAGE) {
          return;
        }
        after = page.lastKey();
      }
    }
    List<String> uuids =
        backend.run(
            "listing the logbooks",
            false,
            c -> {
              List<String> out = new ArrayList<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT b.uuid FROM logbooks b ORDER BY " + order(layout, "b"));
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
              }
              return out;
            });
    for (int i = 0; i < uuids.size(); i += SCAN_PAGE) {
      List<String> chunk = uuids.subList(i, Math.min(uuids.size(), i + SCAN_PAGE));
      backend
          .run("reading the logbooks", false, c -> readPage(c, layout, 0, chunk, lazy))
          .handOver(books, damaged);
    }
  }

  /** One page of the scan: its books in order, or the damaged records of each. */
  record Page(
      List<String> order,
      Map<String, LogBook> books,
      Map<String, List<CorruptRecordException>> damage,
      int rows,
      long lastKey) {

    void handOver(Consumer<? super LogBook> out, Consumer<? super CorruptRecordException> damaged) {
      for (String uuid : order) {
        List<CorruptRecordException> found = damage.get(uuid);
        if (found != null) {
          found.forEach(damaged);
        } else {
          out.accept(books.get(uuid));
        }
      }
    }
  }

  /**
   * Reads one page of books: those with a key above {@code after} (at most {@value #SCAN_PAGE}), or
   * those of {@code uuids} when given; unless lazy, with their flows and atoms (two queries over
   * the page's book uuids). A row that does not parse is kept as damage of its book.
   */
  private Page readPage(
      java.sql.Connection c, StoreLayout layout, long after, List<String> uuids, boolean lazy)
      throws SQLException {
    List<String> order = new ArrayList<>();
    Map<String, LogBook> books = new HashMap<>();
    Map<String, List<CorruptRecordException>> damage = new HashMap<>();
    String key = "b." + dialect.order();
    String sql =
        uuids == null
            ? "SELECT "
                + Rows.BOOK_COLUMNS
                + ", "
                + key
                + " AS b_key FROM logbooks b WHERE "
                + key
                + " > ? ORDER BY "
                + key
                + " LIMIT ?"
            : "SELECT "
                + Rows.BOOK_COLUMNS
                + ", 0 AS b_key FROM logbooks b WHERE b.uuid IN ("
                + placeholders(uuids.size())
                + ") ORDER BY "
                + order(layout, "b");
    int count = 0;
    long lastKey = after;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (uuids == null) {
        ps.setLong(1, after);
        ps.setInt(2, SCAN_PAGE);
      } else {
        for (int i = 0; i < uuids.size(); i++) {
          ps.setString(i + 1, uuids.get(i));
        }
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          count++;
          lastKey = rs.getLong("b_key");
          String uuid = rs.getString("b_uuid");
          order.add(uuid);
          try {
            books.put(uuid, rows.book(rs, List.of()));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(uuid, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    if (lazy || order.isEmpty()) {
      return new Page(order, books, damage, count, lastKey);
    }
    String in = " WHERE f.parent_uuid IN (" + placeholders(order.size()) + ")";
    Map<String, List<AtomDetail>> atomsByFlow = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.atomColumns(layout.atomRevision())
                + ", f.parent_uuid AS af_book"
                + " FROM atomdetails a JOIN flowdetails f ON a.parent_uuid = f.uuid"
                + in
                // by book, flow and then atom: each flow's atoms in their order, which is all
                // the grouping below needs, and the order the indexes give (no sort on SQLite)
                + " ORDER BY f.parent_uuid, "
                + order(layout, "f")
                + ", "
                + order(layout, "a"))) {
      bind(ps, order);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String book = rs.getString("af_book");
          try {
            atomsByFlow
                .computeIfAbsent(rs.getString("a_parent_uuid"), k -> new ArrayList<>())
                .add(Rows.atom(rs, book));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(book, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    Map<String, List<FlowDetail>> flowsByBook = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.flowColumns(layout.flowRevision())
                + " FROM flowdetails f"
                + in
                + " ORDER BY "
                + order(layout, "f"))) {
      bind(ps, order);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String book = rs.getString("f_parent_uuid");
          try {
            flowsByBook
                .computeIfAbsent(book, k -> new ArrayList<>())
                .add(rows.flow(rs, atomsByFlow.getOrDefault(rs.getString("f_uuid"), List.of())));
          } catch (CorruptRecordException e) {
            damage.computeIfAbsent(book, k -> new ArrayList<>()).add(e);
          }
        }
      }
    }
    for (Map.Entry<String, LogBook> e : books.entrySet()) {
      e.setValue(e.getValue().withFlows(flowsByBook.getOrDefault(e.getKey(), List.of())));
    }
    return new Page(order, books, damage, count, lastKey);
  }

  static String placeholders(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "?" : ", ?");
    }
    return sb.toString();
  }

  static void bind(PreparedStatement ps, List<String> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      ps.setString(i + 1, values.get(i));
    }
  }

  List<FlowDetail> getFlowsForBook(String bookUuid) {
    Objects.requireNonNull(bookUuid, "bookUuid");
    conn.ensureOpen();
    String what = "the flow details of logbook '" + bookUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          List<LogBook> books = readBooks(c, layout, bookUuid, false);
          if (books.isEmpty()) {
            throw new NotFoundException("Logbook '" + bookUuid + "' not found");
          }
          return books.get(0).flows();
        });
  }

  /**
   * Reads one logbook ({@code bookUuid} given) or all, in three queries at most: books, their
   * flows, their flows' atoms, each in insertion order.
   */
  private List<LogBook> readBooks(
      java.sql.Connection c, StoreLayout layout, String bookUuid, boolean lazy)
      throws SQLException {
    String where = bookUuid == null ? "" : " WHERE b.uuid = ?";
    List<String> bookOrder = new ArrayList<>();
    Map<String, LogBook> lazyBooks = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.BOOK_COLUMNS
                + " FROM logbooks b"
                + where
                + " ORDER BY "
                + order(layout, "b"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          LogBook b = rows.book(rs, List.of());
          lazyBooks.put(b.uuid(), b);
          bookOrder.add(b.uuid());
        }
      }
    }
    if (lazy || lazyBooks.isEmpty()) {
      return new ArrayList<>(lazyBooks.values());
    }
    String flowWhere = bookUuid == null ? "" : " WHERE f.parent_uuid = ?";
    Map<String, List<AtomDetail>> atomsByFlow = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.atomColumns(layout.atomRevision())
                + ", f.parent_uuid AS af_book"
                + " FROM atomdetails a JOIN flowdetails f ON a.parent_uuid = f.uuid"
                + flowWhere
                + " ORDER BY "
                + order(layout, "a"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          atomsByFlow
              .computeIfAbsent(rs.getString("a_parent_uuid"), k -> new ArrayList<>())
              .add(Rows.atom(rs, rs.getString("af_book")));
        }
      }
    }
    Map<String, List<FlowDetail>> flowsByBook = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Rows.flowColumns(layout.flowRevision())
                + " FROM flowdetails f"
                + flowWhere
                + " ORDER BY "
                + order(layout, "f"))) {
      if (bookUuid != null) {
        ps.setString(1, bookUuid);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String fu = rs.getString("f_uuid");
          flowsByBook
              .computeIfAbsent(rs.getString("f_parent_uuid"), k -> new ArrayList<>())
              .add(rows.flow(rs, atomsByFlow.getOrDefault(fu, List.of())));
        }
      }
    }
    List<LogBook> out = new ArrayList<>(bookOrder.size());
    for (String bu : bookOrder) {
      out.add(lazyBooks.get(bu).withFlows(flowsByBook.getOrDefault(bu, List.of())));
    }
    return out;
  }

  FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
    Objects.requireNonNull(flowUuid, "flowUuid");
    conn.ensureOpen();
    String what = "flow detail '" + flowUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          FlowDetail fd = readFlow(c, layout, flowUuid, lazy);
          if (fd == null) {
            throw new NotFoundException("Flow detail '" + flowUuid + "' not found");
          }
          return fd;
        });
  }

  /** A flow detail and (unless lazy) its atoms, in one query; {@code null} when absent. */
  private FlowDetail readFlow(
      java.sql.Connection c, StoreLayout layout, String flowUuid, boolean lazy)
      throws SQLException {
    String flowColumns = Rows.flowColumns(layout.flowRevision());
    String sql =
        lazy
            ? "SELECT " + flowColumns + " FROM flowdetails f WHERE f.uuid = ?"
            : "SELECT "
                + flowColumns
                + ", "
                + Rows.atomColumns(layout.atomRevision())
                + " FROM flowdetails f LEFT JOIN atomdetails a ON a.parent_uuid = f.uuid"
                + " WHERE f.uuid = ? ORDER BY "
                + order(layout, "a");
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, flowUuid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        List<AtomDetail> atoms = new ArrayList<>();
        FlowDetail head = rows.flow(rs, List.of());
        String book = rs.getString("f_parent_uuid");
        if (!lazy) {
          do {
            if (rs.getString("a_uuid") != null) {
              atoms.add(Rows.atom(rs, book));
            }
          } while (rs.next());
        }
        return atoms.isEmpty() ? head : head.withAtoms(atoms);
      }
    }
  }

  /**
   * The ORDER BY of rows of {@code alias}'s table in insertion order: SQLite's rowid, else the
   * {@code seq} column, or on a store without it (not upgraded) creation time then uuid, the order
   * the upgrade numbers existing rows in.
   */
  String order(StoreLayout layout, String alias) {
    if (dialect == Dialect.SQLITE || layout.seq()) {
      return alias + "." + dialect.order();
    }
    return alias + ".created_at, " + alias + ".uuid";
  }

  AtomDetail getAtomDetails(String atomUuid) {
    Objects.requireNonNull(atomUuid, "atomUuid");
    conn.ensureOpen();
    String what = "atom detail '" + atomUuid + "'";
    StoreLayout layout = backend.readableLayout(what);
    return backend.run(
        "reading " + what,
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + Rows.atomColumns(layout.atomRevision())
                      + ", f.parent_uuid AS af_book FROM atomdetails a"
                      + " LEFT JOIN flowdetails f ON f.uuid = a.parent_uuid WHERE a.uuid = ?")) {
            ps.setString(1, atomUuid);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                throw new NotFoundException("Atom detail '" + atomUuid + "' not found");
              }
              return Rows.atom(rs, rs.getString("af_book"));
            }
          }
        });
  }

  List<AtomDetail> getAtomsForFlow(String flowUuid) {
    return getFlowDetails(flowUuid, false).atoms();
  }
}
