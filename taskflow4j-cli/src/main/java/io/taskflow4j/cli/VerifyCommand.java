package io.taskflow4j.cli;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code taskflow4j verify}: a read-only consistency check of a whole store. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check a store's consistency without changing it: every record parses, every link resolves,"
          + " no orphans or duplicates, states agree with their results and failures.",
      "Leftovers of interrupted writes, which readers skip and the next write (or 'upgrade')"
          + " removes, are reported as notes ('note: ...'; severity \"note\" in --json).",
      "Exit code 0 when consistent (notes or not), 1 when problems were found (one line each)."
    })
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--connection", paramLabel = "URI", required = true, description = "The store.")
  String connection;

  @Option(names = "--json", description = "Print the report as one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    Report report;
    try (Backend backend = Stores.readable(connection)) {
      report = StoreVerifier.verify(backend);
    }
    if (json) {
      List<Object> problems = new ArrayList<>();
      for (Problem p : report.problems()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", p.kind().name());
        m.put("severity", p.severity().name().toLowerCase(java.util.Locale.ROOT));
        m.put("location", p.location());
        m.put("message", p.message());
        problems.add(m);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("connection", Stores.mask(connection));
      out.put("logbooks", report.books());
      out.put("flows", report.flows());
      out.put("atoms", report.atoms());
      out.put("consistent", report.ok());
      out.put("problems", problems);
      main.println(Json.write(out));
    } else {
      main.println(Stores.mask(connection) + ": " + report);
    }
    return report.ok() ? ExitCodes.OK : ExitCodes.FAILURE;
  }
}
