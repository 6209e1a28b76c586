package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the shaded jar prints and refuses: the conductor's lines, bench's option combinations. */
class CommandOutputIT {
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @TempDir Path dir;

  @Test
  void theConductorPrintsEachOutcomeApartFromItsJob() throws Exception {
    String connection = Cli.dir(dir.resolve("store"));
    Jar.run(dir, "jobs", "post", "--connection", connection, "chain", "3").expect(ExitCodes.OK);
    Cli.Result run =
        Jar.run(dir, "conductor", "--connection", connection, "--exit-when-idle", "--name", "c1");
    run.expect(ExitCodes.OK);
    List<String> lines = run.out().lines().toList();
    assertThat(lines)
        .anySatisfy(l -> assertThat(l).matches("claimed +" + UUID + " '.*' token \\d+"));
    assertThat(lines)
        .anySatisfy(l -> assertThat(l).matches("completed +" + UUID + " '.*' SUCCESS in \\d+ ms"));
    assertThat(run.out()).contains("Board empty: 1 completed");
  }

  @Test
  void benchRefusesAnExecutionLogWhenTheTasksRunOnRemoteWorkers() throws Exception {
    Path store = dir.resolve("store");
    Path log = dir.resolve("exec.log");
    Cli.Result r =
        Jar.run(
            dir,
            "bench",
            "--workload",
            "chain",
            "--tasks",
            "3",
            "--connection",
            Cli.dir(store),
            "--remote",
            "amqp://guest:secret@127.0.0.1:1",
            "--exec-log",
            log.toString());
    r.expect(ExitCodes.USAGE);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err())
        .contains("--exec-log")
        .contains("--remote")
        .contains("worker")
        .doesNotContain("secret");
    // Refused before anything was opened or written.
    assertThat(store).doesNotExist();
    assertThat(log).doesNotExist();
  }
}
