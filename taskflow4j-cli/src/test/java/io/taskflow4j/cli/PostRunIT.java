package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** logbooks list, prune and delete-flow through the shaded jar, over the quickstart's runs. */
class PostRunIT {
  @TempDir Path dir;

  private static List<?> flows(Cli.Result r) {
    r.expect(ExitCodes.OK);
    return (List<?>) r.json().get("flows");
  }

  private static Object field(Object flow, String key) {
    return ((Map<?, ?>) flow).get(key);
  }

  @Test
  void theQuickstartsRunsAreListedPrunedAndDeleted() throws Exception {
    String store = Cli.sqlite(dir.resolve("demo.db"));
    Jar.run(dir, "demo", "--delay", "0", "--connection", store).expect(ExitCodes.OK);
    Jar.run(dir, "demo", "--delay", "0", "--connection", store, "--crash-after", "2")
        .expect(ExitCodes.CRASHED);

    List<?> all = flows(Jar.run(dir, "logbooks", "list", "--connection", store, "--json"));
    assertThat(all).hasSize(2);
    assertThat(all.stream().map(f -> field(f, "state")).toList())
        .containsExactly("RUNNING", "SUCCESS");
    String crashed = (String) field(all.get(0), "flow_uuid");

    List<?> running =
        flows(
            Jar.run(
                dir, "logbooks", "list", "--connection", store, "--state", "RUNNING", "--json"));
    assertThat(running)
        .singleElement()
        .satisfies(f -> assertThat(field(f, "flow_uuid")).isEqualTo(crashed));
    Cli.Result page = Jar.run(dir, "logbooks", "list", "--connection", store, "--limit", "1");
    page.expect(ExitCodes.OK);
    assertThat(page.out()).contains(crashed).contains("More: --after ");

    Thread.sleep(1_200); // both runs' last updates are now more than a second old
    Cli.Result dry =
        Jar.run(
            dir,
            "logbooks",
            "prune",
            "--connection",
            store,
            "--older-than",
            "1s",
            "--dry-run",
            "--json");
    dry.expect(ExitCodes.OK);
    assertThat(dry.json()).containsEntry("flows_deleted", 1).containsEntry("dry_run", true);
    Cli.Result prune =
        Jar.run(dir, "logbooks", "prune", "--connection", store, "--older-than", "1s");
    prune.expect(ExitCodes.OK);
    assertThat(prune.out()).contains("Deleted 1 flow(s) (1 SUCCESS) and 1 emptied logbook(s)");
    assertThat(flows(Jar.run(dir, "logbooks", "list", "--connection", store, "--json")))
        .as("the unfinished run is never pruned")
        .singleElement()
        .satisfies(f -> assertThat(field(f, "flow_uuid")).isEqualTo(crashed));

    Cli.Result delete = Jar.run(dir, "logbooks", "delete-flow", crashed, "--connection", store);
    delete.expect(ExitCodes.OK);
    assertThat(delete.out()).contains("Deleted flow 'order-processing' " + crashed);
    Cli.Result empty = Jar.run(dir, "logbooks", "list", "--connection", store);
    empty.expect(ExitCodes.OK);
    assertThat(empty.out()).contains("No flows in " + store);
    Jar.run(dir, "verify", "--connection", store).expect(ExitCodes.OK);
  }
}
