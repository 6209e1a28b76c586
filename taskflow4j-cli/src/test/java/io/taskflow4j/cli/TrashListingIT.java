package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code jobs list --trash} of the shaded jar: a trashed job is listed as TRASHED, in the table and
 * in JSON, never as COMPLETE (which would pass it for done), and the board's own listing no longer
 * shows it.
 */
class TrashListingIT {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"dir", "sqlite"})
  void aTrashedJobIsListedAsTrashed(String kind) throws Exception {
    String c = kind.equals("dir") ? Cli.dir(dir.resolve("store")) : Cli.sqlite(dir.resolve("s.db"));
    Cli.Result posted =
        Jar.run(dir, "jobs", "post", "--connection", c, "chain", "3", "--count", "2");
    posted.expect(ExitCodes.OK);
    List<String> uuids = posted.out().lines().limit(2).toList();
    String trashed = uuids.get(0);
    String kept = uuids.get(1);
    Jar.run(dir, "jobs", "trash", "--connection", c, trashed, "--reason", "not needed")
        .expect(ExitCodes.OK);

    Cli.Result table = Jar.run(dir, "jobs", "list", "--trash", "--connection", c);
    table.expect(ExitCodes.OK);
    List<String> lines = table.out().lines().toList();
    assertThat(lines.get(0)).contains("STATE");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).contains(trashed).contains("TRASHED").doesNotContain("COMPLETE");
    assertThat(lines.get(0)).contains("TRASHED ON (UTC)").contains("REASON");
    assertThat(lines.get(1)).endsWith("not needed");

    Cli.Result json = Jar.run(dir, "jobs", "list", "--trash", "--json", "--connection", c);
    json.expect(ExitCodes.OK);
    List<Map<String, Object>> listed = jobs(json);
    assertThat(listed).extracting(m -> m.get("uuid")).containsExactly(trashed);
    assertThat(listed).extracting(m -> m.get("state")).containsExactly("TRASHED");
    assertThat(listed).extracting(m -> m.get("reason")).containsExactly("not needed");
    java.time.Instant on = java.time.Instant.parse((String) listed.get(0).get("trashed_on"));
    assertThat(on).isBetween(java.time.Instant.now().minusSeconds(300), java.time.Instant.now());

    Cli.Result board = Jar.run(dir, "jobs", "list", "--json", "--connection", c);
    board.expect(ExitCodes.OK);
    assertThat(jobs(board)).extracting(m -> m.get("uuid")).containsExactly(kept);
    assertThat(jobs(board)).extracting(m -> m.get("state")).containsExactly("UNCLAIMED");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> jobs(Cli.Result r) {
    return (List<Map<String, Object>>) Json.read(r.out().strip());
  }
}
