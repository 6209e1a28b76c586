package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j export}: writes logbooks in the backend-neutral export format. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export logbooks as JSON in the versioned, backend-neutral export format"
          + " ({\"format\": \"taskflow4j-export\", \"version\": 1, \"exported_at\": ...,"
          + " \"logbooks\": [...]}), which 'import' reads into any backend."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--book",
      paramLabel = "UUID",
      description = "Export only this logbook (repeatable; default: every logbook).")
  List<String> books = new ArrayList<>();

  @Option(
      names = {"--output", "-o"},
      paramLabel = "FILE",
      description = "Write to FILE (replaced atomically) instead of standard output.")
  Path output;

  @Override
  public Integer call() throws IOException {
    Main main = Main.of(spec);
    List<LogBook> selected = new ArrayList<>();
    try (Backend backend = Stores.readable(connection);
        Connection c = backend.getConnection()) {
      if (books.isEmpty()) {
        selected.addAll(c.getLogBooks(false));
      } else {
        for (String uuid : books) {
          selected.add(LogbooksCommand.load(c, uuid, connection));
        }
      }
    }
    byte[] json =
        Json.mapper()
            .writerWithDefaultPrettyPrinter()
            .writeValueAsBytes(ExportFormat.document(selected));
    if (output == null) {
      OutputStream out = main.out();
      out.write(json);
      out.write('\n');
      out.flush();
      return ExitCodes.OK;
    }
    Path target = output.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || Files.isDirectory(target)) {
      throw new CliException(
          ExitCodes.USAGE, "--output " + output + " is a directory; give the path of a file");
    }
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, json);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    int flows = 0;
    for (LogBook b : selected) {
      flows += b.size();
    }
    main.info("Exported " + selected.size() + " logbook(s), " + flows + " flow(s) to " + output);
    return ExitCodes.OK;
  }
}
