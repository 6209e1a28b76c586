package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code taskflow4j verify} on a sound store and on one with a broken link. */
class VerifyCommandTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void aSoundStoreIsConsistentAndADanglingLinkIsReported() throws Exception {
    Path store = dir.resolve("store");
    String connection = Cli.dir(store);
    Cli.run("bench", "--workload", "chain", "--tasks", "5", "--connection", connection)
        .expect(ExitCodes.OK);

    Cli.Result sound = Cli.run("verify", "--connection", connection);
    sound.expect(ExitCodes.OK);
    assertThat(sound.out()).contains("consistent");

    // Remove one atom detail a flow links to: the link now dangles.
    Path atom;
    try (Stream<Path> atoms = Files.list(store.resolve("atom_details"))) {
      atom = atoms.findFirst().orElseThrow();
    }
    try (Stream<Path> files = Files.walk(atom)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Cli.Result broken = Cli.run("verify", "--connection", connection, "--json");
    broken.expect(ExitCodes.FAILURE);
    Map<String, Object> report = (Map<String, Object>) broken.lastJson();
    assertThat(report).containsEntry("consistent", false).containsEntry("logbooks", 1);
    List<Map<String, Object>> problems = (List<Map<String, Object>>) report.get("problems");
    assertThat(problems)
        .anySatisfy(
            p -> {
              assertThat(p).containsEntry("kind", "DANGLING_LINK");
              assertThat((String) p.get("message")).contains(atom.getFileName().toString());
            });
  }

  @Test
  void aMissingStoreIsOneLine() {
    Cli.Result r = Cli.run("verify", "--connection", Cli.dir(dir.resolve("nothing-here")));
    assertThat(r.code()).isNotZero();
    assertThat(r.errLines()).hasSize(1);
  }
}
