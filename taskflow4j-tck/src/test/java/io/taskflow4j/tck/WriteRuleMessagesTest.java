package io.taskflow4j.tck;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The words of a refused write on the memory and directory backends. */
class WriteRuleMessagesTest {
  @TempDir Path tmp;
  private Backend backend;
  private Connection conn;

  private void open(String connection) {
    backend = Backends.fetch(connection);
    conn = backend.getConnection();
    conn.upgrade();
  }

  @AfterEach
  void close() {
    conn.close();
    backend.close();
  }

  @Nested
  class Memory extends WriteRuleMessageCases {
    @BeforeEach
    void open() {
      WriteRuleMessagesTest.this.open("memory://");
    }

    @Override
    protected Connection conn() {
      return conn;
    }

    /** The memory backend knows the book of the other flow, and names it. */
    @Override
    protected String atomOfAnotherBook(
        String atomUuid, String ownerFlow, String ownerBook, String newFlow, String newBook) {
      return "Atom detail '"
          + atomUuid
          + "' already belongs to flow detail '"
          + ownerFlow
          + "' of logbook '"
          + ownerBook
          + "', not to '"
          + newFlow
          + "'";
    }

    @Override
    protected boolean refusesAnAtomCarriedTwice() {
      return false;
    }
  }

  @Nested
  class Dir extends WriteRuleMessageCases {
    @BeforeEach
    void open() {
      WriteRuleMessagesTest.this.open("dir://" + tmp.resolve("store"));
    }

    @Override
    protected Connection conn() {
      return conn;
    }
  }
}
