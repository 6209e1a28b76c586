package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a killed write leaves in a directory store, through the shaded jar: {@code verify} reports
 * it as a note (exit 0: readers skip it), read-only commands leave it, and the next command that
 * writes ({@code resume} here) removes it.
 */
class VerifyLeftoversIT {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void verifyNotesWhatAKilledWriteLeftAndTheNextWritingCommandTidiesIt() throws Exception {
    Path store = dir.resolve("store");
    String connection = Cli.dir(store);
    Cli.Result crashed =
        Jar.run(dir, "demo", "--connection", connection, "--delay", "0", "--crash-after", "2");
    crashed.expect(ExitCodes.CRASHED);
    // What a write killed half-way leaves: a temporary file and a staged object in .tmp/.
    Path temp = store.resolve(".tmp/.tmp-t-4f6e2a91c07d3b58");
    Files.writeString(temp, "{\"atom\": {\"name\": \"charge-ca");
    Path staged = store.resolve(".tmp/.tmp-f-9a0c55e1d2b34f67");
    Files.createDirectories(staged);
    Files.writeString(staged.resolve("metadata"), "{\"name\": \"half\"}");

    Cli.Result text = Jar.run(dir, "verify", "--connection", connection);
    text.expect(ExitCodes.OK);
    // (The demo's own crash may have cut a write too, leaving one more.)
    assertThat(text.out())
        .contains(": consistent; ")
        .containsPattern("\\d+ notes \\(\\d+ LEFTOVER\\)")
        .contains("note: LEFTOVER file .tmp/.tmp-t-4f6e2a91c07d3b58")
        .contains("note: LEFTOVER file .tmp/.tmp-f-9a0c55e1d2b34f67");

    Cli.Result json = Jar.run(dir, "verify", "--connection", connection, "--json");
    json.expect(ExitCodes.OK);
    Map<String, Object> report = (Map<String, Object>) json.lastJson();
    assertThat(report).containsEntry("consistent", true);
    List<Map<String, Object>> problems = (List<Map<String, Object>>) report.get("problems");
    assertThat(problems)
        .extracting(p -> p.get("location"))
        .contains("file .tmp/.tmp-t-4f6e2a91c07d3b58", "file .tmp/.tmp-f-9a0c55e1d2b34f67");
    assertThat(problems)
        .allSatisfy(
            p -> {
              assertThat(p).containsEntry("kind", "LEFTOVER").containsEntry("severity", "note");
              assertThat((String) p.get("message")).contains("next write");
            });

    // Reading commands leave it; the next writing command tidies it before it writes.
    Jar.run(dir, "logbooks", "list", "--all", "--connection", connection).expect(ExitCodes.OK);
    assertThat(temp).exists();
    Cli.Result resumed = Jar.run(dir, "resume", "--connection", connection, "--all");
    resumed.expect(ExitCodes.OK);
    assertThat(resumed.out()).contains("finished: SUCCESS");
    assertThat(temp).doesNotExist();
    assertThat(staged).doesNotExist();
    Cli.Result clean = Jar.run(dir, "verify", "--connection", connection, "--json");
    clean.expect(ExitCodes.OK);
    assertThat((List<?>) ((Map<String, Object>) clean.lastJson()).get("problems")).isEmpty();

    // An inconsistency is still an error beside a note: exit 1, severity "error".
    Files.writeString(temp, "{");
    Path atom;
    try (Stream<Path> atoms = Files.list(store.resolve("atom_details"))) {
      atom = atoms.findFirst().orElseThrow();
    }
    deleteTree(atom);
    Cli.Result broken = Jar.run(dir, "verify", "--connection", connection, "--json");
    broken.expect(ExitCodes.FAILURE);
    Map<String, Object> bad = (Map<String, Object>) broken.lastJson();
    assertThat(bad).containsEntry("consistent", false);
    assertThat((List<Map<String, Object>>) bad.get("problems"))
        .anySatisfy(p -> assertThat(p).containsEntry("severity", "error"))
        .anySatisfy(
            p -> assertThat(p).containsEntry("kind", "LEFTOVER").containsEntry("severity", "note"));
  }

  private static void deleteTree(Path p) throws Exception {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
