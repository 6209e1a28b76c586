package io.taskflow4j.persistence;

/**
 * A place where logbooks are kept: memory, a directory, a SQL database, ZooKeeper... Obtain one
 * with {@link Backends#fetch}. Thread-safe; close it when done.
 */
public interface Backend extends AutoCloseable {

  /** The configuration this backend was made from (passwords masked in its {@code toString}). */
  BackendConf conf();

  /** A connection to read and write logbooks; close it when done (it is cheap to make). */
  Connection getConnection();

  /** Releases every resource the backend holds; connections made from it stop working. */
  @Override
  void close();
}
