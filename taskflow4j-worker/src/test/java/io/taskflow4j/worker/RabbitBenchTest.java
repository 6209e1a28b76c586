package io.taskflow4j.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.worker.RabbitSupport.WorkerProcess;
import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.workloads.Workloads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput of a fan-out of 10,000 small tasks on 1, 2 and 4 worker processes over RabbitMQ, next
 * to the in-process parallel engine. Run by hand (excluded from the normal build):
 *
 * <pre>
 * mvn -pl taskflow4j-worker test -Dtest=RabbitBenchTest -Dtf.worker.excludedGroups= \
 *     -Dbench.tasks=10000
 * </pre>
 */
@Tag("bench")
class RabbitBenchTest {
  private static final int TASKS = Integer.getInteger("bench.tasks", 10_000);
  private static final int ENGINE_THREADS = Integer.getInteger("bench.engineThreads", 64);
  private static final int WORKER_CONCURRENCY = Integer.getInteger("bench.workerConcurrency", 16);

  @Test
  void fanOutThroughput(@TempDir Path dir) throws Exception {
    List<String> report = new ArrayList<>();
    // in-process parallel engine, no persistence
    runLocal(1000);
    double local = runLocal(TASKS);
    report.add(String.format("in-process parallel(%d): %.0f tasks/s", ENGINE_THREADS, local));
    for (int k : new int[] {1, 2, 4}) {
      String ns = RabbitSupport.namespace();
      RabbitTransport transport = RabbitSupport.connectOrSkip(ns);
      List<WorkerProcess> ws = new ArrayList<>();
      try {
        for (int i = 1; i <= k; i++) {
          ws.add(
              WorkerProcess.start(
                  ns, "bench", "b" + i, WORKER_CONCURRENCY, 1000, dir, List.of("-Xmx256m")));
        }
        try (RemoteTaskRunner remote = RemoteTaskRunner.builder(transport).topic("bench").build()) {
          assertThat(remote.awaitWorkers(k, Duration.ofSeconds(10))).isTrue();
          runRemote(remote, 2000); // warm-up
          double tps = runRemote(remote, TASKS);
          report.add(
              String.format(
                  "%d worker process(es) x concurrency %d, engine parallel(%d): %.0f tasks/s",
                  k, WORKER_CONCURRENCY, ENGINE_THREADS, tps));
        }
      } finally {
        for (WorkerProcess w : ws) {
          w.close();
        }
        transport.deleteNamespace();
        transport.close();
      }
    }
    System.out.println("fan-out of " + TASKS + " tasks:");
    report.forEach(l -> System.out.println("  " + l));
  }

  private static double runLocal(int n) {
    try (Engine e = Engines.load(Workloads.fanout(n, null)).parallel(ENGINE_THREADS).build()) {
      long t0 = System.nanoTime();
      e.run();
      double s = (System.nanoTime() - t0) / 1e9;
      assertThat(((Number) e.storage().fetch("v" + n)).longValue()).isEqualTo(n);
      return n / s;
    }
  }

  private static double runRemote(RemoteTaskRunner remote, int n) {
    try (Engine e =
        Engines.load(Workloads.fanout(n, null))
            .taskRunner(remote)
            .parallel(ENGINE_THREADS)
            .build()) {
      long t0 = System.nanoTime();
      e.run();
      double s = (System.nanoTime() - t0) / 1e9;
      assertThat(((Number) e.storage().fetch("v" + n)).longValue()).isEqualTo(n);
      return n / s;
    }
  }
}
