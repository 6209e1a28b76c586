package io.taskflow4j.cli;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code taskflow4j resume}: rebuilds unfinished flows from their recorded factories and runs them.
 */
@Command(
    name = "resume",
    mixinStandardHelpOptions = true,
    description = {
      "Resume unfinished flows: each is rebuilt from the factory recorded in its flow detail and"
          + " continues from its last checkpoint (tasks recorded as done are not run again).",
      "A flow is unfinished unless it ended SUCCESS, REVERTED or FAILURE."
    })
final class ResumeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--connection",
      paramLabel = "URI",
      required = true,
      description = "The store holding the flows.")
  String connection;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Target {
    @Option(names = "--flow", paramLabel = "UUID", description = "Resume this flow.")
    String flow;

    @Option(names = "--all", description = "Resume every unfinished flow of the store.")
    boolean all;
  }

  @Option(
      names = "--workers",
      paramLabel = "K",
      description = "Threads of the parallel engine (default: ${DEFAULT-VALUE}).",
      defaultValue = "8")
  int workers;

  @Option(names = "--serial", description = "Run on the serial engine (one task at a time).")
  boolean serial;

  @Option(names = "--quiet", description = "Do not print each transition.")
  boolean quiet;

  @Override
  @SuppressWarnings("try") // the progress listener is registered for the try block's duration
  public Integer call() {
    Main main = Main.of(spec);
    if (workers < 1) {
      throw new CliException(ExitCodes.USAGE, "--workers must be at least 1, not " + workers);
    }
    try (Backend backend = Stores.existing(connection)) {
      List<FlowDetail> flows = new ArrayList<>();
      try (Connection c = backend.getConnection()) {
        if (target.flow != null) {
          FlowDetail fd;
          try {
            fd = c.getFlowDetails(target.flow);
          } catch (NotFoundException e) {
            throw new CliException(
                ExitCodes.NOT_FOUND,
                "no flow "
                    + target.flow
                    + " in "
                    + Stores.mask(connection)
                    + "; list the flows with '"
                    + Main.commandName()
                    + " logbooks list --connection ...'",
                e);
          }
          if (fd.state().isFinished()) {
            main.println(
                "Flow " + fd.name() + " " + fd.uuid() + " already finished: " + fd.state());
            return fd.state() == FlowState.SUCCESS ? ExitCodes.OK : ExitCodes.FAILURE;
          }
          flows.add(fd);
        } else {
          for (LogBook book : c.getLogBooks(false)) {
            for (FlowDetail fd : book.flows()) {
              if (!fd.state().isFinished()) {
                flows.add(fd);
              }
            }
          }
          main.println(flows.size() + " unfinished flow(s) in " + Stores.mask(connection));
        }
      }
      int failed = 0;
      for (FlowDetail fd : flows) {
        main.println("Resuming flow " + fd.name() + " " + fd.uuid() + " (was " + fd.state() + ")");
        Engines.Builder b = Engines.loadFromDetail(fd).backend(backend);
        if (serial) {
          b.serial();
        } else {
          b.parallel(workers);
        }
        FlowState end;
        try (Engine engine = b.build();
            Progress progress = quiet ? null : new Progress(engine, main)) {
          try {
            engine.run();
          } catch (RuntimeException e) {
            main.println("Flow " + fd.uuid() + " failed: " + Main.oneLine(e.getMessage()));
          }
          end = engine.flowState();
        }
        main.println("Flow " + fd.name() + " " + fd.uuid() + " finished: " + end);
        if (end != FlowState.SUCCESS) {
          failed++;
        }
      }
      return failed == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
    }
  }
}
