package io.taskflow4j.persistence.jdbc;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/**
 * Sorts SQL errors by what they mean: worth retrying the transaction (a lost connection, a
 * deadlock, a busy file), or not (wrong password, missing database, not a database file, full
 * disk...), and what the user should do. Only SQLStates and vendor codes decide, never the words of
 * a message (which may hold a masked password or be in another language).
 */
final class SqlErrors {
  private SqlErrors() {}

  /** What an error means. */
  enum Kind {
    /** The server cannot be reached, or the connection to it was lost: worth retrying. */
    UNREACHABLE(true),
    /** Deadlock, serialization failure, server restart, busy file: worth retrying. */
    TRANSIENT(true),
    /** Wrong user name or password. */
    ACCESS_DENIED(false),
    /** The user may connect but lacks a privilege the statement needs. */
    PERMISSION_DENIED(false),
    /** The database named in the connection string does not exist on the server. */
    NO_DATABASE(false),
    /** The file is not a SQLite database. */
    NOT_A_DATABASE(false),
    /** SQLite cannot open the file (missing, a directory, no permission, read-only medium). */
    CANNOT_OPEN(false),
    /** The store may be read but not written here. */
    READ_ONLY(false),
    /** The disk holding the store is full. */
    DISK_FULL(false),
    /** The SQLite file is damaged. */
    CORRUPT(false),
    /** Anything else: not retried, no advice beyond the driver's words. */
    OTHER(false);

    private final boolean retry;

    Kind(boolean retry) {
      this.retry = retry;
    }

    /** Whether retrying the whole transaction on a fresh connection may succeed. */
    boolean retry() {
      return retry;
    }
  }

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
   * many connections, 1047/1053 server unknown command/shutdown, 1927 connection killed, 4031
   * disconnected for inactivity.
   */
  private static final Set<Integer> MYSQL_TRANSIENT =
      Set.of(1205, 1213, 1040, 1047, 1053, 1927, 4031);

  /**
   * MySQL/MariaDB: 2002/2003 cannot connect, 2005 unknown host, 2006 server gone away, 2013
   * connection lost during a query.
   */
  private static final Set<Integer> MYSQL_UNREACHABLE = Set.of(2002, 2003, 2005, 2006, 2013);

  /** MySQL/MariaDB: 1045 access denied (password), 1698 access denied (auth plugin). */
  private static final Set<Integer> MYSQL_ACCESS_DENIED = Set.of(1045, 1698);

  /** MySQL/MariaDB: 1044 no access to the database, 1142 command denied, 1227 privilege needed. */
  private static final Set<Integer> MYSQL_PERMISSION = Set.of(1044, 1142, 1227);

  /** MySQL/MariaDB: 1290/1836 the server runs read-only. */
  private static final Set<Integer> MYSQL_READ_ONLY = Set.of(1290, 1836);

  /** MySQL/MariaDB: 1021 disk full. */
  private static final int MYSQL_DISK_FULL = 1021;

  /** MySQL/MariaDB: 1049 unknown database. */
  private static final int MYSQL_NO_DATABASE = 1049;

  // SQLite's primary result codes (the low byte of an extended code).
  private static final int SQLITE_PERM = 3;
  private static final int SQLITE_BUSY = 5;
  private static final int SQLITE_LOCKED = 6;
  private static final int SQLITE_READONLY = 8;
  private static final int SQLITE_CORRUPT = 11;
  private static final int SQLITE_FULL = 13;
  private static final int SQLITE_CANTOPEN = 14;
  private static final int SQLITE_NOTADB = 26;

  /** Whether retrying the whole transaction on a fresh connection may succeed. */
  static boolean isTransient(SQLException e, Dialect dialect) {
    return classify(e, dialect).retry();
  }

