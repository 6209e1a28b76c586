package io.taskflow4j.cli;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.CorruptRecordException;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code taskflow4j logbooks list|show|delete}. */
@Command(
    name = "logbooks",
    mixinStandardHelpOptions = true,
    description = "List flows and logbooks, show, delete and prune them.",
    subcommands = {
      LogbooksCommand.ListBooks.class,
      LogbooksCommand.ShowBook.class,
      LogbooksCommand.DeleteBook.class,
      LogbooksCommand.DeleteFlow.class,
      PruneCommand.class
    })
final class LogbooksCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(Main.of(spec).err());
    return ExitCodes.USAGE;
  }

  /**
   * One line naming a damaged record (kind, uuid, its logbook, where, why) and what to do: delete
   * its logbook, or restore the record.
   */
  static String damagedLine(CorruptRecordException e) {
    StringBuilder sb = new StringBuilder("damaged: ").append(e.kind().label());
    e.uuid().ifPresent(u -> sb.append(' ').append(u));
    if (e.kind() != CorruptRecordException.Kind.LOGBOOK) {
      e.bookUuid().ifPresent(b -> sb.append(" of logbook ").append(b));
    }
    sb.append(" (").append(e.location()).append("): ").append(e.reason());
    if (e.bookUuid().isPresent()) {
      sb.append("; delete the logbook with '")
          .append(Main.commandName())
          .append(" logbooks delete ")
          .append(e.bookUuid().get())
          .append(" --connection ...' or restore the record from a backup");
    } else {
      sb.append("; restore the record from a backup, or delete the logbook that holds it");
    }
    return sb.toString();
  }

  /** A damaged record as JSON: {@code kind, uuid, logbook, location, reason}. */
  static Map<String, Object> damagedJson(CorruptRecordException e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", e.kind().name());
    m.put("uuid", e.uuid().orElse(null));
    m.put("logbook", e.bookUuid().orElse(null));
    m.put("location", e.location());
    m.put("reason", e.reason());
    return m;
  }

  /** Says on standard error how many damaged records a command met and left out. */
  static void reportDamaged(Main main, List<CorruptRecordException> damaged, String connection) {
    if (!damaged.isEmpty()) {
      main.info(
          damaged.size()
              + " damaged record(s) in "
              + Stores.mask(connection)
              + " were left out, with the logbooks holding them; delete those with '"
              + Main.commandName()
              + " logbooks delete BOOK_UUID --connection ...' or restore the records");
    }
  }

  static LogBook load(Connection c, String uuid, String connection) {
    try {
      return c.getLogBook(uuid);
    } catch (NotFoundException e) {
      throw new CliException(
          ExitCodes.NOT_FOUND,
          "no logbook "
              + uuid
              + " in "
              + Stores.mask(connection)
              + "; list the logbooks with '"
              + Main.commandName()
              + " logbooks list --connection ...'",
          e);
    } catch (IllegalArgumentException e) {
      // a uuid the store refuses to look up (e.g. '../x' in a directory store)
      throw new CliException(ExitCodes.USAGE, Main.oneLine(e.getMessage()), e);
    }
  }

  /** {@code logbooks list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List the flows, most recently updated first, a page at a time: last update, state,"
            + " flow name and uuid, logbook name and uuid, atoms. The store is queried, never"
            + " read whole; the last line gives the --after cursor of the next page.",
        "--all lists every logbook instead, oldest first, with its flows, then one line per"
            + " damaged record (a book holding one is left out), and exits 9 when there is any."
      })
  static final class ListBooks implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
    String connection;

    @Option(
        names = "--state",
        paramLabel = "STATE",
        split = ",",
        description = "Only flows in these states (comma-separated: SUCCESS,FAILURE,...).")
    List<io.taskflow4j.persistence.FlowState> states = new ArrayList<>();

    @Option(
        names = "--since",
        paramLabel = "AGE|INSTANT",
        description = "Only flows updated since then: an age (7d, 12h) or an ISO-8601 instant.")
    String since;

    @Option(
        names = "--name",
        paramLabel = "PREFIX",
        description = "Only flows whose name starts with PREFIX.")
    String namePrefix;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "100",
        description = "Flows per page (1 to 10000; default ${DEFAULT-VALUE}).")
    int limit;

    @Option(
        names = "--after",
        paramLabel = "CURSOR",
        description = "The page after the one that ended with CURSOR (printed by a listing).")
    String after;

    @Option(
        names = "--all",
        description = "List every logbook with all its flows (reads the whole store).")
    boolean all;

    @Option(
        names = "--json",
        description =
            "Print one JSON object instead of a table: {\"flows\": [...], \"next\": CURSOR|null};"
                + " with --all {\"logbooks\": [...], \"damaged\": [{\"kind\", \"uuid\","
                + " \"logbook\", \"location\", \"reason\"}]}.")
    boolean json;

    /** What the listing shows of a book: never its atoms, so the listing stays small. */
    private record Row(
        String uuid, String name, Instant createdAt, Instant updatedAt, List<FlowRow> flows) {
      static Row of(LogBook b) {
        List<FlowRow> flows = new ArrayList<>(b.size());
        for (FlowDetail fd : b.flows()) {
          flows.add(new FlowRow(fd.uuid(), fd.name(), fd.state().name(), fd.size()));
        }
        return new Row(b.uuid(), b.name(), b.createdAt(), b.updatedAt(), flows);
      }
    }

    private record FlowRow(String uuid, String name, String state, int atoms) {}

    @Override
    public Integer call() {
      if (all) {
        if (!states.isEmpty() || since != null || namePrefix != null || after != null) {
          throw new CliException(
              ExitCodes.USAGE,
              "--all lists the whole store: it takes no --state, --since, --name or --after");
        }
        return listAll();
      }
      return listPage();
    }

    /** One page of the flow query. */
    private int listPage() {
      Main main = Main.of(spec);
      io.taskflow4j.persistence.FlowQuery q;
      try {
        q =
            io.taskflow4j.persistence.FlowQuery.all()
                .states(states)
                .flowNamePrefix(namePrefix)
                .limit(limit)
                .after(after);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, Main.oneLine(e.getMessage()), e);
      }
      if (since != null) {
        q = q.updatedSince(DurationConverter.since(since, "--since", Instant.now()));
      }
      io.taskflow4j.persistence.FlowPage page;
      try (Backend backend = Stores.readable(connection);
          Connection c = backend.getConnection()) {
        page = c.findFlows(q);
      }
      if (json) {
        List<Object> flows = new ArrayList<>();
        for (io.taskflow4j.persistence.FlowSummary f : page.flows()) {
          flows.add(flowJson(f));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("flows", flows);
        doc.put("next", page.nextCursor());
        main.printData(Json.write(doc));
        return ExitCodes.OK;
      }
      if (page.flows().isEmpty()) {
        main.println(
            (after == null ? "No flows" : "No more flows")
                + (states.isEmpty() && since == null && namePrefix == null ? "" : " matching")
                + " in "
                + Stores.mask(connection));
        return ExitCodes.OK;
      }
      int nameWidth = 4;
      int bookWidth = 4;
      for (io.taskflow4j.persistence.FlowSummary f : page.flows()) {
        nameWidth = Math.max(nameWidth, Math.min(30, f.flowName().length()));
        bookWidth = Math.max(bookWidth, Math.min(30, String.valueOf(f.bookName()).length()));
      }
      String fmt = "%-27s  %-10s  %-" + nameWidth + "s  %-36s  %-" + bookWidth + "s  %-36s  %s";
      main.printData(
          String.format(
              fmt, "UPDATED", "STATE", "FLOW", "FLOW UUID", "BOOK", "BOOK UUID", "ATOMS"));
      for (io.taskflow4j.persistence.FlowSummary f : page.flows()) {
        main.printData(
            String.format(
                fmt,
                f.updatedAt(),
                f.state(),
                f.flowName(),
                f.flowUuid(),
                f.bookName(),
                f.bookUuid(),
                atoms(f)));
      }
      if (page.next().isPresent()) {
        main.println("More: --after " + page.nextCursor());
      }
      return ExitCodes.OK;
    }

    /** {@code 5 (4 SUCCESS, 1 FAILURE)}. */
    private static String atoms(io.taskflow4j.persistence.FlowSummary f) {
      if (f.atoms() == 0) {
        return "0";
      }
      List<String> parts = new ArrayList<>();
      f.atomCounts().forEach((st, n) -> parts.add(n + " " + st));
      return f.atoms() + " (" + String.join(", ", parts) + ")";
    }

    static Map<String, Object> flowJson(io.taskflow4j.persistence.FlowSummary f) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("flow_uuid", f.flowUuid());
      m.put("flow_name", f.flowName());
      m.put("state", f.state().name());
      m.put("book_uuid", f.bookUuid());
      m.put("book_name", f.bookName());
      m.put("created_at", f.createdAt().toString());
      m.put("updated_at", f.updatedAt().toString());
      m.put("atoms", f.atoms());
      Map<String, Object> counts = new LinkedHashMap<>();
      f.atomCounts().forEach((st, n) -> counts.put(st.name(), n));
      m.put("atom_states", counts);
      return m;
    }

    /** Every logbook with its flows, and the damaged records. */
    private int listAll() {
      Main main = Main.of(spec);
      List<Row> books = new ArrayList<>();
      List<CorruptRecordException> damaged = new ArrayList<>();
      try (Backend backend = Stores.readable(connection);
          Connection c = backend.getConnection()) {
        // Book by book: a damaged record is reported, never the end of the listing.
        c.forEachLogBook(false, b -> books.add(Row.of(b)), damaged::add);
      }
      books.sort(Comparator.comparing(Row::createdAt).thenComparing(Row::uuid));
      int exit = damaged.isEmpty() ? ExitCodes.OK : ExitCodes.DAMAGED;
      if (json) {
        List<Object> out = new ArrayList<>();
        for (Row b : books) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("uuid", b.uuid());
          m.put("name", b.name());
          m.put("created_at", String.valueOf(b.createdAt()));
          m.put("updated_at", b.updatedAt() == null ? null : b.updatedAt().toString());
          List<Object> flows = new ArrayList<>();
          for (FlowRow fd : b.flows()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("uuid", fd.uuid());
            f.put("name", fd.name());
            f.put("state", fd.state());
            f.put("atoms", fd.atoms());
            flows.add(f);
          }
          m.put("flows", flows);
          out.add(m);
        }
        List<Object> bad = new ArrayList<>();
        for (CorruptRecordException e : damaged) {
          bad.add(damagedJson(e));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("logbooks", out);
        doc.put("damaged", bad);
        main.printData(Json.write(doc));
        reportDamaged(main, damaged, connection);
        return exit;
      }
      if (books.isEmpty()) {
        main.println(
            (damaged.isEmpty() ? "No logbooks in " : "No readable logbooks in ")
                + Stores.mask(connection));
      } else {
        int nameWidth = 4;
        for (Row b : books) {
          nameWidth = Math.max(nameWidth, Math.min(40, b.name().length()));
        }
        String fmt = "%-" + nameWidth + "s  %-36s  %-27s  %s";
        main.printData(String.format(fmt, "NAME", "UUID", "CREATED", "FLOWS"));
        for (Row b : books) {
          List<String> flows = new ArrayList<>();
          for (FlowRow fd : b.flows()) {
            flows.add(fd.name() + " " + fd.uuid() + " " + fd.state());
          }
          main.printData(
              String.format(
                      fmt,
                      b.name(),
                      b.uuid(),
                      b.createdAt(),
                      flows.isEmpty() ? "(none)" : String.join(", ", flows))
                  .stripTrailing());
        }
      }
      for (CorruptRecordException e : damaged) {
        main.println(damagedLine(e));
      }
      reportDamaged(main, damaged, connection);
      return exit;
    }
  }

  /** {@code logbooks show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {
        "Show one logbook as a tree: flows, then atoms with state, intention, duration,"
            + " result (abbreviated) and failure.",
        "--json prints the book in the export format (see 'export')."
      })
  static final class ShowBook implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "BOOK_UUID", description = "The logbook's uuid.")
    String uuid;

    @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
    String connection;

    @Option(names = "--json", description = "Print the book as JSON (the export format of a book).")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      LogBook book;
      try (Backend backend = Stores.readable(connection);
          Connection c = backend.getConnection()) {
        book = load(c, uuid, connection);
      }
      if (json) {
        try {
          main.printData(
              Json.mapper()
                  .writerWithDefaultPrettyPrinter()
                  .writeValueAsString(ExportFormat.book(book)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
        return ExitCodes.OK;
      }
      for (String line : tree(book)) {
        main.printData(line);
      }
      return ExitCodes.OK;
    }
  }

  /** The tree view of a book, one string per line. */
  static List<String> tree(LogBook book) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "Logbook '"
            + book.name()
            + "' "
            + book.uuid()
            + "  created "
            + book.createdAt()
            + (book.updatedAt() == null ? "" : "  updated " + book.updatedAt()));
    List<FlowDetail> flows = book.flows();
    for (int i = 0; i < flows.size(); i++) {
      FlowDetail fd = flows.get(i);
      boolean lastFlow = i == flows.size() - 1;
      lines.add(
          (lastFlow ? "`-- " : "|-- ")
              + "flow '"
              + fd.name()
              + "' "
              + fd.uuid()
              + "  "
              + fd.state());
      String indent = lastFlow ? "    " : "|   ";
      List<AtomDetail> atoms = fd.atoms();
      int width = 4;
      for (AtomDetail ad : atoms) {
        width = Math.max(width, ad.name().length());
      }
      for (int j = 0; j < atoms.size(); j++) {
        AtomDetail ad = atoms.get(j);
        boolean lastAtom = j == atoms.size() - 1;
        StringBuilder sb = new StringBuilder(indent).append(lastAtom ? "`-- " : "|-- ");
        sb.append(ad.typeName().equals(AtomDetail.RETRY_DETAIL) ? "retry " : "task  ");
        sb.append(
            String.format(
                "%-" + width + "s  %-14s %-7s %8s",
                ad.name(),
                ad.state(),
                ad.intention(),
                duration(ad)));
        Object results = TaskFlowFormat.resultsToJson(ad);
        if (results != null && !(results instanceof List<?> l && l.isEmpty())) {
          sb.append("  -> ").append(Progress.abbreviate(Progress.json(results), 60));
        }
        lines.add(sb.toString().stripTrailing());
        String sub = indent + (lastAtom ? "    " : "|   ") + "      ";
        if (ad.failure() != null) {
          lines.add(sub + "failure: " + failure(ad.failure()));
        }
        if (ad.revertFailure() != null) {
          lines.add(sub + "revert failure: " + failure(ad.revertFailure()));
        }
      }
    }
    return lines;
  }

  private static String failure(Failure f) {
    return f.typeName() + ": " + Progress.abbreviate(f.exceptionStr(), 100);
  }

  private static String duration(AtomDetail ad) {
    Object d = ad.meta().get("duration");
    if (d instanceof Number n) {
      double s = n.doubleValue();
      return s < 1 ? String.format("%.0f ms", s * 1000) : String.format("%.2f s", s);
    }
    return "";
  }

  /** {@code logbooks delete}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description =
          "Delete a logbook with its flows and atoms; a damaged one too (nothing is read).")
  static final class DeleteBook implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "BOOK_UUID", description = "The logbook's uuid.")
    String uuid;

    @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
    String connection;

    @Option(
        names = "--json",
        description =
            "Print the result as one JSON object: {\"connection\", \"logbook\", \"name\","
                + " \"flows\", \"damaged\"}.")
    boolean json;

    private int deleted(Main main, String name, Integer flows, boolean damaged) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("connection", Stores.mask(connection));
      r.put("logbook", uuid);
      r.put("name", name);
      r.put("flows", flows);
      r.put("damaged", damaged);
      main.printJson(r);
      return ExitCodes.OK;
    }

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      try (Backend backend = Stores.existing(connection);
          Connection c = backend.getConnection()) {
        LogBook book;
        try {
          book = load(c, uuid, connection);
        } catch (CorruptRecordException damaged) {
          // Deleting never reads the records, so a damaged book goes like any other.
          String name = null;
          try {
            name = c.getLogBook(uuid, true).name();
          } catch (CorruptRecordException itsOwnRecord) {
            // the book's own record is the damaged one: it has no name to show
          }
          c.destroyLogBook(uuid);
          if (json) {
            return deleted(main, name, null, true);
          }
          main.println(
              "Deleted damaged logbook "
                  + (name == null ? "" : "'" + name + "' ")
                  + uuid
                  + " with its flows and atoms (its "
                  + damaged.kind().label()
                  + damaged.uuid().map(u -> " " + u).orElse("")
                  + " could not be read)");
          return ExitCodes.OK;
        }
        c.destroyLogBook(uuid);
        if (json) {
          return deleted(main, book.name(), book.size(), false);
        }
        main.println(
            "Deleted logbook '" + book.name() + "' " + uuid + " (" + book.size() + " flow(s))");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code logbooks delete-flow}. */
  @Command(
      name = "delete-flow",
      mixinStandardHelpOptions = true,
      description = {
        "Delete one flow with its atoms from its logbook (the logbook stays).",
        "Refused (exit 6) while a job on the board refers to the flow: trash or finish the job"
            + " first."
      })
  static final class DeleteFlow implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FLOW_UUID", description = "The flow detail's uuid.")
    String uuid;

    @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
    String connection;

    @Option(
        names = "--board",
        paramLabel = "URI",
        description = "The board whose jobs are checked (default: the board in the store itself).")
    String board;

    @Option(names = "--no-board", description = "Check no board.")
    boolean noBoard;

    @Option(
        names = "--json",
        description =
            "Print the result as one JSON object: {\"connection\", \"flow\", \"name\","
                + " \"state\"}.")
    boolean json;

    @Override
    public Integer call() {
      Main main = Main.of(spec);
      if (noBoard && board != null) {
        throw new CliException(ExitCodes.USAGE, "--no-board and --board exclude each other");
      }
      try (Backend backend = Stores.existing(connection);
          Connection c = backend.getConnection()) {
        FlowDetail fd;
        try {
          fd = c.getFlowDetails(uuid, true);
        } catch (NotFoundException e) {
          throw new CliException(
              ExitCodes.NOT_FOUND,
              "no flow "
                  + uuid
                  + " in "
                  + Stores.mask(connection)
                  + "; find flows with '"
                  + Main.commandName()
                  + " logbooks list --connection ...'",
              e);
        } catch (IllegalArgumentException e) {
          throw new CliException(ExitCodes.USAGE, Main.oneLine(e.getMessage()), e);
        }
        if (!noBoard) {
          String where = board != null ? board : connection;
          try (io.taskflow4j.jobs.Jobboard b =
              io.taskflow4j.jobs.Jobboards.open(
                  io.taskflow4j.persistence.BackendConf.parse(where).asMap())) {
            for (io.taskflow4j.jobs.Job job : b.jobs()) {
              if (job.flowUuid().map(uuid::equals).orElse(false)) {
                throw new CliException(
                    ExitCodes.CONFLICT,
                    "job "
                        + job.uuid()
                        + " '"
                        + job.name()
                        + "' ("
                        + job.state()
                        + ") on "
                        + Stores.mask(where)
                        + " refers to flow "
                        + uuid
                        + ": not deleted; let the job finish, or trash it with '"
                        + Main.commandName()
                        + " jobs trash "
                        + job.uuid()
                        + " --connection ...' first");
              }
            }
          }
        }
        c.destroyFlowDetail(uuid, fd.revision());
        if (json) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("connection", Stores.mask(connection));
          r.put("flow", uuid);
          r.put("name", fd.name());
          r.put("state", fd.state().name());
          main.printJson(r);
          return ExitCodes.OK;
        }
        main.println(
            "Deleted flow '" + fd.name() + "' " + uuid + " (" + fd.state() + ") with its atoms");
      } catch (io.taskflow4j.persistence.ConflictException e) {
        throw new CliException(
            ExitCodes.CONFLICT,
            "flow " + uuid + " changed while it was being deleted (is it running?): not deleted",
            e);
      }
      return ExitCodes.OK;
    }
  }
}
