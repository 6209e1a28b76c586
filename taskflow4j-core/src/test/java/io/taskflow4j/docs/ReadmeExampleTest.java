package io.taskflow4j.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistence example of the README, kept compiling and true. */
class ReadmeExampleTest {

  @Test
  void persistenceExampleStoresAndReloadsTheLogbook(@TempDir Path dir) {
    String connection = "dir://" + dir.toAbsolutePath();
    String bookUuid;
    // --- as in the README ---
    try (Backend backend = Backends.open(connection); // upgrade()s the store
        Connection conn = backend.getConnection()) {
      TaskDetail charge = TaskDetail.create("charge-card");
      FlowDetail flow = FlowDetail.create("checkout").withAtom(charge);
      LogBook book = conn.saveLogBook(LogBook.create("orders").withFlow(flow));

      AtomDetail stored = book.flows().get(0).atoms().get(0);
      stored = conn.updateAtomDetails(stored.withState(AtomState.RUNNING));
      stored = conn.updateAtomDetails(stored.put(AtomState.SUCCESS, Map.of("receipt", "r-1")));
      bookUuid = book.uuid();
      assertThat(stored.revision()).isEqualTo(3);
    }
    // --- another process, later ---
    try (Backend backend = Backends.open(connection);
        Connection conn = backend.getConnection()) {
      LogBook again = conn.getLogBook(bookUuid);
      TaskDetail charge = (TaskDetail) again.flows().get(0).atoms().get(0);
      assertThat(charge.state()).isEqualTo(AtomState.SUCCESS);
      assertThat(charge.results()).isEqualTo(Map.of("receipt", "r-1"));
    }
  }
}
