package io.taskflow4j.worker;

import static org.junit.jupiter.api.Assertions.fail;

import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.worker.transport.TransportException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** The test broker, and worker processes started on it. */
final class RabbitSupport {
  static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));
  static final String URI =
      System.getenv().getOrDefault("TF_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672");

  private RabbitSupport() {}

  /** A fresh namespace for one test run. */
  static String namespace() {
    return "tf4j-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Connects, or skips the test (fails it under CI=true) when RabbitMQ is not reachable. */
  static RabbitTransport connectOrSkip(String namespace) {
    try {
      return RabbitTransport.connect(URI, namespace);
    } catch (TransportException e) {
      String msg = "RabbitMQ is not reachable (" + e.getMessage() + ")";
      if (CI) {
        fail(msg + "; CI=true requires it");
      }
      // Outside CI a developer may have no broker: skip, saying so; CI fails above instead.
      Assumptions.abort(msg + "; skipping (set TF_AMQP_URI to use another broker)");
      throw e;
    }
  }

  /** A worker JVM running {@link WorkerMain}. */
  static final class WorkerProcess implements AutoCloseable {
    final String name;
    final Process process;

    private WorkerProcess(String name, Process process) {
      this.name = name;
      this.process = process;
    }

    /** Starts a worker process and waits for it to serve. */
    static WorkerProcess start(
        String namespace,
        String topic,
        String name,
        int concurrency,
        int heartbeatMs,
        Path dir,
        List<String> jvmFlags)
        throws IOException, InterruptedException {
      String cp =
          System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>();
      cmd.add(java);
      cmd.addAll(jvmFlags);
      cmd.addAll(
          List.of(
              "-cp",
              cp,
              WorkerMain.class.getName(),
              "--uri",
              URI,
              "--namespace",
              namespace,
              "--topic",
              topic,
              "--tasks",
              "workloads," + TestTasks.class.getName(),
              "--name",
              name,
              "--concurrency",
              Integer.toString(concurrency),
              "--heartbeat-ms",
              Integer.toString(heartbeatMs),
              "--exec-log",
              dir.resolve("exec-" + name + ".log").toString()));
      Process p =
          new ProcessBuilder(cmd)
              .redirectError(dir.resolve("worker-" + name + ".err").toFile())
              .start();
      CompletableFuture<Boolean> ready = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    if (line.startsWith("READY")) {
                      ready.complete(true);
                    }
                  }
                } catch (IOException e) {
                  // process gone
                }
                ready.complete(false);
              },
              "worker-out-" + name);
      reader.setDaemon(true);
      reader.start();
      boolean ok;
      try {
        ok = ready.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        ok = false;
      }
      if (!ok) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "worker " + name + " did not start; see " + dir.resolve("worker-" + name + ".err"));
      }
      return new WorkerProcess(name, p);
    }

    /** SIGKILL. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
