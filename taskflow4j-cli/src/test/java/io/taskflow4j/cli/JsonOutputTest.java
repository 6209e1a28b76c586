package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --json} on the commands that report something: one JSON object on one line of standard
 * output, its field names as docs/CLI.md lists them; an error is one too, with the usual exit code.
 */
class JsonOutputTest {
  @TempDir Path dir;

  /** Runs the command, expects {@code code} and one line of standard output: that line's object. */
  private static Map<String, Object> json(int code, String... args) {
    Cli.Result r = Cli.run(args);
    r.expect(code);
    assertThat(r.out().lines().toList()).as("standard output: one line").hasSize(1);
    return r.json();
  }

  @Test
  void upgradeValidateAndDeleteReportOneObjectEach() {
    String c = Cli.sqlite(dir.resolve("s.db"));
    Map<String, Object> upgrade = json(ExitCodes.OK, "upgrade", "--connection", c, "--json");
    assertThat(upgrade)
        .containsOnlyKeys("connection", "change", "from", "to", "description")
        .containsEntry("connection", c);
    assertThat(upgrade.get("change")).isIn("CREATED", "UPGRADED", "ADOPTED", "UP_TO_DATE");

    LogBook rich = Fixtures.richBook();
    Fixtures.write(c, rich, Fixtures.emptyBook());
    assertThat(json(ExitCodes.OK, "validate", "--connection", c, "--json"))
        .containsExactlyEntriesOf(
            ordered(
                "connection",
                c,
                "valid",
                true,
                "logbooks",
                2,
                "read_only",
                false,
                "read_only_reason",
                null));

    FlowDetail flow = rich.flows().get(0);
    assertThat(
            json(
                ExitCodes.OK,
                "logbooks",
                "delete-flow",
                flow.uuid(),
                "--connection",
                c,
                "--no-board",
                "--json"))
        .containsExactlyEntriesOf(
            ordered(
                "connection", c,
                "flow", flow.uuid(),
                "name", flow.name(),
                "state", flow.state().name()));
    assertThat(json(ExitCodes.OK, "logbooks", "delete", rich.uuid(), "--connection", c, "--json"))
        .containsExactlyEntriesOf(
            ordered(
                "connection",
                c,
                "logbook",
                rich.uuid(),
                "name",
                rich.name(),
                "flows",
                rich.size() - 1,
                "damaged",
                false));
  }

  @Test
  void importAndMigrateReportWhatTheyCopied() {
    String source = Cli.sqlite(dir.resolve("source.db"));
    Cli.run("upgrade", "--connection", source).expect(ExitCodes.OK);
    Fixtures.write(source, Fixtures.richBook(), Fixtures.emptyBook());
    Path file = dir.resolve("export.json");
    Cli.run("export", "--connection", source, "--output", file.toString()).expect(ExitCodes.OK);

    String imported = Cli.dir(dir.resolve("imported"));
    assertThat(json(ExitCodes.OK, "import", file.toString(), "--connection", imported, "--json"))
        .containsExactlyEntriesOf(
            ordered("file", file.toString(), "connection", imported, "logbooks", 2));

    String migrated = Cli.dir(dir.resolve("migrated"));
    Map<String, Object> m =
        json(ExitCodes.OK, "migrate", "--from", source, "--to", migrated, "--json");
    assertThat(m)
        .containsOnlyKeys("from", "to", "logbooks", "flows", "atoms", "verified")
        .containsEntry("from", source)
        .containsEntry("to", migrated)
        .containsEntry("logbooks", 2)
        .containsEntry("flows", Fixtures.richBook().size())
        .containsEntry("verified", true);
    assertThat((Integer) m.get("atoms")).isPositive();
  }

  @Test
  void resumeReportsEachFlowWithoutTheTransitions() {
    String c = Cli.sqlite(dir.resolve("r.db"));
    String flow;
    try (Backend backend = Backends.open(c);
        Engine engine =
            Engines.loadFromFactory(OrderFlow.class, List.of("J-1", 0), Map.of())
                .backend(backend)
                .build()) {
      engine.atomNotifier().register(AtomState.SUCCESS, e -> engine.suspend());
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
      flow = engine.flowDetail().uuid();
    }

    Map<String, Object> all = json(ExitCodes.OK, "resume", "--connection", c, "--all", "--json");
    assertThat(all).containsOnlyKeys("connection", "flows", "damaged");
    assertThat(all.get("damaged")).isEqualTo(List.of());
    assertThat(all.get("flows"))
        .isEqualTo(
            List.of(
                ordered(
                    "uuid", flow,
                    "name", "order-processing",
                    "was", "SUSPENDED",
                    "state", "SUCCESS",
                    "outcome", "succeeded",
                    "message", null)));

    Map<String, Object> again =
        json(ExitCodes.OK, "resume", "--connection", c, "--flow", flow, "--json");
    List<?> flows = (List<?>) again.get("flows");
    assertThat(flows).hasSize(1);
    assertThat(((Map<?, ?>) flows.get(0)).get("outcome")).isEqualTo("already_finished");
  }

