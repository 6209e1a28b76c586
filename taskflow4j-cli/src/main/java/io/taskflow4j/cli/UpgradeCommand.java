package io.taskflow4j.cli;

import io.taskflow4j.persistence.UpgradeResult;
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

  @Override
  public Integer call() {
    UpgradeResult done = Stores.upgrade(connection);
    if (done.change() == UpgradeResult.Change.UNREPORTED) {
      Main.of(spec).println("Store " + Stores.mask(connection) + " is ready.");
    } else {
      Main.of(spec).println("Store " + Stores.mask(connection) + ": " + done.describe() + ".");
    }
    return ExitCodes.OK;
  }
}
