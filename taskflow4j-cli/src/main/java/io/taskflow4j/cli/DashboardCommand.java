package io.taskflow4j.cli;

import io.taskflow4j.dashboard.Dashboard;
import io.taskflow4j.dashboard.DashboardException;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code taskflow4j dashboard}: serves the web dashboard until stopped; read-only unless {@code
 * --allow-actions}.
 */
@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a read-only web dashboard of a store: flows by state, the flows page by page, a"
          + " timeline of each flow with its failures and retries, and a board's jobs.",
      "Listens on 127.0.0.1 unless --bind says otherwise; another address needs --token-file.",
      "--allow-actions (which needs --token-file) adds buttons that resume a flow (by posting a"
          + " job on --board), trash a job and delete a finished flow; the store is then opened"
          + " for writing.",
      "Runs until stopped (Ctrl-C)."
    })
final class DashboardCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--connection",
      paramLabel = "URI",
      required = true,
      description = "The store to show (read only, unless --allow-actions).")
  String connection;

  @Option(
      names = "--board",
      paramLabel = "URI",
      description = "A jobboard whose jobs and conductors the jobs page shows.")
  String board;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "The port (default: ${DEFAULT-VALUE}; 0: any free one).")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = Dashboard.DEFAULT_BIND,
      description = "The address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "A file whose first line is the token every request must carry (needed on any address"
              + " but loopback; the file must be private: chmod 600).")
  Path tokenFile;

  @Option(
      names = "--allow-actions",
      description =
          "Allow actions that change the store and the board: resume a flow (posts a job on"
              + " --board for a conductor), trash a job, delete a finished flow. Needs"
              + " --token-file, even on loopback.")
  boolean allowActions;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    if (port < 0 || port > 65_535) {
      throw new CliException(ExitCodes.USAGE, "--port must be from 0 to 65535, not " + port);
    }
    if (allowActions && tokenFile == null) {
      throw new CliException(
          ExitCodes.USAGE,
          "--allow-actions needs --token-file FILE, even on 127.0.0.1: without a token any local"
              + " process or web page could change the store; make one with: openssl rand -hex 24"
              + " > FILE && chmod 600 FILE");
    }
    String token = tokenFile == null ? null : readToken(tokenFile);
    // read-only unless actions were asked for: then the store must be writable as it is
    String viewed = forViewing(connection);
    Backend backend = allowActions ? Stores.existing(viewed) : Stores.readable(viewed);
    Jobboard jobboard = null;
    try {
      jobboard = board == null ? null : Jobboards.open(board);
      serve(main, backend, jobboard, connection, board, port, bind, token, allowActions);
      return ExitCodes.OK;
    } finally {
      if (jobboard != null) {
        jobboard.close();
      }
      backend.close();
    }
  }

  /** Starts the dashboard, prints its address, and serves until the process is stopped. */
  static void serve(
      Main main,
      Backend backend,
      Jobboard jobboard,
      String connection,
      String boardConnection,
      int port,
      String bind,
      String token,
      boolean allowActions) {
    Dashboard dashboard;
    try {
      dashboard =
          Dashboard.builder()
              .backend(backend)
              .jobboard(jobboard)
              .storeLabel(Stores.mask(connection))
              .boardLabel(boardConnection == null ? null : Stores.mask(boardConnection))
              .port(port)
              .bindAddress(bind)
              .token(token)
              .allowActions(allowActions)
              .start();
    } catch (DashboardException | IllegalArgumentException e) {
      throw new CliException(ExitCodes.USAGE, e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              dashboard.close();
              stopped.countDown();
            },
            "taskflow4j-dashboard-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    main.println(
        "Dashboard of "
            + Stores.mask(connection)
            + " at "
            + dashboard.url()
            + (token == null ? "" : " (open it once as " + dashboard.url() + "?token=TOKEN)"));
    main.println(
        allowActions
            ? "Actions allowed (resume, trash, delete); Ctrl-C stops it."
            : "Read-only; Ctrl-C stops it.");
    main.out().flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      dashboard.close();
    }
  }

  /** The SQL backends' names, whose waits {@link #forViewing} bounds. */
  private static final java.util.Set<String> SQL =
      java.util.Set.of("sqlite", "postgresql", "postgres", "mysql", "mariadb", "jdbc");

  /**
   * {@code connection} with a viewer's patience where the user set none: a page that meets a store
   * locked by another process (a writer paused inside its transaction) answers within seconds that
   * it could not read, instead of after an engine's patience (a 30 s wait, six retries: minutes).
   */
  static String forViewing(String connection) {
    io.taskflow4j.persistence.BackendConf conf =
        io.taskflow4j.persistence.BackendConf.parse(connection);
    if (!SQL.contains(conf.backendName())) {
      return connection;
    }
    StringBuilder out = new StringBuilder(connection);
    for (String[] option : new String[][] {{"pool_timeout", "5"}, {"max_retries", "1"}}) {
      if (!conf.has(option[0])) {
        out.append(out.indexOf("?") < 0 ? '?' : '&')
            .append(option[0])
            .append('=')
            .append(option[1]);
      }
    }
    return out.toString();
  }

  /** The token: the first line of a file only its owner may read. */
  static String readToken(Path file) {
    try {
      return Dashboard.readTokenFile(file);
    } catch (DashboardException e) {
      throw new CliException(ExitCodes.USAGE, e.getMessage());
    }
  }
}
