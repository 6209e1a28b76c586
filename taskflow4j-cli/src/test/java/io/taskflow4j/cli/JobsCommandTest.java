package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** jobs post|list|show|trash and conductor --exit-when-idle, on the embedded stores. */
class JobsCommandTest {
  @TempDir Path dir;

  private String store(String kind) {
    return kind.equals("dir") ? Cli.dir(dir.resolve("store")) : Cli.sqlite(dir.resolve("s.db"));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> jobs(String connection, String... extra) {
    String[] args = new String[4 + extra.length];
    args[0] = "jobs";
    args[1] = "list";
    args[2] = "--connection";
    args[3] = connection;
    System.arraycopy(extra, 0, args, 4, extra.length);
    String[] withJson = java.util.Arrays.copyOf(args, args.length + 1);
    withJson[args.length] = "--json";
    Cli.Result r = Cli.run(withJson);
    r.expect(ExitCodes.OK);
    return (List<Map<String, Object>>) Json.read(r.out().strip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dir", "sqlite"})
  void postListRunAndTrash(String kind) {
    String c = store(kind);
    Cli.Result posted =
        Cli.run(
            "jobs", "post", "--connection", c, "chain", "10", "--priority", "low", "--count", "2");
    posted.expect(ExitCodes.OK);
    Cli.run("jobs", "post", "--connection", c, "fanout", "5", "--priority", "very_high")
        .expect(ExitCodes.OK);
    Cli.Result keyed = Cli.run("jobs", "post", "--connection", c, "chain", "3", "--key", "k1");
    keyed.expect(ExitCodes.OK);
    Cli.Result again = Cli.run("jobs", "post", "--connection", c, "chain", "3", "--key", "k1");
    assertThat(again.out().lines().findFirst()).isEqualTo(keyed.out().lines().findFirst());

    List<Map<String, Object>> listed = jobs(c);
    assertThat(listed).hasSize(4);
    assertThat(listed)
        .extracting(m -> m.get("priority"))
        .containsExactly("VERY_HIGH", "NORMAL", "LOW", "LOW");
    assertThat(listed).extracting(m -> m.get("state")).containsOnly("UNCLAIMED");

    // --limit: the first jobs in claiming order, and how many there are (on standard error)
    assertThat(jobs(c, "--limit", "2"))
        .extracting(m -> m.get("uuid"))
        .containsExactly(listed.get(0).get("uuid"), listed.get(1).get("uuid"));
    Cli.Result firstTwo = Cli.run("jobs", "list", "--connection", c, "--limit", "2");
    firstTwo.expect(ExitCodes.OK);
    assertThat(firstTwo.out().lines()).hasSize(3); // the header and two jobs
    assertThat(firstTwo.err()).contains("The first 2 of 4 jobs on");
    Cli.Result all = Cli.run("jobs", "list", "--connection", c, "--limit", "4");
    assertThat(all.out().lines()).hasSize(5);
    assertThat(all.err()).doesNotContain("The first");
    Cli.run("jobs", "list", "--connection", c, "--limit", "0").expect(ExitCodes.USAGE);

    String lowJob = (String) listed.get(3).get("uuid");
    Cli.Result show = Cli.run("jobs", "show", "--connection", c, lowJob);
    show.expect(ExitCodes.OK);
    assertThat(show.out()).contains(lowJob).contains("flow_state").contains("PENDING");

    Cli.run("jobs", "trash", "--connection", c, lowJob, "--reason", "not needed")
        .expect(ExitCodes.OK);
    assertThat(jobs(c, "--trash")).extracting(m -> m.get("uuid")).containsExactly(lowJob);
    assertThat(jobs(c)).hasSize(3);

    Cli.Result run = Cli.run("conductor", "--connection", c, "--exit-when-idle", "--name", "t1");
    run.expect(ExitCodes.OK);
    assertThat(run.out()).contains("Board empty: 3 completed");
    assertThat(jobs(c)).isEmpty();

    Cli.Result books = Cli.run("logbooks", "list", "--all", "--connection", c, "--json");
    books.expect(ExitCodes.OK);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> bl = (List<Map<String, Object>>) books.json().get("logbooks");
    // four logbooks: the trashed job's is kept, untouched
    assertThat(bl).hasSize(4);
    long succeeded =
        bl.stream()
            .flatMap(b -> ((List<Map<String, Object>>) b.get("flows")).stream())
            .filter(f -> "SUCCESS".equals(f.get("state")))
            .count();
    assertThat(succeeded).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void errorsAreOneLineWithTheRightExitCode(String kind) {
    String c = store(kind);
    Cli.Result unknown = Cli.run("jobs", "post", "--connection", c, "no-such-factory");
    unknown.expect(ExitCodes.USAGE);
    assertThat(unknown.err()).contains("unknown flow factory 'no-such-factory'").contains("chain");
    Cli.Result prio =
        Cli.run("jobs", "post", "--connection", c, "chain", "1", "--priority", "urgent");
    prio.expect(ExitCodes.USAGE);
    assertThat(prio.err()).contains("Unknown job priority 'urgent'");
    Cli.run("jobs", "post", "--connection", c, "chain", "1").expect(ExitCodes.OK);
    Cli.Result missing =
        Cli.run("jobs", "show", "--connection", c, "00000000-0000-0000-0000-000000000000");
    missing.expect(ExitCodes.NOT_FOUND);
    assertThat(missing.err()).contains("no job 00000000-0000-0000-0000-000000000000");
  }
}
