package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stats} and {@code export --format jsonl} through the shaded jar, over a demo run. */
class StatsIT {
  @TempDir Path dir;

  @Test
  void statsOfADemoRunShowTheChargeThatFailedOnceAndWasRetried() throws Exception {
    String store = Cli.sqlite(dir.resolve("demo.db"));
    Jar.run(dir, "demo", "--delay", "0", "--connection", store).expect(ExitCodes.OK);

    Cli.Result table = Jar.run(dir, "stats", "--connection", store);
    table.expect(ExitCodes.OK);
    assertThat(table.out()).startsWith("1 flow(s), ");
    String charge =
        table.out().lines().filter(l -> l.startsWith("charge-card ")).findFirst().orElseThrow();
    // ATOM RUNS OK FAILED RETRIES P50 P95 P99 MAX
    assertThat(charge.trim().split("\\s+")).startsWith("charge-card", "2", "1", "1", "1");
    assertThat(table.out())
        .contains("Failures by day (UTC) and exception type:")
        .contains("GatewayTimeout")
        .contains("Slowest flows");

    Cli.Result json =
        Jar.run(dir, "stats", "--connection", store, "--json", "--since", "1h", "--top", "1");
    json.expect(ExitCodes.OK);
    Map<String, Object> doc = json.json();
    assertThat(doc.get("flows")).isEqualTo(1);
    Map<?, ?> chargeStats =
        ((List<?>) doc.get("atom_stats"))
            .stream()
                .map(Map.class::cast)
                .filter(m -> "charge-card".equals(m.get("name")))
                .findFirst()
                .orElseThrow();
    assertThat(chargeStats.get("failures")).isEqualTo(1);
    assertThat(chargeStats.get("retries")).isEqualTo(1);
    assertThat(chargeStats.get("successes")).isEqualTo(1);
    assertThat((List<?>) doc.get("failures")).hasSize(1);
    assertThat((List<?>) doc.get("slowest")).hasSize(1);

    Cli.Result other = Jar.run(dir, "stats", "--connection", store, "--flow", "no-such-flow");
    other.expect(ExitCodes.OK);
    assertThat(other.out()).startsWith("0 flow(s), 0 atom(s)");

    Cli.Result lines = Jar.run(dir, "export", "--connection", store, "--format", "jsonl");
    lines.expect(ExitCodes.OK);
    List<Map<?, ?>> atoms = new java.util.ArrayList<>();
    lines.out().lines().forEach(l -> atoms.add((Map<?, ?>) Json.read(l)));
    assertThat(atoms).extracting(m -> (Object) m.get("atom_name")).contains("charge-card", "ship");
    Map<?, ?> card =
        atoms.stream().filter(m -> "charge-card".equals(m.get("atom_name"))).findFirst().get();
    assertThat(card.get("attempt")).isEqualTo(2);
    assertThat(card.get("state")).isEqualTo("SUCCESS");
    assertThat(card.get("duration")).isInstanceOf(Number.class);
    assertThat(card.get("started_at")).asString().endsWith("Z");
  }
}
