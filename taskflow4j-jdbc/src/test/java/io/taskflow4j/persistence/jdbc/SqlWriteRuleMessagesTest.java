package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.tck.WriteRuleMessageCases;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The words of a refused write on the SQL backend, on SQLite (PostgreSQL and MariaDB run the same
 * code to the same words).
 */
class SqlWriteRuleMessagesTest extends WriteRuleMessageCases {
  @TempDir Path tmp;
  private Backend backend;
  private Connection conn;

  @BeforeEach
  void open() {
    backend = Backends.fetch("sqlite:///" + tmp.resolve("store.db"));
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void close() {
    conn.close();
    backend.close();
  }

  @Override
  protected Connection conn() {
    return conn;
  }

  /** The other book's rows are found after this book's are deleted: their book is not read. */
  @Override
  protected String atomOfAnotherBook(
      String atomUuid, String ownerFlow, String ownerBook, String newFlow, String newBook) {
    return "Atom detail '"
        + atomUuid
        + "' already belongs to flow detail '"
        + ownerFlow
        + "' of another logbook, not to logbook '"
        + newBook
        + "'";
  }

  @Override
  protected boolean refusesAnAtomCarriedTwice() {
    return false;
  }
}
