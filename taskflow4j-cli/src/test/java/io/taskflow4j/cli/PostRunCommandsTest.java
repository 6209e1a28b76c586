package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowQuery;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** After the run: logbooks list (paged), logbooks prune, logbooks delete-flow. */
class PostRunCommandsTest {
  @TempDir Path dir;
  private String connection;
  private final Map<String, String> flowByName = new java.util.HashMap<>();
  private final Map<String, String> bookByName = new java.util.HashMap<>();

  /** One book per flow: name, state, days since its last update. */
  @BeforeEach
  void store() {
    connection = Cli.sqlite(dir.resolve("post.db"));
    Cli.run("upgrade", "--connection", connection).expect(ExitCodes.OK);
    Object[][] flows = {
      {"old-ok", FlowState.SUCCESS, 40},
      {"old-failed", FlowState.FAILURE, 45},
      {"old-reverted", FlowState.REVERTED, 50},
      {"old-running", FlowState.RUNNING, 60},
      {"young-ok", FlowState.SUCCESS, 1},
    };
    try (Backend b = Backends.fetch(connection);
        Connection c = b.getConnection()) {
      for (Object[] f : flows) {
        Instant t = Instant.now().minus(Duration.ofDays((Integer) f[2]));
        FlowDetail fd =
            FlowDetail.create((String) f[0])
                .withState((FlowState) f[1])
                .withAtoms(atoms((FlowState) f[1]))
                .withTimes(t, t);
        LogBook book = c.replaceLogBook(LogBook.create("book-" + f[0]).withFlows(List.of(fd)));
        flowByName.put((String) f[0], fd.uuid());
        bookByName.put((String) f[0], book.uuid());
      }
    }
  }

  /** Two task details as a run that ended in {@code state} leaves them (what verify accepts). */
  private static List<io.taskflow4j.persistence.AtomDetail> atoms(FlowState state) {
    TaskDetail t1 = TaskDetail.create("t1");
    TaskDetail t2 = TaskDetail.create("t2");
    return switch (state) {
      case SUCCESS -> List.of(t1.put(AtomState.SUCCESS, 1), t2.put(AtomState.SUCCESS, 2));
      case REVERTED -> List.of(t1.withState(AtomState.REVERTED), t2.withState(AtomState.REVERTED));
      case FAILURE ->
          List.of(
              t1.withState(AtomState.FAILURE)
                  .withFailure(Failure.of(new IllegalStateException("declined"))),
              t2);
      default -> List.of(t1.put(AtomState.SUCCESS, 1), t2.withState(AtomState.RUNNING));
    };
  }

  private List<String> remaining() {
    List<String> out = new ArrayList<>();
    try (Backend b = Backends.fetch(connection);
        Connection c = b.getConnection()) {
      for (FlowSummary f : c.findFlows(FlowQuery.all()).flows()) {
        out.add(f.flowName());
      }
    }
    out.sort(null);
    return out;
  }

  @Test
  void listPagesNewestFirstAndFilters() {
    Cli.Result first = Cli.run("logbooks", "list", "--connection", connection, "--limit", "2");
    first.expect(ExitCodes.OK);
    List<String> lines = first.out().lines().toList();
    assertThat(lines.get(0)).startsWith("UPDATED").contains("STATE").contains("FLOW UUID");
    assertThat(lines.get(1)).contains("young-ok").contains("SUCCESS").contains("2 (2 SUCCESS)");
    assertThat(lines.get(2)).contains("old-ok");
    assertThat(lines.get(3)).startsWith("More: --after ");
    String cursor = lines.get(3).substring("More: --after ".length());

    Cli.Result second =
        Cli.run("logbooks", "list", "--connection", connection, "--limit", "2", "--after", cursor);
    second.expect(ExitCodes.OK);
    assertThat(second.out())
        .contains("old-failed")
        .contains("old-reverted")
        .doesNotContain("old-ok");

    Cli.Result failed =
        Cli.run(
            "logbooks",
            "list",
            "--connection",
            connection,
            "--state",
            "FAILURE,REVERTED",
            "--json");
    failed.expect(ExitCodes.OK);
    List<?> flows = (List<?>) failed.json().get("flows");
    assertThat(flows.stream().map(f -> (Object) ((Map<?, ?>) f).get("flow_name")).toList())
        .containsExactly("old-failed", "old-reverted");
    assertThat(failed.json().get("next")).isNull();
    assertThat(((Map<?, ?>) flows.get(0)).get("book_uuid")).isEqualTo(bookByName.get("old-failed"));

    Cli.Result recent = Cli.run("logbooks", "list", "--connection", connection, "--since", "7d");
    assertThat(recent.out()).contains("young-ok").doesNotContain("old-");

    Cli.Result bad = Cli.run("logbooks", "list", "--connection", connection, "--after", "nope!");
    bad.expect(ExitCodes.USAGE);
    assertThat(bad.err()).contains("is not a cursor of a flow listing");
    Cli.run("logbooks", "list", "--connection", connection, "--since", "soon")
        .expect(ExitCodes.USAGE);
    Cli.run("logbooks", "list", "--all", "--state", "FAILURE", "--connection", connection)
        .expect(ExitCodes.USAGE);
  }

