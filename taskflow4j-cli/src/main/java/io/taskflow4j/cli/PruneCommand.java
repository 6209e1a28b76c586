package io.taskflow4j.cli;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.FlowSummary;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.retention.PruneListener;
import io.taskflow4j.retention.PruneReport;
import io.taskflow4j.retention.Pruner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j logbooks prune}. */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = {
      "Delete finished flows (SUCCESS, REVERTED, FAILURE) whose record was last updated longer"
          + " ago than --older-than, with their atoms, and the logbooks that leaves empty.",
      "Never an unfinished flow, nor one a job on the board refers to (posted or claimed), nor"
          + " one another process changed meanwhile. Deletes one flow at a time, a batch at a"
          + " time, so running engines are not held up."
    })
final class PruneCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--older-than",
      paramLabel = "AGE",
      required = true,
      converter = DurationConverter.class,
      description = "How old a flow's last update must be: 30d, 12h, 1d12h (or ISO-8601, PT1H).")
  Duration olderThan;

  @Option(
      names = "--state",
      paramLabel = "STATE",
      split = ",",
      description = "Only flows in these finished states (default: SUCCESS,REVERTED,FAILURE).")
  List<FlowState> states = new ArrayList<>();

  @Option(
      names = "--board",
      paramLabel = "URI",
      description =
          "A board whose jobs' flows are kept (repeatable; default: the board in the store"
              + " itself, as the jobs and conductor commands use it).")
  List<String> boards = new ArrayList<>();

  @Option(names = "--no-board", description = "Check no board (no job refers to these flows).")
  boolean noBoard;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "200",
      description = "Flows listed and deleted per batch (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--dry-run", description = "Count what would be deleted; delete nothing.")
  boolean dryRun;

  @Option(names = "--json", description = "Print the report as one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    Duration age = olderThan;
    if (noBoard && !boards.isEmpty()) {
      throw new CliException(ExitCodes.USAGE, "--no-board and --board exclude each other");
    }
    List<Jobboard> opened = new ArrayList<>();
    try (Backend backend = Stores.existing(connection);
        Connection c = backend.getConnection()) {
      if (!noBoard) {
        for (String uri : boards.isEmpty() ? List.of(connection) : boards) {
          opened.add(openBoard(uri));
        }
      }
      Pruner.Builder b;
      try {
        b = Pruner.builder(c).olderThan(age).batchSize(batchSize).dryRun(dryRun).boards(opened);
        if (!states.isEmpty()) {
          b.states(states);
        }
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, Main.oneLine(e.getMessage()), e);
      }
      Pruner planned = b.build();
      long total = 0;
      for (long n : planned.count().values()) {
        total += n;
      }
      ProgressBar bar =
          json || total == 0
              ? null
              : new ProgressBar(
                  main, dryRun ? "count" : "prune", (int) Math.min(total, Integer.MAX_VALUE));
      long[] seen = {0};
      PruneReport r =
          b.listener(
                  new PruneListener() {
                    @Override
                    public void deleted(FlowSummary flow) {
                      step();
                    }

                    @Override
                    public void kept(FlowSummary flow, Reason reason) {
                      step();
                    }

                    private void step() {
                      seen[0]++;
                      if (bar != null) {
                        bar.update((int) Math.min(seen[0], Integer.MAX_VALUE));
                      }
                    }
                  })
              .before(planned.cutoff())
              .build()
              .run();
      if (bar != null) {
        bar.done();
      }
      if (json) {
        main.printData(Json.write(r.toMap()));
      } else {
        main.println(describe(r, connection));
      }
      return ExitCodes.OK;
    } finally {
      for (Jobboard board : opened) {
        try {
          board.close();
        } catch (RuntimeException e) {
          main.info("could not close board: " + Main.oneLine(String.valueOf(e.getMessage())));
        }
      }
    }
  }

  private static Jobboard openBoard(String uri) {
    try {
      return Jobboards.open(BackendConf.parse(uri).asMap());
    } catch (RuntimeException e) {
      throw new CliException(
          ExitCodes.STORE,
          "cannot open the board at "
              + Stores.mask(uri)
              + " to keep the flows its jobs refer to ("
              + Main.oneLine(String.valueOf(e.getMessage()))
              + "); name it with --board URI, or say --no-board if no board refers to this store",
          e);
    }
  }

  static String describe(PruneReport r, String connection) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.dryRun() ? "Would delete " : "Deleted ")
        .append(r.flowsDeleted())
        .append(" flow(s)");
    if (!r.deleted().isEmpty()) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<FlowState, Long> e : r.deleted().entrySet()) {
        parts.add(e.getValue() + " " + e.getKey());
      }
      sb.append(" (").append(String.join(", ", parts)).append(")");
    }
    if (!r.dryRun()) {
      sb.append(" and ").append(r.booksDeleted()).append(" emptied logbook(s)");
    }
    sb.append(" last updated before ")
        .append(r.cutoff())
        .append(" from ")
        .append(Stores.mask(connection))
        .append(" in ")
        .append(r.elapsed().toMillis())
        .append(" ms");
    if (r.keptReferenced() > 0) {
      sb.append("; kept ").append(r.keptReferenced()).append(" a job still refers to");
    }
    if (r.keptChanged() > 0) {
      sb.append("; kept ").append(r.keptChanged()).append(" changed meanwhile (resumed?)");
    }
    return sb.toString();
  }
}
