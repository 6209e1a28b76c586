package io.taskflow4j.persistence.jdbc;

import java.sql.SQLException;

/**
 * Observes the two sides of every write transaction of one SQL backend: just before its commit and
 * just after it. A testing seam for crash points: a hook that throws before the commit makes the
 * transaction roll back as if the process had died there; one that throws after it makes the caller
 * see a failed commit although the write is stored. Installed per backend with {@link
 * JdbcBackendProvider#create(io.taskflow4j.persistence.BackendConf, JdbcCommitHook)}; never global.
 */
public interface JdbcCommitHook {

  /** The hook that does nothing. */
  JdbcCommitHook NONE =
      new JdbcCommitHook() {
        @Override
        public void beforeCommit(String what) {}

        @Override
        public void afterCommit(String what) {}
      };

  /**
   * Called when the work of a write transaction is done, before its commit. A PostgreSQL write done
   * as one statement in auto-commit mode, which the server commits as it runs it, is seen here
   * before that statement is sent.
   *
   * @param what the operation, e.g. {@code updating atom detail '...'}
   * @throws SQLException to fail the write there (it is rolled back; a transient SQL state is
   *     retried like a driver error)
   */
  void beforeCommit(String what) throws SQLException;

  /**
   * Called right after a write transaction committed.
   *
   * @throws SQLException to make the caller see a failed commit (the write is stored)
   */
  void afterCommit(String what) throws SQLException;
}
