package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store with one damaged record (a truncated flow file of a directory store, a torn JSON cell of
 * a SQLite store): every command that reads the whole store reads the rest and names the damaged
 * record, and the damaged book can be deleted, after which the store is consistent again.
 */
class DamagedStoreTest {
  @TempDir Path dir;

  /** A store of three books, each one suspended order flow; the middle one's flow is damaged. */
  record Store(String connection, List<String> books, List<String> flows) {
    String badBook() {
      return books.get(1);
    }

    String badFlow() {
      return flows.get(1);
    }
  }

  /** One suspended order flow in its own book: its first task done, the rest to resume. */
  static String[] suspendedOrder(Backend backend, String order) {
    try (Engine engine =
        Engines.loadFromFactory(OrderFlow.class, List.of(order, 0), Map.of())
            .backend(backend)
            .build()) {
      engine.atomNotifier().register(AtomState.SUCCESS, e -> engine.suspend());
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
      return new String[] {engine.logBookUuid().orElseThrow(), engine.flowDetail().uuid()};
    }
  }

  /** Three books of suspended order flows in a new store of {@code kind} ("dir" or "sqlite"). */
  static Store threeSuspendedOrders(Path dir, String kind) {
    String connection =
        kind.equals("dir") ? Cli.dir(dir.resolve("store")) : Cli.sqlite(dir.resolve("store.db"));
    List<String> books = new ArrayList<>();
    List<String> flows = new ArrayList<>();
    try (Backend backend = Backends.open(connection)) {
      for (String order : List.of("A-1", "B-2", "C-3")) {
        String[] made = suspendedOrder(backend, order);
        books.add(made[0]);
        flows.add(made[1]);
      }
    }
    return new Store(connection, books, flows);
  }

