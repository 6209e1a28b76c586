package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.jdbc.FreshDatabases;
import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code resume --all} started at once on one store, as two operators (or two cron jobs) do:
 * whichever way their writes interleave, the flow ends SUCCESS (never FAILURE with every task done,
 * never left RUNNING), one process finishes it, and the other exits 0 (the flow was done) or 6
 * (another process had it), saying so. Several rounds, since the interleaving differs each time.
 * Before each resume raised the flow's resume fence, both could run the flow and each stop the
 * other at a revision check, leaving it RUNNING with both exiting 6.
 */
class ConcurrentResumeIT {
  private static final int ROUNDS = 3;

  @TempDir Path dir;

  @Test
  void twoResumesAtOnceOnPostgresqlFinishTheFlowOnce(@PostgresDatabase FreshDatabases databases)
      throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      twoResumesAtOnce(databases.url(databases.create()));
    }
  }

  @Test
  void twoResumesAtOnceOnMariaDbFinishTheFlowOnce(@MariaDbDatabase FreshDatabases databases)
      throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      twoResumesAtOnce(databases.url(databases.create()));
    }
  }

  @Test
  void twoResumesAtOnceOnADirectoryFinishTheFlowOnce() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      twoResumesAtOnce(Cli.dir(dir.resolve("store-" + round)));
    }
  }

  @SuppressWarnings("unchecked")
  private void twoResumesAtOnce(String url) throws Exception {
    Jar.run(dir, "demo", "--connection", url, "--crash-after", "1", "--delay", "100")
        .expect(ExitCodes.CRASHED);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Cli.Result> results = new ArrayList<>();
    try {
      List<Future<Cli.Result>> both = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        both.add(pool.submit(() -> Jar.run(dir, "resume", "--connection", url, "--all")));
      }
      for (Future<Cli.Result> f : both) {
        results.add(f.get(3, TimeUnit.MINUTES));
      }
    } finally {
      pool.shutdownNow();
    }
    String seen = results.toString();
    assertThat(results).as(seen).allSatisfy(r -> assertThat(r.code()).isIn(0, 6));
    assertThat(results).as(seen).anySatisfy(r -> assertThat(r.code()).isZero());
    assertThat(seen).doesNotContain("finished: FAILURE");
    for (Cli.Result r : results) {
      if (r.code() == 6) {
        assertThat(r.out()).contains("another process is running it too");
      }
    }
    Map<String, Object> listed =
        Jar.run(dir, "logbooks", "list", "--all", "--connection", url, "--json").json();
    List<Map<String, Object>> books = (List<Map<String, Object>>) listed.get("logbooks");
    assertThat(books).hasSize(1);
    List<Map<String, Object>> flows = (List<Map<String, Object>>) books.get(0).get("flows");
    assertThat(flows).extracting(f -> f.get("state")).containsExactly("SUCCESS");
    Cli.Result verify = Jar.run(dir, "verify", "--connection", url);
    verify.expect(ExitCodes.OK);
  }
}
