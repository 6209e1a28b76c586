package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** demo → crash → resume → show, driving the real command. */
class DemoCrashResumeTest {
  private static final Pattern RESUME =
      Pattern.compile("resume --connection (\\S+) --flow ([0-9a-f-]{36})");

  @TempDir Path dir;

  @Test
  void aCrashedDemoResumesToSuccessRunningOnlyWhatWasLeft() throws Exception {
    // The crash is real: a new JVM halts after 3 tasks have succeeded.
    Cli.Result crashed = Cli.runJvm(dir, "demo", "--delay", "0", "--crash-after", "3");
    crashed.expect(ExitCodes.CRASHED);
    assertThat(crashed.out()).contains("Store: sqlite:///taskflow4j-demo.db (a SQLite file: ");
    assertThat(Files.exists(dir.resolve("taskflow4j-demo.db"))).isTrue();
    assertThat(crashed.out()).doesNotContain("task   ship").doesNotContain("notify-customer");
    Matcher m = RESUME.matcher(crashed.err());
    assertThat(m.find()).as(crashed.err()).isTrue();
    assertThat(m.group(1)).isEqualTo("sqlite:///taskflow4j-demo.db");
    String flow = m.group(2);

    String connection = Cli.sqlite(dir.resolve("taskflow4j-demo.db"));
    Map<String, Object> before = onlyBook(connection);
    assertThat(flowOf(before).get("state")).isEqualTo("RUNNING");
    assertThat(atomStates(before))
        .containsEntry("fetch-order", "SUCCESS")
        .containsEntry("reserve-stock", "SUCCESS")
        .containsEntry("charge-card", "SUCCESS")
        .containsEntry("ship", "PENDING")
        .containsEntry("notify-customer", "PENDING");

    Cli.Result resumed = Cli.run("resume", "--connection", connection, "--flow", flow);
    resumed.expect(ExitCodes.OK);
    assertThat(resumed.out())
        .contains("task   ship                 RUNNING")
        .contains("task   notify-customer      SUCCESS")
        .doesNotContain("task   fetch-order")
        .doesNotContain("task   charge-card")
        .contains("finished: SUCCESS");

    Map<String, Object> after = onlyBook(connection);
    assertThat(flowOf(after).get("state")).isEqualTo("SUCCESS");
    assertThat(atomStates(after).values()).hasSize(6).containsOnly("SUCCESS");
    Map<String, Object> notify = atom(after, "notify-customer");
    assertThat(notify.get("results"))
        .isEqualTo("sent to ada@example.com: your parcel TRK-A-1001-" + trackingSuffix());
    // the retry recorded the failed first attempt, with the failure's type
    Map<String, Object> retry = atom(after, "charge-retry");
    assertThat(retry.get("type")).isEqualTo("RETRY_DETAIL");
    assertThat(String.valueOf(retry.get("results")))
        .contains("GatewayTimeoutException")
        .contains("attempt 1");

    // the tree view of the same book
    Cli.Result tree =
        Cli.run("logbooks", "show", String.valueOf(after.get("uuid")), "--connection", connection);
    tree.expect(ExitCodes.OK);
    assertThat(tree.out())
        .contains("flow 'order-processing' " + flow + "  SUCCESS")
        .containsPattern("task  ship +SUCCESS +EXECUTE +\\d+ ms  -> \"TRK-A-1001-");

    // nothing is left to resume
    Cli.Result all = Cli.run("resume", "--connection", connection, "--all");
    all.expect(ExitCodes.OK);
    assertThat(all.out()).contains("0 unfinished flow(s)");
    Cli.Result again = Cli.run("resume", "--connection", connection, "--flow", flow);
    again.expect(ExitCodes.OK);
    assertThat(again.out()).contains("already finished: SUCCESS");
  }

