package io.taskflow4j.cli;

import io.taskflow4j.persistence.UpgradeResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j upgrade}: creates or migrates a store's structure. */
@Command(
    name = "upgrade",
    mixinStandardHelpOptions = true,
    description =
        "Create the store, or migrate its schema to this version (idempotent; a TaskFlow store"
            + " is adopted without losing a row), and say which it did.")
final class UpgradeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(
      names = "--json",
      description =
          "Print the result as one JSON object: {\"connection\", \"change\", \"from\", \"to\", \"description\"}.")
  boolean json;

  @Override
  public Integer call() {
    UpgradeResult done = Stores.upgrade(connection);
    if (json) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("connection", Stores.mask(connection));
      r.put("change", done.change().name());
      r.put("from", done.from());
      r.put("to", done.to());
      r.put(
          "description",
          done.change() == UpgradeResult.Change.UNREPORTED ? "ready" : done.describe());
      Main.of(spec).printJson(r);
      return ExitCodes.OK;
    }
    if (done.change() == UpgradeResult.Change.UNREPORTED) {
      Main.of(spec).println("Store " + Stores.mask(connection) + " is ready.");
    } else {
      Main.of(spec).println("Store " + Stores.mask(connection) + ": " + done.describe() + ".");
    }
    return ExitCodes.OK;
  }
}
