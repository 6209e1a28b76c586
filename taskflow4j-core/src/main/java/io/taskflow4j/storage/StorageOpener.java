package io.taskflow4j.storage;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.Objects;

/**
 * How a {@link Storage} comes to exist over a store: the logbook work that precedes the first atom
 * write (saving a new flow detail into a new or an existing logbook, or reading a stored detail in
 * full), and who closes the connection. A connection this class takes from a backend belongs to the
 * storage it opens, and is closed again when opening fails, so no caller has to track it.
 */
final class StorageOpener {
  private StorageOpener() {}

  /** A connection of {@code backend}, owned by the storage opened over it. */
  static Connection connect(Backend backend) {
    return Objects.requireNonNull(backend, "backend").getConnection();
  }

  /**
   * Saves {@code fresh} into {@code book} (or a new logbook named after the flow) and opens storage
   * over the saved detail. Only the new flow detail is sent with the logbook: the caller's copy of
   * the book's other flows may be stale, and saving it would overwrite what the store holds.
   */
  static Storage create(
      Connection conn, boolean owned, LogBook book, FlowDetail fresh, StorageOptions options) {
    Objects.requireNonNull(fresh, "flowDetail");
    if (conn == null) {
      return new Storage(fresh, null, options);
    }
    try {
      LogBook base = book != null ? book.withoutFlows() : LogBook.create(fresh.name());
      LogBook saved = conn.saveLogBook(base.withFlow(fresh));
      FlowDetail fd =
          saved
              .find(fresh.uuid())
              .orElseThrow(
                  () ->
                      new TaskFlowException(
                          "the backend did not return flow detail " + fresh.uuid()));
      return new Storage(fd, conn, options, owned ? conn : null, saved.uuid());
    } catch (RuntimeException | Error e) {
      closeAfter(conn, owned, e);
      throw e;
    }
  }

  /**
   * Opens storage over the stored form of {@code given}, read with every atom detail. The caller's
   * copy may lack atoms (a lazy read) or be older than the store; starting from it would create a
   * second atom detail under a name the store already holds. The store is the authority.
   */
  static Storage stored(Connection conn, boolean owned, FlowDetail given, StorageOptions options) {
    Objects.requireNonNull(given, "flowDetail");
    if (conn == null) {
      return new Storage(given, null, options);
    }
    try {
      FlowDetail fd = conn.getFlowDetails(given.uuid(), false);
      return new Storage(fd, conn, options, owned ? conn : null, null);
    } catch (RuntimeException | Error e) {
      closeAfter(conn, owned, e);
      throw e;
    }
  }

  /**
   * As {@link #stored}, as the flow's only runner among resumes ({@link FlowFences}): the fence is
   * raised before the flow is read, so whatever an earlier resume wrote is read and nothing it
   * writes afterwards lands; the storage writes through the fenced view and closes {@code conn}
   * when it owns it.
   */
  static Storage storedExclusive(
      Connection conn, boolean owned, FlowDetail given, StorageOptions options) {
    Objects.requireNonNull(given, "flowDetail");
    try {
      Connection view = conn.fenced(FlowFences.raise(conn, given.uuid()));
      FlowDetail fd = view.getFlowDetails(given.uuid(), false);
      return new Storage(fd, view, options, owned ? conn : null, null);
    } catch (RuntimeException | Error e) {
      closeAfter(conn, owned, e);
      throw e;
    }
  }

  /** Closes an owned connection after opening failed with {@code failure}. */
  private static void closeAfter(Connection conn, boolean owned, Throwable failure) {
    if (owned) {
      try {
        conn.close();
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }
}
