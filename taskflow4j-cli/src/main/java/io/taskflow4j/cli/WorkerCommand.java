package io.taskflow4j.cli;

import io.taskflow4j.worker.WorkerMain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code taskflow4j worker}: serves tasks to remote engines over a message broker. */
@Command(
    name = "worker",
    description = {
      "Serve tasks to engines over RabbitMQ until stopped: worker --topic T --tasks"
          + " workloads[,provider.Class...] [--uri amqp://user:password@host:5672]"
          + " [--namespace taskflow4j] [--concurrency N] [--heartbeat-ms 1000]"
          + " [--running-delay-ms 50] [--name NAME] [--exec-log FILE]",
      "'--tasks workloads' serves the bench workloads' tasks, so 'bench --remote' runs on it."
          + " See taskflow4j-worker/README.md for the protocol and its guarantees."
    })
final class WorkerCommand implements Callable<Integer> {

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() {
    // The worker parses its own options, reports bad usage with exit code 2, and runs until the
    // process is stopped (SIGTERM stops it gracefully).
    WorkerMain.main(args.toArray(String[]::new));
    return ExitCodes.OK;
  }
}
