package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.internal.Backoff;
import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.persistence.TaskFlowException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the boards of one PostgreSQL database tell each other what happened to a job: a post or
 * release {@code NOTIFY}s at commit, and each board {@code LISTEN}s on one dedicated connection of
 * its own. The other dialects have no notifications; their boards poll.
 */
final class SqlJobNotifications {
  // The board's log category, which users already configure, whichever file logs.
  private static final Logger LOG = LoggerFactory.getLogger(SqlJobboard.class);
  private static final String CHANNEL = "taskflow4j_jobs";
  // The listener's reconnect waits: a lost server is retried soon, a long outage every 5 s.
  private static final Backoff LISTEN_BACKOFF =
      Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5));

  private final JdbcBackend backend;
  private final String board;
  private final String instance = UUID.randomUUID().toString();
  private final Supplier<String> describe;
  private final BooleanSupplier closed;
  private final Runnable signalWork;
  private final BiConsumer<JobEvent.Kind, String> peerEvent;
  private final Thread listener; // PostgreSQL only, else null

  /**
   * Starts listening on PostgreSQL.
   *
   * @param n the board's number, in its thread's name
   * @param signalWork wakes the board's waiters (work may have come while nobody listened)
   * @param peerEvent emits the event of a job that a peer board posted or released
   */
  SqlJobNotifications(
      JdbcBackend backend,
      String board,
      int n,
      Supplier<String> describe,
      BooleanSupplier closed,
      Runnable signalWork,
      BiConsumer<JobEvent.Kind, String> peerEvent) {
    this.backend = backend;
    this.board = board;
    this.describe = describe;
    this.closed = closed;
    this.signalWork = signalWork;
    this.peerEvent = peerEvent;
    if (backend.dialect() == Dialect.POSTGRESQL) {
      listener = DaemonThreads.create("taskflow4j-sqlboard-" + n + "-listener", this::listen);
      listener.start();
    } else {
      listener = null;
    }
  }

  /** PostgreSQL: tells the other boards, at commit, what happened to a job. */
  void notifyPeers(java.sql.Connection c, JobEvent.Kind kind, String jobUuid) throws SQLException {
    if (backend.dialect() != Dialect.POSTGRESQL) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, kind.name() + "|" + instance + "|" + jobUuid + "|" + board);
      ps.executeQuery().close();
    }
  }

  /** Waits a little for the listener to see that its board closed and hand back its connection. */
  void awaitStop() {
    if (listener != null) {
      try {
        listener.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The PostgreSQL listener thread: LISTEN on a connection of its own, reconnecting on loss. */
  private void listen() {
    int failures = 0;
    boolean relisten = false;
    while (!closed.getAsBoolean()) {
      java.sql.Connection c = null;
      try {
        c = backend.source().get(false);
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + CHANNEL);
        }
        failures = 0;
        if (relisten) {
          // Whatever was posted while nobody listened is found by claiming now.
          signalWork.run();
        }
        relisten = true;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed.getAsBoolean()) {
          PGNotification[] ns = pg.getNotifications(250);
          if (ns != null) {
            for (PGNotification n : ns) {
              onNotification(n.getParameter());
            }
          }
        }
      } catch (SQLException | TaskFlowException e) {
        if (closed.getAsBoolean()) {
          return;
        }
        LOG.debug("{}: listening for job notifications failed, retrying: {}", describe.get(), e);
        try {
          LISTEN_BACKOFF.sleep(++failures);
        } catch (InterruptedException ie) {
          return;
        }
      } finally {
        unlistenAndClose(c);
      }
    }
  }

  private void unlistenAndClose(java.sql.Connection c) {
    if (c == null) {
      return;
    }
    try {
      try (Statement st = c.createStatement()) {
        // The connection goes back to the pool: it must not keep collecting notifications.
        st.execute("UNLISTEN *");
      }
    } catch (SQLException e) {
      LOG.debug("could not UNLISTEN on {}", backend.settings().describe(), e);
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("could not hand back the listening connection", e);
    }
  }

  private void onNotification(String payload) {
    String[] p = payload == null ? new String[0] : payload.split("\\|", 4);
    if (p.length != 4 || !p[3].equals(board) || p[1].equals(instance)) {
      return;
    }
    try {
      peerEvent.accept(JobEvent.Kind.valueOf(p[0]), p[2]);
    } catch (IllegalArgumentException e) {
      LOG.debug("ignoring a job notification of unknown kind: {}", payload);
    }
  }
}