  @Test
  void theDemoRunsToSuccessWithOneRetriedFailure() {
    String connection = Cli.sqlite(dir.resolve("demo.db"));
    Cli.Result r = Cli.run("demo", "--delay", "0", "--connection", connection);
    r.expect(ExitCodes.OK);
    assertThat(r.out())
        .contains("task   charge-card          FAILURE")
        .contains("GatewayTimeoutException: payment gateway did not answer")
        .contains("retry  charge-retry         RETRYING")
        .contains("flow   order-processing     SUCCESS")
        .contains("logbooks show ");
    Map<String, Object> book = onlyBook(connection);
    assertThat(atomStates(book).values()).containsOnly("SUCCESS");
    @SuppressWarnings("unchecked")
    Map<String, Object> receipt = (Map<String, Object>) atom(book, "charge-card").get("results");
    assertThat(receipt)
        .containsEntry("receipt", "PAY-A-1001-2")
        .containsEntry("amount_cents", 13800);
  }

  @Test
  void resumeAllFinishesEveryUnfinishedFlow() throws Exception {
    String connection = Cli.sqlite(dir.resolve("many.db"));
    // one run killed after 4 tasks, one suspended after the first task
    Cli.runJvm(dir, "demo", "--delay", "0", "--connection", connection, "--crash-after", "4")
        .expect(ExitCodes.CRASHED);
    try (Backend backend = Backends.open(connection);
        Engine engine =
            Engines.loadFromFactory(OrderFlow.class, List.of("B-7", 0), Map.of())
                .backend(backend)
                .build()) {
      engine.atomNotifier().register(AtomState.SUCCESS, e -> engine.suspend());
      engine.run();
      assertThat(engine.flowState()).isEqualTo(FlowState.SUSPENDED);
    }
    // and one that finished: not resumed
    Cli.run("demo", "--delay", "0", "--connection", connection).expect(ExitCodes.OK);

    Cli.Result all = Cli.run("resume", "--connection", connection, "--all", "--quiet");
    all.expect(ExitCodes.OK);
    assertThat(all.out()).contains("2 unfinished flow(s)");
    assertThat(all.out().lines().filter(l -> l.endsWith("finished: SUCCESS")).count()).isEqualTo(2);
    Cli.Result list = Cli.run("logbooks", "list", "--all", "--connection", connection, "--json");
    list.expect(ExitCodes.OK);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> books = (List<Map<String, Object>>) list.json().get("logbooks");
    assertThat(books).hasSize(3);
    List<Object> states = new ArrayList<>();
    for (Map<String, Object> b : books) {
      for (Object f : (List<?>) b.get("flows")) {
        states.add(((Map<?, ?>) f).get("state"));
      }
    }
    assertThat(states).containsExactly("SUCCESS", "SUCCESS", "SUCCESS");
  }

  private static int trackingSuffix() {
    return Math.floorMod("RSV-A-1001".hashCode(), 1000);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> onlyBook(String connection) {
    Cli.Result list = Cli.run("logbooks", "list", "--all", "--connection", connection, "--json");
    list.expect(ExitCodes.OK);
    List<Map<String, Object>> books = (List<Map<String, Object>>) list.json().get("logbooks");
    assertThat(books).hasSize(1);
    Cli.Result show =
        Cli.run(
            "logbooks",
            "show",
            (String) books.get(0).get("uuid"),
            "--connection",
            connection,
            "--json");
    show.expect(ExitCodes.OK);
    return show.json();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> flowOf(Map<String, Object> book) {
    List<Object> flows = (List<Object>) book.get("flows");
    assertThat(flows).hasSize(1);
    return (Map<String, Object>) flows.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> atomStates(Map<String, Object> book) {
    Map<String, String> states = new java.util.LinkedHashMap<>();
    for (Object a : (List<Object>) flowOf(book).get("atoms")) {
      Map<String, Object> atom = (Map<String, Object>) a;
      states.put((String) atom.get("name"), (String) atom.get("state"));
    }
    return states;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> atom(Map<String, Object> book, String name) {
    for (Object a : (List<Object>) flowOf(book).get("atoms")) {
      Map<String, Object> atom = (Map<String, Object>) a;
      if (name.equals(atom.get("name"))) {
        assertThat(atom)
            .containsOnlyKeys(
                "uuid",
                "name",
                "type",
                "state",
                "intention",
                "version",
                "results",
                "failure",
                "revert_results",
                "revert_failure",
                "meta");
        return atom;
      }
    }
    throw new AssertionError("no atom " + name + " in " + book);
  }
}
