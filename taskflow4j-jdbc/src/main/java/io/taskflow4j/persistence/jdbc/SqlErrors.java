package io.taskflow4j.persistence.jdbc;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/** Sorts SQL errors into transient (worth retrying the transaction) and the rest. */
final class SqlErrors {
  private SqlErrors() {}

  /**
   * PostgreSQL's idle_in_transaction_session_timeout: the server ended the session while it waited
   * for the client's next command inside a transaction, and rolled that transaction back.
   */
  private static final String IDLE_IN_TRANSACTION_ENDED = "25P03";

  /**
   * SQLStates that mean "the connection or the transaction was lost, the statement itself is fine":
   * class 08 (connection exception), class 40 (transaction rollback: serialization failure,
   * deadlock), PostgreSQL's 57P01-57P03 (administrator/crash shutdown, cannot connect now: what
   * {@code pg_terminate_backend} and a server restart produce), 53300 (too many connections) and
   * {@value #IDLE_IN_TRANSACTION_ENDED} (the session was ended idle in its transaction).
   */
  private static final Set<String> TRANSIENT_STATES =
      Set.of("57P01", "57P02", "57P03", "53300", IDLE_IN_TRANSACTION_ENDED);

  /**
   * MySQL/MariaDB error numbers of the same kind: 1205 lock wait timeout, 1213 deadlock, 1040 too
   * many connections, 1047/1053 server unknown command/shutdown, 1927 connection killed, 2002/2003
   * cannot connect, 2006 server gone away, 2013 connection lost during query, 4031 disconnected for
   * inactivity.
   */
  private static final Set<Integer> MYSQL_TRANSIENT =
      Set.of(1205, 1213, 1040, 1047, 1053, 1927, 2002, 2003, 2006, 2013, 4031);

  /** SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes. */
  private static final Set<Integer> SQLITE_TRANSIENT = Set.of(5, 6);

  /** Whether retrying the whole transaction on a fresh connection may succeed. */
  static boolean isTransient(SQLException e, Dialect dialect) {
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null
            && (state.startsWith("08")
                || state.startsWith("40")
                || TRANSIENT_STATES.contains(state))) {
          return true;
        }
        int code = s.getErrorCode();
        if (dialect == Dialect.MYSQL && MYSQL_TRANSIENT.contains(code)) {
          return true;
        }
        if (dialect == Dialect.SQLITE && SQLITE_TRANSIENT.contains(code & 0xff)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether the server certainly rolled the transaction back before it could run the commit this
   * error answers: PostgreSQL ends an idle-in-transaction session only while waiting for the next
   * command, so the commit sent after it never ran. (MariaDB closes the socket without saying why,
   * so its lost commits stay "may or may not be stored".)
   */
  static boolean endedBeforeCommit(SQLException e) {
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof SQLException s && IDLE_IN_TRANSACTION_ENDED.equals(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static Throwable next(Throwable t) {
    if (t instanceof SQLException s && s.getNextException() != null) {
      return s.getNextException();
    }
    return t.getCause() == t ? null : t.getCause();
  }

  /** A one-line summary of the error for a message: SQLState, vendor code, first line. */
  static String summary(SQLException e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = msg.indexOf('\n');
    if (nl > 0) {
      msg = msg.substring(0, nl);
    }
    if (msg.length() > 300) {
      msg = msg.substring(0, 300) + "...";
    }
    return msg
        + " (SQLState "
        + (e.getSQLState() == null ? "none" : e.getSQLState())
        + ", code "
        + e.getErrorCode()
        + ")";
  }
}
