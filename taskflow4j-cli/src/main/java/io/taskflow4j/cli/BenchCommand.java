package io.taskflow4j.cli;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.worker.RemoteTaskRunner;
import io.taskflow4j.worker.transport.RabbitTransport;
import io.taskflow4j.workloads.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j bench}: runs a benchmark workload and times it. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Run a benchmark workload, recorded through its flow factory (a killed run can be finished"
          + " with 'resume'), then resume the finished flow, during which nothing may execute.",
      "chain: task i takes v(i-1) and provides v(i) = v(i-1) + 1 from v(0) = 0, on the serial"
          + " engine. fanout: N independent tasks on the parallel engine."
    })
final class BenchCommand implements Callable<Integer> {
  /** The benchmark's default store: a SQLite file in the working directory. */
  static final String DEFAULT_CONNECTION = "sqlite:///taskflow4j-bench.db";

  @Spec CommandSpec spec;

  @Option(
      names = "--workload",
      paramLabel = "chain|fanout",
      required = true,
      description = "The workload: chain or fanout.")
  String workload;

  @Option(names = "--tasks", paramLabel = "N", required = true, description = "Number of tasks.")
  int tasks;

  @Option(
      names = "--workers",
      paramLabel = "K",
      description = "Threads of the parallel engine (fanout; default: ${DEFAULT-VALUE}).",
      defaultValue = "8")
  int workers;

  @Option(
      names = "--connection",
      paramLabel = "URI",
      defaultValue = DEFAULT_CONNECTION,
      description = "Where to record the run (default: ${DEFAULT-VALUE}).")
  String connection;

  @Option(
      names = "--exec-log",
      paramLabel = "FILE",
      description =
          "Append one line with the task's name to FILE each time a task executes (flushed"
              + " before the task returns); recorded with the flow, so 'resume' appends too."
              + " Not with --remote: the tasks then execute on the workers, which keep their own"
              + " log ('worker --exec-log FILE').")
  Path execLog;

  @Option(
      names = "--remote",
      paramLabel = "AMQP_URI",
      description =
          "Run the tasks on remote workers reached through this RabbitMQ broker (start them with"
              + " 'taskflow4j worker --topic T --tasks workloads'); the engine keeps the logbook.")
  String remote;

  @Option(
      names = "--topic",
      paramLabel = "T",
      defaultValue = "taskflow4j-bench",
      description = "The workers' topic with --remote (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(
      names = "--namespace",
      paramLabel = "NS",
      defaultValue = "taskflow4j",
      description = "The broker namespace with --remote (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--json", description = "Print the results as one JSON object, last line.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    if (!workload.equals(Workloads.CHAIN) && !workload.equals(Workloads.FANOUT)) {
      throw new CliException(
          ExitCodes.USAGE, "unknown workload '" + workload + "': use chain or fanout");
    }
    if (tasks < 1) {
      throw new CliException(ExitCodes.USAGE, "--tasks must be at least 1, not " + tasks);
    }
    if (workers < 1) {
      throw new CliException(ExitCodes.USAGE, "--workers must be at least 1, not " + workers);
    }
    if (remote != null && execLog != null) {
      // This process would record nothing: the tasks execute in the worker processes.
      throw new CliException(
          ExitCodes.USAGE,
          "--exec-log cannot be combined with --remote: the tasks execute on the workers, not"
              + " here; give the log to each worker instead ('"
              + Main.commandName()
              + " worker ... --exec-log FILE')");
    }
    boolean parallel = workload.equals(Workloads.FANOUT);
    List<Object> args = new ArrayList<>();
    args.add(tasks);
    if (execLog != null) {
      args.add(execLog.toAbsolutePath().normalize().toString());
    }
    try (Backend backend = Stores.open(connection);
        RabbitTransport broker = remote == null ? null : connectBroker();
        RemoteTaskRunner runner =
            broker == null ? null : RemoteTaskRunner.builder(broker).topic(topic).build()) {
      LogBook book = LogBook.create("bench " + workload + " " + tasks);
      Engines.Builder builder =
          Engines.loadFromFactory(Workloads.factory(workload), args, Map.of())
              .backend(backend)
              .logBook(book);
      if (parallel) {
        builder.parallel(workers);
      }
      if (runner != null) {
        // Each engine thread waits for one remote task: the threads bound the tasks in flight.
        builder.taskRunner(runner).parallel(workers);
      }
      String flowUuid;
      FlowState runState;
      double runSeconds;
      try (Engine engine = builder.build()) {
        engine.prepare();
        flowUuid = engine.flowDetail().uuid();
        if (!json) {
          main.println(
              "Running "
                  + workload
                  + " of "
                  + tasks
                  + " task(s) on "
                  + Stores.mask(connection)
                  + ": logbook "
                  + book.uuid()
                  + ", flow "
                  + flowUuid);
        }
        long t0 = System.nanoTime();
        engine.run();
        runSeconds = (System.nanoTime() - t0) / 1e9;
        runState = engine.flowState();
      }

      // Resume the finished flow, as a new process would: nothing may execute.
      FlowDetail stored;
      try (Connection c = backend.getConnection()) {
        stored = c.getFlowDetails(flowUuid);
      }
      Engines.Builder again = Engines.loadFromDetail(stored).backend(backend);
      if (parallel) {
        again.parallel(workers);
      }
      AtomicInteger executed = new AtomicInteger();
      double resumeSeconds;
      FlowState finalState;
      try (Engine engine = again.build()) {
        engine.atomNotifier().register(AtomState.RUNNING, e -> executed.incrementAndGet());
        long t0 = System.nanoTime();
        engine.run();
        resumeSeconds = (System.nanoTime() - t0) / 1e9;
        finalState = engine.flowState();
      }
      if (executed.get() > 0) {
        throw new CliException(
            ExitCodes.FAILURE,
            "resuming the finished flow "
                + flowUuid
                + " ran "
                + executed.get()
                + " atom(s) again; nothing should run");
      }
      double perTaskMicros = runSeconds * 1e6 / tasks;
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", workload);
        m.put("tasks", tasks);
        m.put("connection", Stores.mask(connection));
        m.put("run_seconds", round(runSeconds, 6));
        m.put("per_task_us", round(perTaskMicros, 3));
        m.put("resume_seconds", round(resumeSeconds, 6));
        m.put("book_uuid", book.uuid());
        m.put("flow_uuid", flowUuid);
        m.put("final_state", finalState.name());
        main.println(Json.write(m));
      } else {
        main.println(
            String.format(
                "%s: %d task(s) in %.3f s (%.1f us/task), %s; resuming the finished flow:"
                    + " %.3f s, nothing executed; final state %s",
                workload, tasks, runSeconds, perTaskMicros, runState, resumeSeconds, finalState));
      }
      return finalState == FlowState.SUCCESS ? ExitCodes.OK : ExitCodes.FAILURE;
    }
  }

  private RabbitTransport connectBroker() {
    try {
      return RabbitTransport.connect(remote, namespace);
    } catch (RuntimeException e) {
      throw new CliException(
          ExitCodes.STORE,
          "cannot reach the broker "
              + Stores.mask(remote)
              + ": "
              + Stores.mask(String.valueOf(e.getMessage()))
              + "; check --remote and that RabbitMQ is running");
    }
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
