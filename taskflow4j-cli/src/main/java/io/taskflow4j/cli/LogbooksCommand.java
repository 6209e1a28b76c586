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
    description = "List, show and delete logbooks.",
    subcommands = {
      LogbooksCommand.ListBooks.class,
      LogbooksCommand.ShowBook.class,
      LogbooksCommand.DeleteBook.class
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
        "List the logbooks, oldest first: name, uuid, creation time, flows and their states.",
        "Then one line per damaged record (a book holding one is left out of the list), and"
            + " exit code 9 when there is any."
      })
  static final class ListBooks implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
    String connection;

    @Option(
        names = "--json",
        description =
            "Print one JSON object instead of a table: {\"logbooks\": [...], \"damaged\":"
                + " [{\"kind\", \"uuid\", \"logbook\", \"location\", \"reason\"}]}.")
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
        main.println(
            "Deleted logbook '" + book.name() + "' " + uuid + " (" + book.size() + " flow(s))");
      }
      return ExitCodes.OK;
    }
  }
}