  /** Cuts a flow detail's record in half: its file, or its JSON cell. */
  static void truncateFlow(Path dir, String kind, String flow) throws Exception {
    if (kind.equals("dir")) {
      Path f = dir.resolve("store/flow_details").resolve(flow).resolve("metadata");
      byte[] whole = Files.readAllBytes(f);
      Files.write(f, java.util.Arrays.copyOf(whole, whole.length / 2));
      return;
    }
    try (java.sql.Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE flowdetails SET meta = substr(meta, 1, length(meta) / 2) WHERE uuid = ?")) {
      ps.setString(1, flow);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  private Store damagedStore(String kind) throws Exception {
    Store s = threeSuspendedOrders(dir, kind);
    truncateFlow(dir, kind, s.badFlow());
    return s;
  }

  /** The one line naming the damaged flow, with what to do. */
  private static void assertDamagedLine(String line, Store s) {
    assertThat(line)
        .startsWith("damaged: flow detail " + s.badFlow() + " of logbook " + s.badBook())
        .contains("logbooks delete " + s.badBook() + " --connection ...")
        .contains("restore");
  }

  /** The uuids of a JSON list of books. */
  private static List<Object> uuidsOf(Object books) {
    List<Object> out = new ArrayList<>();
    for (Object b : (List<?>) books) {
      out.add(((Map<?, ?>) b).get("uuid"));
    }
    return out;
  }

  private static List<String> damagedLines(String out) {
    return out.lines().filter(l -> l.startsWith("damaged: ")).toList();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void listPrintsEveryReadableBookThenEachDamagedRecord(String kind) throws Exception {
    Store s = damagedStore(kind);

    Cli.Result table = Cli.run("logbooks", "list", "--all", "--connection", s.connection());
    table.expect(ExitCodes.DAMAGED);
    assertThat(table.out())
        .contains(s.books().get(0))
        .contains(s.books().get(2))
        .contains(s.flows().get(0) + " SUSPENDED");
    assertThat(damagedLines(table.out())).singleElement().satisfies(l -> assertDamagedLine(l, s));
    assertThat(table.err()).contains("1 damaged record");

    Cli.Result json =
        Cli.run("logbooks", "list", "--all", "--connection", s.connection(), "--json");
    json.expect(ExitCodes.DAMAGED);
    Map<String, Object> doc = json.json();
    assertThat(uuidsOf(doc.get("logbooks"))).containsExactly(s.books().get(0), s.books().get(2));
    assertThat((List<?>) doc.get("damaged"))
        .singleElement()
        .satisfies(
            d -> {
              Map<?, ?> m = (Map<?, ?>) d;
              assertThat(m.get("kind")).isEqualTo("FLOW_DETAIL");
              assertThat(m.get("uuid")).isEqualTo(s.badFlow());
              assertThat(m.get("logbook")).isEqualTo(s.badBook());
              assertThat((String) m.get("location")).isNotBlank();
              assertThat((String) m.get("reason")).isNotBlank();
            });
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void showAndResumeOfTheDamagedFlowSayExactlyWhatIsDamaged(String kind) throws Exception {
    Store s = damagedStore(kind);

    Cli.Result show = Cli.run("logbooks", "show", s.badBook(), "--connection", s.connection());
    show.expect(ExitCodes.DAMAGED);
    assertThat(show.errLines()).hasSize(1);
    assertThat(show.err())
        .startsWith("taskflow4j: error: ")
        .contains("flow detail '" + s.badFlow() + "' of logbook '" + s.badBook() + "'")
        .contains("delete");
    assertThat(show.out()).isEmpty();

    Cli.Result one = Cli.run("resume", "--connection", s.connection(), "--flow", s.badFlow());
    one.expect(ExitCodes.DAMAGED);
    assertThat(one.errLines()).hasSize(1);
    assertThat(one.err()).contains(s.badFlow());

    // the other books show as ever
    Cli.Result other =
        Cli.run("logbooks", "show", s.books().get(0), "--connection", s.connection());
    other.expect(ExitCodes.OK);
    assertThat(other.out()).contains(s.flows().get(0));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void exportWritesEveryReadableBookToAValidFileAndReportsTheDamaged(String kind) throws Exception {
    Store s = damagedStore(kind);
    Path file = dir.resolve("export.json");

    Cli.Result export =
        Cli.run("export", "--connection", s.connection(), "--output", file.toString());
    export.expect(ExitCodes.DAMAGED);
    assertThat(damagedLines(export.err())).singleElement().satisfies(l -> assertDamagedLine(l, s));
    assertThat(export.err()).contains("Exported 2 logbook(s), 2 flow(s)");
    Map<?, ?> doc = (Map<?, ?>) Json.read(Files.readString(file));
    assertThat(uuidsOf(doc.get("logbooks"))).containsExactly(s.books().get(0), s.books().get(2));

    String target = Cli.sqlite(dir.resolve("target.db"));
    Cli.run("import", file.toString(), "--connection", target).expect(ExitCodes.OK);
    try (Backend b = Backends.fetch(target);
        Connection c = b.getConnection()) {
      assertThat(c.getLogBooks()).hasSize(2);
    }

    // to standard output: the same document
    Cli.Result stdout = Cli.run("export", "--connection", s.connection());
    stdout.expect(ExitCodes.DAMAGED);
    assertThat(stdout.json().get("logbooks")).isEqualTo(doc.get("logbooks"));
    assertThat(damagedLines(stdout.err())).hasSize(1);

    // a damaged book asked for by name is reported, not written half
    Path only = dir.resolve("only.json");
    Cli.Result bad =
        Cli.run(
            "export",
            "--connection",
            s.connection(),
            "--book",
            s.badBook(),
            "--book",
            s.books().get(2),
            "-o",
            only.toString());
    bad.expect(ExitCodes.DAMAGED);
    assertThat(damagedLines(bad.err())).singleElement().satisfies(l -> assertDamagedLine(l, s));
    assertThat(uuidsOf(((Map<?, ?>) Json.read(Files.readString(only))).get("logbooks")))
        .containsExactly(s.books().get(2));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void resumeAllResumesEveryReadableFlowAndReportsTheDamaged(String kind) throws Exception {
    Store s = damagedStore(kind);

    Cli.Result all = Cli.run("resume", "--connection", s.connection(), "--all", "--quiet");
    all.expect(ExitCodes.DAMAGED);
    // A directory store parses flow records to list them, so the damaged one is met by the
    // listing; a SQL listing reads columns only, so the damaged flow is listed and met when read.
    assertThat(all.out()).contains((kind.equals("dir") ? "2" : "3") + " unfinished flow(s)");
    assertThat(all.out().lines().filter(l -> l.endsWith("finished: SUCCESS")).count()).isEqualTo(2);
    assertThat(damagedLines(all.out())).singleElement().satisfies(l -> assertDamagedLine(l, s));
    try (Backend b = Backends.fetch(s.connection());
        Connection c = b.getConnection()) {
      assertThat(c.getFlowDetails(s.flows().get(0)).state()).isEqualTo(FlowState.SUCCESS);
      assertThat(c.getFlowDetails(s.flows().get(2)).state()).isEqualTo(FlowState.SUCCESS);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void deleteRemovesTheDamagedBookAndTheStoreIsConsistentAgain(String kind) throws Exception {
    Store s = damagedStore(kind);
    Cli.run("verify", "--connection", s.connection()).expect(ExitCodes.FAILURE);

    Cli.Result delete = Cli.run("logbooks", "delete", s.badBook(), "--connection", s.connection());
    delete.expect(ExitCodes.OK);
    assertThat(delete.out()).contains("Deleted damaged logbook").contains(s.badBook());

    Cli.run("verify", "--connection", s.connection()).expect(ExitCodes.OK);
    Cli.Result list =
        Cli.run("logbooks", "list", "--all", "--connection", s.connection(), "--json");
    list.expect(ExitCodes.OK);
    assertThat((List<?>) list.json().get("logbooks")).hasSize(2);
    assertThat((List<?>) list.json().get("damaged")).isEmpty();
    Cli.run("logbooks", "delete", s.badBook(), "--connection", s.connection())
        .expect(ExitCodes.NOT_FOUND);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void aBookWhoseOwnRecordIsDamagedIsListedByUuidAndDeleted(String kind) throws Exception {
    Store s = threeSuspendedOrders(dir, kind);
    if (kind.equals("dir")) {
      Files.writeString(
          dir.resolve("store/books").resolve(s.badBook()).resolve("metadata"), "{\"name\": ");
    } else {
      try (java.sql.Connection c =
              DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
          PreparedStatement ps =
              c.prepareStatement("UPDATE logbooks SET meta = '{\"name\": ' WHERE uuid = ?")) {
        ps.setString(1, s.badBook());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
    }
    Cli.Result list = Cli.run("logbooks", "list", "--all", "--connection", s.connection());
    list.expect(ExitCodes.DAMAGED);
    assertThat(damagedLines(list.out()))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("damaged: logbook " + s.badBook() + " (")
                    .contains("logbooks delete " + s.badBook()));

    Cli.Result delete = Cli.run("logbooks", "delete", s.badBook(), "--connection", s.connection());
    delete.expect(ExitCodes.OK);
    assertThat(delete.out()).contains("Deleted damaged logbook " + s.badBook());
    Cli.run("verify", "--connection", s.connection()).expect(ExitCodes.OK);
  }
}
