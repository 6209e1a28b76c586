package io.taskflow4j.persistence.jdbc;

/**
 * What differs between the SQL databases served: where Flyway finds the migrations, how JSON and
 * enum parameters are bound, which column gives insertion order, and how an upsert and a "new
 * revision" read-back are written.
 */
enum Dialect {
  SQLITE("sqlite", "org.sqlite.JDBC"),
  POSTGRESQL("postgresql", "org.postgresql.Driver"),
  MYSQL("mysql", "org.mariadb.jdbc.Driver");

  private final String folder;
  private final String driverClass;

  Dialect(String folder, String driverClass) {
    this.folder = folder;
    this.driverClass = driverClass;
  }

  /** The Flyway location of this dialect's migrations. */
  String migrations() {
    return "classpath:io/taskflow4j/persistence/jdbc/migration/" + folder;
  }

  String driverClass() {
    return driverClass;
  }

  /** The placeholder of a JSON parameter (PostgreSQL's columns are native JSON). */
  String json() {
    return this == POSTGRESQL ? "CAST(? AS JSON)" : "?";
  }

  /**
   * The column that orders rows by insertion. SQLite assigns each new row {@code max(rowid) + 1}
   * (TaskFlow's own inserts included), so rowid is insertion order there; PostgreSQL and MySQL get
   * an identity/auto-increment {@code seq} column from migration V2.
   */
  String order() {
    return this == SQLITE ? "rowid" : "seq";
  }

  /** Whether {@code UPDATE ... RETURNING} exists (PostgreSQL; SQLite since 3.35). */
  boolean updateReturning() {
    return this != MYSQL;
  }

  /** The suffix locking selected rows until commit (SQLite has one writer, so nothing). */
  String forUpdate() {
    return this == SQLITE ? "" : " FOR UPDATE";
  }

  /**
   * The suffix taking a shared lock on the rows read, until commit: a fence row read so is not
   * changed by a takeover until the write it guards commits (or its session is ended by the server
   * after {@code transaction_idle_timeout}, when its process paused inside it). SQLite has one
   * writer at a time, so a plain read inside the write transaction is enough.
   */
  String forShare() {
    return switch (this) {
      case POSTGRESQL -> " FOR SHARE";
      case MYSQL -> " LOCK IN SHARE MODE";
      case SQLITE -> "";
    };
  }

  /**
   * An insert of a fence row ({@code fence_key}, {@code token}) that raises the stored token when
   * it is lower and never lowers it; it locks the row until commit.
   */
  String upsertFence() {
    String insert = "INSERT INTO taskflow4j_fences (fence_key, token) VALUES (?, ?)";
    return switch (this) {
      case MYSQL -> insert + " ON DUPLICATE KEY UPDATE token = GREATEST(token, VALUES(token))";
      case POSTGRESQL ->
          insert
              + " ON CONFLICT (fence_key) DO UPDATE"
              + " SET token = GREATEST(taskflow4j_fences.token, excluded.token)";
      case SQLITE ->
          insert + " ON CONFLICT (fence_key) DO UPDATE SET token = MAX(token, excluded.token)";
    };
  }

  /**
   * As {@link #upsertFence()} for {@code rows} fence rows in one statement: {@code rows} pairs of
   * parameters ({@code fence_key}, {@code token}).
   */
  String upsertFences(int rows) {
    String one = upsertFence();
    int values = one.indexOf("(?, ?)");
    return one.substring(0, values)
        + String.join(", ", java.util.Collections.nCopies(rows, "(?, ?)"))
        + one.substring(values + "(?, ?)".length());
  }

  /** An insert of a logbook that updates name, meta and updated_at when it exists. */
  String upsertLogBook() {
    String insert =
        "INSERT INTO logbooks (created_at, updated_at, meta, name, uuid) VALUES (?, ?, "
            + json()
            + ", ?, ?)";
    if (this == MYSQL) {
      return insert
          + " ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at), meta = VALUES(meta),"
          + " name = VALUES(name)";
    }
    return insert
        + " ON CONFLICT (uuid) DO UPDATE SET updated_at = excluded.updated_at,"
        + " meta = excluded.meta, name = excluded.name";
  }
}
