package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark workloads through the command, and a killed run finished by resume. */
class BenchTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void chainComputesNAndItsResumeExecutesNothing() throws Exception {
    String connection = Cli.sqlite(dir.resolve("bench.db"));
    Path log = dir.resolve("exec.log");
    Cli.Result r =
        Cli.run(
            "bench",
            "--workload",
            "chain",
            "--tasks",
            "40",
            "--json",
            "--exec-log",
            log.toString(),
            "--connection",
            connection);
    r.expect(ExitCodes.OK);
    Map<String, Object> json = (Map<String, Object>) r.lastJson();
    assertThat(json)
        .containsOnlyKeys(
            "workload",
            "tasks",
            "connection",
            "run_seconds",
            "per_task_us",
            "resume_seconds",
            "book_uuid",
            "flow_uuid",
            "final_state")
        .containsEntry("workload", "chain")
        .containsEntry("tasks", 40)
        .containsEntry("connection", connection)
        .containsEntry("final_state", "SUCCESS");
    double run = ((Number) json.get("run_seconds")).doubleValue();
    assertThat(run).isPositive();
    assertThat(((Number) json.get("per_task_us")).doubleValue())
        .isCloseTo(run * 1e6 / 40, org.assertj.core.data.Offset.offset(1.0));
    assertThat(((Number) json.get("resume_seconds")).doubleValue()).isPositive();
    // each task executed exactly once: the resume of the finished flow ran nothing
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      expected.add("t" + i);
    }
    assertThat(Files.readAllLines(log)).isEqualTo(expected);

    Cli.Result show =
        Cli.run(
            "logbooks",
            "show",
            (String) json.get("book_uuid"),
            "--connection",
            connection,
            "--json");
    show.expect(ExitCodes.OK);
    Map<String, Object> flow = DemoCrashResumeTest.flowOf(show.json());
    assertThat(flow).containsEntry("uuid", json.get("flow_uuid")).containsEntry("state", "SUCCESS");
    assertThat(resultsByName(flow)).containsEntry("t1", 1).containsEntry("t40", 40);
    // the exec log is part of the recorded factory arguments
    assertThat(String.valueOf(((Map<?, ?>) flow.get("meta")).get("factory")))
        .contains(log.toAbsolutePath().toString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void fanoutOnPostgresqlMasksThePassword(@PostgresDatabase String pgDatabase) throws Exception {
    String connection = TestDatabases.postgresUrl(pgDatabase, "bench-pw-secret");
    Cli.Result r =
        Cli.run(
            "bench",
            "--workload",
            "fanout",
            "--tasks",
            "30",
            "--workers",
            "4",
            "--json",
            "--connection",
            connection);
    r.expect(ExitCodes.OK);
    assertThat(r.out() + r.err()).doesNotContain("bench-pw-secret");
    Map<String, Object> json = (Map<String, Object>) r.lastJson();
    assertThat(json)
        .containsEntry("workload", "fanout")
        .containsEntry("tasks", 30)
        .containsEntry("connection", TestDatabases.postgresUrl(pgDatabase, "***"))
        .containsEntry("final_state", "SUCCESS");
    Cli.Result plain =
        Cli.run("bench", "--workload", "fanout", "--tasks", "5", "--connection", connection);
    plain.expect(ExitCodes.OK);
    assertThat(plain.out()).contains("fanout: 5 task(s) in ").contains("nothing executed");
  }

  @Test
  void aKilledChainIsFinishedByResumeReExecutingAtMostTheTaskInFlight() throws Exception {
    int n = 200;
    String connection = Cli.sqlite(dir.resolve("killed.db")) + "?durability=process";
    Path log = dir.resolve("exec.log");
    List<String> cmd =
        List.of(
            Cli.javaBinary(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "bench",
            "--workload",
            "chain",
            "--tasks",
            String.valueOf(n),
            "--exec-log",
            log.toString(),
            "--connection",
            connection);
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (lines(log) < 30 && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    int before = lines(log);
    assertThat(before).as("tasks executed before the kill").isBetween(30, n - 1);

    Cli.Result r = Cli.run("resume", "--connection", connection, "--all", "--serial", "--quiet");
    r.expect(ExitCodes.OK);
    assertThat(r.out()).contains("1 unfinished flow(s)").contains("finished: SUCCESS");

    List<String> executed = Files.readAllLines(log);
    Map<String, Integer> counts = new HashMap<>();
    for (String name : executed) {
      counts.merge(name, 1, Integer::sum);
    }
    assertThat(counts).hasSize(n);
    // at-least-once: only the task in flight when the process died may have run twice
    assertThat(executed.size()).isBetween(n, n + 1);
  }

  private static int lines(Path log) throws Exception {
    if (!Files.exists(log)) {
      return 0;
    }
    return (int) Files.readAllLines(log).stream().filter(s -> !s.isEmpty()).count();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> resultsByName(Map<String, Object> flow) {
    Map<String, Object> out = new HashMap<>();
    for (Object a : (List<Object>) flow.get("atoms")) {
      Map<String, Object> atom = (Map<String, Object>) a;
      out.put((String) atom.get("name"), atom.get("results"));
    }
    return out;
  }
}
