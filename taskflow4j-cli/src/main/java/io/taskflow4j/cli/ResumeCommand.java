package io.taskflow4j.cli;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.storage.FlowFences;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  @Option(
      names = "--json",
      description =
          "Print one JSON object at the end instead of lines (no transitions): {\"connection\","
              + " \"flows\": [{\"uuid\", \"name\", \"was\", \"state\", \"outcome\","
              + " \"message\"}], \"damaged\": [...]}.")
  boolean json;

  /** Each flow looked at, for --json: what it was, how it ended, and why. */
  private final List<Map<String, Object>> flows = new ArrayList<>();

  private Main main;

  /** Prints a line, unless --json. */
  private void say(String line) {
    if (!json) {
      main.println(line);
    }
  }

  /** Notes how a flow ended for --json. */
  private void note(
      String uuid, String name, FlowState was, FlowState state, String outcome, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", uuid);
    m.put("name", name);
    m.put("was", was == null ? null : was.name());
    m.put("state", state == null ? null : state.name());
    m.put("outcome", outcome);
    m.put("message", message);
    flows.add(m);
  }

  /** The --json report. */
  private int report(int exitCode, List<CorruptRecordException> damaged) {
    if (json) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("connection", Stores.mask(connection));
      r.put("flows", flows);
      List<Object> d = new ArrayList<>();
      for (CorruptRecordException e : damaged) {
        d.add(LogbooksCommand.damagedJson(e));
      }
      r.put("damaged", d);
      main.printJson(r);
    }
    return exitCode;
  }

  @Override
  public Integer call() {
    main = Main.of(spec);
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
          say("Flow " + fd.name() + " " + fd.uuid() + " already finished: " + fd.state());
          note(fd.uuid(), fd.name(), fd.state(), fd.state(), "already_finished", null);
          return report(
              fd.state() == FlowState.SUCCESS ? ExitCodes.OK : ExitCodes.FAILURE, List.of());
        }
        return report(exitCode(resume(backend, fd)), List.of());
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
      say(unfinished.size() + " unfinished flow(s) in " + Stores.mask(connection));
      for (CorruptRecordException e : damaged) {
        say(LogbooksCommand.damagedLine(e));
      }
      int failed = 0;
      int taken = 0;
      for (String uuid : unfinished) {
        FlowDetail fd;
        try (Connection c = backend.getConnection()) {
          fd = c.getFlowDetails(uuid);
        } catch (NotFoundException gone) {
          say("Flow " + uuid + " was deleted meanwhile: not resumed");
          note(uuid, null, null, null, "deleted_meanwhile", null);
          continue;
        } catch (CorruptRecordException e) {
          damaged.add(e);
          say(LogbooksCommand.damagedLine(e));
          continue;
        }
        if (fd.state().isFinished()) {
          finishedMeanwhile(fd, fd.state());
          continue;
        }
        Outcome o = resume(backend, fd);
        if (o == Outcome.FAILED) {
          failed++;
        } else if (o == Outcome.TAKEN) {
          taken++;
        }
      }
      LogbooksCommand.reportDamaged(main, damaged, connection);
      if (failed > 0) {
        return report(ExitCodes.FAILURE, damaged);
      }
      if (taken > 0) {
        return report(ExitCodes.CONFLICT, damaged);
      }
      return report(damaged.isEmpty() ? ExitCodes.OK : ExitCodes.DAMAGED, damaged);
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
    TAKEN;

    /** The outcome as --json names it. */
    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Rebuilds and runs one flow, as its only runner among resumes. It first raises the flow's resume
   * fence ({@link FlowFences#raise}) above the token of any other resume, then reads the flow again
   * and runs it with every write fenced. A second process resuming the same flow at the same time
   * either finds a higher token when it raises its own, and does not start, or has its next write
   * refused once the other raised the fence, and stops without writing more. Without the fence both
   * would run the flow's tasks, and each could stop the other at its next revision check, leaving
   * the flow unfinished. If the other process finished the flow, that counts as done here too.
   */
  @SuppressWarnings("try") // the progress listener is registered for the try block's duration
  private Outcome resume(Backend backend, FlowDetail listed) {
    say("Resuming flow " + listed.name() + " " + listed.uuid() + " (was " + listed.state() + ")");
    try (Connection conn = backend.getConnection()) {
      Fence fence;
      try {
        fence = FlowFences.raise(conn, listed.uuid());
      } catch (FencedException e) {
        return taken(conn, listed, e);
      }
      // Read after the fence rose: what an earlier resume wrote is here, and nothing it writes
      // from now on lands.
      FlowDetail fd = conn.getFlowDetails(listed.uuid(), true);
      if (fd.state().isFinished()) {
        finishedMeanwhile(fd, listed.state());
        return fd.state() == FlowState.SUCCESS ? Outcome.SUCCEEDED : Outcome.FAILED;
      }
      FlowState end;
      String message = null;
      try (Connection fenced = conn.fenced(fence);
          Engine engine = engine(fd, fenced);
          Progress progress = quiet || json ? null : new Progress(engine, main)) {
        try {
          engine.run();
        } catch (RuntimeException e) {
          RuntimeException lost = lostToAnother(e);
          if (lost != null) {
            return taken(conn, listed, lost);
          }
          message = Main.oneLine(e.getMessage());
          say("Flow " + fd.uuid() + " failed: " + message);
        }
        end = engine.flowState();
      }
      say("Flow " + fd.name() + " " + fd.uuid() + " finished: " + end);
      Outcome outcome = end == FlowState.SUCCESS ? Outcome.SUCCEEDED : Outcome.FAILED;
      note(fd.uuid(), fd.name(), listed.state(), end, outcome.label(), message);
      return outcome;
    }
  }

  /** Says that flow {@code fd}, {@code was} when listed, was finished by another process. */
  private void finishedMeanwhile(FlowDetail fd, FlowState was) {
    say("Flow " + fd.name() + " " + fd.uuid() + " finished meanwhile: " + fd.state());
    note(fd.uuid(), fd.name(), was, fd.state(), "finished_meanwhile", null);
  }

  private Engine engine(FlowDetail fd, Connection fenced) {
    Engines.Builder b = Engines.loadFromDetail(fd).connection(fenced);
    if (serial) {
      b.serial();
    } else {
      b.parallel(workers);
    }
    return b.build();
  }

  /**
   * Another process resumes the flow too and this one stopped (or never started): says so, and
   * judges by the state the store holds now, since the other may have finished it already.
   */
  private Outcome taken(Connection conn, FlowDetail listed, RuntimeException why) {
    String message =
        "another process is running it too; this one stopped without writing more ("
            + (why instanceof FencedException
                ? "another resume raised the flow's resume fence higher"
                : Main.oneLine(why.getMessage()))
            + ")";
    say("Flow " + listed.uuid() + ": " + message);
    FlowState end = conn.getFlowDetails(listed.uuid(), true).state();
    say("Flow " + listed.name() + " " + listed.uuid() + " is " + end + " in the store");
    Outcome outcome;
    if (end == FlowState.SUCCESS) {
      outcome = Outcome.SUCCEEDED;
    } else {
      outcome = end.isFinished() ? Outcome.FAILED : Outcome.TAKEN;
    }
    note(listed.uuid(), listed.name(), listed.state(), end, outcome.label(), message);
    return outcome;
  }

  /**
   * The refusal that says another writer has the flow, if {@code e} is or carries one: a fenced
   * write (a later resume raised the fence) or a revision conflict (a writer that is no resume).
   */
  private static RuntimeException lostToAnother(Throwable e) {
    for (int depth = 0; e != null && depth < 20; depth++, e = e.getCause()) {
      if (e instanceof FencedException || e instanceof ConflictException) {
        return (RuntimeException) e;
      }
    }
    return null;
  }
}
