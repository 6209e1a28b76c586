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
  @ValueSource(strings = {"dir", "sqlite"})
  void purgeTrashRemovesOnlyTheJobsTrashedLongerAgo(String kind) throws Exception {
    String c = store(kind);
    Cli.run("jobs", "post", "--connection", c, "chain", "2", "--count", "3").expect(ExitCodes.OK);
    List<Map<String, Object>> listed = jobs(c);
    String old = (String) listed.get(0).get("uuid");
    String recent = (String) listed.get(1).get("uuid");
    String waiting = (String) listed.get(2).get("uuid");
    Cli.run("jobs", "trash", "--connection", c, old).expect(ExitCodes.OK);
    Cli.run("jobs", "trash", "--connection", c, recent).expect(ExitCodes.OK);
    trashedAgo(kind, old, java.time.Duration.ofDays(40));

    Cli.Result r = Cli.run("jobs", "purge-trash", "--connection", c, "--older-than", "30d");
    r.expect(ExitCodes.OK);
    assertThat(r.out())
        .startsWith("Removed 1 job(s) trashed before ")
        .contains("from the trash of");
    assertThat(jobs(c, "--trash")).extracting(m -> m.get("uuid")).containsExactly(recent);
    assertThat(jobs(c)).extracting(m -> m.get("uuid")).containsExactly(waiting);

    Cli.Result again =
        Cli.run("jobs", "purge-trash", "--connection", c, "--older-than", "30d", "--json");
    again.expect(ExitCodes.OK);
    assertThat(again.json()).containsEntry("removed", 0).containsKey("trashed_before");
    Cli.run("jobs", "purge-trash", "--connection", c, "--older-than", "0d").expect(ExitCodes.USAGE);
    trashedAgo(kind, recent, java.time.Duration.ofHours(2));
    Cli.run("jobs", "purge-trash", "--connection", c, "--older-than", "1h").expect(ExitCodes.OK);
    assertThat(jobs(c, "--trash")).isEmpty();
  }

  /** Dates job {@code uuid}'s trashing {@code ago}, as if it had been trashed then. */
  private void trashedAgo(String kind, String uuid, java.time.Duration ago) throws Exception {
    java.time.Instant then = java.time.Instant.now().minus(ago);
    if (kind.equals("dir")) {
      Path f = dir.resolve("store").resolve("jobs-trash").resolve(uuid + ".json");
      @SuppressWarnings("unchecked")
      Map<String, Object> m =
          new java.util.LinkedHashMap<>(
              (Map<String, Object>) Json.read(java.nio.file.Files.readAllBytes(f)));
      assertThat(m).containsKey("trashed_on");
      m.put("trashed_on", then.toString());
      java.nio.file.Files.write(f, Json.writeBytes(m));
      return;
    }
    try (java.sql.Connection db =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("s.db"));
        java.sql.PreparedStatement ps =
            db.prepareStatement("UPDATE taskflow4j_jobs_trash SET trashed_on = ? WHERE uuid = ?")) {
      ps.setString(1, then.toString().replace('T', ' ').replace("Z", ""));
      ps.setString(2, uuid);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
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
