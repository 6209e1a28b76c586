package io.taskflow4j.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.taskflow4j.persistence.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code taskflow4j} command: runs the demo and the benchmark workloads, resumes unfinished
 * flows, and lists, shows, exports, imports and migrates logbooks between any two backends.
 *
 * <p>Run {@code taskflow4j --help} for the commands; {@link ExitCodes} lists the exit codes.
 */
@Command(
    name = "taskflow4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Run, resume, inspect, export, import and migrate taskflow4j logbooks.",
    subcommands = {
      DemoCommand.class,
      ResumeCommand.class,
      LogbooksCommand.class,
      StatsCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      MigrateCommand.class,
      UpgradeCommand.class,
      ValidateCommand.class,
      VerifyCommand.class,
      BenchCommand.class,
      WorkerCommand.class,
      JobsCommand.class,
      ConductorCommand.class,
      DashboardCommand.class,
      CompletionCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  success",
      "  1  a flow did not succeed, verification found differences, unexpected error",
      "  2  bad usage: unknown option, malformed connection string, unknown scheme",
      "  3  the store cannot be reached or used (server down, wrong password, I/O)",
      "  4  no such logbook or flow",
      "  5  an input file is missing, unreadable, corrupt, or of another format",
      "  6  a logbook already exists in the target store (use --replace), or a",
      "     concurrent writer changed it (resume: another process runs the flow)",
      "  7  the store's schema is newer than this taskflow4j",
      "  8  the store is older than this version writes (a TaskFlow store): upgrade",
      "  9  damaged records in the store (named); the rest was listed, exported or",
      "     resumed",
      " 42  demo --crash-after stopped the process on purpose",
      "",
      "Connection strings (--connection, --from, --to):",
      "  memory://  dir:///abs/path  sqlite:///relative.db  sqlite:////abs/path.db",
      "  postgresql://user:pw@host:5432/db  mysql://...  mariadb://...  jdbc:...",
      "  and any other backend on the class path. Passwords are never printed.",
      "  Keep a password off the command line: ?password_file=/private/file,",
      "  ?password_env=VARIABLE, or the arguments in a private file: taskflow4j ... @FILE"
    })
public final class Main implements Callable<Integer> {

  /** The system property holding how the user invoked the command (set by the launcher). */
  public static final String COMMAND_PROPERTY = "taskflow4j.command";

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Show log output and the stack trace of an error.")
  boolean verbose;

  private final PrintStream out;
  private final PrintStream err;
  private final boolean verboseRequested;
  private final boolean jsonRequested;

  private Main(PrintStream out, PrintStream err, boolean verbose, boolean json) {
    this.out = out;
    this.err = err;
    this.verboseRequested = verbose;
    this.jsonRequested = json;
  }

  /** Runs the command and exits with its exit code. */
  public static void main(String[] args) {
    boolean verbose = verboseIn(args);
    boolean json = jsonIn(args);
    // A thread of a pool or a shutdown hook that dies prints one line too, not a stack trace.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> new Main(System.out, System.err, verbose, json).report(e));
    int code = execute(args, System.out, System.err);
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }

