package io.taskflow4j.persistence.jdbc;

import static io.taskflow4j.persistence.jdbc.JdbcConnection.IN_CHUNK;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.FlowPage;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link io.taskflow4j.persistence.Connection#findFlows} and {@link
 * io.taskflow4j.persistence.Connection#countFlows} of a {@link JdbcConnection}, in SQL.
 *
 * <p>A page is one keyset query over {@code flowdetails} joined to its logbook, newest first by the
 * effective update time {@code COALESCE(updated_at, created_at)} (TaskFlow inserts rows without an
 * update time) then uuid, {@code LIMIT} one more than the page holds (to tell whether another page
 * follows); the cursor continues with a row-value comparison {@code (time, uuid) < (?, ?)}. On
 * PostgreSQL and SQLite, migration V5's expression indexes on that time (alone and after {@code
 * state}) serve the order, so a page reads about as many index entries as it lists; MySQL/MariaDB
 * have no expression index and sort the rows that pass the filters. The atom counts of the page's
 * flows come from one grouped query over {@code atomdetails} by {@code parent_uuid} (indexed; on
 * PostgreSQL one indexed lookup per flow, see {@link #ATOM_COUNTS_POSTGRESQL}), never from a scan
 * of all atoms. Uuids are compared byte-wise on PostgreSQL ({@code COLLATE "C"}), as the listing's
 * order (Java's string order) requires whatever the database's collation.
 */
final class JdbcFlowFinder {
  private final JdbcConnection conn;
  private final JdbcBackend backend;
  private final Dialect dialect;
  private final Rows rows;

  JdbcFlowFinder(JdbcConnection conn) {
    this.conn = conn;
    this.backend = conn.backend;
    this.dialect = conn.dialect;
    this.rows = conn.rows;
  }

  /** The effective update time of a flow row: a row TaskFlow never updated has only created_at. */
  static final String TIME = "COALESCE(f.updated_at, f.created_at)";

  /** The flow uuid as the listing orders it (byte-wise). */
  String uuidOrder() {
    return dialect == Dialect.POSTGRESQL ? "f.uuid COLLATE \"C\"" : "f.uuid";
  }

  FlowPage findFlows(FlowQuery q) {
    Objects.requireNonNull(q, "query");
    conn.ensureOpen();
    StoreLayout layout = backend.readableLayout("the flow details");
    return backend.run("listing the flow details", false, c -> page(c, layout, q));
  }

  Map<FlowState, Long> countFlows(FlowQuery q) {
    Objects.requireNonNull(q, "query");
    conn.ensureOpen();
    backend.readableLayout("the flow details");
    return backend.run(
        "counting the flow details",
        false,
        c -> {
          List<Binding> params = new ArrayList<>();
          String sql =
              "SELECT f.state AS f_state, COUNT(*) AS n FROM flowdetails f"
                  + " JOIN logbooks b ON b.uuid = f.parent_uuid"
                  + where(q, params, false)
                  + " GROUP BY f.state";
          Map<FlowState, Long> counts = new EnumMap<>(FlowState.class);
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                FlowState s;
                try {
                  s = TaskFlowFormat.flowState(rs.getString("f_state"));
                } catch (IllegalArgumentException damaged) {
                  continue; // a damaged record is left out, as a scan leaves it out
                }
                counts.merge(s, rs.getLong("n"), Long::sum);
              }
            }
          }
          return counts;
        });
  }

  /** A parameter of the query, bound in order. */
  private interface Binding {
    void bind(PreparedStatement ps, int i) throws SQLException;
  }

  private Binding time(Instant t) {
    return (ps, i) -> rows.time(ps, i, t);
  }

  private static Binding text(String s) {
    return (ps, i) -> ps.setString(i, s);
  }

  private static Binding number(int n) {
    return (ps, i) -> ps.setInt(i, n);
  }

  private static void bind(PreparedStatement ps, List<Binding> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      params.get(i).bind(ps, i + 1);
    }
  }

  /**
   * The WHERE clause of the query's filters (and, with {@code cursor}, its cursor), adding the
   * parameters it binds to {@code params}.
   */
  private String where(FlowQuery q, List<Binding> params, boolean cursor) {
    List<String> terms = new ArrayList<>();
    terms.add(TIME + " IS NOT NULL");
    if (!q.states().isEmpty()) {
      StringBuilder in = new StringBuilder("f.state IN (");
      boolean first = true;
      for (FlowState s : q.states()) {
        in.append(first ? "?" : ", ?");
        first = false;
        params.add(text(s.name()));
      }
      in.append(')');
      // TaskFlow reads a missing state as PENDING, and so do we.
      terms.add(
          q.states().contains(FlowState.PENDING)
              ? "(" + in + " OR f.state IS NULL)"
              : in.toString());
    }
    q.updatedSince()
        .ifPresent(
            t -> {
              terms.add(TIME + " >= ?");
              params.add(time(t));
            });
    q.updatedBefore()
        .ifPresent(
            t -> {
              terms.add(TIME + " < ?");
              params.add(time(t));
            });
    String created = "COALESCE(f.created_at, f.updated_at)";
    q.createdSince()
        .ifPresent(
            t -> {
              terms.add(created + " >= ?");
              params.add(time(t));
            });
    q.createdBefore()
        .ifPresent(
            t -> {
              terms.add(created + " < ?");
              params.add(time(t));
            });
    q.flowNamePrefix().ifPresent(p -> terms.add(startsWith("f.name", p, params)));
    q.bookNamePrefix().ifPresent(p -> terms.add(startsWith("b.name", p, params)));
    if (cursor && q.afterUpdatedAt().isPresent()) {
      terms.add("(" + TIME + ", " + uuidOrder() + ") < (?, ?)");
      params.add(time(q.afterUpdatedAt().get()));
      params.add(text(q.afterFlowUuid().orElseThrow()));
    }
    return " WHERE " + String.join(" AND ", terms);
  }

  /**
   * Whether {@code column} starts with {@code prefix}, case-sensitively and without wildcards: the
   * column's first characters (as many as the prefix has code points) equal the prefix, compared as
   * bytes on MySQL/MariaDB, whose collations ignore case and trailing spaces. No LIKE: its {@code
   * %} and {@code _} would be wildcards, and SQLite's LIKE ignores case.
   */
  private String startsWith(String column, String prefix, List<Binding> params) {
    params.add(number(prefix.codePointCount(0, prefix.length())));
    params.add(text(prefix));
    if (dialect == Dialect.MYSQL) {
      return "CAST(SUBSTRING(" + column + ", 1, ?) AS BINARY) = CAST(? AS BINARY)";
    }
    return "SUBSTR(" + column + ", 1, ?) = ?";
  }

  /** The page the query asks for: a keyset query of limit + 1 rows, then the page's atom counts. */
  private FlowPage page(java.sql.Connection c, StoreLayout layout, FlowQuery q)
      throws SQLException {
    List<FlowSummary> found = new ArrayList<>();
    FlowQuery from = q;
    while (true) {
      // Rows that do not read as a flow (a damaged record) are left out: read on past them.
      int want = q.limit() + 1 - found.size();
      List<Row> read = rows(c, layout, from, want);
      Instant lastTime = null;
      String lastUuid = null;
      for (Row r : read) {
        lastUuid = r.uuid();
        if (r.time() == null) {
          // An unreadable time: the keyset cannot continue past it on the time read.
          return finish(c, q, found);
        }
        lastTime = r.time();
        if (r.summary() != null) {
          found.add(r.summary());
        }
      }
      if (read.size() < want || found.size() > q.limit()) {
        return finish(c, q, found);
      }
      from = continueAfter(q, lastTime, lastUuid);
    }
  }

  /**
   * A row of a listing: the flow's uuid, its time ({@code null} when unreadable) and its summary
   * ({@code null} for a row that does not read as a flow).
   */
  private record Row(String uuid, Instant time, FlowSummary summary) {}

  /** Newest first, then by uuid, as the listing orders its rows. */
  private static final java.util.Comparator<Row> LISTING_ORDER =
      java.util.Comparator.comparing(Row::time).thenComparing(Row::uuid).reversed();

  /**
   * The first {@code want} rows that {@code q} selects after its cursor, newest first. A query of
   * several states is one keyset query per state, merged: each reads its state's index in order and
   * stops after {@code want} rows, where one query of all the states reads every row of them to
   * sort it (an index on (state, time) orders the rows of one state only). A prune's listing of the
   * finished flows of a store of 170,000 took 195 ms a page on SQLite, sorting; merged it takes a
   * few. Should a state's rows hold an unreadable time, which no merge can place, the one query
   * answers as before.
   */
  private List<Row> rows(java.sql.Connection c, StoreLayout layout, FlowQuery q, int want)
      throws SQLException {
    if (!splitByState(q)) {
      return query(c, layout, q, want);
    }
    List<Row> merged = new ArrayList<>();
    for (FlowQuery part : perState(q)) {
      for (Row r : query(c, layout, part, want)) {
        if (r.time() == null) {
          return query(c, layout, q, want);
        }
        merged.add(r);
      }
    }
    merged.sort(LISTING_ORDER);
    return merged.size() > want ? merged.subList(0, want) : merged;
  }

  /**
   * Whether {@code q} is listed one state at a time: a query of several states, where an index
   * orders each state's rows (not on MySQL/MariaDB, which have no expression index and sort the
   * rows of each query either way).
   */
  private boolean splitByState(FlowQuery q) {
    return q.states().size() > 1 && dialect != Dialect.MYSQL;
  }

  /** {@code q} split into one query per state it selects. */
  private static List<FlowQuery> perState(FlowQuery q) {
    List<FlowQuery> out = new ArrayList<>();
    for (FlowState state : q.states()) {
      out.add(q.states(state));
    }
    return out;
  }

  /** The rows of one keyset query of at most {@code want} rows. */
  private List<Row> query(java.sql.Connection c, StoreLayout layout, FlowQuery q, int want)
      throws SQLException {
    List<Binding> params = new ArrayList<>();
    String sql = listing(layout, q, want, params);
    List<Row> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant t;
          try {
            t = rows.time(rs, "f_time");
          } catch (RuntimeException damaged) {
            t = null;
          }
          out.add(new Row(rs.getString("f_uuid"), t, t == null ? null : summary(rs, t)));
        }
      }
    }
    return out;
  }

  /**
   * The keyset query of at most {@code want} rows that {@code q} selects after its cursor, newest
   * first, adding its parameters to {@code params}.
   */
  private String listing(StoreLayout layout, FlowQuery q, int want, List<Binding> params) {
    String sql =
        "SELECT f.uuid AS f_uuid, f.name AS f_name, f.state AS f_state,"
            + " f.created_at AS f_created_at, f.updated_at AS f_updated_at, "
            + (layout.flowRevision() ? "f.revision" : "0")
            + " AS f_revision, "
            + TIME
            + " AS f_time, b.uuid AS b_uuid, b.name AS b_name"
            + " FROM flowdetails f JOIN logbooks b ON b.uuid = f.parent_uuid"
            + where(q, params, true)
            + " ORDER BY "
            + TIME
            + " DESC, "
            + uuidOrder()
            + " DESC LIMIT ?";
    params.add(number(want));
    return sql;
  }

  /**
   * The database's plan of the first query of {@code findFlows(q)} (of each, for a query of several
   * states), one line per row of {@code EXPLAIN} ({@code EXPLAIN QUERY PLAN} on SQLite): to see
   * that a listing reads an index in order rather than sorting the table.
   */
  List<String> explain(FlowQuery q) {
    conn.ensureOpen();
    StoreLayout layout = backend.readableLayout("the flow details");
    return backend.run(
        "explaining a flow listing",
        false,
        c -> {
          List<String> plan = new ArrayList<>();
          for (FlowQuery part : splitByState(q) ? perState(q) : List.of(q)) {
            List<Binding> params = new ArrayList<>();
            String sql = listing(layout, part, q.limit() + 1, params);
            plan.addAll(SqlPlans.explain(c, dialect, sql, ps -> bind(ps, params)));
          }
          return plan;
        });
  }

  /** The query continued after the row (time, uuid): its cursor, made as a page's cursor is. */
  private static FlowQuery continueAfter(FlowQuery q, Instant time, String uuid) {
    return q.after(
        new FlowSummary(uuid, null, uuid, "", FlowState.PENDING, time, time, 0, null).cursor());
  }

  /** A summary without atom counts, or {@code null} for a row that does not read as a flow. */
  private FlowSummary summary(ResultSet rs, Instant time) throws SQLException {
    try {
      FlowState state = TaskFlowFormat.flowState(rs.getString("f_state"));
      Instant created = rows.time(rs, "f_created_at");
      String name = rs.getString("f_name");
      return new FlowSummary(
          rs.getString("b_uuid"),
          rs.getString("b_name"),
          rs.getString("f_uuid"),
          name == null ? "" : name,
          state,
          created == null ? time : created,
          time,
          rs.getLong("f_revision"),
          null);
    } catch (RuntimeException damaged) {
      return null;
    }
  }

  /** The page of the first {@code limit} summaries found, each with its atom counts. */
  private FlowPage finish(java.sql.Connection c, FlowQuery q, List<FlowSummary> found)
      throws SQLException {
    boolean more = found.size() > q.limit();
    List<FlowSummary> page = more ? found.subList(0, q.limit()) : found;
    Map<String, Map<AtomState, Integer>> counts = atomCounts(c, page);
    List<FlowSummary> out = new ArrayList<>(page.size());
    for (FlowSummary f : page) {
      out.add(f.withAtomCounts(counts.get(f.flowUuid())));
    }
    return new FlowPage(out, more ? page.get(page.size() - 1).cursor() : null);
  }

  /**
   * The atom counts by state of a chunk of flows on PostgreSQL: the uuids are one array parameter,
   * and each is counted by its own grouped subquery ({@code LATERAL}; being grouped, the planner
   * cannot merge it into a join), an index lookup on {@code atomdetails (parent_uuid, seq)}. With
   * an {@code IN} list the planner estimates the rows matched from the table's statistics, and on a
   * table never analysed (autovacuum off, a bulk load) it takes each uuid to match 0.5% of the
   * table: a page of 200 flows seems to match most of it, and every page scanned the whole atom
   * table (50 ms instead of 3 ms per page at 300,000 atoms, growing with the table). For one uuid
   * the estimate stays small, and the index is used whatever the statistics say.
   */
  static final String ATOM_COUNTS_POSTGRESQL =
      "SELECT k.uuid AS p, c.s AS s, c.n AS n FROM unnest(CAST(? AS varchar[])) AS k(uuid)"
          + " CROSS JOIN LATERAL (SELECT a.state AS s, COUNT(*) AS n FROM atomdetails a"
          + " WHERE a.parent_uuid = k.uuid GROUP BY a.state) c";

  /** The query of the atom counts by state of {@code n} flows, bound by {@link #bindUuids}. */
  String atomCountsSql(int n) {
    if (dialect == Dialect.POSTGRESQL) {
      return ATOM_COUNTS_POSTGRESQL;
    }
    return "SELECT a.parent_uuid AS p, a.state AS s, COUNT(*) AS n FROM atomdetails a"
        + " WHERE a.parent_uuid IN ("
        + JdbcReader.placeholders(n)
        + ") GROUP BY a.parent_uuid, a.state";
  }

  /** Binds the uuids of {@link #atomCountsSql}: one array on PostgreSQL, else one per uuid. */
  private void bindUuids(java.sql.Connection c, PreparedStatement ps, List<String> uuids)
      throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      ps.setArray(1, c.createArrayOf("varchar", uuids.toArray()));
    } else {
      JdbcReader.bind(ps, uuids);
    }
  }

  /** The atom counts by state of these flows: one grouped query per chunk of uuids. */
  private Map<String, Map<AtomState, Integer>> atomCounts(
      java.sql.Connection c, List<FlowSummary> flows) throws SQLException {
    // Distinct: on PostgreSQL a uuid given twice would be counted twice.
    List<String> uuids = flows.stream().map(FlowSummary::flowUuid).distinct().toList();
    Map<String, Map<AtomState, Integer>> out = new HashMap<>();
    for (int from = 0; from < uuids.size(); from += IN_CHUNK) {
      List<String> chunk = uuids.subList(from, Math.min(uuids.size(), from + IN_CHUNK));
      try (PreparedStatement ps = c.prepareStatement(atomCountsSql(chunk.size()))) {
        bindUuids(c, ps, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            AtomState s;
            try {
              s = TaskFlowFormat.atomState(rs.getString("s"));
            } catch (IllegalArgumentException damaged) {
              continue;
            }
            out.computeIfAbsent(rs.getString("p"), k -> new LinkedHashMap<>())
                .merge(s, (int) rs.getLong("n"), Integer::sum);
          }
        }
      }
    }
    return out;
  }

  /**
   * The database's plan of the atom-count query of a page of these flows, one line per row of
   * {@code EXPLAIN} ({@code EXPLAIN QUERY PLAN} on SQLite): to see that it reads an index on {@code
   * atomdetails}, not the whole table.
   */
  List<String> explainAtomCounts(List<String> flowUuids) {
    conn.ensureOpen();
    return backend.run(
        "explaining an atom count",
        false,
        c ->
            SqlPlans.explain(
                c, dialect, atomCountsSql(flowUuids.size()), ps -> bindUuids(c, ps, flowUuids)));
  }
}
