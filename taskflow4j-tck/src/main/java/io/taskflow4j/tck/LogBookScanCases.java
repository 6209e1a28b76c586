package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;
import static io.taskflow4j.tck.Fixtures.task;
import static io.taskflow4j.tck.Fixtures.uuids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.CorruptRecordException.Kind;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Connection#forEachLogBook} and damaged records: the scan hands over every book oldest
 * first, a part of the store at a time, and reads past a damaged logbook, flow or atom record,
 * reporting it as a {@link CorruptRecordException} that names it; the strict reads fail with that
 * exception; {@code destroyLogBook} and {@code clearAll} delete damaged records without reading
 * them. {@link BackendContractTest} runs these on every backend (its {@code LogBookScan} group).
 *
 * <p>The cases of damaged records need {@link #damage}, which each backend's test class implements
 * as a torn write or a disk error would leave the record: a truncated file, a JSON cell holding
 * garbage, a znode holding garbage. A backend that keeps no bytes (the memory backend keeps model
 * objects) cannot, and its {@code damage} aborts those cases saying why.
 */
public abstract class LogBookScanCases {

  /** The backend under test (open, upgraded, empty when the case starts). */
  protected abstract Backend backend();

  /**
   * Makes the stored record of this kind and uuid unreadable (as a torn write, a disk error or a
   * hand edit would), so that parsing it fails, through the store's own means (files, SQL, the
   * ZooKeeper client), bypassing the backend.
   */
  protected abstract void damage(Kind kind, String uuid) throws Exception;

  private Connection conn;

  @BeforeEach
  void connect() {
    conn = backend().getConnection();
  }

  @AfterEach
  void disconnect() {
    if (conn != null) {
      conn.close();
    }
  }

  /** What one scan handed over. */
  private record Scan(List<LogBook> books, List<CorruptRecordException> damaged) {
    List<String> bookUuids() {
      return uuids(books);
    }
  }

  private Scan scan(boolean lazy) {
    List<LogBook> books = new ArrayList<>();
    List<CorruptRecordException> damaged = new ArrayList<>();
    conn.forEachLogBook(lazy, books::add, damaged::add);
    return new Scan(books, damaged);
  }

  /** A book of two flows of two atoms each, one of them with a result. */
  private LogBook save(String name) {
    return conn.saveLogBook(
        book(
            name,
            flow(name + "-f1", TaskDetail.create("a").put(AtomState.SUCCESS, 1), task("b")),
            flow(name + "-f2", task("c"), task("d")).withState(FlowState.RUNNING)));
  }

  /** The uuid of the record of {@code kind} to damage in {@code book}: its own, a flow, an atom. */
  private static String target(Kind kind, LogBook book) {
    return switch (kind) {
      case LOGBOOK -> book.uuid();
      case FLOW_DETAIL -> book.flows().get(1).uuid();
      case ATOM_DETAIL -> book.flows().get(1).atoms().get(1).uuid();
    };
  }

  private static void assertNames(CorruptRecordException e, Kind kind, String uuid, String book) {
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.uuid()).hasValue(uuid);
    assertThat(e.bookUuid()).hasValue(book);
    assertThat(e.location()).isNotBlank();
    assertThat(e.reason()).isNotBlank().doesNotContain("\n");
    assertThat(e.getMessage()).contains(uuid).contains(book).doesNotContain("\n");
  }

  // ------------------------------------------------------------------ the scan, undamaged

  @Test
  void aFlowListingReadsPastADamagedFlowAndSaysSoWhenItLeavesItOut() throws Exception {
    LogBook hurt = save("hurt");
    LogBook whole = save("whole");
    String bad = hurt.flows().get(0).uuid();
    damage(Kind.FLOW_DETAIL, bad);

    List<CorruptRecordException> damaged = new ArrayList<>();
    io.taskflow4j.persistence.FlowPage page =
        conn.findFlows(io.taskflow4j.persistence.FlowQuery.all(), damaged::add);
    List<String> listed = new ArrayList<>();
    page.flows().forEach(f -> listed.add(f.flowUuid()));

    assertThat(listed)
        .as("every readable flow is listed")
        .contains(
            hurt.flows().get(1).uuid(), whole.flows().get(0).uuid(), whole.flows().get(1).uuid());
    if (listed.contains(bad)) {
      // a listing that reads no record (SQL: columns only) lists it; reading it says it is damaged
      assertThat(damaged).isEmpty();
      assertThatThrownBy(() -> conn.getFlowDetails(bad)).isInstanceOf(CorruptRecordException.class);
    } else {
      assertThat(damaged)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.FLOW_DETAIL);
                assertThat(e.uuid()).contains(bad);
                assertThat(e.bookUuid()).contains(hurt.uuid());
              });
    }
    assertThat(conn.findFlows(io.taskflow4j.persistence.FlowQuery.all()).flows())
        .as("the one-argument form lists the same")
        .hasSameSizeAs(page.flows());
  }

  @Test
  void theScanHandsOverEveryBookOldestFirstAsGetLogBooksReadsThem() {
    save("first");
    save("second");
    conn.saveLogBook(book("empty"));
    save("third");
    Scan s = scan(false);
    assertThat(s.damaged()).isEmpty();
    assertThat(s.books()).containsExactlyElementsOf(conn.getLogBooks(false));
    assertThat(s.books()).extracting(LogBook::name).contains("first", "second", "empty", "third");
  }

  @Test
  void aLazyScanLeavesOutTheFlowDetails() {
    save("first");
    save("second");
    Scan s = scan(true);
    assertThat(s.damaged()).isEmpty();
    assertThat(s.books()).containsExactlyElementsOf(conn.getLogBooks(true));
    assertThat(s.books()).allSatisfy(b -> assertThat(b.flows()).isEmpty());
  }

  @Test
  void aScanOfAnEmptyStoreHandsOverNothing() {
    Scan s = scan(false);
    assertThat(s.books()).isEmpty();
    assertThat(s.damaged()).isEmpty();
  }

  /** More books than one page of any built-in backend: the pages follow each other in order. */
  @Test
  void aScanOfManyBooksKeepsTheirOrderAcrossPages() {
    for (int i = 0; i < 130; i++) {
      conn.saveLogBook(book("book-" + i, flow("f", task("a"))));
    }
    Scan lazy = scan(true);
    assertThat(lazy.bookUuids()).containsExactlyElementsOf(uuids(conn.getLogBooks(true)));
    assertThat(lazy.books()).hasSize(130);
    Scan full = scan(false);
    assertThat(full.bookUuids()).containsExactlyElementsOf(lazy.bookUuids());
    assertThat(full.books()).allSatisfy(b -> assertThat(b.flows()).hasSize(1));
  }

  /**
   * The consumer runs while the backend holds nothing: it may write, even delete the book it was
   * just given (on a store with one writer, a scan holding the connection would deadlock here).
   */
  @Test
  void theConsumerMayDeleteTheBooksItIsGiven() {
    List<String> saved = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      saved.add(save("book-" + i).uuid());
    }
    List<String> seen = new ArrayList<>();
    conn.forEachLogBook(
        false,
        b -> {
          seen.add(b.uuid());
          conn.destroyLogBook(b.uuid());
        },
        e -> {
          throw e;
        });
    assertThat(seen).containsExactlyElementsOf(saved);
    assertThat(conn.getLogBooks()).isEmpty();
  }

  @Test
  void anExceptionOfTheConsumerEndsTheScan() {
    save("first");
    save("second");
    List<String> seen = new ArrayList<>();
    IllegalStateException stop = new IllegalStateException("enough");
    assertThatThrownBy(
            () ->
                conn.forEachLogBook(
                    false,
                    b -> {
                      seen.add(b.name());
                      throw stop;
                    },
                    e -> {}))
        .isSameAs(stop);
    assertThat(seen).containsExactly("first");
  }

  // ------------------------------------------------------------------ damaged records

  @ParameterizedTest(name = "a damaged {0}")
  @EnumSource(Kind.class)
  void theScanReportsADamagedRecordAndHandsOverEveryOtherBook(Kind kind) throws Exception {
    LogBook a = save("a");
    LogBook bad = save("bad");
    LogBook c = save("c");
    String uuid = target(kind, bad);
    damage(kind, uuid);

    Scan s = scan(false);
    assertThat(s.bookUuids()).containsExactly(a.uuid(), c.uuid());
    assertThat(s.books().get(0)).isEqualTo(conn.getLogBook(a.uuid()));
    assertThat(s.books().get(1)).isEqualTo(conn.getLogBook(c.uuid()));
    assertThat(s.damaged()).hasSize(1);
    assertNames(s.damaged().get(0), kind, uuid, bad.uuid());
  }

  @ParameterizedTest(name = "a damaged {0}")
  @EnumSource(Kind.class)
  void aLazyScanReadsOnlyTheBooksOwnRecords(Kind kind) throws Exception {
    LogBook a = save("a");
    LogBook bad = save("bad");
    String uuid = target(kind, bad);
    damage(kind, uuid);

    Scan s = scan(true);
    if (kind == Kind.LOGBOOK) {
      assertThat(s.bookUuids()).containsExactly(a.uuid());
      assertThat(s.damaged()).hasSize(1);
      assertNames(s.damaged().get(0), kind, uuid, bad.uuid());
    } else {
      assertThat(s.bookUuids()).containsExactly(a.uuid(), bad.uuid());
      assertThat(s.damaged()).isEmpty();
    }
  }

  @Test
  void everyDamagedRecordOfTheStoreIsReportedOnce() throws Exception {
    LogBook b1 = save("b1");
    LogBook b2 = save("b2");
    LogBook b3 = save("b3");
    LogBook ok = save("ok");
    damage(Kind.LOGBOOK, b1.uuid());
    damage(Kind.FLOW_DETAIL, target(Kind.FLOW_DETAIL, b2));
    damage(Kind.ATOM_DETAIL, target(Kind.ATOM_DETAIL, b3));

    Scan s = scan(false);
    assertThat(s.bookUuids()).containsExactly(ok.uuid());
    assertThat(s.damaged())
        .extracting(e -> e.bookUuid().orElseThrow())
        .containsExactlyInAnyOrder(b1.uuid(), b2.uuid(), b3.uuid());
    assertThat(s.damaged())
        .extracting(CorruptRecordException::kind)
        .containsExactlyInAnyOrder(Kind.LOGBOOK, Kind.FLOW_DETAIL, Kind.ATOM_DETAIL);
  }

  @ParameterizedTest(name = "a damaged {0}")
  @EnumSource(Kind.class)
  void theReadsThatNeedADamagedRecordFailNamingItAndTheOthersWork(Kind kind) throws Exception {
    LogBook a = save("a");
    LogBook bad = save("bad");
    String uuid = target(kind, bad);
    damage(kind, uuid);

    CorruptRecordException e =
        catchThrowableOfType(CorruptRecordException.class, () -> conn.getLogBook(bad.uuid()));
    assertThat(e).as("getLogBook of the damaged book").isNotNull();
    assertNames(e, kind, uuid, bad.uuid());
    assertThatThrownBy(() -> conn.getLogBooks(false))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining(uuid);
    if (kind == Kind.ATOM_DETAIL) {
      CorruptRecordException alone =
          catchThrowableOfType(CorruptRecordException.class, () -> conn.getAtomDetails(uuid));
      assertThat(alone).as("getAtomDetails of the damaged atom").isNotNull();
      assertThat(alone.kind()).isEqualTo(Kind.ATOM_DETAIL);
      assertThat(alone.uuid()).hasValue(uuid);
      assertThat(conn.getFlowDetails(bad.flows().get(1).uuid(), true).name()).isEqualTo("bad-f2");
    }
    if (kind == Kind.FLOW_DETAIL) {
      assertThatThrownBy(() -> conn.getFlowDetails(uuid, true))
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining(uuid);
    }
    if (kind != Kind.LOGBOOK) {
      // (whether the flows of a book whose own record is damaged can be read is the backend's)
      assertThatThrownBy(() -> conn.getFlowsForBook(bad.uuid()))
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining(uuid);
      assertThat(conn.getLogBook(bad.uuid(), true).name()).isEqualTo("bad");
      assertThat(conn.getFlowDetails(bad.flows().get(0).uuid())).isEqualTo(bad.flows().get(0));
    }
    assertThat(conn.getLogBook(a.uuid())).isEqualTo(a);
  }

  @ParameterizedTest(name = "a damaged {0}")
  @EnumSource(Kind.class)
  void destroyLogBookDeletesADamagedBookWithoutReadingIt(Kind kind) throws Exception {
    LogBook a = save("a");
    LogBook bad = save("bad");
    LogBook c = save("c");
    String uuid = target(kind, bad);
    damage(kind, uuid);

    conn.destroyLogBook(bad.uuid());

    assertThatThrownBy(() -> conn.getLogBook(bad.uuid())).isInstanceOf(NotFoundException.class);
    for (var fd : bad.flows()) {
      assertThatThrownBy(() -> conn.getFlowDetails(fd.uuid()))
          .isInstanceOf(NotFoundException.class);
      for (var ad : fd.atoms()) {
        assertThatThrownBy(() -> conn.getAtomDetails(ad.uuid()))
            .isInstanceOf(NotFoundException.class);
      }
    }
    Scan s = scan(false);
    assertThat(s.damaged()).isEmpty();
    assertThat(s.bookUuids()).containsExactly(a.uuid(), c.uuid());
    assertThat(conn.getLogBooks()).containsExactly(a, c);
    // the store takes the book again, as new
    LogBook again =
        conn.saveLogBook(bad.withFlows(List.of(Fixtures.unrevised(bad.flows().get(0)))));
    assertThat(conn.getLogBook(bad.uuid())).isEqualTo(again);
  }

  @ParameterizedTest(name = "a damaged {0}")
  @EnumSource(Kind.class)
  void clearAllRemovesDamagedRecords(Kind kind) throws Exception {
    save("a");
    LogBook bad = save("bad");
    String uuid = target(kind, bad);
    damage(kind, uuid);

    conn.clearAll();

    Scan s = scan(false);
    assertThat(s.books()).isEmpty();
    assertThat(s.damaged()).isEmpty();
    assertThatThrownBy(() -> conn.getLogBook(bad.uuid())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getFlowDetails(bad.flows().get(1).uuid()))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> conn.getAtomDetails(target(Kind.ATOM_DETAIL, bad)))
        .isInstanceOf(NotFoundException.class);
  }

  /** The fencing rules of a delete hold for a damaged book as for any other. */
  @Test
  void aStaleFenceStillCannotDeleteADamagedBook() throws Exception {
    LogBook bad = save("bad");
    damage(Kind.FLOW_DETAIL, target(Kind.FLOW_DETAIL, bad));
    String job = UUID.randomUUID().toString();
    conn.advanceFence(new Fence(job, 1));
    Connection stale = conn.fenced(new Fence(job, 1));
    conn.advanceFence(new Fence(job, 2));

    assertThatThrownBy(() -> stale.destroyLogBook(bad.uuid())).isInstanceOf(FencedException.class);
    assertThatThrownBy(stale::clearAll).isInstanceOf(FencedException.class);
    assertThat(conn.getLogBook(bad.uuid(), true).name()).isEqualTo("bad");

    conn.fenced(new Fence(job, 2)).destroyLogBook(bad.uuid());
    assertThatThrownBy(() -> conn.getLogBook(bad.uuid(), true))
        .isInstanceOf(NotFoundException.class);
  }
}
