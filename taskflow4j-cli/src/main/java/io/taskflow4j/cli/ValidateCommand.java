package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.ReadOnlyStoreException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j validate}: checks that a store is reachable and usable. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Check that the store is reachable and has the expected structure; changes nothing.",
      "A store that can be read but not written by this user (a backup, a read-only mount) is"
          + " valid, and said to be read-only."
    })
final class ValidateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--json",
      description =
          "Print the result as one JSON object: {\"connection\", \"valid\", \"logbooks\", \"read_only\", \"read_only_reason\"}.")
  boolean json;

  @Override
  public Integer call() {
    int books;
    String readOnly = null;
    try (Backend backend = Stores.readable(connection);
        Connection c = backend.getConnection()) {
      try {
        c.validate();
      } catch (ReadOnlyStoreException e) {
        // A backup or another user's store is a valid store; say that it cannot be written.
        readOnly = Main.oneLine(e.getMessage());
      }
      books = c.getLogBooks(true).size();
    }
    if (json) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("connection", Stores.mask(connection));
      r.put("valid", true);
      r.put("logbooks", books);
      r.put("read_only", readOnly != null);
      r.put("read_only_reason", readOnly);
      Main.of(spec).printJson(r);
      return ExitCodes.OK;
    }
    Main.of(spec)
        .println(
            "Store "
                + Stores.mask(connection)
                + " is valid ("
                + books
                + " logbook(s))"
                + (readOnly == null ? "." : "; read-only here: " + readOnly));
    return ExitCodes.OK;
  }
}