  @Test
  void theConductorPrintsItsSummaryAsOneObjectAndItsEventsOnStandardError() {
    String c = Cli.dir(dir.resolve("board"));
    Cli.run("jobs", "post", "--connection", c, "chain", "3", "--count", "2").expect(ExitCodes.OK);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> jobs =
        (List<Map<String, Object>>)
            io.taskflow4j.persistence.Json.read(
                Cli.run("jobs", "list", "--connection", c, "--json").out().strip());
    String trashed = (String) jobs.get(1).get("uuid");
    assertThat(json(ExitCodes.OK, "jobs", "trash", "--connection", c, trashed, "--json"))
        .containsOnlyKeys("board", "job", "reason")
        .containsEntry("job", trashed)
        .containsEntry("reason", "trashed by an operator");

    Cli.Result run =
        Cli.run("conductor", "--connection", c, "--exit-when-idle", "--name", "j1", "--json");
    run.expect(ExitCodes.OK);
    assertThat(run.out().lines().toList()).hasSize(1);
    assertThat(run.json())
        .containsOnlyKeys(
            "conductor",
            "board",
            "completed",
            "released",
            "failed",
            "trashed",
            "dropped",
            "pruned_flows",
            "purged_trash")
        .containsEntry("completed", 1)
        .containsEntry("failed", 0)
        .containsEntry("pruned_flows", 0)
        .containsEntry("purged_trash", 0);
    assertThat((String) run.json().get("conductor")).startsWith("j1");
    assertThat(run.err()).contains("claimed").contains("completed");
  }

  @Test
  void anErrorIsAJsonObjectOnStandardOutputWithTheUsualExitCodeAndLine() {
    String c = Cli.sqlite(dir.resolve("e.db"));
    Cli.run("upgrade", "--connection", c).expect(ExitCodes.OK);
    String missing = UUID.randomUUID().toString();

    Cli.Result notFound = Cli.run("resume", "--connection", c, "--flow", missing, "--json");
    notFound.expect(ExitCodes.NOT_FOUND);
    assertThat(notFound.errLines()).hasSize(1);
    String line = notFound.errLines().get(0);
    assertThat(line).startsWith("taskflow4j: error: no flow " + missing);
    assertThat(notFound.out().lines().toList()).hasSize(1);
    assertThat(notFound.json())
        .containsExactlyEntriesOf(
            Map.of(
                "error",
                ordered(
                    "type",
                    "not_found",
                    "exit_code",
                    ExitCodes.NOT_FOUND,
                    "message",
                    line.substring("taskflow4j: error: ".length()))));

    assertThat(
            error(
                ExitCodes.STORE,
                "validate",
                "--connection",
                Cli.dir(dir.resolve("nothing-here")),
                "--json"))
        .containsEntry("type", "store");
    assertThat(
            error(
                ExitCodes.USAGE, "resume", "--connection", c, "--all", "--workers", "0", "--json"))
        .containsEntry("type", "usage")
        .containsEntry("message", "--workers must be at least 1, not 0");
    // a usage error found while parsing, before the command runs
    assertThat(error(ExitCodes.USAGE, "logbooks", "delete", "--json", "--connection", c))
        .containsEntry("type", "usage");
    assertThat(
            error(
                ExitCodes.BAD_FILE,
                "import",
                dir.resolve("no-such.json").toString(),
                "--connection",
                c,
                "--json"))
        .containsEntry("type", "bad_file")
        .containsEntry("exit_code", ExitCodes.BAD_FILE);

    // without --json, standard output stays empty
    Cli.Result plain = Cli.run("resume", "--connection", c, "--flow", missing);
    plain.expect(ExitCodes.NOT_FOUND);
    assertThat(plain.out()).isEmpty();
  }

  /** The {@code error} object of a run that failed with {@code code}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> error(int code, String... args) {
    Map<String, Object> out = json(code, args);
    assertThat(out).containsOnlyKeys("error");
    return (Map<String, Object>) out.get("error");
  }

  /** A map in the order given (values may be null), to compare field order too. */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
