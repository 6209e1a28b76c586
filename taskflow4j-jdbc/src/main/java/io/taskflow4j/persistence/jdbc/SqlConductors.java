package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Jobboard.Subscription;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.TaskFlowException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conductors registered on one {@link SqlJobboard} ({@code taskflow4j_conductors}): a row per
 * conductor whose heartbeat this board renews a few times per lease; a conductor whose heartbeat is
 * older than a lease is no longer listed.
 */
final class SqlConductors {
  // The board's log category, which users already configure, whichever file logs.
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobboard.class);

  private final JdbcBackend backend;
  private final SqlJobRows table;
  private final Rows rows;
  private final String board;
  private final Duration leaseTime;
  private final Clock clock;
  private final Supplier<String> describe;
  private final ScheduledExecutorService heartbeats;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  /**
   * Starts the heartbeats.
   *
   * @param n the board's number, in its thread's name
   */
  SqlConductors(
      JdbcBackend backend,
      SqlJobRows table,
      Rows rows,
      String board,
      int n,
      Duration leaseTime,
      Clock clock,
      Supplier<String> describe) {
    this.backend = backend;
    this.table = table;
    this.rows = rows;
    this.board = board;
    this.leaseTime = leaseTime;
    this.clock = clock;
    this.describe = describe;
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("taskflow4j-sqlboard-" + n + "-heartbeat"));
    long every = Math.max(30, leaseTime.toMillis() / 3);
    heartbeats.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Registers a conductor (replacing an earlier registration of its id).
   *
   * @param closed whether the board closed: its closing unregisters the conductor itself
   */
  Subscription register(OwnerId conductor, Map<String, Object> meta, BooleanSupplier closed) {
    String id = conductor.id();
    backend.run(
        "registering conductor '" + id + "'",
        true,
        c -> {
          deleteConductor(c, id);
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO taskflow4j_conductors (id, board, name, host, pid, since,"
                      + " heartbeat, meta) VALUES (?, ?, ?, ?, ?, ?, "
                      + table.now
                      + ", ?)")) {
            ps.setString(1, id);
            ps.setString(2, board);
            ps.setString(3, conductor.name());
            ps.setString(4, HostIdentity.hostName());
            ps.setLong(5, HostIdentity.pid());
            rows.time(ps, 6, clock.instant());
            ps.setString(7, Json.write(meta == null ? Map.of() : meta));
            ps.executeUpdate();
          }
          return null;
        });
    registered.add(id);
    return () -> {
      if (registered.remove(id) && !closed.getAsBoolean()) {
        unregister(id);
      }
    };
  }

  private void unregister(String id) {
    backend.run(
        "unregistering conductor '" + id + "'",
        true,
        c -> {
          deleteConductor(c, id);
          return null;
        });
  }

  private void deleteConductor(java.sql.Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM taskflow4j_conductors WHERE id = ? AND board = ?")) {
      ps.setString(1, id);
      ps.setString(2, board);
      ps.executeUpdate();
    }
  }

  /** Renews the heartbeat of every conductor registered through this board. */
  private void heartbeat() {
    for (String id : registered) {
      try {
        backend.run(
            "renewing the heartbeat of conductor '" + id + "'",
            true,
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE taskflow4j_conductors SET heartbeat = "
                          + table.now
                          + " WHERE id = ? AND board = ?")) {
                ps.setString(1, id);
                ps.setString(2, board);
                ps.executeUpdate();
              }
              return null;
            });
      } catch (TaskFlowException e) {
        LOG.warn("{}: could not renew the heartbeat of {}: {}", describe.get(), id, e.getMessage());
      }
    }
  }

  /** The conductors of this board whose heartbeat is younger than a lease, oldest first. */
  List<ConductorInfo> list() {
    return backend.run(
        "listing the conductors of board '" + board + "'",
        false,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, name, host, pid, since, meta, "
                      + table.millisFromNow("heartbeat")
                      + " AS heartbeat_ms FROM taskflow4j_conductors"
                      + " WHERE board = ? AND heartbeat > "
                      + table.nowPlusMillis(-1)
                      + " ORDER BY since, id")) {
            ps.setString(1, board);
            ps.setLong(2, leaseTime.toMillis());
            try (ResultSet rs = ps.executeQuery()) {
              List<ConductorInfo> out = new ArrayList<>();
              Instant now = clock.instant();
              while (rs.next()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> meta =
                    Json.read(rs.getString("meta")) instanceof Map<?, ?> m
                        ? (Map<String, Object>) m
                        : Map.of();
                out.add(
                    new ConductorInfo(
                        rs.getString("id"),
                        rs.getString("name"),
                        rs.getString("host"),
                        rs.getLong("pid"),
                        rows.time(rs, "since"),
                        meta,
                        SqlJobRows.fromNow(rs, "heartbeat_ms", now)));
              }
              return out;
            }
          }
        });
  }

  /** Stops the heartbeats and removes the conductors registered here. */
  void close() {
    heartbeats.shutdownNow();
    for (String id : List.copyOf(registered)) {
      registered.remove(id);
      try {
        unregister(id);
      } catch (TaskFlowException e) {
        LOG.debug("could not unregister {} on close: {}", id, e.getMessage());
      }
    }
  }
}
