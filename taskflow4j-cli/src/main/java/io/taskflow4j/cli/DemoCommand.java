package io.taskflow4j.cli;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.storage.AtomKind;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j demo}: runs the order-processing flow with live progress. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a small order-processing flow, printing each step as it happens.",
      "Steps: fetch-order, then reserve-stock and charge-card in parallel (charge-card fails its first"
          + " attempt and its retry controller runs it again), then ship, then notify-customer.",
      "With --crash-after N the process dies abruptly (exit code 42) once N tasks have succeeded,"
          + " after printing the command that resumes the run."
    })
final class DemoCommand implements Callable<Integer> {
  /** The demo's default store: a SQLite file in the working directory. */
  static final String DEFAULT_CONNECTION = "sqlite:///taskflow4j-demo.db";

  @Spec CommandSpec spec;

  @Option(
      names = "--connection",
      paramLabel = "URI",
      defaultValue = DEFAULT_CONNECTION,
      description = "Where to record the run (default: ${DEFAULT-VALUE}).")
  String connection;

  @Option(
      names = "--crash-after",
      paramLabel = "N",
      description = "Kill the process abruptly after N tasks have succeeded (1 to 4).")
  Integer crashAfter;

  @Option(
      names = "--order",
      paramLabel = "ID",
      defaultValue = "A-1001",
      description = "The order id (default: ${DEFAULT-VALUE}).")
  String orderId;

  @Option(
      names = "--delay",
      paramLabel = "MS",
      defaultValue = "300",
      description = "How long each task works, in milliseconds (default: ${DEFAULT-VALUE}).")
  long delayMillis;

  @Option(
      names = "--dashboard",
      description =
          "After the run, serve the dashboard of the demo's store on 127.0.0.1 and print its"
              + " address (until Ctrl-C).")
  boolean dashboard;

  @Option(
      names = "--dashboard-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "The dashboard's port with --dashboard (default: ${DEFAULT-VALUE}).")
  int dashboardPort;

  @Override
  @SuppressWarnings("try") // the progress listener is registered for the try block's duration
  public Integer call() {
    Main main = Main.of(spec);
    if (crashAfter != null && (crashAfter < 1 || crashAfter >= OrderFlow.TASKS)) {
      throw new CliException(
          ExitCodes.USAGE,
          "--crash-after must be between 1 and "
              + (OrderFlow.TASKS - 1)
              + " (the flow has "
              + OrderFlow.TASKS
              + " tasks), not "
              + crashAfter);
    }
    if (delayMillis < 0) {
      throw new CliException(ExitCodes.USAGE, "--delay must be >= 0, not " + delayMillis);
    }
    String where = Stores.where(connection);
    main.println("Store: " + Stores.mask(connection) + (where.isEmpty() ? "" : " (" + where + ")"));
    try (Backend backend = Stores.open(connection)) {
      LogBook book = LogBook.create("demo " + orderId);
      try (Engine engine =
          Engines.loadFromFactory(OrderFlow.class, List.of(orderId, delayMillis), Map.of())
              .backend(backend)
              .logBook(book)
              .parallel(2)
              .build()) {
        engine.prepare();
        FlowDetail fd = engine.flowDetail();
        main.println("Logbook " + book.uuid() + ", flow " + fd.name() + " " + fd.uuid());
        String resume =
            Main.commandName()
                + " resume --connection "
                + Stores.shellQuote(Stores.mask(connection))
                + " --flow "
                + fd.uuid();
        try (Progress progress = new Progress(engine, main)) {
          if (crashAfter != null) {
            AtomicInteger succeeded = new AtomicInteger();
            engine
                .atomNotifier()
                .register(
                    AtomState.SUCCESS,
                    e -> {
                      if (e.kind() == AtomKind.TASK && succeeded.incrementAndGet() == crashAfter) {
                        main.info(
                            "Crashing on purpose after "
                                + crashAfter
                                + " task(s) (exit code "
                                + ExitCodes.CRASHED
                                + "). Resume the run with:");
                        main.info("  " + resume);
                        main.out().flush();
                        main.err().flush();
                        Runtime.getRuntime().halt(ExitCodes.CRASHED);
                      }
                    });
          }
          try {
            engine.run();
          } catch (RuntimeException e) {
            main.println(
                "Flow "
                    + fd.uuid()
                    + " ended "
                    + engine.flowState()
                    + ": "
                    + Main.oneLine(e.getMessage()));
          }
        }
        FlowState state = engine.flowState();
        main.println("Flow " + fd.name() + " " + fd.uuid() + " finished: " + state);
        main.println(
            "Inspect it: "
                + Main.commandName()
                + " logbooks show "
                + book.uuid()
                + " --connection "
                + Stores.shellQuote(Stores.mask(connection)));
        if (dashboard) {
          DashboardCommand.serve(
              main, backend, null, connection, null, dashboardPort, "127.0.0.1", null, false);
        }
        return state == FlowState.SUCCESS ? ExitCodes.OK : ExitCodes.FAILURE;
      }
    }
  }
}