  /**
   * Runs the command in this process, printing to {@code out} and {@code err}.
   *
   * @return the exit code (see {@link ExitCodes})
   */
  public static int execute(String[] args, PrintStream out, PrintStream err) {
    boolean verbose = verboseIn(args);
    configureLogging(verbose);
    Main main = new Main(out, err, verbose, jsonIn(args));
    CommandLine cmd = new CommandLine(main);
    shareVersion(cmd, new Version());
    cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> main.report(ex));
    cmd.setParameterExceptionHandler(
        (ex, arguments) -> {
          String name = ex.getCommandLine().getCommandSpec().qualifiedName();
          String msg = oneLine(ex.getMessage());
          if (msg.startsWith("Error: ")) {
            msg = msg.substring("Error: ".length());
          }
          main.fail(ExitCodes.USAGE, msg + " (see '" + name + " --help')", false);
          return ExitCodes.USAGE;
        });
    try {
      return cmd.execute(args);
    } catch (RuntimeException | Error e) {
      // picocli hands Exceptions to the handler above; an Error (out of memory, a stack
      // overflow) or a failure of picocli itself comes here: one line all the same
      return main.report(e);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static boolean verboseIn(String[] args) {
    return optionIn(args, "--verbose");
  }

  /**
   * Whether the command line asks for JSON: then an error is also printed as a JSON object on
   * standard output (see {@link #fail}), known before parsing so that a usage error is one too.
   */
  private static boolean jsonIn(String[] args) {
    return optionIn(args, "--json");
  }

  private static boolean optionIn(String[] args, String option) {
    for (String a : args) {
      if ("--".equals(a)) {
        break;
      }
      if (option.equals(a)) {
        return true;
      }
    }
    return false;
  }

  private static void shareVersion(CommandLine cmd, IVersionProvider version) {
    cmd.getCommandSpec().versionProvider(version);
    for (CommandLine sub : cmd.getSubcommands().values()) {
      shareVersion(sub, version);
    }
  }

  private static void configureLogging(boolean verbose) {
    try {
      org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      if (root instanceof Logger logback) {
        logback.setLevel(verbose ? Level.INFO : Level.OFF);
      }
    } catch (RuntimeException | LinkageError e) {
      // another logging binding: leave its configuration alone
    }
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(err);
    return ExitCodes.USAGE;
  }

  // ---- what every command shares ----

  /** The root command of a command's spec. */
  static Main of(CommandSpec spec) {
    return (Main) spec.root().userObject();
  }

  /** Standard output. */
  PrintStream out() {
    return out;
  }

  /** Standard error. */
  PrintStream err() {
    return err;
  }

  /** Whether --verbose was given. */
  boolean verbose() {
    return verboseRequested || verbose;
  }

  /** Prints a line to standard output, secrets removed. */
  void println(String line) {
    synchronized (out) {
      out.println(Secrets.redact(line));
    }
  }

  /**
   * Prints stored data (logbook contents) to standard output as it is: connection strings never
   * appear in it, and masking a password inside a user's own data would corrupt that data.
   */
  void printData(String line) {
    synchronized (out) {
      out.println(line);
    }
  }

  /** Prints a line to standard error, secrets removed. */
  void info(String line) {
    synchronized (err) {
      err.println(Secrets.redact(line));
    }
  }

  /** Prints an error line to standard error, secrets removed. */
  void error(String message) {
    synchronized (err) {
      err.println(Secrets.redact("taskflow4j: error: " + message));
    }
  }

  /**
   * Prints a report as one JSON object on one line of standard output, secrets removed (its
   * connection strings are masked already; a password-like field of a name is masked too).
   */
  void printJson(Map<String, ?> report) {
    println(Json.write(report));
  }

  /**
   * Reports an error: one line on standard error, and under --json also {@code {"error": {"type",
   * "exit_code", "message"}}} on standard output, so that a script reading the output always gets
   * one JSON object. The type is the exit code's name (see {@link ExitCodes#name}), or {@code
   * "unexpected"} for a failure the command did not foresee.
   */
  void fail(int exitCode, String message, boolean unexpected) {
    error(message + (unexpected && !verbose() ? " (run with --verbose for details)" : ""));
    if (jsonRequested) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("type", unexpected ? "unexpected" : ExitCodes.name(exitCode));
      error.put("exit_code", exitCode);
      error.put("message", message);
      printJson(Map.of("error", error));
      synchronized (out) {
        out.flush();
      }
    }
  }

  /** How the user runs this command, for the commands it suggests. */
  static String commandName() {
    String c = System.getProperty(COMMAND_PROPERTY);
    return c == null || c.isBlank() ? "taskflow4j" : c;
  }

  /** Prints what went wrong as one line (and, with --verbose, the stack trace); the exit code. */
  int report(Throwable ex) {
    Errors.Report r;
    if (ex instanceof OutOfMemoryError) {
      r =
          new Errors.Report(
              ExitCodes.FAILURE,
              "out of memory ("
                  + oneLine(ex.getMessage())
                  + "); give the Java virtual machine more, e.g. TASKFLOW4J_JAVA_OPTS=-Xmx4g "
                  + commandName()
                  + " ... (or java -Xmx4g -jar ...)",
              false);
    } else {
      r = Errors.describe(ex);
    }
    fail(r.exitCode(), r.message(), r.unexpected());
    if (verbose()) {
      StringWriter trace = new StringWriter();
      ex.printStackTrace(new PrintWriter(trace));
      synchronized (err) {
        err.print(Secrets.redact(trace.toString()));
      }
    }
    return r.exitCode();
  }

  /** {@code text} on one line (line breaks become spaces). */
  static String oneLine(String text) {
    if (text == null) {
      return "";
    }
    return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }

  /** The version: the project's version and the Java runtime. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"taskflow4j " + version(), "Java " + System.getProperty("java.version")};
    }

    static String version() {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        return "unknown";
      }
      return p.getProperty("version", "unknown");
    }
  }
}
