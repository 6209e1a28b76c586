package io.taskflow4j.cli;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
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
      "A flow is unfinished unless it ended SUCCESS, REVERTED or FAILURE.",
      "--all names each damaged record it meets and resumes the flows of every other logbook;"
          + " it then exits 9, unless a flow did not succeed (1)."
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
  public Integer call() {
    Main main = Main.of(spec);
    if (workers < 1) {
      throw new CliException(ExitCodes.USAGE, "--workers must be at least 1, not " + workers);
    }
    try (Backend backend = Stores.existing(connection)) {
      if (target.flow != null) {
        FlowDetail fd;
        try (Connection c = backend.getConnection()) {
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
          main.println("Flow " + fd.name() + " " + fd.uuid() + " already finished: " + fd.state());
          return fd.state() == FlowState.SUCCESS ? ExitCodes.OK : ExitCodes.FAILURE;
        }
        return exitCode(resume(main, backend, fd));
      }
      // The store is asked for its unfinished flows, a page at a time (never read whole), and
      // only their uuids are kept; each is read again just before it is resumed, so each run
      // starts from the latest checkpoint. A damaged record the listing meets (a directory or
      // ZooKeeper store parses flow records to list them) or that a flow's read meets is reported.
      List<String> unfinished = new ArrayList<>();
      List<CorruptRecordException> damaged = new ArrayList<>();
      try (Connection c = backend.getConnection()) {
        io.taskflow4j.persistence.FlowQuery q =
            io.taskflow4j.persistence.FlowQuery.unfinished()
                .limit(io.taskflow4j.persistence.FlowQuery.MAX_LIMIT);
        while (true) {
          io.taskflow4j.persistence.FlowPage page = c.findFlows(q, damaged::add);
          for (io.taskflow4j.persistence.FlowSummary f : page.flows()) {
            unfinished.add(f.flowUuid());
          }
          if (page.next().isEmpty()) {
            break;
          }
          q = q.after(page.nextCursor());
        }
      }
      java.util.Collections.reverse(unfinished); // the longest waiting first
      main.println(unfinished.size() + " unfinished flow(s) in " + Stores.mask(connection));
      for (CorruptRecordException e : damaged) {
        main.println(LogbooksCommand.damagedLine(e));
      }
      int failed = 0;
      int taken = 0;
      for (String uuid : unfinished) {
        FlowDetail fd;
        try (Connection c = backend.getConnection()) {
          fd = c.getFlowDetails(uuid);
        } catch (NotFoundException gone) {
          main.println("Flow " + uuid + " was deleted meanwhile: not resumed");
          continue;
        } catch (CorruptRecordException e) {
          damaged.add(e);
          main.println(LogbooksCommand.damagedLine(e));
          continue;
        }
        if (fd.state().isFinished()) {
          main.println(
              "Flow " + fd.name() + " " + fd.uuid() + " finished meanwhile: " + fd.state());
          continue;
        }
        Outcome o = resume(main, backend, fd);
        if (o == Outcome.FAILED) {
          failed++;
        } else if (o == Outcome.TAKEN) {
          taken++;
        }
      }
      LogbooksCommand.reportDamaged(main, damaged, connection);
      if (failed > 0) {
        return ExitCodes.FAILURE;
      }
      if (taken > 0) {
        return ExitCodes.CONFLICT;
      }
      return damaged.isEmpty() ? ExitCodes.OK : ExitCodes.DAMAGED;
    }
  }

  private static int exitCode(Outcome o) {
    return switch (o) {
      case SUCCEEDED -> ExitCodes.OK;
      case FAILED -> ExitCodes.FAILURE;
      case TAKEN -> ExitCodes.CONFLICT;
    };
  }

  /** How one resumed flow ended, for the exit code. */
  private enum Outcome {
    SUCCEEDED,
    FAILED,
    /** Another process ran the flow at the same time and this one stopped; it is not finished. */
    TAKEN
  }

  /**
   * Rebuilds and runs one flow. When another process resumes the same flow at the same time, one of
   * them has a write refused and stops without writing anything more; if the other finished the
   * flow, that counts as done here too.
   */
  @SuppressWarnings("try") // the progress listener is registered for the try block's duration
  private Outcome resume(Main main, Backend backend, FlowDetail fd) {
    main.println("Resuming flow " + fd.name() + " " + fd.uuid() + " (was " + fd.state() + ")");
    Engines.Builder b = Engines.loadFromDetail(fd).backend(backend);
    if (serial) {
      b.serial();
    } else {
      b.parallel(workers);
    }
    FlowState end;
    boolean refused = false;
    try (Engine engine = b.build();
        Progress progress = quiet ? null : new Progress(engine, main)) {
      try {
        engine.run();
      } catch (ConflictException e) {
        refused = true;
        main.println(
            "Flow "
                + fd.uuid()
                + ": another process is running it too; this one stopped without writing more ("
                + Main.oneLine(e.getMessage())
                + ")");
      } catch (RuntimeException e) {
        main.println("Flow " + fd.uuid() + " failed: " + Main.oneLine(e.getMessage()));
      }
      end = engine.flowState();
    }
    if (refused) {
      try (Connection c = backend.getConnection()) {
        end = c.getFlowDetails(fd.uuid(), true).state();
      }
      main.println("Flow " + fd.name() + " " + fd.uuid() + " is " + end + " in the store");
      if (end == FlowState.SUCCESS) {
        return Outcome.SUCCEEDED;
      }
      return end.isFinished() ? Outcome.FAILED : Outcome.TAKEN;
    }
    main.println("Flow " + fd.name() + " " + fd.uuid() + " finished: " + end);
    return end == FlowState.SUCCESS ? Outcome.SUCCEEDED : Outcome.FAILED;
  }
}
