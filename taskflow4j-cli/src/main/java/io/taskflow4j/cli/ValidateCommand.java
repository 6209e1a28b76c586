package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j validate}: checks that a store is reachable and usable. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description =
        "Check that the store is reachable and has the expected structure; changes nothing.")
final class ValidateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Override
  public Integer call() {
    int books;
    try (Backend backend = Backends.fetch(connection);
        Connection c = backend.getConnection()) {
      c.validate();
      books = c.getLogBooks(true).size();
    }
    Main.of(spec)
        .println("Store " + Stores.mask(connection) + " is valid (" + books + " logbook(s)).");
    return ExitCodes.OK;
  }
}
