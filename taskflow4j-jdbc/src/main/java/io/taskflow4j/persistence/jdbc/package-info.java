/**
 * The SQL backend and jobboard (SQLite, PostgreSQL, MariaDB/MySQL), opened by connection string
 * with {@code Backends.open} and {@code Jobboards.open}; the backend and the board themselves are
 * package-private.
 *
 * <p>Nothing here is API: {@code JdbcBackendProvider}, {@code JdbcJobboardProvider} and {@code
 * JdbcStoreInspector} are public only because {@link java.util.ServiceLoader} instantiates them,
 * and {@code JdbcCommitHook} is a seam for crash tests that may change in any release.
 */
package io.taskflow4j.persistence.jdbc;