  @Test
  void pruneDeletesOldFinishedFlowsOnlyAndSaysWhat() {
    Cli.Result dry =
        Cli.run(
            "logbooks",
            "prune",
            "--connection",
            connection,
            "--older-than",
            "30d",
            "--dry-run",
            "--json");
    dry.expect(ExitCodes.OK);
    assertThat(dry.json()).containsEntry("dry_run", true).containsEntry("flows_deleted", 3);
    assertThat(remaining()).hasSize(5);

    Cli.Result some =
        Cli.run(
            "logbooks",
            "prune",
            "--connection",
            connection,
            "--older-than",
            "30d",
            "--state",
            "SUCCESS");
    some.expect(ExitCodes.OK);
    assertThat(some.out()).contains("Deleted 1 flow(s) (1 SUCCESS) and 1 emptied logbook(s)");
    assertThat(remaining())
        .containsExactly("old-failed", "old-reverted", "old-running", "young-ok");

    Cli.Result rest =
        Cli.run("logbooks", "prune", "--connection", connection, "--older-than", "30d");
    rest.expect(ExitCodes.OK);
    assertThat(rest.out()).contains("Deleted 2 flow(s)");
    assertThat(remaining()).containsExactly("old-running", "young-ok");

    Cli.Result running =
        Cli.run(
            "logbooks",
            "prune",
            "--connection",
            connection,
            "--older-than",
            "1d",
            "--state",
            "RUNNING");
    running.expect(ExitCodes.USAGE);
    assertThat(running.err()).contains("only finished flows");
    Cli.run("logbooks", "prune", "--connection", connection, "--older-than", "a while")
        .expect(ExitCodes.USAGE);
  }

  @Test
  void aFlowAJobOnTheStoresBoardRefersToIsNeitherPrunedNorDeleted() {
    String flow = flowByName.get("old-failed");
    Job job;
    try (Jobboard board = Jobboards.open(BackendConf.parse(connection).asMap())) {
      job =
          board.post(
              JobSpec.of(
                  "rerun", new BookRef("book-old-failed", bookByName.get("old-failed")), flow));
    }
    Cli.Result prune =
        Cli.run("logbooks", "prune", "--connection", connection, "--older-than", "30d");
    prune.expect(ExitCodes.OK);
    assertThat(prune.out()).contains("kept 1 a job still refers to");
    assertThat(remaining()).contains("old-failed").doesNotContain("old-ok");

    Cli.Result refused = Cli.run("logbooks", "delete-flow", flow, "--connection", connection);
    refused.expect(ExitCodes.CONFLICT);
    assertThat(refused.err()).contains(job.uuid()).contains("refers to flow " + flow);
    assertThat(remaining()).contains("old-failed");

    Cli.run("jobs", "trash", job.uuid(), "--connection", connection).expect(ExitCodes.OK);
    Cli.Result deleted = Cli.run("logbooks", "delete-flow", flow, "--connection", connection);
    deleted.expect(ExitCodes.OK);
    assertThat(deleted.out()).contains("Deleted flow 'old-failed' " + flow);
    assertThat(remaining()).doesNotContain("old-failed");
    Cli.run("logbooks", "delete-flow", flow, "--connection", connection)
        .expect(ExitCodes.NOT_FOUND);
  }

  /** {@code flow name -> updated_at} of every flow, as {@code logbooks list --json} gives them. */
  private static Map<Object, Object> ages(String store) {
    Cli.Result r = Cli.run("logbooks", "list", "--connection", store, "--json");
    r.expect(ExitCodes.OK);
    Map<Object, Object> out = new java.util.TreeMap<>();
    for (Object f : (List<?>) r.json().get("flows")) {
      Map<?, ?> m = (Map<?, ?>) f;
      out.put(m.get("flow_name"), m.get("updated_at") + " created " + m.get("created_at"));
    }
    return out;
  }

  @Test
  void aCopiedStoreIsListedAndPrunedExactlyLikeTheOriginal() throws Exception {
    Map<Object, Object> original = ages(connection);
    assertThat(original).hasSize(5);

    Path file = dir.resolve("export.json");
    Cli.run("export", "--connection", connection, "--output", file.toString()).expect(ExitCodes.OK);
    String imported = Cli.dir(dir.resolve("imported"));
    Cli.run("import", file.toString(), "--connection", imported).expect(ExitCodes.OK);
    String migrated = Cli.sqlite(dir.resolve("migrated.db"));
    Cli.run("migrate", "--from", imported, "--to", migrated).expect(ExitCodes.OK);

    assertThat(ages(imported)).isEqualTo(original);
    assertThat(ages(migrated)).isEqualTo(original);
    for (String store : List.of(connection, imported, migrated)) {
      Cli.Result dry =
          Cli.run(
              "logbooks",
              "prune",
              "--connection",
              store,
              "--older-than",
              "30d",
              "--dry-run",
              "--json",
              "--no-board");
      dry.expect(ExitCodes.OK);
      assertThat(dry.json()).as(store).containsEntry("flows_deleted", 3);
    }
  }
}
