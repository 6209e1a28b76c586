package io.taskflow4j.persistence.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Fresh databases on one of the test servers, made on demand and all dropped on {@link #close()}.
 * {@link DatabaseExtension} hands one out for {@link PostgresDatabase} and {@link MariaDbDatabase}
 * and closes it when the test (or class) ends, whether it passed or not. The server is needed only
 * once a database is asked for: the first {@link #create()} probes it, so a test that may not need
 * one (a backend left out by a property) runs without it.
 */
public final class FreshDatabases implements AutoCloseable {
  /** The database servers the tests use. */
  public enum Server {
    POSTGRES,
    MARIADB;

    /** Skips (or, in CI, fails) unless this server answers. */
    void require() {
      if (this == POSTGRES) {
        TestDatabases.requirePostgres();
      } else {
        TestDatabases.requireMariaDb();
      }
    }
  }

  private final Server server;
  private final List<String> made = new ArrayList<>();
  private boolean probed;

  FreshDatabases(Server server) {
    this.server = server;
  }

  public Server server() {
    return server;
  }

  /**
   * Creates a database with a unique name and returns the name. The first call skips the test (or,
   * in CI, fails it) if the server does not answer.
   */
  public synchronized String create() throws SQLException {
    if (!probed) {
      server.require();
      probed = true;
    }
    String name =
        server == Server.POSTGRES ? TestDatabases.createPostgres() : TestDatabases.createMariaDb();
    made.add(name);
    return name;
  }

  /** The database the last {@link #create()} made. */
  public synchronized String last() {
    if (made.isEmpty()) {
      throw new IllegalStateException("no database made yet: call create() first");
    }
    return made.get(made.size() - 1);
  }

  /** The taskflow4j connection string of database {@code db} on this server. */
  public String url(String db) {
    return server == Server.POSTGRES ? TestDatabases.postgresUrl(db) : TestDatabases.mariadbUrl(db);
  }

  /** A plain JDBC connection to database {@code db} on this server. */
  public Connection connect(String db) throws SQLException {
    return server == Server.POSTGRES ? TestDatabases.postgres(db) : TestDatabases.mariadb(db);
  }

  /** Drops every database this made; tries them all, then reports the first failure. */
  @Override
  public synchronized void close() throws SQLException {
    SQLException first = null;
    for (String name : made) {
      try {
        if (server == Server.POSTGRES) {
          TestDatabases.dropPostgres(name);
        } else {
          TestDatabases.dropMariaDb(name);
        }
      } catch (SQLException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    made.clear();
    if (first != null) {
      throw first;
    }
  }
}
