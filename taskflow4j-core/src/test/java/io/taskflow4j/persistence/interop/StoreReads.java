package io.taskflow4j.persistence.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import java.util.List;
import java.util.Map;

/** Reads a whole store through every read call of a connection and checks each answer. */
public final class StoreReads {
  private StoreReads() {}

  /**
   * Reads the whole store through every read call and compares each answer with {@code expected} (a
   * {@link Canonical} dump) or with the full read.
   */
  public static void assertReadExactly(Connection conn, Map<String, Object> expected) {
    List<LogBook> books = conn.getLogBooks();
    assertNoDifferences("every logbook, fully loaded", expected, Canonical.store(books));
    assertThat(conn.getLogBooks(true))
        .extracting(LogBook::uuid)
        .containsExactlyElementsOf(books.stream().map(LogBook::uuid).toList());
    for (LogBook book : books) {
      assertNoDifferences(
          "getLogBook " + book.uuid(),
          Canonical.book(book),
          Canonical.book(conn.getLogBook(book.uuid())));
      LogBook lazy = conn.getLogBook(book.uuid(), true);
      assertThat(lazy.flows()).isEmpty();
      assertThat(lazy.name()).isEqualTo(book.name());
      assertNoDifferences(
          "getFlowsForBook " + book.uuid(),
          Canonical.book(book),
          Canonical.book(book.withoutFlows().withFlows(conn.getFlowsForBook(book.uuid()))));
      for (FlowDetail flow : book.flows()) {
        assertNoDifferences(
            "getFlowDetails " + flow.uuid(),
            Canonical.flow(flow),
            Canonical.flow(conn.getFlowDetails(flow.uuid())));
        assertThat(conn.getFlowDetails(flow.uuid(), true).atoms()).isEmpty();
        assertThat(conn.getAtomsForFlow(flow.uuid()))
            .extracting(AtomDetail::uuid)
            .containsExactlyElementsOf(flow.atoms().stream().map(AtomDetail::uuid).toList());
        for (AtomDetail atom : flow.atoms()) {
          AtomDetail alone = conn.getAtomDetails(atom.uuid());
          assertNoDifferences(
              "getAtomDetails " + atom.uuid(), Canonical.atom(atom), Canonical.atom(alone));
          assertThat(alone.revision()).isEqualTo(atom.revision());
        }
      }
    }
  }

  private static void assertNoDifferences(String what, Object expected, Object actual) {
    List<String> differences = JsonDiff.diff(expected, actual);
    assertThat(differences).as(() -> what + ": " + JsonDiff.describe(differences)).isEmpty();
  }
}
