package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** upgrade, validate, logbooks list and delete. */
class StoreCommandsTest {
  @TempDir Path dir;

  @Test
  void upgradeCreatesAStoreThatValidateAccepts() {
    String connection = Cli.dir(dir.resolve("store"));
    Cli.Result invalid = Cli.run("validate", "--connection", connection);
    invalid.expect(ExitCodes.STORE);
    assertThat(Files.exists(dir.resolve("store"))).isFalse();

    Cli.Result upgrade = Cli.run("upgrade", "--connection", connection);
    upgrade.expect(ExitCodes.OK);
    assertThat(upgrade.out()).contains("Store " + connection + " is ready.");
    assertThat(Files.isDirectory(dir.resolve("store"))).isTrue();
    Cli.run("upgrade", "--connection", connection).expect(ExitCodes.OK);

    Fixtures.write(connection, Fixtures.emptyBook());
    Cli.Result valid = Cli.run("validate", "--connection", connection);
    valid.expect(ExitCodes.OK);
    assertThat(valid.out()).contains("is valid (1 logbook(s))");
  }

  @Test
  void listShowsEveryBookWithItsFlowsAndDeleteRemovesOne() {
    String connection = Cli.sqlite(dir.resolve("s.db"));
    Cli.Result empty = Cli.run("logbooks", "list", "--all", "--connection", connection);
    empty.expect(ExitCodes.STORE);
    Cli.run("upgrade", "--connection", connection).expect(ExitCodes.OK);
    assertThat(Cli.run("logbooks", "list", "--all", "--connection", connection).out())
        .contains("No logbooks in " + connection);

    Fixtures.write(connection, Fixtures.richBook(), Fixtures.emptyBook());
    Cli.Result table = Cli.run("logbooks", "list", "--all", "--connection", connection);
    table.expect(ExitCodes.OK);
    List<String> lines = table.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0))
        .startsWith("NAME")
        .contains("UUID")
        .contains("CREATED")
        .contains("FLOWS");
    // oldest first
    assertThat(lines.get(1))
        .startsWith("empty ")
        .contains(Fixtures.emptyBook().uuid())
        .contains("2023-12-31T23:59:59.999999Z")
        .endsWith("(none)");
    assertThat(lines.get(2))
        .contains(Fixtures.richBook().uuid())
        .contains("checkout 33333333-3333-3333-3333-333333333333 FAILURE")
        .contains("never-ran 88888888-8888-8888-8888-888888888888 PENDING");

    Cli.Result tree =
        Cli.run("logbooks", "show", Fixtures.richBook().uuid(), "--connection", connection);
    tree.expect(ExitCodes.OK);
    assertThat(tree.out())
        .contains("flow 'checkout' 33333333-3333-3333-3333-333333333333  FAILURE")
        .containsPattern(
            "task  charge +REVERT_FAILURE +REVERT +125 ms  -> \\{.*\"amount\":1234567890123")
        .contains("failure: com.example.ChargeDeclined: card declined: insufficient funds")
        .contains("revert failure: java.io.IOException: disk full")
        .containsPattern("retry retry +RETRYING +RETRY");

    Cli.Result deleted =
        Cli.run("logbooks", "delete", Fixtures.richBook().uuid(), "--connection", connection);
    deleted.expect(ExitCodes.OK);
    assertThat(deleted.out()).contains("Deleted logbook").contains("(2 flow(s))");
    Cli.Result json = Cli.run("logbooks", "list", "--all", "--connection", connection, "--json");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> books = (List<Map<String, Object>>) json.json().get("logbooks");
    assertThat(books).extracting(b -> b.get("uuid")).containsExactly(Fixtures.emptyBook().uuid());
  }
}
