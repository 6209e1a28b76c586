package io.taskflow4j.cli;

import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.jobs.TrashedJob;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskFlowException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code taskflow4j jobs post|list|show|trash|purge-trash}. */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = {
      "Post, list, show and trash jobs on a jobboard, and empty its trash.",
      "The board lives in the same store as the logbooks (--connection); --board selects another"
          + " store for it (e.g. a ZooKeeper board for SQL logbooks)."
    },
    subcommands = {
      JobsCommand.Post.class,
      JobsCommand.ListJobs.class,
      JobsCommand.Show.class,
      JobsCommand.Trash.class,
      JobsCommand.PurgeTrash.class
    })
final class JobsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(Main.of(spec).err());
    return ExitCodes.USAGE;
  }

  /** Options every jobs command shares: where the logbooks and the board are. */
  static final class Where {
    @Option(
        names = "--connection",
        paramLabel = "URI",
        required = true,
        description = "The store of the logbooks (and of the board, unless --board is given).")
    String connection;

    @Option(names = "--board", paramLabel = "URI", description = "The board's store, if elsewhere.")
    String board;

    @Option(
        names = "--lease",
        paramLabel = "SECONDS",
        description = "How long a claim lasts without renewal (default 10).")
    String lease;

    Jobboard openBoard() {
      if (lease != null) {
        try {
          // checked apart from the connection string, so the error names the option
          Jobboards.leaseTime(
              BackendConf.of(Map.of(BackendConf.CONNECTION, "memory", "lease", lease)));
        } catch (io.taskflow4j.persistence.InvalidConfigurationException e) {
          throw new CliException(
              ExitCodes.USAGE,
              "--lease must be a number of seconds of at least 0.1 (or an ISO-8601 duration such"
                  + " as PT30S), not '"
                  + lease
                  + "'");
        }
      }
      Map<String, Object> conf =
          new LinkedHashMap<>(BackendConf.parse(board != null ? board : connection).asMap());
      if (lease != null) {
        conf.put(Jobboards.LEASE, lease);
      }
      return Jobboards.open(conf);
    }

    String boardName() {
      return Stores.mask(board != null ? board : connection);
    }
  }

  static Job requireJob(Jobboard board, String uuid, String where) {
    return board
        .job(uuid)
        .orElseThrow(
            () ->
                new CliException(
                    ExitCodes.NOT_FOUND,
                    "no job "
                        + uuid
                        + " on the board of "
                        + where
                        + "; list the jobs with '"
                        + Main.commandName()
                        + " jobs list --connection ...'"));
  }

  /** A job as a JSON-able map. */
  static Map<String, Object> toMap(Job j) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", j.uuid());
    m.put("name", j.name());
    m.put("priority", j.priority().name());
    m.put("state", j.state().name());
    m.put("owner", j.owner());
    m.put("token", j.token());
    m.put("failures", j.failures());
    m.put("created_on", j.createdOn().toString());
    m.put("idempotency_key", j.idempotencyKey());
    m.put(
        "book", j.book() == null ? null : Map.of("name", j.book().name(), "uuid", j.book().uuid()));
    m.put("details", j.details());
    return m;
  }

  /** {@code jobs post}. */
  @Command(
      name = "post",
      mixinStandardHelpOptions = true,
      description = {
        "Post a flow as a job: saves a logbook with the flow's factory and arguments, then posts"
            + " a job naming it, for a conductor to run.",
        "FACTORY is a registered factory name (chain, fanout, or any listed in"
            + " META-INF/services/io.taskflow4j.engine.FlowFactory) or a FlowFactory class name."
            + " ARGS are JSON values (plain words are strings): 'jobs post chain 100'."
      })
  static final class Post implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where;

    @Parameters(index = "0", paramLabel = "FACTORY", description = "The flow factory.")
    String factory;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its positional arguments.")
    List<String> args = new ArrayList<>();

    @Option(names = "--name", description = "The job's name (default: the factory's).")
    String name;

    @Option(
        names = "--priority",
        description = "very_high, high, normal (default), low or very_low.")
    String priority = "normal";

    @Option(names = "--key", description = "Idempotency key: a second post with it posts nothing.")
    String key;

    @Option(names = "--store", paramLabel = "KEY=JSON", description = "A value for the store.")
    Map<String, String> store = new LinkedHashMap<>();

    @Option(names = "--count", description = "Post this many jobs (default 1).")
    int count = 1;

    @Option(names = "--json", description = "Print the posted jobs as JSON.")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      JobPriority p;
      try {
        p = JobPriority.parse(priority);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, e.getMessage());
      }
      if (count < 1 || (key != null && count > 1)) {
        throw new CliException(ExitCodes.USAGE, "--count must be at least 1, and 1 with --key");
      }
      FlowFactory f = factory(factory);
      List<Object> values = new ArrayList<>();
      for (String a : args) {
        values.add(jsonOrString(a));
      }
      try {
        // the flow is built once here, so that arguments it refuses are a usage error now
        // rather than a job that fails on every conductor
        f.create(values, Map.of());
      } catch (RuntimeException e) {
        throw new CliException(
            ExitCodes.USAGE,
            "cannot post " + factory + " " + String.join(" ", args) + ": " + e.getMessage());
      }
      Map<String, Object> storeValues = new LinkedHashMap<>();
      store.forEach((k, v) -> storeValues.put(k, jsonOrString(v)));
      FlowJob job =
          new FlowJob(name != null ? name : f.name(), f, values, Map.of(), storeValues, p, key);
      List<Object> posted = new ArrayList<>();
      try (Backend backend = Stores.open(where.connection);
          Connection c = backend.getConnection();
          Jobboard board = where.openBoard()) {
        for (int i = 0; i < count; i++) {
          Job j = FlowJobs.post(board, c, job);
          if (json) {
            posted.add(toMap(j));
          } else {
            main.printData(j.uuid());
          }
        }
      }
      if (json) {
        main.printData(Json.write(posted));
      } else {
        main.println(
            "Posted "
                + count
                + (count == 1 ? " job" : " jobs")
                + " on "
                + where.boardName()
                + "; run them with '"
                + Main.commandName()
                + " conductor --connection "
                + Stores.shellQuote(Stores.mask(where.connection))
                + "'");
      }
      return ExitCodes.OK;
    }

    private static FlowFactory factory(String name) {
      FlowFactories installed = FlowFactories.installed();
      Optional<FlowFactory> known = installed.find(name);
      if (known.isPresent()) {
        return known.get();
      }
      try {
        Class<?> c = Class.forName(name);
        return (FlowFactory) c.getConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
        throw new CliException(
            ExitCodes.USAGE,
            "unknown flow factory '"
                + name
                + "'; known: "
                + String.join(", ", shortNames(installed))
                + ", or the class name of a FlowFactory on the class path");
      }
    }

    private static List<String> shortNames(FlowFactories f) {
      return f.names().stream().filter(n -> !n.contains(".")).toList();
    }

    private static Object jsonOrString(String s) {
      try {
        return Json.read(s);
      } catch (RuntimeException e) {
        return s;
      }
    }
  }

  /** {@code jobs list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the jobs in claiming order (priority, then age), or the trash.")
  static final class ListJobs implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where;

    @Option(
        names = "--trash",
        description = "List the trashed jobs instead, with when and why each was trashed.")
    boolean trash;

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description =
            "List only the first N jobs in claiming order, and say how many there are (the SQL"
                + " board reads only those; default: every job).")
    Integer limit;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      if (limit != null && limit < 1) {
        throw new CliException(ExitCodes.USAGE, "--limit must be at least 1, not " + limit);
      }
      if (limit != null && trash) {
        throw new CliException(ExitCodes.USAGE, "--limit lists the board's jobs, not the trash");
      }
      if (trash) {
        return listTrash(main);
      }
      List<Job> jobs;
      long total;
      try (Jobboard board = where.openBoard()) {
        jobs = limit == null ? board.jobs() : board.jobs(limit);
        total = jobs.size();
        if (limit != null && jobs.size() == limit) {
          Map<io.taskflow4j.persistence.JobState, Long> counts = board.countJobs();
          total =
              Math.max(
                  jobs.size(),
                  counts.getOrDefault(io.taskflow4j.persistence.JobState.UNCLAIMED, 0L)
                      + counts.getOrDefault(io.taskflow4j.persistence.JobState.CLAIMED, 0L));
        }
      }
      if (json) {
        List<Object> out = new ArrayList<>();
        jobs.forEach(j -> out.add(toMap(j)));
        main.printData(Json.write(out));
        return ExitCodes.OK;
      }
      if (jobs.isEmpty()) {
        main.println("No jobs on " + where.boardName());
        return ExitCodes.OK;
      }
      String fmt = "%-9s  %-9s  %-36s  %-3s  %-24s  %s";
      main.printData(String.format(fmt, "PRIORITY", "STATE", "UUID", "ERR", "NAME", "OWNER"));
      for (Job j : jobs) {
        main.printData(
            String.format(
                    fmt,
                    j.priority(),
                    j.state(),
                    j.uuid(),
                    j.failures(),
                    j.name().length() > 24 ? j.name().substring(0, 23) + "~" : j.name(),
                    j.owner() == null ? "" : j.owner() + " (token " + j.token() + ")")
                .stripTrailing());
      }
      if (total > jobs.size()) {
        main.info(
            "The first " + jobs.size() + " of " + total + " jobs on " + where.boardName() + ".");
      }
      return ExitCodes.OK;
    }

    /** The trash, oldest first, with when and why each job was trashed. */
    private int listTrash(Main main) {
      List<TrashedJob> entries;
      try (Jobboard board = where.openBoard()) {
        entries = board.trashEntries();
      }
      if (json) {
        List<Object> out = new ArrayList<>();
        for (TrashedJob t : entries) {
          Map<String, Object> m = toMap(t.job());
          m.put("trashed_on", t.trashedOn() == null ? null : t.trashedOn().toString());
          m.put("reason", t.reason());
          out.add(m);
        }
        main.printData(Json.write(out));
        return ExitCodes.OK;
      }
      if (entries.isEmpty()) {
        main.println("No trashed jobs on " + where.boardName());
        return ExitCodes.OK;
      }
      String fmt = "%-7s  %-20s  %-36s  %-3s  %-24s  %s";
      main.printData(
          String.format(fmt, "STATE", "TRASHED ON (UTC)", "UUID", "ERR", "NAME", "REASON"));
      for (TrashedJob t : entries) {
        Job j = t.job();
        main.printData(
            String.format(
                    fmt,
                    j.state(),
                    t.trashedOn() == null
                        ? "?"
                        : t.trashedOn().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                    j.uuid(),
                    j.failures(),
                    j.name().length() > 24 ? j.name().substring(0, 23) + "~" : j.name(),
                    t.reason() == null ? "" : Main.oneLine(t.reason()))
                .stripTrailing());
      }
      return ExitCodes.OK;
    }
  }

  /** {@code jobs show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Show one job and the state of the flow it runs.")
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where;

    @Parameters(paramLabel = "JOB_UUID", description = "The job's uuid.")
    String uuid;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      Job job;
      try (Jobboard board = where.openBoard()) {
        job = requireJob(board, uuid, where.boardName());
      }
      String flowState = "(unknown)";
      if (job.flowUuid().isPresent()) {
        try (Backend backend = Stores.readable(where.connection);
            Connection c = backend.getConnection()) {
          FlowDetail fd = c.getFlowDetails(job.flowUuid().get(), true);
          flowState = fd.state().name();
        } catch (NotFoundException e) {
          flowState = "(flow detail not found)";
        }
      }
      Map<String, Object> m = toMap(job);
      m.put("flow_state", flowState);
      if (json) {
        main.printData(Json.write(m));
        return ExitCodes.OK;
      }
      m.forEach((k, v) -> main.printData(String.format("%-16s %s", k, v == null ? "" : v)));
      return ExitCodes.OK;
    }
  }

  /** {@code jobs trash}. */
  @Command(
      name = "trash",
      mixinStandardHelpOptions = true,
      description = "Move an unclaimed job to the trash (a claimed one is refused).")
  static final class Trash implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where;

    @Parameters(paramLabel = "JOB_UUID", description = "The job's uuid.")
    String uuid;

    @Option(names = "--reason", description = "Why (kept with the job).")
    String reason = "trashed by an operator";

    @Option(
        names = "--json",
        description = "Print the result as one JSON object: {\"board\", \"job\", \"reason\"}.")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      try (Jobboard board = where.openBoard()) {
        Job job = requireJob(board, uuid, where.boardName());
        Optional<Claim> claim;
        try {
          claim = board.claim(uuid, OwnerId.generate("cli"));
        } catch (NotFoundException e) {
          throw new CliException(ExitCodes.NOT_FOUND, "job " + uuid + " left the board");
        }
        if (claim.isEmpty()) {
          Job now = board.job(uuid).orElse(job);
          throw new CliException(
              ExitCodes.CONFLICT,
              "job "
                  + uuid
                  + " is claimed by "
                  + now.owner()
                  + "; stop that conductor first, or wait for it to finish");
        }
        try {
          claim.get().trash(reason);
        } catch (TaskFlowException e) {
          claim.get().close();
          throw e;
        }
      }
      if (json) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("board", where.boardName());
        r.put("job", uuid);
        r.put("reason", reason);
        main.printJson(r);
        return ExitCodes.OK;
      }
      main.println("Trashed job " + uuid);
      return ExitCodes.OK;
    }
  }

  /** {@code jobs purge-trash}. */
  @Command(
      name = "purge-trash",
      mixinStandardHelpOptions = true,
      description = {
        "Remove the jobs trashed longer ago than --older-than from the board's trash.",
        "A trashed job is never claimed again; the trash keeps it for people to look at"
            + " ('jobs list --trash'). The logbooks those jobs named stay: 'logbooks prune'"
            + " deletes their flows once finished and old enough, 'logbooks delete' an unfinished"
            + " one. A conductor with --retention prunes and empties the trash on its own."
      })
  static final class PurgeTrash implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin Where where;

    @Option(
        names = "--older-than",
        paramLabel = "AGE",
        required = true,
        converter = DurationConverter.class,
        description = "How long ago a job must have been trashed: 30d, 12h, 1d12h (or PT1H).")
    Duration olderThan;

    @Option(
        names = "--json",
        description =
            "Print the result as one JSON object: {\"board\", \"trashed_before\", \"removed\"}.")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      Instant cutoff =
          Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).minus(olderThan);
      long removed;
      try (Jobboard board = where.openBoard()) {
        try {
          removed = board.purgeTrash(cutoff);
        } catch (UnsupportedOperationException e) {
          throw new CliException(ExitCodes.USAGE, Main.oneLine(e.getMessage()), e);
        }
      }
      if (json) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("board", where.boardName());
        r.put("trashed_before", cutoff.toString());
        r.put("removed", removed);
        main.printJson(r);
        return ExitCodes.OK;
      }
      main.println(
          "Removed "
              + removed
              + " job(s) trashed before "
              + cutoff
              + " from the trash of "
              + where.boardName());
      return ExitCodes.OK;
    }
  }
}