  /**
   * What the error means. Every exception of the chain counts (a pool's timeout carries the
   * driver's error that made it, with its SQLState), and an error retrying cannot fix wins over the
   * transient wrapper around it: a pool that cannot connect because the database does not exist
   * must not be waited for again.
   */
  static Kind classify(SQLException e, Dialect dialect) {
    boolean unreachable = false;
    boolean transientSeen = false;
    int depth = 0;
    for (Throwable t = e; t != null && depth < 50; t = next(t), depth++) {
      if (t instanceof SQLException s) {
        Kind k = permanent(s, dialect);
        if (k != null) {
          return k;
        }
        String state = s.getSQLState();
        int code = s.getErrorCode();
        if ((state != null && state.startsWith("08"))
            || (dialect == Dialect.MYSQL && MYSQL_UNREACHABLE.contains(code))) {
          unreachable = true;
        } else if (t instanceof SQLTransientException
            || t instanceof SQLRecoverableException
            || (state != null && (state.startsWith("40") || TRANSIENT_STATES.contains(state)))
            || (dialect == Dialect.MYSQL && MYSQL_TRANSIENT.contains(code))
            || (dialect == Dialect.SQLITE
                && ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED))) {
          transientSeen = true;
        }
      } else if (t instanceof ConnectException
          || t instanceof UnknownHostException
          || t instanceof NoRouteToHostException
          || t instanceof SocketTimeoutException) {
        unreachable = true;
      }
    }
    if (unreachable) {
      return Kind.UNREACHABLE;
    }
    return transientSeen ? Kind.TRANSIENT : Kind.OTHER;
  }

  /**
   * What to do about an error of this kind, as a clause to append to a message ({@code "; ..."}),
   * or empty when there is nothing to add to the driver's words.
   */
  static String advice(Kind kind, JdbcSettings settings) {
    java.nio.file.Path file = settings.file();
    String why = file == null ? null : SqliteFiles.whyUnusable(file);
    String text =
        switch (kind) {
          case UNREACHABLE ->
              "check that the database server is running and that its host and port are right";
          case ACCESS_DENIED -> "check the user name and password in the connection string";
          case PERMISSION_DENIED ->
              "the database user lacks a privilege this needs; grant it, or connect as a user who"
                  + " has it";
          case NO_DATABASE ->
              "the database does not exist on the server: create it (CREATE DATABASE), or correct"
                  + " its name in the connection string";
          case NOT_A_DATABASE ->
              (file == null ? "the file" : file.toString())
                  + " is not a SQLite database: check the path (nothing was changed)";
          case CANNOT_OPEN ->
              why != null
                  ? why
                  : "SQLite cannot open "
                      + (file == null ? "the file" : file.toString())
                      + ": check the path, and that this user may read and write the file and"
                      + " its directory";
          case READ_ONLY ->
              file == null
                  ? "the database server accepts no writes (a replica, or read-only mode)"
                  : why != null
                      ? why
                      : file
                          + " cannot be written by this user (the file, or its directory where"
                          + " SQLite makes its -wal and -shm files, is read-only)";
          case DISK_FULL ->
              file == null
                  ? "the database server's disk is full: free some space there and try again"
                  : "the disk holding "
                      + file
                      + " is full: free some space (or move the store) and try again";
          case CORRUPT ->
              (file == null ? "the file" : file.toString())
                  + " is damaged: restore it from a backup";
          case TRANSIENT, OTHER -> "";
        };
    return text.isEmpty() ? "" : "; " + text;
  }

  /** The kind of an error that retrying cannot fix, or {@code null}. */
  private static Kind permanent(SQLException s, Dialect dialect) {
    String state = s.getSQLState() == null ? "" : s.getSQLState();
    int code = s.getErrorCode();
    if (state.startsWith("28")
        || (dialect == Dialect.MYSQL && MYSQL_ACCESS_DENIED.contains(code))) {
      return Kind.ACCESS_DENIED;
    }
    if (state.equals("3D000") || (dialect == Dialect.MYSQL && code == MYSQL_NO_DATABASE)) {
      return Kind.NO_DATABASE;
    }
    if (state.equals("42501") || (dialect == Dialect.MYSQL && MYSQL_PERMISSION.contains(code))) {
      return Kind.PERMISSION_DENIED;
    }
    if (state.equals("25006") || (dialect == Dialect.MYSQL && MYSQL_READ_ONLY.contains(code))) {
      return Kind.READ_ONLY;
    }
    if (state.equals("53100") || (dialect == Dialect.MYSQL && code == MYSQL_DISK_FULL)) {
      return Kind.DISK_FULL;
    }
    if (dialect == Dialect.SQLITE) {
      return switch (code & 0xff) {
        case SQLITE_NOTADB -> Kind.NOT_A_DATABASE;
        case SQLITE_CANTOPEN, SQLITE_PERM -> Kind.CANNOT_OPEN;
        case SQLITE_READONLY -> Kind.READ_ONLY;
        case SQLITE_FULL -> Kind.DISK_FULL;
        case SQLITE_CORRUPT -> Kind.CORRUPT;
        default -> null;
      };
    }
    return null;
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

  /**
   * Whether the server answered with this error, so that the statement it ran in auto-commit mode
   * was rolled back: a SQL state outside class 08 (connection exception), which drivers use for a
   * connection lost with no word from the server, when the statement may have run and committed.
   */
  static boolean answeredByServer(SQLException e) {
    for (Throwable t = e; t != null; t = next(t)) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        return !s.getSQLState().startsWith("08");
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

  /**
   * A one-line summary of the error for a message: SQLState, vendor code, first line. A pool's
   * timeout is summarized by the driver error behind it, which says what is wrong.
   */
  static String summary(SQLException e) {
    SQLException shown = e;
    if (e instanceof SQLTransientException && e.getCause() instanceof SQLException cause) {
      shown = cause;
    }
    String msg = firstLine(shown.getMessage(), shown);
    String root = rootCause(shown);
    return msg
        + " (SQLState "
        + (shown.getSQLState() == null ? "none" : shown.getSQLState())
        + ", code "
        + shown.getErrorCode()
        + (root == null || msg.contains(root) ? "" : "; " + root)
        + ")";
  }

  /** The message of the deepest cause that is not a SQL error (a socket's), or null. */
  private static String rootCause(SQLException e) {
    String found = null;
    int depth = 0;
    for (Throwable t = e.getCause(); t != null && depth < 50; t = next(t), depth++) {
      if (!(t instanceof SQLException) && t.getMessage() != null && !t.getMessage().isBlank()) {
        found = firstLine(t.getMessage(), t);
      }
    }
    return found;
  }

  private static String firstLine(String message, Throwable t) {
    String msg = message == null ? t.getClass().getSimpleName() : message;
    int nl = msg.indexOf('\n');
    if (nl > 0) {
      msg = msg.substring(0, nl);
    }
    if (msg.length() > 300) {
      msg = msg.substring(0, 300) + "...";
    }
    return msg;
  }
}
