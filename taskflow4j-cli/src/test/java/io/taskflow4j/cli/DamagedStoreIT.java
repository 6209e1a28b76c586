package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The repair of a store with one truncated record, through the shaded jar as a user runs it: a
 * directory store with a flow file cut in half, a SQLite store with a flow's JSON cell cut in half.
 * list, export and resume --all do their work on the other books and name the damaged one (exit 9),
 * delete removes it, and verify then finds the store consistent.
 */
class DamagedStoreIT {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dir", "sqlite"})
  void aStoreWithOneTruncatedRecordIsListedExportedResumedAndRepaired(String kind)
      throws Exception {
    DamagedStoreTest.Store s = DamagedStoreTest.threeSuspendedOrders(dir, kind);
    DamagedStoreTest.truncateFlow(dir, kind, s.badFlow());
    String connection = s.connection();
    String damagedPrefix = "damaged: flow detail " + s.badFlow() + " of logbook " + s.badBook();

    Cli.Result list = Jar.run(dir, "logbooks", "list", "--all", "--connection", connection);
    list.expect(ExitCodes.DAMAGED);
    assertThat(list.out()).contains(s.books().get(0)).contains(s.books().get(2));
    assertThat(list.out().lines().filter(l -> l.startsWith("damaged: ")).toList())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l).startsWith(damagedPrefix).contains("logbooks delete " + s.badBook()));

    Path file = dir.resolve("export.json");
    Cli.Result export = Jar.run(dir, "export", "--connection", connection, "-o", file.toString());
    export.expect(ExitCodes.DAMAGED);
    assertThat(export.err()).contains(damagedPrefix).contains("Exported 2 logbook(s)");
    List<?> exported = (List<?>) ((Map<?, ?>) Json.read(Files.readString(file))).get("logbooks");
    assertThat(exported).hasSize(2);
    String copy = Cli.sqlite(dir.resolve("copy.db"));
    Jar.run(dir, "import", file.toString(), "--connection", copy).expect(ExitCodes.OK);
    Jar.run(dir, "verify", "--connection", copy).expect(ExitCodes.OK);

    Cli.Result resume = Jar.run(dir, "resume", "--connection", connection, "--all", "--quiet");
    resume.expect(ExitCodes.DAMAGED);
    assertThat(resume.out())
        .contains((kind.equals("dir") ? "2" : "3") + " unfinished flow(s)")
        .contains(damagedPrefix);
    assertThat(resume.out().lines().filter(l -> l.endsWith("finished: SUCCESS")).count())
        .isEqualTo(2);

    Jar.run(dir, "verify", "--connection", connection).expect(ExitCodes.FAILURE);
    Cli.Result delete = Jar.run(dir, "logbooks", "delete", s.badBook(), "--connection", connection);
    delete.expect(ExitCodes.OK);
    assertThat(delete.out()).contains("Deleted damaged logbook");

    Cli.Result verify = Jar.run(dir, "verify", "--connection", connection);
    verify.expect(ExitCodes.OK);
    Cli.Result after =
        Jar.run(dir, "logbooks", "list", "--all", "--connection", connection, "--json");
    after.expect(ExitCodes.OK);
    assertThat((List<?>) after.json().get("logbooks")).hasSize(2);
    assertThat((List<?>) after.json().get("damaged")).isEmpty();
  }
}
