package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.worker.transport.TransportException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code taskflow4j worker} serving {@code taskflow4j bench --remote}, on the machine's RabbitMQ.
 */
@Timeout(180)
class RemoteBenchTest {
  static final String AMQP =
      System.getenv().getOrDefault("TF_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672");

  @TempDir Path dir;

  private static void requireBroker(String namespace) {
    try (RabbitTransport t = RabbitTransport.connect(AMQP, namespace)) {
      // reachable
    } catch (TransportException e) {
      String msg = "RabbitMQ is not reachable (" + e.getMessage() + ")";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(msg + "; CI=true requires it");
      }
      // Outside CI a developer may have no broker: skip, saying so; CI fails above instead.
      Assumptions.abort(msg + "; skipping (set TF_AMQP_URI to use another broker)");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aFanoutRunsOnAWorkerProcessStartedByTheCommand() throws Exception {
    String ns = "tf4j-cli-" + UUID.randomUUID().toString().substring(0, 8);
    requireBroker(ns);
    Path workerLog = dir.resolve("worker-exec.log");
    Process worker =
        new ProcessBuilder(
                Cli.javaBinary(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "worker",
                "--topic",
                "bench",
                "--tasks",
                "workloads",
                "--namespace",
                ns,
                "--uri",
                AMQP,
                "--name",
                "w1",
                "--exec-log",
                workerLog.toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("READY")) {
        // wait for the worker to serve
      }
      assertThat(line).as("the worker's READY line").startsWith("READY");

      Cli.Result r =
          Cli.run(
              "bench",
              "--workload",
              "fanout",
              "--tasks",
              "60",
              "--workers",
              "16",
              "--remote",
              AMQP,
              "--namespace",
              ns,
              "--topic",
              "bench",
              "--json",
              "--connection",
              Cli.sqlite(dir.resolve("bench.db")));
      r.expect(ExitCodes.OK);
      Map<String, Object> json = (Map<String, Object>) r.lastJson();
      assertThat(json).containsEntry("final_state", "SUCCESS").containsEntry("tasks", 60);
      assertThat(r.out()).doesNotContain("guest:guest");
      // Every task ran in the worker process, once.
      List<String> executed = Files.readAllLines(workerLog);
      assertThat(executed).hasSize(60).doesNotHaveDuplicates().contains("t1", "t60");
    } finally {
      worker.destroy();
      if (!worker.waitFor(20, TimeUnit.SECONDS)) {
        worker.destroyForcibly();
      }
    }
  }

  @Test
  void anUnreachableBrokerIsOneLineWithoutItsPassword() {
    Cli.Result r =
        Cli.run(
            "bench",
            "--workload",
            "fanout",
            "--tasks",
            "5",
            "--remote",
            "amqp://guest:s3cret@127.0.0.1:1",
            "--connection",
            Cli.sqlite(dir.resolve("bench.db")));
    r.expect(ExitCodes.STORE);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("cannot reach the broker").doesNotContain("s3cret");
  }
}
