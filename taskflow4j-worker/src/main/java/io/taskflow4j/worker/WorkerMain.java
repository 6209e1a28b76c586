package io.taskflow4j.worker;

import io.taskflow4j.internal.DaemonThreads;
import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.worker.transport.TransportException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The worker process: {@code WorkerMain --topic T --tasks workloads[,provider.Class...] [--uri
 * amqp://guest:guest@127.0.0.1:5672] [--namespace taskflow4j] [--concurrency C] [--heartbeat-ms
 * 1000] [--running-delay-ms 50] [--name N] [--exec-log FILE]}. Prints {@code READY <name>} once it
 * serves, and runs until it is stopped (SIGTERM stops it gracefully).
 */
public final class WorkerMain {
  /** The broker used when {@code --uri} is not given. */
  public static final String DEFAULT_URI = "amqp://guest:guest@127.0.0.1:5672";

  private WorkerMain() {}

  /** Runs a worker until the process is stopped. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Parses {@code args}, starts the worker and waits; returns an exit code on bad usage. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> opts;
    try {
      opts = parse(args);
    } catch (IllegalArgumentException e) {
      err.println("worker: " + e.getMessage());
      err.println(usage());
      return 2;
    }
    if (opts.containsKey("help")) {
      out.println(usage());
      return 0;
    }
    Worker worker;
    RabbitTransport transport = null;
    try {
      String topic = required(opts, "topic");
      List<String> providers = new ArrayList<>();
      for (String p : required(opts, "tasks").split(",")) {
        if (!p.isBlank()) {
          providers.add(p.trim());
        }
      }
      TaskRegistry registry = TaskRegistry.load(providers, opts);
      // Check every option before connecting.
      Integer concurrency = opts.containsKey("concurrency") ? number(opts, "concurrency") : null;
      Integer heartbeatMs = opts.containsKey("heartbeat-ms") ? number(opts, "heartbeat-ms") : null;
      Integer runningMs =
          opts.containsKey("running-delay-ms") ? number(opts, "running-delay-ms") : null;
      if (runningMs != null && (runningMs < 0 || runningMs > 60_000)) {
        throw new IllegalArgumentException("--running-delay-ms must be between 0 and 60000");
      }
      String name = opts.get("name");
      if (concurrency != null && concurrency < 1) {
        throw new IllegalArgumentException("--concurrency must be at least 1");
      }
      if (heartbeatMs != null && heartbeatMs < 10) {
        throw new IllegalArgumentException("--heartbeat-ms must be at least 10");
      }
      if (name != null && !name.matches("[A-Za-z0-9._-]{1,100}")) {
        throw new IllegalArgumentException(
            "invalid --name '" + name + "': use 1 to 100 of A-Z a-z 0-9 . _ -");
      }
      transport =
          RabbitTransport.connect(
              opts.getOrDefault("uri", DEFAULT_URI), opts.getOrDefault("namespace", "taskflow4j"));
      Worker.Builder b = Worker.builder(transport).topic(topic).tasks(registry);
      if (concurrency != null) {
        b.concurrency(concurrency);
      }
      if (heartbeatMs != null) {
        b.heartbeat(Duration.ofMillis(heartbeatMs));
      }
      if (runningMs != null) {
        b.runningDelay(Duration.ofMillis(runningMs));
      }
      if (name != null) {
        b.name(name);
      }
      worker = b.build().start();
    } catch (TransportException e) {
      err.println("worker: " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      if (transport != null) {
        transport.close();
      }
      err.println("worker: " + e.getMessage());
      err.println(usage());
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    RabbitTransport connection = transport;
    Runtime.getRuntime()
        .addShutdownHook(
            DaemonThreads.create(
                "taskflow4j-worker-shutdown",
                () -> {
                  worker.close();
                  connection.close();
                  stopped.countDown();
                }));
    out.println("READY " + worker.name());
    out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  private static int number(Map<String, String> opts, String name) {
    try {
      return Integer.parseInt(opts.get(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + name + " must be a whole number, not '" + opts.get(name) + "'");
    }
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    List<String> known =
        List.of(
            "topic",
            "tasks",
            "uri",
            "namespace",
            "concurrency",
            "heartbeat-ms",
            "running-delay-ms",
            "name",
            "exec-log");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        opts.put("help", "");
        continue;
      }
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String key = a.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown option --" + key);
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + key + " needs a value");
        }
        value = args[++i];
      }
      opts.put(key, value);
    }
    return opts;
  }

  static String usage() {
    return "usage: worker --topic TOPIC --tasks workloads[,provider.Class...]"
        + " [--uri amqp://user:password@host:5672] [--namespace taskflow4j] [--concurrency N]"
        + " [--heartbeat-ms 1000] [--running-delay-ms 50] [--name NAME] [--exec-log FILE]";
  }
}
